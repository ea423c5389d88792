"""Ordering exercise: reorder the stages (drag, Move buttons or position selects), "Check order", "Show answer"."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from lessons.forms.ordering import FixableOrder, InvalidOrder, read_submission
from lessons.models import Lesson, OrderingExercise, OrderingItem
from lessons.selectors.content import practice_lesson
from lessons.selectors.practice_page import ordering_latest, ordering_note, ordering_state, practice_page
from lessons.services import ordering as services

from .htmx import alert_response, fragment_or_redirect, wants_fragment

TEMPLATE = "lessons/lesson_detail.html#ordering-exercise"


def _exercise(exercise_id):
    return get_object_or_404(
        OrderingExercise.objects.published()
        .select_related("lesson__course")
        .prefetch_related(Prefetch("items", queryset=OrderingItem.objects.live())),
        pk=exercise_id,
    )


def _fragment(request, exercise):
    state = ordering_state(exercise, ordering_latest(request.user, exercise))
    note = ordering_note(request.user, exercise, state)
    context = {"lesson": exercise.lesson, "exercise": exercise, "state": state, "note": note}
    return fragment_or_redirect(request, TEMPLATE, context, anchor=f"ordering-{exercise.pk}")


def _fixable(request, exercise, state):
    """Show a mistake next to the form (200: htmx swaps it in); without htmx, on the whole page."""
    if wants_fragment(request):
        return render(request, TEMPLATE, {"lesson": exercise.lesson, "exercise": exercise, "state": state})
    context = practice_page(request.user, practice_lesson(Lesson.objects.published(), pk=exercise.lesson_id))
    context["ordering_states"][exercise.pk] = state
    return render(request, "lessons/lesson_detail.html", context)


@require_POST
def check(request, exercise_id):
    exercise = _exercise(exercise_id)
    latest = ordering_latest(request.user, exercise)
    shown = ordering_state(exercise, latest)["order"]
    try:
        submission = read_submission(
            request.POST,
            labels=[item.label for item in exercise.display_items()],
            shown=shown,
            recorded=latest.number if latest is not None else 0,
        )
    except InvalidOrder as problem:
        return alert_response(request, f"{problem} Nothing was saved.")
    except FixableOrder as problem:
        return _fixable(
            request, exercise, ordering_state(exercise, latest, error=problem.message, positions=problem.positions)
        )
    services.ordering_check(user=request.user, exercise=exercise, order=submission.order, number=submission.number)
    return _fragment(request, exercise)


@require_POST
def reveal(request, exercise_id):
    exercise = _exercise(exercise_id)
    services.ordering_reveal(user=request.user, exercise=exercise)
    return _fragment(request, exercise)
