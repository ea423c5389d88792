"""Writes of the prediction exercise. Keyword-only, typed, atomic."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import Confidence, PredictionDraft, PredictionExercise, PredictionSubmission, RubricPoint
from lessons.services.progress import lesson_progress_record

STALE_FORM = "This form is out of date (was it sent from another tab?). Reload the page and try again."


def prediction_draft_save(*, user, exercise: PredictionExercise, text: str) -> PredictionDraft:
    """Keep the text the student is writing (one draft per student and exercise; update_or_create is atomic)."""
    draft, _ = PredictionDraft.objects.update_or_create(user=user, exercise=exercise, defaults={"text": text})
    return draft


def prediction_submit(
    *, user, exercise: PredictionExercise, number: int, text: str, confidence: Confidence
) -> PredictionSubmission:
    """Store submission ``number`` and keep its text as the draft.

    A number already used (a double click, a retry) returns that submission
    and stores nothing new; the unique constraint settles two requests racing
    for the same number. A number beyond the next one is a forged or stale
    form: refused (409), nothing stored.
    """
    with transaction.atomic():
        latest = (
            PredictionSubmission.objects.filter(user=user, exercise=exercise)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        ) or 0
        if number > latest + 1:
            raise ApplicationError(STALE_FORM, status=409)
        prediction_draft_save(user=user, exercise=exercise, text=text)
        if number <= latest:
            return PredictionSubmission.objects.get(user=user, exercise=exercise, number=number)
        try:
            with transaction.atomic():
                submission = PredictionSubmission.objects.create(
                    user=user,
                    exercise=exercise,
                    number=number,
                    text=text,
                    confidence=confidence,
                    created_at=timezone.now(),
                )
        except IntegrityError:  # the same form sent twice at once: the first one wins
            return PredictionSubmission.objects.get(user=user, exercise=exercise, number=number)
        lesson_progress_record(user=user, lesson=exercise.lesson)  # a first one may finish the lesson
        return submission


def prediction_mark(
    *, user, exercise: PredictionExercise, number: int, points: Iterable[RubricPoint]
) -> PredictionSubmission:
    """Record which rubric points submission ``number`` named; refused (404) if the student has no such submission."""
    points = list(points)
    if any(point.exercise_id != exercise.pk for point in points):
        raise ApplicationError("Tick only points that belong to the exercise you are marking.")
    with transaction.atomic():
        submission = (
            PredictionSubmission.objects.select_for_update(of=("self",))
            .filter(user=user, exercise=exercise, number=number)
            .first()
        )
        if submission is None:
            raise ApplicationError("There is no such prediction of yours to mark.", status=404)
        # Ticks of archived points are the student's history of an item they can no longer see: keep them.
        kept = submission.named_points.filter(archived_at__isnull=False)
        submission.named_points.set([*points, *kept])
        submission.marked_at = timezone.now()
        submission.save(update_fields=["marked_at"])
        lesson_progress_record(user=user, lesson=exercise.lesson)  # the marking's time is activity
        return submission
