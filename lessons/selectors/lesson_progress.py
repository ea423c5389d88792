"""Lesson progress for many students and many lessons in a fixed number of queries.

A lesson's activities are: each self-check question (done once revealed), each
ordering exercise (done once solved exactly or its answer shown), each
prediction (done once submitted), and its flashcards as one activity (done once
every card of the lesson has a rating that was not undone).

Flashcards are read from ``CardState``, not from the review log: a card has a
state exactly when it has a rating that was not undone (undoing a card's first
rating deletes its state, see ``services.review``), and the state's
``last_review`` is the time of that latest rating. One small aggregate over the
states (answered by the covering ``cardstate_one_per_user_card`` index) replaces
a ``COUNT(DISTINCT card)`` over every review, and also gives the cards due.

``progress_for(users, lessons)`` runs one aggregate query per kind of activity,
grouped by student and lesson, plus one for the lesson totals and one for the
recorded completions, whatever the number of students or lessons. It only
reads: completions are recorded by the services when an activity finishes a
lesson (``lessons.services.completion``), and after a content edit that leaves
students at 100% (``lesson_completions_record``). Completion only moves forward:
after an edit adds an activity, the lesson stays completed and is marked
"updated since you completed it".
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, F, Max, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast

from lessons.models import (
    CardState,
    Flashcard,
    Lesson,
    LessonCompletion,
    OrderingAttempt,
    OrderingExercise,
    OrderingReveal,
    PredictionExercise,
    PredictionSubmission,
    SelfCheckAttempt,
    SelfCheckQuestion,
)
from lessons.models.content import count_of

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
    cards_due: int = 0  # counted only when ``progress_for`` is given ``due_at``
    cards_overdue: int = 0

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


def lesson_totals(lesson_ids) -> dict[int, dict[str, int]]:
    """Number of questions, ordering exercises, predictions and cards per lesson (one query)."""
    rows = (
        Lesson.objects.filter(pk__in=lesson_ids)
        .order_by()
        .annotate(
            n_questions=count_of(SelfCheckQuestion),
            n_orderings=count_of(OrderingExercise),
            n_predictions=count_of(PredictionExercise),
            n_cards=count_of(Flashcard),
        )
        .values("pk", "n_questions", "n_orderings", "n_predictions", "n_cards")
    )
    return {row.pop("pk"): row for row in rows}


def timestamp_text(expression):
    """A timestamp read as ISO text, for ``parse_timestamp``.

    psycopg loads text in C, while Django's timestamptz loader runs in Python (a few µs a
    value), and the aggregates of a class of 300 on 20 lessons return some 30,000 times.
    """
    return Cast(expression, output_field=TextField())


def parse_timestamp(text: str | None) -> datetime | None:
    """Parse ``timestamp_text``: Postgres writes the UTC offset, SQLite stores UTC without one."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user_filter(users, field="user"):
    """Filter on a list of users/ids or a queryset of ids (kept as a subquery)."""
    if isinstance(users, QuerySet):
        return {f"{field}__in": users}
    return {f"{field}__in": [getattr(user, "pk", user) for user in users]}


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


def progress_for(
    users,
    lessons,
    *,
    due_at: datetime | None = None,
    overdue_at: datetime | None = None,
) -> ProgressTable:
    """Progress of every (user, lesson) pair, in seven queries whatever the sizes.

    ``users`` is a list of users or ids, or a queryset of user ids (kept as a
    subquery); ``lessons`` a list of lessons. With ``due_at`` (and ``overdue_at``), each entry also counts the student's cards
    of the lesson due at ``due_at`` (and due before ``overdue_at``), in the same query.
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
    # Without ``due_at``/``overdue_at`` the counts are of no rows (a constant the database folds away).
    cards = (
        CardState.objects.filter(card__lesson__in=lesson_ids, card__archived_at=None, **user_filter)
        .order_by()
        .values("user_id", lesson_id=F("card__lesson_id"))
        .annotate(
            cards=Count("last_review"),
            last=timestamp_text(Max("last_review")),
            n_due=Count("due", filter=Q(due__lte=due_at)) if due_at else Value(0),
            n_overdue=Count("due", filter=Q(due__lt=overdue_at)) if overdue_at else Value(0),
        )
        .values_list("user_id", "lesson_id", "cards", "last", "n_due", "n_overdue")
    )
    for user_id, lesson_id, n_cards, last, n_due, n_overdue in cards:
        progress = entry(user_id, lesson_id)
        progress.touch(parse_timestamp(last))
        progress.cards_due = n_due
        progress.cards_overdue = n_overdue
        if n_cards >= counts[lesson_id]["n_cards"] > 0:
            progress.done += 1

    completions = (
        LessonCompletion.objects.filter(lesson__in=lesson_ids, **user_filter)
        .order_by()
        .values_list("user_id", "lesson_id", timestamp_text("completed_at"))
    )
    for user_id, lesson_id, completed_at in completions:
        progress = entry(user_id, lesson_id)
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
