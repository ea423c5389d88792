"""Setting an exam date for a course ("my exam is on ...")."""

from django import forms

from lessons.models import Course


class ExamForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=Course.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the courses in the list."},
    )
    date = forms.DateField(
        label="Exam date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as year-month-day, e.g. 2027-05-14."},
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # Only courses with a published lesson: a plan for a course without lessons would be empty.
        self.fields["course"].queryset = Course.objects.filter(lessons__published=True).distinct()
        self.fields["date"].widget.attrs["min"] = today.isoformat()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day <= self.today:
            raise forms.ValidationError("Choose a date after today: a plan needs at least one day before it.")
        return day
