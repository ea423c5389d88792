"""Prediction: write a prediction, "Show a model answer", then mark it against the rubric.

How confident the student is goes on the same form as the prediction, so it
is given before the model answer is on the screen and cannot be changed
after it: "how confident were you before seeing the answer" is then a fact,
not a memory coloured by the answer.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lessons.content_cache import practice_lesson
from lessons.forms_prediction import PREDICTION_MAX_LENGTH, PredictionDraftForm, PredictionForm, PredictionMarkForm
from lessons.models import Confidence, Lesson, PredictionDraft, PredictionExercise, PredictionSubmission, RubricPoint
from lessons.services import prediction as services

from . import pages
from .common import error_response, fragment_or_redirect

TEMPLATE = "lessons/lesson_detail.html#prediction-exercise"
DRAFT_TEMPLATE = "lessons/lesson_detail.html#prediction-draft-status"
STALE_FORM = "This form is out of date (was it sent from another tab?). Reload the page and try again."


@dataclass
class PredictionState:
    """One student's work on one exercise, as the page shows it."""

    exercise: PredictionExercise
    submissions: list[PredictionSubmission] = field(default_factory=list)
    draft: PredictionDraft | None = None
    form: PredictionForm | None = None

    @property
    def latest(self):
        return self.submissions[-1] if self.submissions else None

    @property
    def earlier(self):
        """Earlier submissions, newest first."""
        return self.submissions[-2::-1]

    @property
    def next_number(self):
        return len(self.submissions) + 1

    @property
    def named_ids(self):
        if not self.latest:
            return set()
        live = {point.pk for point in self.exercise.rubric_points.all()}  # archived points are not on the page
        return {point.pk for point in self.latest.named_points.all()} & live

    @property
    def covered(self):
        return len(self.named_ids)

    @property
    def total(self):
        return len(self.exercise.rubric_points.all())

    @property
    def unsent_draft(self):
        """A draft that differs from the latest submission: the student was revising (or had not submitted yet)."""
        if not self.draft or not self.draft.text:
            return None
        return self.draft if self.latest is None or self.draft.text != self.latest.text else None

    @property
    def revising(self):
        """Open the "Revise and resubmit" box: the student has unsent changes or a form to fix."""
        return bool(self.unsent_draft or (self.form is not None and self.form.errors))

    @property
    def text_value(self):
        """What the text box holds: what was just sent back with an error, else the draft."""
        if self.form is not None and self.form.is_bound:
            return self.form.data.get("text", "")
        return self.draft.text if self.draft else ""

    @property
    def confidence_value(self):
        return self.form.data.get("confidence", "") if self.form is not None and self.form.is_bound else ""


def page_state(user, lesson):
    """The user's submissions and drafts on the lesson's prediction exercises (three queries, none without any)."""
    exercises = lesson.predictions.all()
    if not exercises:
        return {"prediction_states": {}}
    submissions = defaultdict(list)
    for submission in PredictionSubmission.objects.for_lesson(user, lesson):
        submissions[submission.exercise_id].append(submission)
    drafts = {draft.exercise_id: draft for draft in PredictionDraft.objects.for_lesson(user, lesson)}
    return {
        "prediction_states": {
            exercise.pk: PredictionState(exercise, submissions[exercise.pk], drafts.get(exercise.pk))
            for exercise in exercises
        },
        "prediction_max_length": PREDICTION_MAX_LENGTH,
        "confidence_choices": Confidence.choices,
    }


def _exercise(exercise_id):
    return get_object_or_404(
        PredictionExercise.objects.live()
        .filter(lesson__published=True)
        .select_related("lesson__course")
        .prefetch_related(Prefetch("rubric_points", queryset=RubricPoint.objects.live())),
        pk=exercise_id,
    )


def _state(user, exercise, form=None):
    return PredictionState(
        exercise,
        list(PredictionSubmission.objects.for_exercise(user, exercise)),
        PredictionDraft.objects.for_exercise(user, exercise).first(),
        form,
    )


def _fragment(request, exercise, *, focus):
    context = {
        "lesson": exercise.lesson,
        "exercise": exercise,
        "state": _state(request.user, exercise),
        "focus": focus,
        "prediction_max_length": PREDICTION_MAX_LENGTH,
        "confidence_choices": Confidence.choices,
    }
    return fragment_or_redirect(request, TEMPLATE, context, anchor=f"prediction-{exercise.pk}")


def _form_with_errors(request, exercise, form):
    """A form the student can fix: the fragment for htmx, the whole page otherwise; status 200 either way."""
    if request.htmx and not request.htmx.history_restore_request:
        context = {
            "lesson": exercise.lesson,
            "exercise": exercise,
            "state": _state(request.user, exercise, form),
            "focus": "form",
            "prediction_max_length": PREDICTION_MAX_LENGTH,
            "confidence_choices": Confidence.choices,
        }
        return render(request, TEMPLATE, context)
    lesson = practice_lesson(Lesson.objects.published(), pk=exercise.lesson_id)
    context = pages.practice_context(request.user, lesson)
    context["prediction_states"][exercise.pk].form = form
    return render(request, "lessons/lesson_detail.html", context)


@require_POST
def submit(request, exercise_id):
    exercise = _exercise(exercise_id)
    form = PredictionForm(request.POST)
    if not form.is_valid():
        if "number" in form.errors:
            return error_response(request, STALE_FORM)
        return _form_with_errors(request, exercise, form)
    submission = services.prediction_submit(
        user=request.user,
        exercise=exercise,
        number=form.cleaned_data["number"],
        text=form.cleaned_data["text"],
        confidence=form.cleaned_data["confidence"],
    )
    if submission is None:
        return error_response(request, STALE_FORM, status=409)
    return _fragment(request, exercise, focus="answer")


@require_POST
def draft(request, exercise_id):
    exercise = _exercise(exercise_id)
    form = PredictionDraftForm(request.POST)
    if not form.is_valid():
        return error_response(request, form.errors["text"][0])
    saved = services.prediction_draft_save(user=request.user, exercise=exercise, text=form.cleaned_data["text"])
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, DRAFT_TEMPLATE, {"exercise": exercise, "draft": saved})
    return redirect(f"{exercise.lesson.get_absolute_url()}#prediction-{exercise.pk}")


@require_POST
def mark(request, exercise_id):
    exercise = _exercise(exercise_id)
    form = PredictionMarkForm(request.POST, exercise=exercise)
    if not form.is_valid():
        if "number" in form.errors:
            return error_response(request, STALE_FORM)
        return error_response(request, "Tick only the points listed for this exercise.")
    submission = services.prediction_mark(
        user=request.user, exercise=exercise, number=form.cleaned_data["number"], points=form.cleaned_data["points"]
    )
    if submission is None:
        return error_response(request, "There is no such prediction of yours to mark.", status=404)
    return _fragment(request, exercise, focus="result")
