"""Lesson progress for many students and many lessons in a fixed number of queries.

A lesson's activities are: each self-check question (done once revealed), each
ordering exercise (done once solved exactly or its answer shown), each
prediction (done once submitted), and its flashcards as one activity (done once
every card of the lesson has a rating that was not undone).

Progress is kept as it happens: one ``StudentProgress`` row per (student,
lesson), written by ``lessons.services.progress`` in the same transaction as
each activity and content edit that changes it. ``progress_for(users, lessons)``
reads those rows (one query, plus one for the lesson totals of pairs without a
row, plus one for the reviews due when asked), whatever the number of students or
lessons. ``progress_recompute`` computes the same table from the raw records
(one aggregate query per kind of activity); the services use it to write the
rows, and ``manage.py verify_progress`` to check them.

Flashcards are read from ``CardState``, not from the review log: a card has a
state exactly when it has a rating that was not undone (undoing a card's first
rating deletes its state, see ``services.review``), and the state's
``last_review`` is the time of that latest rating.

Reads never write: completions are recorded by the services when an activity
finishes a lesson, and after a content edit that leaves students at 100%.
Completion only moves forward: after an edit adds an activity, the lesson stays
completed and is marked "updated since you completed it".
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, F, Max, Q, TextField
from django.db.models.functions import Cast

from lessons.models import (
    CardState,
    Flashcard,
    ItemKind,
    Lesson,
    LessonCompletion,
    OrderingAttempt,
    OrderingExercise,
    OrderingReveal,
    PredictionExercise,
    PredictionSubmission,
    ReviewOptOut,
    SelfCheckAttempt,
    SelfCheckQuestion,
    StudentProgress,
)
from lessons.selectors.sql import in_list, parse_timestamp, quoted_tables

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
STATE_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", COMPLETED: "Completed"}


@dataclass
class LessonProgress:
    """One student's progress on one lesson."""

    lesson: Lesson
    total: int = 0
    done: int = 0
    started: bool = False
    last_active: datetime | None = None
    completed_at: datetime | None = None
    # The student's review items of the lesson (flashcards, self-check questions, ordering exercises: issue 18) due
    # now and overdue, less the kinds they switched out of review; counted only when given ``due_at``.
    reviews_due: int = 0
    reviews_overdue: int = 0
    recorded: bool = False  # completed_at is a recorded ``LessonCompletion`` (set by the recomputations only)

    @property
    def percent(self) -> int:
        """Whole percent done, rounded down so 99.9% never reads as 100%."""
        return (100 * self.done) // self.total if self.total else 0

    @property
    def state(self) -> str:
        if self.completed_at:
            return COMPLETED
        return IN_PROGRESS if self.started else NOT_STARTED

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def updated_since_completed(self) -> bool:
        """The lesson changed after the student completed it."""
        return bool(self.completed_at and self.lesson.updated_at > self.completed_at)

    @property
    def reached_full(self) -> bool:
        return self.total > 0 and self.done >= self.total

    def touch(self, moment: datetime | None) -> None:
        if moment is None:
            return
        self.started = True
        if self.last_active is None or moment > self.last_active:
            self.last_active = moment


TOTAL_KINDS = {
    "n_questions": SelfCheckQuestion,
    "n_orderings": OrderingExercise,
    "n_predictions": PredictionExercise,
    "n_cards": Flashcard,
}


def lesson_totals(lesson_ids) -> dict[int, dict[str, int]]:
    """Number of live questions, ordering exercises, predictions and cards per lesson (one query).

    Fixed text, one count per kind, because every progress read asks it (the ORM's four correlated
    subqueries took some 3 ms to compile and run for a class's 20 lessons).
    """
    lesson_ids = list(lesson_ids)
    totals = {lesson_id: dict.fromkeys(TOTAL_KINDS, 0) for lesson_id in lesson_ids}
    if not lesson_ids:
        return totals
    t = quoted_tables(*TOTAL_KINDS.values())
    lessons, lesson_params = in_list("lesson_id", lesson_ids)
    sql = " UNION ALL ".join(
        f"SELECT '{kind}', lesson_id, COUNT(*) FROM {t[model.__name__]} "  # noqa: S608
        f"WHERE archived_at IS NULL AND {lessons} GROUP BY lesson_id"
        for kind, model in TOTAL_KINDS.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, lesson_params * len(TOTAL_KINDS))
        for kind, lesson_id, count in cursor.fetchall():
            totals[lesson_id][kind] = count
    return totals


def timestamp_text(expression):
    """A timestamp read as ISO text, for ``parse_timestamp``.

    psycopg loads text in C, while Django's timestamptz loader runs in Python (a few µs a
    value), and the aggregates of a class of 300 on 20 lessons return some 30,000 times.
    """
    return Cast(expression, output_field=TextField())


def _user_filter(users):
    """Filter on a list of users or ids."""
    return {"user__in": [getattr(user, "pk", user) for user in users]}


class ProgressTable:
    """Progress by (user id, lesson id); pairs without any record read "not started"."""

    def __init__(self, lessons, totals, entries):
        self.lessons = {lesson.pk: lesson for lesson in lessons}
        self.totals = totals
        self.entries = entries

    def get(self, user_id: int, lesson) -> LessonProgress:
        lesson_id = getattr(lesson, "pk", lesson)
        found = self.entries.get((user_id, lesson_id))
        if found is None:
            found = LessonProgress(lesson=self.lessons[lesson_id], total=self.totals.get(lesson_id, 0))
        return found

    def row(self, user_id: int, lessons) -> list[LessonProgress]:
        """One student's progress on ``lessons``, in their order."""
        return [self.get(user_id, lesson) for lesson in lessons]


def activity_total(counts: dict[str, int]) -> int:
    """Questions, ordering exercises and predictions count one each; all the cards together count one."""
    return counts["n_questions"] + counts["n_orderings"] + counts["n_predictions"] + (1 if counts["n_cards"] else 0)


def progress_recompute(users, lessons) -> ProgressTable:
    """Progress of every (user, lesson) pair from the raw records, in seven queries whatever the sizes.

    ``users`` is a list of users or ids; ``lessons`` a list of lessons.
    """
    lessons = list(lessons)
    lesson_ids = [lesson.pk for lesson in lessons]
    by_id = {lesson.pk: lesson for lesson in lessons}
    entries: dict[tuple[int, int], LessonProgress] = {}
    if not lesson_ids:
        return ProgressTable(lessons, {}, entries)

    def entry(user_id, lesson_id):
        found = entries.get((user_id, lesson_id))
        if found is None:
            found = entries[(user_id, lesson_id)] = LessonProgress(lesson=by_id[lesson_id])
        return found

    counts = lesson_totals(lesson_ids)
    totals = {lesson_id: activity_total(c) for lesson_id, c in counts.items()}
    user_filter = _user_filter(users)

    selfcheck = (
        SelfCheckAttempt.objects.filter(question__lesson__in=lesson_ids, question__archived_at=None, **user_filter)
        .order_by()
        .values("user_id", lesson_id=F("question__lesson_id"))
        .annotate(
            n=Count("pk"), last_reveal=timestamp_text(Max("revealed_at")), last_judged=timestamp_text(Max("judged_at"))
        )
        .values_list("user_id", "lesson_id", "n", "last_reveal", "last_judged")
    )
    for user_id, lesson_id, n, last_reveal, last_judged in selfcheck:
        progress = entry(user_id, lesson_id)
        progress.done += n
        progress.touch(parse_timestamp(last_reveal))
        progress.touch(parse_timestamp(last_judged))

    # Ordering: solved exactly or answer shown, by exercise, so a solve and a reveal count once.
    ordering_done = defaultdict(set)
    attempts = (
        OrderingAttempt.objects.filter(exercise__lesson__in=lesson_ids, exercise__archived_at=None, **user_filter)
        .order_by()
        .values("user_id", "exercise_id", lesson_id=F("exercise__lesson_id"))
        .annotate(solved=Count("pk", filter=Q(is_correct=True)), last=timestamp_text(Max("created_at")))
        .values_list("user_id", "exercise_id", "lesson_id", "solved", "last")
    )
    for user_id, exercise_id, lesson_id, solved, last in attempts:
        entry(user_id, lesson_id).touch(parse_timestamp(last))
        if solved:
            ordering_done[(user_id, lesson_id)].add(exercise_id)
    reveals = (
        OrderingReveal.objects.filter(exercise__lesson__in=lesson_ids, exercise__archived_at=None, **user_filter)
        .order_by()
        .values_list("user_id", "exercise_id", "exercise__lesson_id", timestamp_text("revealed_at"))
    )
    for user_id, exercise_id, lesson_id, revealed_at in reveals:
        entry(user_id, lesson_id).touch(parse_timestamp(revealed_at))
        ordering_done[(user_id, lesson_id)].add(exercise_id)
    for (user_id, lesson_id), exercises in ordering_done.items():
        entry(user_id, lesson_id).done += len(exercises)

    predictions = (
        PredictionSubmission.objects.filter(exercise__lesson__in=lesson_ids, exercise__archived_at=None, **user_filter)
        .order_by()
        .values("user_id", lesson_id=F("exercise__lesson_id"))
        .annotate(
            n=Count("exercise_id", distinct=True),
            last=timestamp_text(Max("created_at")),
            last_marked=timestamp_text(Max("marked_at")),
        )
        .values_list("user_id", "lesson_id", "n", "last", "last_marked")
    )
    for user_id, lesson_id, n, last, last_marked in predictions:
        progress = entry(user_id, lesson_id)
        progress.done += n
        progress.touch(parse_timestamp(last))
        progress.touch(parse_timestamp(last_marked))

    # Count a column of the covering index (not the id) so the index alone answers.
    cards = (
        CardState.objects.filter(card__lesson__in=lesson_ids, card__archived_at=None, **user_filter)
        .order_by()
        .values("user_id", lesson_id=F("card__lesson_id"))
        .annotate(
            cards=Count("last_review"),
            last=timestamp_text(Max("last_review")),
        )
        .values_list("user_id", "lesson_id", "cards", "last")
    )
    for user_id, lesson_id, n_cards, last in cards:
        progress = entry(user_id, lesson_id)
        progress.touch(parse_timestamp(last))
        if n_cards >= counts[lesson_id]["n_cards"] > 0:
            progress.done += 1

    completions = (
        LessonCompletion.objects.filter(lesson__in=lesson_ids, **user_filter)
        .order_by()
        .values_list("user_id", "lesson_id", timestamp_text("completed_at"))
    )
    for user_id, lesson_id, completed_at in completions:
        progress = entry(user_id, lesson_id)
        progress.recorded = True
        progress.completed_at = parse_timestamp(completed_at)
        progress.started = True

    for (_user_id, lesson_id), progress in entries.items():
        progress.total = totals[lesson_id]
        progress.done = min(progress.done, progress.total)
        if progress.completed_at is None and progress.reached_full:
            # At 100% without a recorded completion (records written outside the services, such as
            # an import): completed as of the last activity, as the services would have recorded it.
            progress.completed_at = progress.last_active

    return ProgressTable(lessons, totals, entries)


PROGRESS_FIELDS = ("total", "done", "started", "last_active", "completed_at")


def progress_for(
    users,
    lessons,
    *,
    due_at: datetime | None = None,
    overdue_at: datetime | None = None,
) -> ProgressTable:
    """Progress of every (user, lesson) pair from the kept rows: two queries (three with ``due_at``).

    The same result as ``progress_recompute``; pairs without a row read "not started". With ``due_at`` (and
    ``overdue_at``), each entry also counts the student's review items of the lesson due at ``due_at`` (and due
    before ``overdue_at``), in one more query (``_reviews_due``). ``users`` is a list of users or ids.

    The kept rows are read with fixed text, their timestamps as text (``timestamp_text``): the dashboard reads
    2,000 of them a page.
    """
    lessons = list(lessons)
    lesson_ids = [lesson.pk for lesson in lessons]
    by_id = {lesson.pk: lesson for lesson in lessons}
    entries: dict[tuple[int, int], LessonProgress] = {}
    if not lesson_ids:
        return ProgressTable(lessons, {}, entries)
    totals = {lesson_id: activity_total(c) for lesson_id, c in lesson_totals(lesson_ids).items()}
    user_ids = [getattr(user, "pk", user) for user in users]
    if not user_ids:
        return ProgressTable(lessons, totals, entries)
    t = quoted_tables(StudentProgress)
    pairs, user_params = in_list("user_id", user_ids)
    in_lessons, lesson_params = in_list("lesson_id", lesson_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, lesson_id, total, done, started, CAST(last_active AS TEXT), CAST(completed_at AS TEXT) "  # noqa: S608
            f"FROM {t['StudentProgress']} WHERE {pairs} AND {in_lessons}",
            [*user_params, *lesson_params],
        )
        rows = cursor.fetchall()
    for user_id, lesson_id, total, done, started, last_active, completed_at in rows:
        entries[(user_id, lesson_id)] = LessonProgress(
            lesson=by_id[lesson_id],
            total=total,
            done=done,
            started=bool(started),
            last_active=parse_timestamp(last_active),
            completed_at=parse_timestamp(completed_at),
        )
    if due_at:
        for user_id, lesson_id, n_due, n_overdue in _reviews_due(user_ids, lesson_ids, due_at, overdue_at):
            progress = entries.get((user_id, lesson_id))
            if progress is not None:  # a state always comes with a row (its rating wrote it)
                progress.reviews_due, progress.reviews_overdue = n_due, n_overdue
    return ProgressTable(lessons, totals, entries)


def _reviews_due(user_ids, lesson_ids, due_at, overdue_at):
    """(user id, lesson id, due, overdue) of the students' review items of the lessons, every kind (one query).

    Live items only, and less the kinds a student switched out of review for a lesson: what their /review/
    would bring them. Only the rows due by ``due_at`` are read (``overdue_at`` is earlier), through the
    partial (user, due) index. Fixed text rather than ORM expressions: the dashboard asks it for the 100
    students shown, and Django spent longer compiling the ORM's three joins and two correlated subqueries
    than Postgres took to run them (``tests/test_reviews_due.py`` keeps that ORM query and compares).
    """
    if not user_ids or not lesson_ids:
        return []
    t = quoted_tables(CardState, Flashcard, SelfCheckQuestion, OrderingExercise, ReviewOptOut)
    moment = connection.ops.adapt_datetimefield_value
    overdue, overdue_params = (
        ("COUNT(CASE WHEN s.due < %s THEN 1 END)", [moment(overdue_at)]) if overdue_at else ("0", [])
    )
    card_lessons, lesson_params = in_list("c.lesson_id", lesson_ids)
    question_lessons, _ = in_list("q.lesson_id", lesson_ids)
    exercise_lessons, _ = in_list("e.lesson_id", lesson_ids)
    users, user_params = in_list("s.user_id", user_ids)

    def switched_off(alias):
        return (
            f"EXISTS (SELECT 1 FROM {t['ReviewOptOut']} o WHERE o.user_id = s.user_id "  # noqa: S608
            f"AND o.lesson_id = {alias}.lesson_id AND o.kind = %s)"
        )

    sql = f"""
        SELECT s.user_id, COALESCE(c.lesson_id, q.lesson_id, e.lesson_id), COUNT(*), {overdue}
          FROM {t["CardState"]} s
          LEFT JOIN {t["Flashcard"]} c ON c.id = s.card_id AND c.archived_at IS NULL AND {card_lessons}
          LEFT JOIN {t["SelfCheckQuestion"]} q ON q.id = s.question_id AND q.archived_at IS NULL AND {question_lessons}
          LEFT JOIN {t["OrderingExercise"]} e ON e.id = s.exercise_id AND e.archived_at IS NULL AND {exercise_lessons}
         WHERE (c.id IS NOT NULL
                OR (q.id IS NOT NULL AND NOT {switched_off("q")})
                OR (e.id IS NOT NULL AND NOT {switched_off("e")}))
           AND {users} AND s.due <= %s
         GROUP BY s.user_id, COALESCE(c.lesson_id, q.lesson_id, e.lesson_id)
    """  # noqa: S608
    params = [*overdue_params, *lesson_params * 3, ItemKind.QUESTION.value, ItemKind.EXERCISE.value]
    params += [*user_params, moment(due_at)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _student_sql() -> str:
    """The text of ``progress_of_student``'s query (table names from the models; built once)."""
    t = quoted_tables(
        SelfCheckQuestion,
        OrderingExercise,
        PredictionExercise,
        Flashcard,
        SelfCheckAttempt,
        OrderingAttempt,
        OrderingReveal,
        PredictionSubmission,
        CardState,
        LessonCompletion,
    )

    def live_count(model):
        return f"(SELECT COUNT(*) FROM {t[model]} WHERE lesson_id = %s AND archived_at IS NULL)"  # noqa: S608

    # One aggregate per table of records, each through its (user, item) index; every branch has the
    # shape (kind, n1, n2, n3, n4, moment1, moment2). Parameters: (lesson, lesson, lesson, lesson) then
    # (user, lesson) for each of the six record branches. Only quoted table names are formatted in.
    return f"""
        SELECT 'totals', {live_count("SelfCheckQuestion")}, {live_count("OrderingExercise")},
               {live_count("PredictionExercise")}, {live_count("Flashcard")}, NULL, NULL
        UNION ALL
        SELECT 'selfcheck', COUNT(*), 0, 0, 0, MAX(a.revealed_at), MAX(a.judged_at)
          FROM {t["SelfCheckAttempt"]} a JOIN {t["SelfCheckQuestion"]} i ON i.id = a.question_id
         WHERE a.user_id = %s AND i.lesson_id = %s AND i.archived_at IS NULL
        UNION ALL
        SELECT 'ordering', COUNT(DISTINCT CASE WHEN a.is_correct THEN a.exercise_id END), 0, 0, 0,
               MAX(a.created_at), NULL
          FROM {t["OrderingAttempt"]} a JOIN {t["OrderingExercise"]} i ON i.id = a.exercise_id
         WHERE a.user_id = %s AND i.lesson_id = %s AND i.archived_at IS NULL
        UNION ALL
        SELECT 'ordering_reveal', COUNT(CASE WHEN NOT EXISTS (
                   SELECT 1 FROM {t["OrderingAttempt"]} c
                    WHERE c.user_id = r.user_id AND c.exercise_id = r.exercise_id AND c.is_correct
               ) THEN 1 END), 0, 0, 0, MAX(r.revealed_at), NULL
          FROM {t["OrderingReveal"]} r JOIN {t["OrderingExercise"]} i ON i.id = r.exercise_id
         WHERE r.user_id = %s AND i.lesson_id = %s AND i.archived_at IS NULL
        UNION ALL
        SELECT 'prediction', COUNT(DISTINCT a.exercise_id), 0, 0, 0, MAX(a.created_at), MAX(a.marked_at)
          FROM {t["PredictionSubmission"]} a JOIN {t["PredictionExercise"]} i ON i.id = a.exercise_id
         WHERE a.user_id = %s AND i.lesson_id = %s AND i.archived_at IS NULL
        UNION ALL
        SELECT 'cards', COUNT(a.last_review), COUNT(*), 0, 0, MAX(a.last_review), NULL
          FROM {t["CardState"]} a JOIN {t["Flashcard"]} i ON i.id = a.card_id
         WHERE a.user_id = %s AND i.lesson_id = %s AND i.archived_at IS NULL
        UNION ALL
        SELECT 'completion', 0, 0, 0, 0, MAX(completed_at), NULL
          FROM {t["LessonCompletion"]} WHERE user_id = %s AND lesson_id = %s
    """  # noqa: S608


_STUDENT_SQL: list[str] = []  # built on first use (the models' tables are known by then)


def _moment(value) -> datetime | None:
    """A timestamp as the driver returns it: a datetime (Postgres) or ISO text (SQLite stores text)."""
    return parse_timestamp(value) if isinstance(value, str) else value


def progress_of_student(user_id: int, lesson: Lesson) -> LessonProgress | None:
    """One student's progress on one lesson from the raw records in ONE query (None: no record at all).

    What the services use to rewrite a row after each write, so it is on every write's path:
    it applies the rules of ``progress_recompute`` (which ``verify_progress`` and the property
    test compare it with) in one statement of fixed text, one aggregate per table of records.
    It is SQL rather than ORM expressions because Django spent some 20 ms of Python compiling
    the equivalent fourteen correlated subqueries on every write, for 2 ms in Postgres; this text
    is the same for every student and lesson and works on SQLite and Postgres alike.
    """
    if not _STUDENT_SQL:
        _STUDENT_SQL.append(_student_sql())
    params = [lesson.pk] * 4 + [user_id, lesson.pk] * 6
    with connection.cursor() as cursor:
        cursor.execute(_STUDENT_SQL[0], params)
        rows = {kind: values for kind, *values in cursor.fetchall()}
    n_questions, n_orderings, n_predictions, n_cards, _, _ = rows["totals"]
    counts = {"n_questions": n_questions, "n_orderings": n_orderings, "n_predictions": n_predictions}
    progress = LessonProgress(lesson=lesson, total=activity_total({**counts, "n_cards": n_cards}))
    selfchecks, *_, sc_reveal, sc_judged = rows["selfcheck"]
    correct, *_, ord_try, _ = rows["ordering"]
    revealed, *_, ord_reveal, _ = rows["ordering_reveal"]
    predicted, *_, pred_at, pred_marked = rows["prediction"]
    cards, card_states, _, _, cards_at, _ = rows["cards"]
    completed = _moment(rows["completion"][4])
    moments = [_moment(value) for value in (sc_reveal, sc_judged, ord_try, ord_reveal, pred_at, pred_marked, cards_at)]
    for moment in moments:
        progress.touch(moment)
    if not (any(moment is not None for moment in moments) or completed or selfchecks or card_states):
        return None
    progress.done = selfchecks + correct + revealed + predicted
    if cards >= n_cards > 0:
        progress.done += 1
    progress.done = min(progress.done, progress.total)
    progress.completed_at = completed
    if completed is not None:
        progress.started = progress.recorded = True
    elif progress.reached_full:
        progress.completed_at = progress.last_active
    return progress


def continue_lesson(table: ProgressTable, user_id: int, lessons) -> LessonProgress | None:
    """The most recently active lesson the student has started and not completed."""
    unfinished = [p for p in table.row(user_id, lessons) if p.state == IN_PROGRESS and p.last_active]
    return max(unfinished, key=lambda p: p.last_active, default=None)


def lessons_progress(user, lessons) -> dict:
    """For the home and course pages: each lesson's progress by id, and where to continue."""
    lessons = list(lessons)
    table = progress_for([user], lessons)
    return {
        "lesson_progress": {lesson.pk: table.get(user.pk, lesson) for lesson in lessons},
        "continue_progress": continue_lesson(table, user.pk, lessons),
    }


def lesson_students(lesson):
    """Ids of every student with a record or a progress row on ``lesson`` (a queryset of ids)."""
    return User.objects.filter(
        Q(pk__in=SelfCheckAttempt.objects.filter(question__lesson=lesson).values("user_id"))
        | Q(pk__in=OrderingAttempt.objects.filter(exercise__lesson=lesson).values("user_id"))
        | Q(pk__in=OrderingReveal.objects.filter(exercise__lesson=lesson).values("user_id"))
        | Q(pk__in=PredictionSubmission.objects.filter(exercise__lesson=lesson).values("user_id"))
        | Q(pk__in=CardState.objects.filter(card__lesson=lesson).values("user_id"))
        | Q(pk__in=LessonCompletion.objects.filter(lesson=lesson).values("user_id"))
        | Q(pk__in=StudentProgress.objects.filter(lesson=lesson).values("user_id"))
    ).values("pk")


@dataclass
class ProgressDifference:
    """A kept row that does not match the raw records (``kept`` or ``expected`` is None when the row is missing)."""

    user_id: int
    lesson: Lesson
    kept: dict | None
    expected: dict | None

    def __str__(self):
        return f"user {self.user_id}, lesson {self.lesson.slug}: kept {self.kept}, records say {self.expected}"


def progress_differences(lessons) -> list[ProgressDifference]:
    """Every (student, lesson) whose kept row differs from a recomputation from the raw records."""
    differences = []
    for lesson in lessons:
        students = list(lesson_students(lesson).values_list("pk", flat=True))
        expected = progress_recompute(students, [lesson]).entries
        kept = progress_for(students, [lesson]).entries
        for key in sorted(set(expected) | set(kept)):
            want, have = expected.get(key), kept.get(key)
            want_fields = {name: getattr(want, name) for name in PROGRESS_FIELDS} if want else None
            have_fields = {name: getattr(have, name) for name in PROGRESS_FIELDS} if have else None
            if want_fields != have_fields:
                differences.append(ProgressDifference(key[0], lesson, have_fields, want_fields))
    return differences
