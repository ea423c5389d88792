"""Prediction: write a prediction, "Show a model answer", then mark it against the rubric.

How confident the student is goes on the same form as the prediction, so it
is given before the model answer is on the screen and cannot be changed
after it: "how confident were you before seeing the answer" is then a fact,
not a memory coloured by the answer.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lessons.forms.prediction import PredictionDraftForm, PredictionForm, PredictionMarkForm
from lessons.models import Lesson, PredictionExercise, RubricPoint
from lessons.selectors.content import practice_lesson
from lessons.selectors.practice_page import practice_page, prediction_exercise
from lessons.services import prediction as services
from lessons.services.prediction import STALE_FORM

from .htmx import alert_response, fragment_or_redirect, wants_fragment

TEMPLATE = "lessons/lesson_detail.html#prediction-exercise"
DRAFT_TEMPLATE = "lessons/lesson_detail.html#prediction-draft-status"


def _exercise(exercise_id):
    return get_object_or_404(
        PredictionExercise.objects.published()
        .select_related("lesson__course")
        .prefetch_related(Prefetch("rubric_points", queryset=RubricPoint.objects.live())),
        pk=exercise_id,
    )


def _fragment(request, exercise, *, focus):
    context = prediction_exercise(request.user, exercise, focus=focus)
    return fragment_or_redirect(request, TEMPLATE, context, anchor=f"prediction-{exercise.pk}")


def _form_with_errors(request, exercise, form):
    """A form the student can fix: the fragment for htmx, the whole page otherwise; status 200 either way."""
    if wants_fragment(request):
        return render(request, TEMPLATE, prediction_exercise(request.user, exercise, form=form, focus="form"))
    context = practice_page(request.user, practice_lesson(Lesson.objects.published(), pk=exercise.lesson_id))
    context["prediction_states"][exercise.pk].form = form
    return render(request, "lessons/lesson_detail.html", context)


@require_POST
def submit(request, exercise_id):
    exercise = _exercise(exercise_id)
    form = PredictionForm(request.POST)
    if not form.is_valid():
        if "number" in form.errors:
            return alert_response(request, STALE_FORM)
        return _form_with_errors(request, exercise, form)
    services.prediction_submit(
        user=request.user,
        exercise=exercise,
        number=form.cleaned_data["number"],
        text=form.cleaned_data["text"],
        confidence=form.cleaned_data["confidence"],
    )
    return _fragment(request, exercise, focus="answer")


@require_POST
def draft(request, exercise_id):
    exercise = _exercise(exercise_id)
    form = PredictionDraftForm(request.POST)
    if not form.is_valid():
        return alert_response(request, form.errors["text"][0])
    saved = services.prediction_draft_save(user=request.user, exercise=exercise, text=form.cleaned_data["text"])
    if wants_fragment(request):
        return render(request, DRAFT_TEMPLATE, {"exercise": exercise, "draft": saved})
    return redirect(f"{exercise.lesson.get_absolute_url()}#prediction-{exercise.pk}")


@require_POST
def mark(request, exercise_id):
    exercise = _exercise(exercise_id)
    form = PredictionMarkForm(request.POST, exercise=exercise)
    if not form.is_valid():
        if "number" in form.errors:
            return alert_response(request, STALE_FORM)
        return alert_response(request, "Tick only the points listed for this exercise.")
    services.prediction_mark(
        user=request.user, exercise=exercise, number=form.cleaned_data["number"], points=form.cleaned_data["points"]
    )
    return _fragment(request, exercise, focus="result")
