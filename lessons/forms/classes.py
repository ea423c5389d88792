"""Forms of the class pages."""

import re
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from lessons.models import Classroom
from lessons.models.classes import JOIN_CODE_LENGTH

MAX_INSTRUCTORS = 20


def instructors_named(usernames):
    """Users with these usernames who may teach: staff with the class permission (one query)."""
    return (
        get_user_model()
        .objects.filter(username__in=usernames, is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="add_classroom")
            | Q(user_permissions__codename="add_classroom")
        )
        .distinct()
    )


class DateInput(forms.DateInput):
    input_type = "date"


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=JOIN_CODE_LENGTH + 10,  # room for spaces or a dash someone copied with it
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={"required": "Type the code your instructor gave you."},
    )


class ClassroomForm(forms.ModelForm):
    """A class's name, code settings, instructors, and one (assign, expected by) pair per lesson."""

    instructor_names = forms.CharField(
        label="Instructors",
        max_length=2000,
        help_text="Usernames of instructors, separated by commas. Every instructor sees the dashboard.",
    )
    join_expires_on = forms.DateField(
        label="Code works until",
        required=False,
        widget=DateInput,
        help_text="Optional. The code stops working at the end of this day.",
    )

    class Meta:
        model = Classroom
        fields = ["name", "section", "join_enabled"]
        labels = {
            "name": "Class name",
            "section": "Section (optional)",
            "join_enabled": "Students can join with the code",
        }

    def __init__(self, *args, user, lessons, assigned, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.lessons = list(lessons)
        self.lesson_rows = []
        for lesson in self.lessons:
            assign = f"lesson_{lesson.pk}"
            expected = f"expected_{lesson.pk}"
            self.fields[assign] = forms.BooleanField(required=False, label=lesson.title)
            self.fields[expected] = forms.DateField(required=False, label="Expected by", widget=DateInput)
            if lesson.pk in assigned:
                self.initial[assign] = True
                self.initial[expected] = assigned[lesson.pk].expected_by
            self.lesson_rows.append((lesson, self[assign], self[expected]))
        if self.instance.pk is None:
            self.initial.setdefault("instructor_names", user.username)
            self.initial.setdefault("join_enabled", True)

    def clean_instructor_names(self):
        names = list(dict.fromkeys(n for n in re.split(r"[\s,]+", self.cleaned_data["instructor_names"]) if n))
        if len(names) > MAX_INSTRUCTORS:
            raise forms.ValidationError(f"At most {MAX_INSTRUCTORS} instructors.")
        if self.user.username not in names:
            raise forms.ValidationError("Keep your own username: another instructor can remove you.")
        found = {u.username: u for u in instructors_named(names)}
        unknown = [n for n in names if n not in found]
        if unknown:
            raise forms.ValidationError(f"Not an instructor here: {', '.join(unknown)}.")
        return [found[n] for n in names]

    def clean(self):
        cleaned = super().clean()
        for lesson in self.lessons:
            if cleaned.get(f"expected_{lesson.pk}") and not cleaned.get(f"lesson_{lesson.pk}"):
                self.add_error(f"expected_{lesson.pk}", f"Tick “{lesson.title}” to assign it, or clear the date.")
        return cleaned

    def assigned_lessons(self):
        """(lesson, expected-by date) for the ticked lessons, in lesson order."""
        return [
            (lesson, self.cleaned_data.get(f"expected_{lesson.pk}"))
            for lesson in self.lessons
            if self.cleaned_data.get(f"lesson_{lesson.pk}")
        ]


def expires_on(classroom):
    """The last day a code works, for the form (the stored moment is the midnight after it)."""
    if classroom.join_expires_at is None:
        return None
    return timezone.localtime(classroom.join_expires_at - timedelta(seconds=1)).date()
