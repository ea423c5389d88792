"""CSV exports of a class: wide (a row per student, three columns per lesson) and long (a row per event).

Both are UTF-8 with a header row; ids are database ids that never change
(``student_id``, ``lesson_id``, ``item_id``) next to the readable names. Times
are ISO 8601 in UTC. The README's "Progress and classes" section is the data
dictionary. Text cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-`` or ``@``) get a leading apostrophe.
"""

import heapq
from datetime import UTC

from django.db.models import Count

from lessons.classes_dashboard import class_students
from lessons.models import (
    ClassLesson,
    Classroom,
    Enrollment,
    OrderingAttempt,
    OrderingReveal,
    PredictionSubmission,
    ReviewLog,
    SelfCheckAttempt,
)
from lessons.progress import progress_for

LONG_HEADER = [
    "occurred_at",
    "student_id",
    "username",
    "lesson_id",
    "lesson_slug",
    "activity",
    "item_id",
    "item_position",
    "event",
    "attempt",
    "value",
    "score",
    "correct",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula."""
    return f"'{value}" if value and value.startswith(FORMULA_START) else value


def iso(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else ""


def wide_rows(classroom: Classroom):
    """Header then one row per student: state, percent and completed-at for each assigned lesson."""
    class_lessons = list(ClassLesson.objects.for_classroom(classroom))
    lessons = [cl.lesson for cl in class_lessons]
    table = progress_for(class_students(classroom), lessons)
    header = ["student_id", "username"]
    for lesson in lessons:
        header += [f"{lesson.slug}:state", f"{lesson.slug}:percent", f"{lesson.slug}:completed_at"]
    yield header
    for enrollment in Enrollment.objects.for_dashboard(classroom):
        student = enrollment.student
        row = [student.pk, safe_text(student.username)]
        for progress in table.row(student.pk, lessons):
            row += [progress.state, 100 if progress.completed else progress.percent, iso(progress.completed_at)]
        yield row


def _selfcheck_events(attempts, event):
    for a in attempts:
        q = a.question
        row = [a.user_id, a.user.username, q.lesson_id, q.lesson.slug, "self_check", q.pk, q.position, event, ""]
        if event == "reveal":
            yield (a.revealed_at, 0, a.pk), [*row, "", "", ""]
        else:
            yield (a.judged_at, 1, a.pk), [*row, a.verdict, "", ""]


def _ordering_events(attempts):
    for a in attempts:
        ex = a.exercise
        row = [a.user_id, a.user.username, ex.lesson_id, ex.lesson.slug, "ordering", ex.pk, ex.position, "attempt"]
        yield (a.created_at, 2, a.pk), [*row, a.number, " ".join(a.order), f"{a.score:.3f}", str(a.is_correct).lower()]


def _reveal_events(reveals):
    for r in reveals:
        ex = r.exercise
        row = [r.user_id, r.user.username, ex.lesson_id, ex.lesson.slug, "ordering", ex.pk, ex.position]
        yield (r.revealed_at, 3, r.pk), [*row, "answer_shown", "", "", "", ""]


def _prediction_events(submissions):
    for s in submissions:
        ex = s.exercise
        row = [s.user_id, s.user.username, ex.lesson_id, ex.lesson.slug, "prediction", ex.pk, ex.position]
        named = s.n_named if s.marked_at else ""
        yield (s.created_at, 4, s.pk), [*row, "submission", s.number, s.confidence, named, ""]


def _review_events(logs):
    for log in logs:
        card = log.card
        row = [log.user_id, log.user.username, card.lesson_id, card.lesson.slug, "flashcard", card.pk, card.position]
        event = "review_undone" if log.undone_at else "review"
        yield (log.reviewed_at, 5, log.pk), [*row, event, "", log.get_rating_display().lower(), "", ""]


def long_rows(classroom: Classroom):
    """Header then every recorded event of the class's students on its lessons, oldest first (six queries)."""
    students = class_students(classroom)
    lessons = ClassLesson.objects.filter(classroom=classroom).values("lesson_id")
    sources = [
        _selfcheck_events(
            SelfCheckAttempt.objects.filter(user__in=students, question__lesson__in=lessons)
            .select_related("user", "question__lesson")
            .order_by("revealed_at", "pk")
            .iterator(chunk_size=2000),
            "reveal",
        ),
        _selfcheck_events(
            SelfCheckAttempt.objects.filter(user__in=students, question__lesson__in=lessons, judged_at__isnull=False)
            .exclude(verdict="")
            .select_related("user", "question__lesson")
            .order_by("judged_at", "pk")
            .iterator(chunk_size=2000),
            "verdict",
        ),
        _ordering_events(
            OrderingAttempt.objects.filter(user__in=students, exercise__lesson__in=lessons)
            .select_related("user", "exercise__lesson")
            .order_by("created_at", "pk")
            .iterator(chunk_size=2000)
        ),
        _reveal_events(
            OrderingReveal.objects.filter(user__in=students, exercise__lesson__in=lessons)
            .select_related("user", "exercise__lesson")
            .order_by("revealed_at", "pk")
            .iterator(chunk_size=2000)
        ),
        _prediction_events(
            PredictionSubmission.objects.filter(user__in=students, exercise__lesson__in=lessons)
            .select_related("user", "exercise__lesson")
            .annotate(n_named=Count("named_points"))
            .order_by("created_at", "pk")
            .iterator(chunk_size=2000)
        ),
        _review_events(
            ReviewLog.objects.filter(user__in=students, card__lesson__in=lessons)
            .select_related("user", "card__lesson")
            .order_by("reviewed_at", "pk")
            .iterator(chunk_size=2000)
        ),
    ]
    yield LONG_HEADER
    for (moment, _kind, _pk), row in heapq.merge(*sources, key=lambda event: event[0]):
        row[1] = safe_text(row[1])
        yield [iso(moment), *row]
