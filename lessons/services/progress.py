"""Recording lesson completion. Completion only moves forward: it is never deleted by an edit."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lessons.models import Lesson, LessonCompletion
from lessons.progress import progress_for
from lessons.services.lti import scores_enqueue


def lesson_progress_record(*, user, lesson: Lesson) -> LessonCompletion | None:
    """Record the student's completion of ``lesson`` if every activity is done; the existing one otherwise.

    Call it after any write that may finish an activity. Returns None while the
    lesson is unfinished. A double call records once (unique constraint). The new
    progress also goes to the outbox of LMS gradebooks linked to the lesson, in the
    same transaction as the activity (one query when there is no such link).
    """
    completion = _completion_record(user=user, lesson=lesson)
    scores_enqueue(user=user, lesson=lesson)
    return completion


def _completion_record(*, user, lesson: Lesson) -> LessonCompletion | None:
    existing = LessonCompletion.objects.filter(user=user, lesson=lesson).first()
    if existing:
        return existing
    progress = progress_for([user], [lesson], record=False).get(user.pk, lesson)
    if not progress.reached_full:
        return None
    with transaction.atomic():
        completion, _ = LessonCompletion.objects.get_or_create(
            user=user, lesson=lesson, defaults={"completed_at": timezone.now()}
        )
    return completion


def completions_record(*, completions: list[tuple[int, int, datetime | None]]) -> dict[tuple[int, int], datetime]:
    """Record completions found while computing progress: (user id, lesson id, when), one query.

    The time is the student's last activity on the lesson, the moment it reached
    100%. Rows that already exist (a concurrent request) are left as they are.
    """
    now = timezone.now()
    rows = [
        LessonCompletion(user_id=user_id, lesson_id=lesson_id, completed_at=when or now)
        for user_id, lesson_id, when in completions
    ]
    with transaction.atomic():
        LessonCompletion.objects.bulk_create(rows, ignore_conflicts=True)
    return {(row.user_id, row.lesson_id): row.completed_at for row in rows}
