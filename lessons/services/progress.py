"""Progress kept as it happens: the ``StudentProgress`` rows the pages read.

Every write that changes a student's progress calls ``lesson_progress_record``
(one student, one lesson) inside its own transaction; every content edit that
changes a lesson's totals (an item added, deleted, archived or restored) calls
``lesson_progress_refresh`` (every student of the lesson). Both recompute the
rows from the raw records with ``progress_recompute``, the function
``manage.py verify_progress`` checks them with, so a row can only differ from
the records if something wrote records without calling them.

Two writes of one student on one lesson at once (two tabs) are serialised on
the row: it is created if missing and locked *before* the records are read, so
the second recompute starts after the first commits and sees both writes.
"""

from django.db import transaction
from django.utils import timezone

from lessons.models import Lesson, LessonCompletion, StudentProgress
from lessons.selectors.lesson_progress import (
    PROGRESS_FIELDS,
    LessonProgress,
    lesson_students,
    progress_of_student,
    progress_recompute,
)
from lessons.services.lti import scores_enqueue


def progress_sync(
    *, user_ids, lesson: Lesson, record_completions: bool = False, completed_at=None
) -> dict[int, LessonProgress]:
    """Rewrite the rows of ``user_ids`` on ``lesson`` from the raw records; returns each student's progress.

    With ``record_completions``, a student found at 100% without a recorded completion gets one,
    completed at ``completed_at`` (a student's write: now), by default at their last activity
    (an edit finished the lesson: the moment they had reached 100%). A student with no record
    left (their items were deleted) loses the row: "not started" again. Atomic; fixed queries.
    """
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    # No savepoint: this runs inside the write's transaction, and a failure here must undo the write too.
    with transaction.atomic(savepoint=False):
        StudentProgress.objects.bulk_create(
            [StudentProgress(user_id=user_id, lesson_id=lesson.pk) for user_id in user_ids],
            ignore_conflicts=True,
            batch_size=1000,
        )
        rows = {
            row.user_id: row
            for row in StudentProgress.objects.select_for_update().filter(lesson=lesson, user_id__in=user_ids)
        }
        if len(user_ids) == 1:  # a student's write: one query
            found = progress_of_student(user_ids[0], lesson)
            entries = {(user_ids[0], lesson.pk): found} if found else {}
        else:
            entries = progress_recompute(user_ids, [lesson]).entries
        if record_completions:
            new = []
            for (user_id, _), progress in entries.items():
                if progress.reached_full and not progress.recorded:
                    # The recomputation reads an unrecorded 100% as completed at the last activity.
                    progress.completed_at = completed_at or progress.completed_at or timezone.now()
                    new.append(
                        LessonCompletion(user_id=user_id, lesson_id=lesson.pk, completed_at=progress.completed_at)
                    )
            LessonCompletion.objects.bulk_create(new, ignore_conflicts=True)
        changed, gone = [], []
        for user_id, row in rows.items():
            progress = entries.get((user_id, lesson.pk))
            if progress is None:
                gone.append(row.pk)
                continue
            for name in PROGRESS_FIELDS:
                setattr(row, name, getattr(progress, name))
            row.version += 1  # the row is locked: no other writer between the read and this write
            changed.append(row)
        if changed:
            StudentProgress.objects.bulk_update(changed, [*PROGRESS_FIELDS, "version"], batch_size=500)
        if gone:
            StudentProgress.objects.filter(pk__in=gone).delete()
    blank = LessonProgress(lesson=lesson)  # "not started" (its total is not needed by the callers)
    return {user_id: entries.get((user_id, lesson.pk), blank) for user_id in user_ids}


def lesson_progress_record(*, user, lesson: Lesson) -> LessonCompletion | None:
    """After a student's write: rewrite their row on ``lesson`` and record the completion if it finished it.

    Call it inside the write's transaction after any write that changes progress (a reveal, a
    verdict, a try, a submission, a marking, a rating or its undo). Returns the completion, or
    None while the lesson is unfinished. A double call records once (unique constraint).
    """
    progress = progress_sync(user_ids=[user.pk], lesson=lesson, record_completions=True, completed_at=timezone.now())[
        user.pk
    ]
    scores_enqueue(user=user, lesson=lesson)  # the new progress to linked LMS gradebooks, same transaction
    if not progress.completed:
        return None
    return LessonCompletion.objects.filter(user=user, lesson=lesson).first()


def lesson_progress_refresh(*, lesson: Lesson) -> int:
    """After a content edit that changes a lesson's totals: rewrite every student's row on it.

    The hook for adding or deleting an item (``lessons.signals``), and for archiving or
    restoring one: call it in the same transaction as the edit. Records the completions the
    edit caused (removing the last unfinished item finishes the lesson). Returns the rows kept.
    """
    user_ids = list(lesson_students(lesson).values_list("pk", flat=True))
    return len(progress_sync(user_ids=user_ids, lesson=lesson, record_completions=True))


def progress_rebuild(*, lessons=None) -> int:
    """Rewrite every row of ``lessons`` (default: all) from the raw records; records no completion.

    For the data migration that first fills the rows, and ``verify_progress --fix``. Returns the rows kept.
    """
    kept = 0
    for lesson in lessons if lessons is not None else Lesson.objects.order_by("pk"):
        user_ids = list(lesson_students(lesson).values_list("pk", flat=True))
        kept += len(progress_sync(user_ids=user_ids, lesson=lesson))
    return kept
