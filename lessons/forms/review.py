from datetime import UTC, datetime
from zoneinfo import available_timezones

from django import forms
from django.conf import settings as django_settings

from lessons.models import Rating, StudentSettings, Theme

NEXT_CHOICES = [("lesson", "lesson"), ("review", "review")]


class RevealForm(forms.Form):
    next = forms.ChoiceField(choices=NEXT_CHOICES, required=False)
    # When the page drew the front (ms since the epoch); the service trusts it only within limits.
    shown = forms.IntegerField(required=False, min_value=0, max_value=2**53)

    def shown_at(self):
        shown = self.cleaned_data.get("shown")
        return datetime.fromtimestamp(shown / 1000, tz=UTC) if shown else None


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(choices=Rating.choices, coerce=int)
    version = forms.IntegerField(min_value=0, max_value=2**31 - 1)
    next = forms.ChoiceField(choices=NEXT_CHOICES, required=False)


class ItemVersionForm(forms.Form):
    """A review item's form in /review/: the state's version it was drawn for (stale forms are refused)."""

    version = forms.IntegerField(min_value=0, max_value=2**31 - 1)
    shown = forms.IntegerField(required=False, min_value=0, max_value=2**53)

    def shown_at(self):
        shown = self.cleaned_data.get("shown")
        return datetime.fromtimestamp(shown / 1000, tz=UTC) if shown else None


class UndoForm(forms.Form):
    next = forms.ChoiceField(choices=NEXT_CHOICES, required=False)


def time_zone_choices():
    return [("", f"The site's time zone ({django_settings.TIME_ZONE})")] + [
        (name, name.replace("_", " ")) for name in sorted(available_timezones())
    ]


class StudySettingsForm(forms.ModelForm):
    desired_retention = forms.FloatField(
        label="Desired retention",
        min_value=0.7,
        max_value=0.97,
        step_size=0.01,
        help_text="The share of cards you want to still remember when they come back (0.70 to 0.97). "
        "Higher means more reviews.",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    new_cards_per_day = forms.IntegerField(
        label="New cards per day",
        min_value=0,
        max_value=500,
        help_text="The most new cards a review session introduces in one day.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=time_zone_choices,
        help_text="Decides when your study day starts.",
    )
    reviews_per_day = forms.IntegerField(
        label="Reviews per day",
        min_value=0,
        max_value=9999,
        help_text="The most cards already learnt that a review session brings back in one day (Anki's default: 200). "
        "Cards over the limit wait for the next day.",
    )
    learn_ahead_minutes = forms.IntegerField(
        label="Learn ahead (minutes)",
        min_value=0,
        max_value=720,
        help_text="When nothing else is due, show a card still in its learning steps this many minutes early "
        "(Anki's default: 20).",
    )
    rollover_hour = forms.TypedChoiceField(
        label="New day starts at",
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text="Cards due before this hour count for the previous day, as in Anki (default 04:00).",
    )

    class Meta:
        model = StudentSettings
        fields = [
            "desired_retention",
            "new_cards_per_day",
            "reviews_per_day",
            "learn_ahead_minutes",
            "time_zone",
            "rollover_hour",
        ]


class BrowserZoneField(forms.CharField):
    """A time zone name sent by the browser (``Intl``); anything unknown counts as none."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=64, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return value if value in available_timezones() else ""


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(label="Colours", choices=Theme.choices, required=False, widget=forms.RadioSelect)


class GoalForm(forms.Form):
    daily_goal = forms.IntegerField(label="Daily goal", min_value=0, max_value=500)


def _ids(values) -> set[int]:
    if len(values) > 1000 or not all(v.isascii() and v.isdigit() and len(v) <= 12 for v in values):
        raise forms.ValidationError("Not a list of lessons.")
    return {int(v) for v in values}


class ReviewSwitchesForm(forms.Form):
    """The settings' per-lesson switches: ``lesson`` lists the lessons shown, ``questions`` / ``exercises``
    the ones ticked (an unticked box sends nothing, so the shown list says what was switched off)."""

    def clean(self):
        data = self.data
        return {
            "lesson_ids": sorted(_ids(data.getlist("lesson"))),
            "questions_on": _ids(data.getlist("questions")),
            "exercises_on": _ids(data.getlist("exercises")),
        }
