"""Ordering exercise writes: grade and keep every attempt, record "Show answer"."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons import grading
from lessons.errors import ApplicationError
from lessons.models import OrderingAttempt, OrderingExercise, OrderingReveal
from lessons.services.completion import lesson_progress_record


def ordering_check(*, user, exercise: OrderingExercise, order: list[str], number: int) -> OrderingAttempt:
    """Grade and store try ``number``.

    A number already recorded (a double click, a resent form) returns that attempt and
    stores nothing; a number that skips ahead of the next try is refused (409: a stale page). Two requests
    racing for the same number are settled by the unique (user, exercise, number) constraint.
    """
    attempts = OrderingAttempt.objects.filter(user=user, exercise=exercise)
    recorded = attempts.count()  # read first: a racing click that commits after this lands in IntegrityError below
    if number <= recorded:
        return attempts.filter(number=number).first()
    if number != recorded + 1:
        raise ApplicationError("This page is out of date: reload it to see your latest try.", status=409)
    result = grading.grade(order, exercise.correct_labels())
    try:
        with transaction.atomic():
            attempt = OrderingAttempt.objects.create(
                user=user,
                exercise=exercise,
                number=number,
                order=list(order),
                pairs_in_order=result.pairs_in_order,
                pairs_total=result.pairs_total,
                score=result.score,
                is_correct=result.is_correct,
                created_at=timezone.now(),
            )
    except IntegrityError:  # the other click of a double click got there first
        return OrderingAttempt.objects.get(user=user, exercise=exercise, number=number)
    if attempt.is_correct:  # solving may finish the lesson
        lesson_progress_record(user=user, lesson=exercise.lesson)
    return attempt


def ordering_reveal(*, user, exercise: OrderingExercise) -> OrderingReveal:
    """Record that the student asked for the answer; refused before their first try. Revealing twice keeps the first."""
    if not OrderingAttempt.objects.filter(user=user, exercise=exercise).exists():
        raise ApplicationError("Check your order at least once before showing the answer.", status=409)
    try:
        with transaction.atomic():
            reveal, created = OrderingReveal.objects.get_or_create(
                user=user, exercise=exercise, defaults={"revealed_at": timezone.now()}
            )
    except IntegrityError:  # a double click raced us
        return OrderingReveal.objects.get(user=user, exercise=exercise)
    if created:  # the answer shown counts the exercise as done, which may finish the lesson
        lesson_progress_record(user=user, lesson=exercise.lesson)
    return reveal
