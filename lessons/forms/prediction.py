"""Forms of the prediction exercise: write and submit, autosave a draft, mark against the rubric."""

from django import forms

from lessons.forms.fields import BrowserTextField
from lessons.models import Confidence

PREDICTION_MAX_LENGTH = 3000


def _text_field(*, required):
    return BrowserTextField(
        label="Your prediction",
        required=required,
        max_length=PREDICTION_MAX_LENGTH,
        error_messages={
            "required": "Write your prediction first: the model answer is shown once you have committed to one.",
            "max_length": (
                "Your prediction is too long: keep it to %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )


class PredictionForm(forms.Form):
    """The prediction and how confident the student is, both given before the model answer is shown."""

    text = _text_field(required=True)
    confidence = forms.ChoiceField(
        label="How confident are you in this prediction?",
        choices=Confidence.choices,
        error_messages={"required": "Say how confident you are (low, medium or high) before you see the model answer."},
    )
    # The number this submission will get: a double click sends the same number twice and makes one record.
    number = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class PredictionDraftForm(forms.Form):
    text = _text_field(required=False)


class PredictionMarkForm(forms.Form):
    """Which rubric points one submission named. Only the exercise's own points are valid choices."""

    number = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    points = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].queryset = exercise.rubric_points.live()
