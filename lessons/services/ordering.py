"""Ordering exercise writes: grade and keep every attempt, record "Show answer"; and the exercise in /review/."""

from contextlib import suppress
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons import grading, scheduling
from lessons.errors import ApplicationError
from lessons.models import (
    CardState,
    FlashcardReveal,
    OrderingAttempt,
    OrderingExercise,
    OrderingReveal,
    Rating,
    StudentSettings,
)
from lessons.models.review import current_sitting
from lessons.services.progress import lesson_progress_record
from lessons.services.review import MAX_DURATION_MS, STALE_MESSAGE, item_rate

# An ordering exercise as an FSRS rating: solved at the first check is a clean recall (Good); solved after
# tries is a recall that took effort (Hard); "Show answer" is a failed recall, a lapse (Again).
SOLVED_FIRST, SOLVED_AFTER_TRIES, REVEALED = Rating.GOOD, Rating.HARD, Rating.AGAIN


def ordering_check(*, user, exercise: OrderingExercise, order: list[str], number: int) -> OrderingAttempt:
    """Grade and store try ``number``.

    A number already recorded (a double click, a resent form) returns that attempt and
    stores nothing; a number that skips ahead of the next try is refused (409: a stale page). Two requests
    racing for the same number are settled by the unique (user, exercise, number) constraint.

    The solving try is the exercise's first review (Good at the first try, else Hard): it enters the
    student's reviews. Solving it again later (after "Show answer") is practice, the schedule unchanged.
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
            if attempt.is_correct:
                _first_try_rate(
                    user=user,
                    exercise=exercise,
                    rating=SOLVED_FIRST if number == 1 else SOLVED_AFTER_TRIES,
                    at=attempt.created_at,
                )
            lesson_progress_record(user=user, lesson=exercise.lesson)
    except IntegrityError:  # the other click of a double click got there first
        return OrderingAttempt.objects.get(user=user, exercise=exercise, number=number)
    return attempt


def ordering_reveal(*, user, exercise: OrderingExercise) -> OrderingReveal:
    """Record that the student asked for the answer; refused before their first try. Revealing twice keeps the first.

    The first reveal is the exercise's first review, rated Again."""
    if not OrderingAttempt.objects.filter(user=user, exercise=exercise).exists():
        raise ApplicationError("Check your order at least once before showing the answer.", status=409)
    try:
        with transaction.atomic():
            reveal, created = OrderingReveal.objects.get_or_create(
                user=user, exercise=exercise, defaults={"revealed_at": timezone.now()}
            )
            if created:  # the answer shown counts the exercise as done, which may finish the lesson
                _first_try_rate(user=user, exercise=exercise, rating=REVEALED, at=reveal.revealed_at)
                lesson_progress_record(user=user, lesson=exercise.lesson)
    except IntegrityError:  # a double click raced us
        return OrderingReveal.objects.get(user=user, exercise=exercise)
    return reveal


def _first_try_rate(*, user, exercise, rating, at):
    """Rate the practice page's try: the first review when the exercise has no state yet, else practice."""
    with suppress(ApplicationError):  # a racing request scheduled it first; the attempt stands
        item_rate(user=user, item=exercise, rating=rating, version=None, reviewed_at=at, revealed_at=at, first_try=True)


# ---------------------------------------------------------------- in /review/

NOT_IN_REVIEW = "This exercise is not in your reviews yet: try it on its lesson page first."


def _locked(user, exercise, version):
    state = CardState.objects.select_for_update().filter(user=user, exercise=exercise).first()
    if state is None:
        raise ApplicationError(NOT_IN_REVIEW, status=409)
    if state.version != version:
        raise ApplicationError(STALE_MESSAGE, status=409)
    sitting = FlashcardReveal.objects.select_for_update().filter(user=user, exercise=exercise).first()
    return state, sitting


def exercise_review_check(
    *,
    user,
    exercise: OrderingExercise,
    order: list[str],
    number: int,
    version: int,
    shown_at: datetime | None = None,
) -> FlashcardReveal | None:
    """Check try ``number`` of the exercise in /review/ (graded here, on the server).

    Solved: rated (Good at the sitting's first check, else Hard) and the sitting ends (None returned). Not
    yet: the sitting keeps the tries and the order, to show with its Keep / Move marks. A repeated number (a
    double click) changes nothing; a skipped one is refused as stale.
    """
    now = timezone.now()
    clock = scheduling.StudyClock.of(StudentSettings.objects.for_user(user))
    with transaction.atomic():
        state, row = _locked(user, exercise, version)
        sitting = current_sitting(state=state, sitting=row, now=now, clock=clock)
        tries = sitting.tries if sitting else 0
        if number <= tries:
            return sitting
        if number != tries + 1:
            raise ApplicationError("This page is out of date: reload it to see your latest try.", status=409)
        if sitting is not None and sitting.revealed_at is not None:
            raise ApplicationError("You have seen the answer: press Continue.", status=409)
        if sitting is None:
            if shown_at is None or not (now - timedelta(milliseconds=MAX_DURATION_MS) <= shown_at <= now):
                shown_at = now
            if row is None:
                row = FlashcardReveal(user=user, exercise=exercise)
            row.shown_at, row.revealed_at, row.tries, row.order = shown_at, None, 0, None
            sitting = row
        sitting.tries += 1
        sitting.order = list(order)
        result = grading.grade(order, exercise.correct_labels())
        if not result.is_correct:
            sitting.save()
            return sitting
        if sitting.pk:
            sitting.delete()
        item_rate(
            user=user,
            item=exercise,
            rating=SOLVED_FIRST if sitting.tries == 1 else SOLVED_AFTER_TRIES,
            version=version,
            reviewed_at=now,
            revealed_at=now,
            shown_at=sitting.shown_at,
        )
    return None


def exercise_review_reveal(*, user, exercise: OrderingExercise, version: int) -> FlashcardReveal:
    """ "Show answer" in /review/ (after at least one check): the answer is shown, Continue rates it Again."""
    now = timezone.now()
    clock = scheduling.StudyClock.of(StudentSettings.objects.for_user(user))
    with transaction.atomic():
        state, row = _locked(user, exercise, version)
        sitting = current_sitting(state=state, sitting=row, now=now, clock=clock)
        if sitting is None or not sitting.tries:
            raise ApplicationError("Check your order at least once before showing the answer.", status=409)
        if sitting.revealed_at is None:
            sitting.revealed_at = now
            sitting.save(update_fields=["revealed_at"])
        return sitting


def exercise_review_rate(*, user, exercise: OrderingExercise, version: int):
    """Continue after "Show answer": the exercise is rated Again and the sitting ends."""
    with transaction.atomic():
        state, log = item_rate(user=user, item=exercise, rating=REVEALED, version=version)
        FlashcardReveal.objects.filter(user=user, exercise=exercise).delete()
    return state, log
