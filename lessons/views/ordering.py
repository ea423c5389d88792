"""Ordering exercise: reorder the stages (drag, Move buttons or position selects), "Check order", "Show answer"."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from lessons import grading
from lessons.content_cache import practice_lesson
from lessons.models import Lesson, OrderingAttempt, OrderingExercise, OrderingItem
from lessons.ordering_input import FixableOrder, InvalidOrder, read_submission
from lessons.services import ordering as services

from .common import error_response, fragment_or_redirect

TEMPLATE = "lessons/lesson_detail.html#ordering-exercise"


@dataclass(frozen=True)
class Row:
    """One item as the student sees it: where it is, and after a try whether to keep it or move it."""

    item: OrderingItem
    position: int
    mark: str = ""  # "keep", "move" or "" before a try


def exercise_state(exercise, attempt=None, *, error="", positions=None):
    """What the exercise shows for one student, given their latest attempt (from ``latest_with_summary``).

    Before a try the items are in the display order and nothing about the answer is
    included. After one, they are in the student's latest order, each marked keep or move.
    """
    items = exercise.display_items()
    by_label = {item.label: item for item in items}
    order = [item.label for item in items]
    keep = None
    if attempt is not None and sorted(attempt.order) == sorted(order):  # else the items changed since that try
        order = list(attempt.order)
        keep = set(grading.longest_ordered_run(order, exercise.correct_labels()))
    rows = [
        Row(
            item=by_label[label],
            position=(positions or {}).get(label, index),
            mark="" if keep is None else ("keep" if label in keep else "move"),
        )
        for index, label in enumerate(order, start=1)
    ]
    solved = bool(attempt is not None and attempt.is_correct)
    revealed = bool(attempt is not None and attempt.revealed)
    return {
        "attempt": attempt,
        "rows": rows,
        "order": order,
        "choices": range(1, len(rows) + 1),
        "next_number": attempt.number + 1 if attempt is not None else 1,
        "to_move": [row.item.label for row in rows if row.mark == "move"],
        "solved": solved,
        "revealed": revealed,
        "answer": [by_label[label] for label in exercise.correct_labels()] if revealed else [],
        "error": error,
    }


def page_state(user, lesson):
    """Each ordering exercise's state for this user, by exercise id (one query)."""
    latest = {a.exercise_id: a for a in OrderingAttempt.objects.for_lesson(user, lesson).latest_with_summary()}
    return {
        "ordering_states": {
            exercise.pk: exercise_state(exercise, latest.get(exercise.pk))
            for exercise in lesson.ordering_exercises.all()
        }
    }


def _exercise(exercise_id):
    return get_object_or_404(
        OrderingExercise.objects.live()
        .select_related("lesson__course")
        .prefetch_related(Prefetch("items", queryset=OrderingItem.objects.live()))
        .filter(lesson__published=True),
        pk=exercise_id,
    )


def _latest(user, exercise):
    return OrderingAttempt.objects.filter(user=user, exercise=exercise).latest_with_summary().first()


def _fragment(request, exercise, state):
    context = {"lesson": exercise.lesson, "exercise": exercise, "state": state}
    return fragment_or_redirect(request, TEMPLATE, context, anchor=f"ordering-{exercise.pk}")


def _fixable(request, exercise, state):
    """Show a mistake next to the form (200: htmx swaps it in); without htmx, on the whole page."""
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, TEMPLATE, {"lesson": exercise.lesson, "exercise": exercise, "state": state})
    from .pages import practice_context  # imported here: pages imports this module for page_state

    lesson = practice_lesson(Lesson.objects.published(), pk=exercise.lesson_id)
    context = practice_context(request.user, lesson)
    context["ordering_states"][exercise.pk] = state
    return render(request, "lessons/lesson_detail.html", context)


@require_POST
def check(request, exercise_id):
    exercise = _exercise(exercise_id)
    latest = _latest(request.user, exercise)
    shown = exercise_state(exercise, latest)["order"]
    try:
        submission = read_submission(
            request.POST,
            labels=[item.label for item in exercise.display_items()],
            shown=shown,
            recorded=latest.number if latest is not None else 0,
        )
    except InvalidOrder as problem:
        return error_response(request, f"{problem} Nothing was saved.")
    except FixableOrder as problem:
        return _fixable(
            request, exercise, exercise_state(exercise, latest, error=problem.message, positions=problem.positions)
        )
    attempt = services.ordering_check(
        user=request.user, exercise=exercise, order=submission.order, number=submission.number
    )
    if attempt is None:
        return error_response(request, "This page is out of date: reload it to see your latest try.", status=409)
    return _fragment(request, exercise, exercise_state(exercise, _latest(request.user, exercise)))


@require_POST
def reveal(request, exercise_id):
    exercise = _exercise(exercise_id)
    if services.ordering_reveal(user=request.user, exercise=exercise) is None:
        return error_response(request, "Check your order at least once before showing the answer.", status=409)
    return _fragment(request, exercise, exercise_state(exercise, _latest(request.user, exercise)))
