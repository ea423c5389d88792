"""Forms of the self-check questions: reveal (with an optional answer) and the student's own verdict."""

from django import forms

from lessons.forms.fields import BrowserTextField
from lessons.models import Verdict

ANSWER_MAX_LENGTH = 5000


class SelfCheckRevealForm(forms.Form):
    answer_text = BrowserTextField(
        label="Your answer (optional)",
        required=False,
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
    )


class SelfCheckJudgeForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
