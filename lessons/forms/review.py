from zoneinfo import available_timezones

from django import forms
from django.conf import settings as django_settings

from lessons.models import Rating, StudentSettings, Theme

NEXT_CHOICES = [("lesson", "lesson"), ("review", "review")]


class RevealForm(forms.Form):
    next = forms.ChoiceField(choices=NEXT_CHOICES, required=False)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(choices=Rating.choices, coerce=int)
    version = forms.IntegerField(min_value=0, max_value=2**31 - 1)
    next = forms.ChoiceField(choices=NEXT_CHOICES, required=False)


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
    rollover_hour = forms.TypedChoiceField(
        label="New day starts at",
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text="Cards due before this hour count for the previous day, as in Anki (default 04:00).",
    )

    class Meta:
        model = StudentSettings
        fields = ["desired_retention", "new_cards_per_day", "time_zone", "rollover_hour"]


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(label="Colours", choices=Theme.choices, required=False, widget=forms.RadioSelect)


class GoalForm(forms.Form):
    daily_goal = forms.IntegerField(label="Daily goal", min_value=0, max_value=500)
