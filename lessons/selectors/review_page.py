"""The /review/ page's state: the session's counts, the item to show first, the last rating to undo.

The item is a flashcard (``fc``), a self-check question (``qv``) or an ordering exercise (``ev``).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import prefetch_related_objects
from django.utils import timezone

from lessons import grading, scheduling
from lessons.models import CardState, FlashcardReveal, ReviewLog, StudentSettings
from lessons.models.review import current_sitting
from lessons.selectors import review_queue as queue
from lessons.selectors.practice_page import Row, card_view


@dataclass
class QuestionView:
    """A self-check question in /review/: the question and a box, or after "Show answer" the answer and
    the three verdicts."""

    state: CardState
    revealed: bool
    answer_text: str
    shown_ms: int

    @property
    def question(self):
        return self.state.question

    @property
    def version(self):
        return self.state.version


@dataclass
class ExerciseView:
    """An ordering exercise in /review/: its stages shuffled anew (seeded by student, exercise and review
    count), or the sitting's last order with Keep / Move marks; after "Show answer", the answer."""

    state: CardState
    rows: list
    tries: int
    revealed: bool
    shown_ms: int
    answer: list = field(default_factory=list)
    to_move: list = field(default_factory=list)
    error: str = ""

    @property
    def exercise(self):
        return self.state.exercise

    @property
    def version(self):
        return self.state.version

    @property
    def next_number(self):
        return self.tries + 1

    @property
    def order(self):
        return [row.item.label for row in self.rows]

    @property
    def choices(self):
        return range(1, len(self.rows) + 1)


def shuffled(items, *, seed):
    """The items in a seeded random order that is not already the answer (when another order exists)."""
    rng = random.Random(seed)
    order = list(items)
    for _ in range(10):
        rng.shuffle(order)
        if [i.correct_position for i in order] != sorted(i.correct_position for i in order):
            break
    return order


def question_view(user, state, *, reveal, study_settings, now) -> QuestionView:
    clock = scheduling.StudyClock.of(study_settings)
    revealed = reveal is not None and scheduling.reveal_counts(
        reveal.revealed_at, last_review=state.last_review, now=now, clock=clock
    )
    return QuestionView(
        state=state,
        revealed=revealed,
        answer_text=reveal.answer_text if revealed else "",
        shown_ms=round(now.timestamp() * 1000),
    )


def exercise_view(user, state, *, sitting, study_settings, now, error="", positions=None) -> ExerciseView:
    exercise = state.exercise
    clock = scheduling.StudyClock.of(study_settings)
    sitting = current_sitting(state=state, sitting=sitting, now=now, clock=clock)
    items = exercise.display_items()
    by_label = {item.label: item for item in items}
    correct = exercise.correct_labels()
    keep = None
    if sitting is not None and sitting.order and sorted(sitting.order) == sorted(by_label):
        ordered = [by_label[label] for label in sitting.order]
        keep = set(grading.longest_ordered_run(list(sitting.order), correct))
    else:
        ordered = shuffled(items, seed=f"{user.pk}:{exercise.pk}:{state.reps}")
    rows = [
        Row(
            item=item,
            position=(positions or {}).get(item.label, index),
            mark="" if keep is None else ("keep" if item.label in keep else "move"),
        )
        for index, item in enumerate(ordered, start=1)
    ]
    revealed = bool(sitting is not None and sitting.revealed_at)
    return ExerciseView(
        state=state,
        rows=rows,
        tries=sitting.tries if sitting else 0,
        revealed=revealed,
        shown_ms=round(now.timestamp() * 1000),
        answer=[by_label[label] for label in correct] if revealed else [],
        to_move=[row.item.label for row in rows if row.mark == "move"],
        error=error,
    )


def exercise_shown(user, exercise, *, now=None):
    """The exercise as /review/ shows it to ``user`` now (None when it is not in their reviews): what a
    "Check order" is compared with. ``exercise`` comes with its items prefetched."""
    now = now or timezone.now()
    state = CardState.objects.filter(user=user, exercise=exercise).first()
    if state is None:
        return None
    state.exercise = exercise
    sitting = FlashcardReveal.objects.filter(user=user, exercise=exercise).first()
    return exercise_view(user, state, sitting=sitting, study_settings=StudentSettings.objects.for_user(user), now=now)


def _reveal_of(user, q):
    """The head item's reveal (or sitting) row, one query."""
    which = {q.head_kind: q.head_state.item if q.head_state is not None else q.head_card}
    return FlashcardReveal.objects.filter(user=user, **which).first()


def review_session(user, *, now: datetime | None = None, exercise_error: dict | None = None) -> dict:
    """How many are left, the first item, the last rating to undo. Bounded queries, whatever the kind."""
    now = now or timezone.now()
    study_settings = StudentSettings.objects.for_user(user)
    q = queue.queue_for(user, now=now, study_settings=study_settings)
    fc = qv = ev = None
    if q.head_kind is not None:
        reveal = _reveal_of(user, q)
        if q.head_kind == "card":
            fc = card_view(
                user,
                q.head_card,
                state=q.head_state,
                revealed_at=reveal.revealed_at if reveal else None,
                study_settings=study_settings,
                last_log=None,
                now=now,
            )
        elif q.head_kind == "question":
            qv = question_view(user, q.head_state, reveal=reveal, study_settings=study_settings, now=now)
        else:
            state = q.head_state
            prefetch_related_objects([state.exercise], "items")  # its stages, one query
            ev = exercise_view(
                user, state, sitting=reveal, study_settings=study_settings, now=now, **(exercise_error or {})
            )
    last_log = (
        ReviewLog.objects.live()
        .filter(user=user)
        .select_related("card", "question", "exercise")
        .order_by("-reviewed_at", "-pk")
        .first()
    )
    return {
        "queue": q,
        "fc": fc,
        "qv": qv,
        "ev": ev,
        "last_log": last_log,
        "next_due": queue.next_due_at(user) if q.head_kind is None else None,
        "zone": study_settings.zone,
    }
