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

Lock order (why no write can deadlock another). Every transaction takes its
locks in this order, and never the other way round:

1. the lesson row, by a content edit only (``services.authoring``), FOR NO KEY
   UPDATE: it blocks other edits of the lesson but not the inserts that
   reference the lesson (a FOR UPDATE there would block a student's new
   progress row or completion while the edit waits for that student's row);
2. the student's own records of one item (``SelfCheckAttempt``, ``CardState``,
   ``ReviewLog``, a ``PredictionSubmission``, a unique insert of an attempt or
   reveal), each locked alone (``of=("self",)``: never the item, lesson or
   course rows a default ordering joins);
3. the ``StudentProgress`` rows, last: one row for a student's write (created
   with ON CONFLICT DO NOTHING if missing, then locked by the UPDATE that bumps
   its version), every row of the lesson in user order for a content edit.
   After it the transaction only reads, inserts a completion, and updates it.

A student's write holds at most one item's records before its row, and nothing
that holds a progress row waits for an item's records, so no cycle can form.
(A 503 among 2,280 concurrent POSTs came from a deadlock of exactly this kind:
the row was locked by a SELECT FOR UPDATE whose default ordering joined the
lesson and course, so every write also locked the lesson row FOR UPDATE.)
"""

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from lessons.models import Lesson, LessonCompletion, StudentProgress
from lessons.selectors.lesson_progress import (
    PROGRESS_FIELDS,
    LessonProgress,
    lesson_students,
    progress_of_student,
    progress_recompute,
)
from lessons.selectors.sql import quoted_tables
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
    user_ids = sorted(user_ids)  # rows are locked in user order, so two refreshes cannot deadlock
    if not user_ids:
        return {}
    # No savepoint: this runs inside the write's transaction, and a failure here must undo the write too.
    with transaction.atomic(savepoint=False):
        if len(user_ids) == 1:  # a student's write: lock (creating if missing), recompute, write back
            _row_lock(user_ids[0], lesson)
            found = progress_of_student(user_ids[0], lesson)
            entries = {(user_ids[0], lesson.pk): found} if found else {}
        else:
            StudentProgress.objects.bulk_create(
                [StudentProgress(user_id=user_id, lesson_id=lesson.pk) for user_id in user_ids],
                ignore_conflicts=True,
                batch_size=1000,
            )
            rows = list(
                StudentProgress.objects.select_for_update(of=("self",))
                .filter(lesson=lesson, user_id__in=user_ids)
                .order_by("user_id")
                .only("pk", "user_id", "version")
            )
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
        if len(user_ids) == 1:
            progress = entries.get((user_ids[0], lesson.pk))
            if progress is None:  # no record left (its items were deleted): "not started" again
                StudentProgress.objects.filter(user_id=user_ids[0], lesson=lesson).delete()
            else:
                _row_write(user_ids[0], lesson, progress)
        else:
            changed, gone = [], []
            for row in rows:
                progress = entries.get((row.user_id, lesson.pk))
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


def progress_version_bump(*, user, lesson_ids) -> None:
    """Give the student's rows on these lessons a new version, and nothing else; a missing row stays missing.

    For writes the practice page shows that do not change progress: a question's or an exercise's
    scheduled rating or its undo (their review notes), a review switch. Call it inside the write's
    transaction, after the item's own rows (the lock order in the module docstring).
    """
    StudentProgress.objects.filter(user=user, lesson_id__in=list(lesson_ids)).update(version=F("version") + 1)


def _row_lock(user_id: int, lesson: Lesson) -> None:
    """Lock the student's row on ``lesson``, creating it if missing, and bump its version: one query.

    INSERT ... ON CONFLICT DO UPDATE takes the row lock whether it creates the row or finds it,
    and moves ``version`` (the practice page's cache key) in the write's transaction. Two first
    writes at once: the second waits for the first's insert to commit, then updates (and locks)
    the row it made. SQL because the ORM's upsert can only copy the new values, not add one.
    """
    table = connection.ops.quote_name(StudentProgress._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS row (user_id, lesson_id, total, done, started, version) "  # noqa: S608
            "VALUES (%s, %s, 0, 0, %s, 1) ON CONFLICT (user_id, lesson_id) DO UPDATE SET version = row.version + 1",
            [user_id, lesson.pk, False],
        )


def _row_write(user_id: int, lesson: Lesson, progress: LessonProgress) -> None:
    """Write the recomputed progress into the student's row (locked by ``_row_lock``): one query.

    Fixed text: on every write's path, and Django took 0.5 ms building the UPDATE the ORM would send.
    """
    table = quoted_tables(StudentProgress)["StudentProgress"]
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in PROGRESS_FIELDS)
    values = [getattr(progress, name) for name in PROGRESS_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {columns} WHERE user_id = %s AND lesson_id = %s",  # noqa: S608
            [*values, user_id, lesson.pk],
        )


def lesson_progress_record(*, user, lesson: Lesson) -> LessonProgress:
    """After a student's write: rewrite their row on ``lesson`` and record the completion if it finished it.

    Call it inside the write's transaction after any write that changes progress (a reveal, a
    verdict, a try, a submission, a marking, a rating or its undo). Returns the student's progress on
    the lesson now: ``completed_at`` is the recorded completion's time, or None while the lesson is
    unfinished. A double call records once (unique constraint).
    """
    progress = progress_sync(user_ids=[user.pk], lesson=lesson, record_completions=True, completed_at=timezone.now())[
        user.pk
    ]
    scores_enqueue(user=user, lesson=lesson)  # the new progress to linked LMS gradebooks, same transaction
    return progress


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
