"""Recording lesson completion. Completion only moves forward: it is never deleted by an edit."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lessons.models import (
    CardState,
    Lesson,
    LessonCompletion,
    OrderingAttempt,
    OrderingReveal,
    PredictionSubmission,
    SelfCheckAttempt,
)
from lessons.selectors.lesson_progress import progress_for
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
    progress = progress_for([user], [lesson]).get(user.pk, lesson)
    if not progress.reached_full:
        return None
    with transaction.atomic():
        completion, _ = LessonCompletion.objects.get_or_create(
            user=user, lesson=lesson, defaults={"completed_at": timezone.now()}
        )
    return completion


def lesson_completions_record(*, lesson: Lesson) -> int:
    """After a content edit: record the completion of every student whom the edit left at 100% (one query more).

    Removing a lesson's last unfinished item finishes it for the students who did
    the rest; the read pages never write, so the edit records it. The time is the
    student's last activity on the lesson, the moment it reached 100%. Rows that
    already exist (a concurrent request) are left as they are.
    """
    students = (
        User.objects.filter(
            Q(pk__in=SelfCheckAttempt.objects.filter(question__lesson=lesson).values("user_id"))
            | Q(pk__in=OrderingAttempt.objects.filter(exercise__lesson=lesson).values("user_id"))
            | Q(pk__in=OrderingReveal.objects.filter(exercise__lesson=lesson).values("user_id"))
            | Q(pk__in=PredictionSubmission.objects.filter(exercise__lesson=lesson).values("user_id"))
            | Q(pk__in=CardState.objects.filter(card__lesson=lesson).values("user_id"))
        )
        .exclude(pk__in=LessonCompletion.objects.filter(lesson=lesson).values("user_id"))
        .values("pk")
    )
    table = progress_for(students, [lesson])
    now = timezone.now()
    rows = [
        LessonCompletion(user_id=user_id, lesson_id=lesson.pk, completed_at=progress.last_active or now)
        for (user_id, _), progress in table.entries.items()
        if progress.reached_full  # students with a recorded completion were left out above
    ]
    if rows:
        LessonCompletion.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
