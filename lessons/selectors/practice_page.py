"""The practice page's state for one student: the lesson's content plus their own records.

Each exercise kind has a ``*_states`` function reading the student's records for
the whole lesson in a fixed number of queries, and a single-item form used when a
fragment is redrawn after a write. Views call these; no view builds state for another.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Exists
from django.utils import timezone

from lessons import grading, scheduling
from lessons.forms.prediction import PREDICTION_MAX_LENGTH, PredictionForm
from lessons.forms.selfcheck import SelfCheckRevealForm
from lessons.models import (
    CardState,
    CardStateKind,
    Confidence,
    Flashcard,
    FlashcardReveal,
    ItemKind,
    OrderingItem,
    PredictionDraft,
    PredictionExercise,
    PredictionSubmission,
    Rating,
    ReviewLog,
    ReviewOptOut,
    StudentSettings,
    Verdict,
)
from lessons.models.review import item_filter
from lessons.selectors import practice_records
from lessons.selectors.practice_outline import practice_outline


def practice_page(user, lesson) -> dict:
    """Everything the practice page shows for ``user``: ``lesson`` (from ``practice_lesson``) and their records."""
    records = student_records(user, lesson)
    context = {"lesson": lesson, "form": SelfCheckRevealForm(), "verdicts": Verdict.choices}
    context.update(selfcheck_states(records))
    context.update(prediction_states(user, lesson, records))
    context.update(ordering_states(lesson, records))
    context.update(
        flashcard_states(
            user, lesson, records=records, attempts=context["selfcheck_attempts"], ordering=context["ordering_states"]
        )
    )
    context.update(practice_outline(context))
    return context


# ---------------------------------------------------------------- the student's records, cached by version

RECORDS_TIMEOUT = 24 * 3600


def _read_records(user, lesson) -> dict:
    """The student's records on the lesson that only change with their progress row (four queries, fixed SQL:
    ``selectors.practice_records``).

    ``item_states``: the review states of the lesson's cards, questions and exercises, each with the
    student's review switches for the lesson (``questions_off``, ``exercises_off``).
    """
    has_predictions = bool(lesson.predictions.all())
    return {
        "selfcheck": practice_records.selfcheck_attempts(user.pk, lesson.pk),
        "ordering": practice_records.latest_ordering_attempts(user.pk, lesson_id=lesson.pk),
        "submissions": practice_records.prediction_submissions(user.pk, lesson_id=lesson.pk) if has_predictions else [],
        "item_states": practice_records.item_states(user.pk, lesson.pk),
    }


def student_records(user, lesson) -> dict:
    """The student's attempts, latest tries, submissions (with ticks) and card states on ``lesson``.

    From the cache when the student's ``StudentProgress`` row is unchanged: one query reads the
    row's id and version, and the key holds them with the lesson's content version. Every write
    of these records bumps the version in its own transaction (``services.progress``: a
    self-check reveal or verdict, an ordering try or reveal, a prediction submitted or marked, a
    scheduled rating or its undo of any item; a review switch; archive and restore through the lesson
    refresh), and a content edit bumps the lesson's ``updated_at``, so a cached entry is never stale.
    A row deleted (its last record undone) and created again gets a new id, so an old entry is never
    found again.

    Left out, read on every view: the flashcard reveals and practice ratings (written by the
    review service without the progress row), the drafts (saved as the student types), the
    study settings and the latest rating to undo (both the student's, across lessons).
    """
    if user.pk is None:  # the admin's preview as a fresh student
        return _read_records(user, lesson)
    row = practice_records.progress_version(user.pk, lesson.pk)
    if row is None:  # the services write a record and its row together: no row, no record shown
        return {"selfcheck": [], "ordering": [], "submissions": [], "item_states": []}
    key = f"practice-records:{user.pk}:{lesson.pk}:{lesson.updated_at.isoformat()}:{row[0]}:{row[1]}"
    records = cache.get(key)
    if records is None:
        records = _read_records(user, lesson)
        cache.set(key, records, RECORDS_TIMEOUT)
    return records


# ---------------------------------------------------------------- self-check


def selfcheck_states(records) -> dict:
    """The student's attempts on the lesson's questions (from ``student_records``), by question id."""
    return {"selfcheck_attempts": {attempt.question_id: attempt for attempt in records["selfcheck"]}}


def selfcheck_question(question, attempt, *, form=None, user=None) -> dict:
    """One question redrawn after a reveal or a verdict, with the attempt the service returned.

    With ``user``, after a verdict: what the question's review state now is (``note``, two queries)."""
    note = None
    if user is not None and attempt is not None and attempt.verdict:
        note = review_note_of(user, question, latest_try_at=attempt.judged_at)
    return {
        "lesson": question.lesson,
        "question": question,
        "attempt": attempt,
        "note": note,
        "form": form or SelfCheckRevealForm(),
        "verdicts": Verdict.choices,
    }


# ---------------------------------------------------------------- in your reviews (issue 18)


@dataclass(frozen=True)
class ReviewNote:
    """What the practice page says under a question or an exercise once it is one of the student's review items.

    ``practice``: the latest try here came after the item's last scheduled review, so it was practice and left
    the schedule alone. ``when``: when the item comes back ("back on Tue 9 Dec", "back in 10m", "due now").
    ``switched_off``: the student switched this kind out of review for the lesson (in Settings).
    """

    practice: bool
    when: str
    switched_off: bool = False


def review_note(state, *, latest_try_at, clock, now=None, switched_off=False) -> ReviewNote | None:
    """The note for one item's ``state`` (None before its first review: nothing to say)."""
    if state is None or state.last_review is None:
        return None
    now = now or timezone.now()
    if state.due <= now:
        when = "due now"
    elif state.state == CardStateKind.REVIEW:  # due at a study day's rollover: name the day
        when = f"back on {clock.date_of(state.due):%a %-d %b}"
    else:  # a learning step: whole minutes, rounded up, as a card's "Next review in 10m"
        minutes = math.ceil((state.due - now).total_seconds() / 60)
        when = "back in " + scheduling.format_interval(timedelta(minutes=minutes))
    practice = latest_try_at is not None and latest_try_at > state.last_review
    return ReviewNote(practice=practice, when=when, switched_off=switched_off)


def _with_switches(states, user, lesson_id):
    """Annotate whether the student switched the lesson's questions / exercises out of review (no extra query)."""
    off = ReviewOptOut.objects.filter(user=user, lesson_id=lesson_id)
    return states.annotate(
        questions_off=Exists(off.filter(kind=ItemKind.QUESTION)),
        exercises_off=Exists(off.filter(kind=ItemKind.EXERCISE)),
    )


def review_note_of(user, item, *, latest_try_at) -> ReviewNote | None:
    """One question's or exercise's note, for its fragment after a try (two queries: its state, the settings)."""
    which = item_filter(item)
    state = _with_switches(CardState.objects.filter(user=user, **which), user, item.lesson_id).first()
    if state is None:
        return None
    clock = scheduling.StudyClock.of(StudentSettings.objects.for_user(user))
    off = state.questions_off if "question" in which else state.exercises_off
    return review_note(state, latest_try_at=latest_try_at, clock=clock, switched_off=off)


# ---------------------------------------------------------------- ordering


@dataclass(frozen=True)
class Row:
    """One item as the student sees it: where it is, and after a try whether to keep it or move it."""

    item: OrderingItem
    position: int
    mark: str = ""  # "keep", "move" or "" before a try


def ordering_state(exercise, attempt=None, *, error="", positions=None) -> dict:
    """What the exercise shows for one student, given their latest attempt (``latest_ordering_attempts``).

    Before a try the items are in the display order and nothing about the answer is
    included. After one, they are in the student's latest order, each marked keep or move.
    """
    items = exercise.display_items()
    by_label = {item.label: item for item in items}
    order = [item.label for item in items]
    keep = None
    if attempt is not None and sorted(attempt.order) == sorted(order):  # else the items changed since that try
        order = list(attempt.order)
        keep = set(grading.longest_ordered_run(order, exercise.correct_labels()))
    rows = [
        Row(
            item=by_label[label],
            position=(positions or {}).get(label, index),
            mark="" if keep is None else ("keep" if label in keep else "move"),
        )
        for index, label in enumerate(order, start=1)
    ]
    solved = bool(attempt is not None and attempt.is_correct)
    revealed = bool(attempt is not None and attempt.revealed)
    return {
        "attempt": attempt,
        "rows": rows,
        "order": order,
        "choices": range(1, len(rows) + 1),
        "next_number": attempt.number + 1 if attempt is not None else 1,
        "to_move": [row.item.label for row in rows if row.mark == "move"],
        "solved": solved,
        "revealed": revealed,
        "answer": [by_label[label] for label in exercise.correct_labels()] if revealed else [],
        "error": error,
    }


def ordering_note(user, exercise, state) -> ReviewNote | None:
    """The exercise's review note for its fragment, once solved or revealed (else None, no query)."""
    if not (state["solved"] or state["revealed"]):
        return None
    return review_note_of(user, exercise, latest_try_at=state["attempt"].created_at if state["solved"] else None)


def ordering_latest(user, exercise):
    """The student's latest try at ``exercise``, with its summary (or None)."""
    return next(iter(practice_records.latest_ordering_attempts(user.pk, exercise_id=exercise.pk)), None)


def ordering_states(lesson, records) -> dict:
    """Each ordering exercise's state for the student (from ``student_records``), by exercise id."""
    latest = {a.exercise_id: a for a in records["ordering"]}
    return {
        "ordering_states": {
            exercise.pk: ordering_state(exercise, latest.get(exercise.pk))
            for exercise in lesson.ordering_exercises.all()
        }
    }


# ---------------------------------------------------------------- prediction


@dataclass
class PredictionState:
    """One student's work on one exercise, as the page shows it."""

    exercise: PredictionExercise
    submissions: list[PredictionSubmission] = field(default_factory=list)
    draft: PredictionDraft | None = None
    form: PredictionForm | None = None

    @property
    def latest(self):
        return self.submissions[-1] if self.submissions else None

    @property
    def earlier(self):
        """Earlier submissions, newest first."""
        return self.submissions[-2::-1]

    @property
    def next_number(self):
        return len(self.submissions) + 1

    @property
    def named_ids(self):
        if not self.latest:
            return set()
        live = {point.pk for point in self.exercise.rubric_points.all()}  # archived points are not on the page
        return set(self.latest.named_point_ids) & live

    @property
    def covered(self):
        return len(self.named_ids)

    @property
    def total(self):
        return len(self.exercise.rubric_points.all())

    @property
    def unsent_draft(self):
        """A draft that differs from the latest submission: the student was revising (or had not submitted yet)."""
        if not self.draft or not self.draft.text:
            return None
        return self.draft if self.latest is None or self.draft.text != self.latest.text else None

    @property
    def revising(self):
        """Open the "Revise and resubmit" box: the student has unsent changes or a form to fix."""
        return bool(self.unsent_draft or (self.form is not None and self.form.errors))

    @property
    def text_value(self):
        """What the text box holds: what was just sent back with an error, else the draft."""
        if self.form is not None and self.form.is_bound:
            return self.form.data.get("text", "")
        return self.draft.text if self.draft else ""

    @property
    def confidence_value(self):
        return self.form.data.get("confidence", "") if self.form is not None and self.form.is_bound else ""


PREDICTION_CHOICES = {"prediction_max_length": PREDICTION_MAX_LENGTH, "confidence_choices": Confidence.choices}


def prediction_states(user, lesson, records) -> dict:
    """The student's submissions (from ``student_records``) and drafts on the lesson's prediction exercises (one
    query, none without any exercise)."""
    exercises = lesson.predictions.all()
    if not exercises:
        return {"prediction_states": {}}
    submissions = defaultdict(list)
    for submission in records["submissions"]:
        submissions[submission.exercise_id].append(submission)
    drafts = {draft.exercise_id: draft for draft in practice_records.prediction_drafts(user.pk, lesson_id=lesson.pk)}
    return {
        "prediction_states": {
            exercise.pk: PredictionState(exercise, submissions[exercise.pk], drafts.get(exercise.pk))
            for exercise in exercises
        },
        **PREDICTION_CHOICES,
    }


def prediction_state(user, exercise, form=None) -> PredictionState:
    """One exercise's state, redrawn after a write (or with a form to fix)."""
    return PredictionState(
        exercise,
        practice_records.prediction_submissions(user.pk, exercise_id=exercise.pk),
        next(iter(practice_records.prediction_drafts(user.pk, exercise_id=exercise.pk)), None),
        form,
    )


def prediction_exercise(user, exercise, *, form=None, focus="") -> dict:
    """The context of one prediction exercise's fragment."""
    return {
        "lesson": exercise.lesson,
        "exercise": exercise,
        "state": prediction_state(user, exercise, form),
        "focus": focus,
        **PREDICTION_CHOICES,
    }


# ---------------------------------------------------------------- flashcards


@dataclass
class CardView:
    """One card as a student sees it now: revealed or not, and the four ratings with their intervals.

    ``practice``: the card is not due, so a rating now is practice (logged, the schedule unchanged).
    """

    card: Flashcard
    state: CardState | None
    revealed: bool
    previews: list
    undo_log: ReviewLog | None
    practice: bool = False
    zone: object = None
    shown_ms: int = 0  # when this front was drawn (ms since the epoch): the answer time starts here

    @property
    def version(self):
        return self.state.version if self.state else 0

    @property
    def buttons(self):
        """(rating value, name, interval label) for the four rating buttons; no interval for practice."""
        if self.practice:
            return [(value, label, "") for value, label in Rating.choices]
        return [(outcome.rating, Rating(outcome.rating).label, outcome.label) for outcome in self.previews]

    @property
    def due_now(self):
        """Due without learning ahead (a Review card: from its day's rollover)."""
        return self.state is not None and self.state.due <= timezone.now()

    @property
    def next_due_label(self):
        """When the card becomes available: a learning step in minutes, a Review card from its day's rollover."""
        if self.state is None:
            return ""
        if self.state.state == CardStateKind.REVIEW:
            local = self.state.due.astimezone(self.zone)
            return f"{local:%a %-d %b}, from {local:%H:%M}"
        # whole minutes, rounded up: a card due in 59.9 s reads "1m" as its button said
        seconds = max(0, (self.state.due - timezone.now()).total_seconds())
        return "in " + scheduling.format_interval(timedelta(minutes=math.ceil(seconds / 60)))


def card_view(user, card, *, state, revealed_at, study_settings, last_log, now=None, advanced=False) -> CardView:
    """A card as shown; ``advanced``: brought forward for a date that matters, so rated as a review."""
    now = now or timezone.now()
    clock = scheduling.StudyClock.of(study_settings)
    memory = scheduling.MemoryState.of(state)
    revealed = scheduling.reveal_counts(
        revealed_at, last_review=state.last_review if state else None, now=now, clock=clock
    )
    learn_ahead = timedelta(minutes=study_settings.learn_ahead_minutes)
    practice = not advanced and not scheduling.is_due(
        memory, now=revealed_at if revealed else now, clock=clock, learn_ahead=learn_ahead
    )
    previews = []
    if revealed and not practice:
        # As of the reveal, as the rating will be computed (see lessons.scheduling): the labels stay exact.
        previews = scheduling.preview(
            user_id=user.pk,
            card_id=card.pk,
            memory=memory,
            now=revealed_at,
            desired_retention=study_settings.desired_retention,
            parameters=study_settings.fsrs_parameters,
            clock=clock,
        )
    undo_log = last_log if last_log is not None and last_log.card_id == card.pk else None
    return CardView(
        card=card,
        state=state,
        revealed=revealed,
        previews=previews,
        undo_log=undo_log,
        practice=practice,
        zone=study_settings.zone,
        shown_ms=round(now.timestamp() * 1000),
    )


def flashcard_states(user, lesson, *, records, attempts=None, ordering=None) -> dict:
    """The student's state of each of the lesson's cards, and the review notes of the questions they judged and
    the exercises they finished (``attempts``, ``ordering``: from ``selfcheck_states`` and ``ordering_states``).

    Every item's state comes from ``records`` (``student_records``); then the reveals, the settings and
    the rating to undo are read.
    """
    cards = list(lesson.flashcards.all())
    tried_questions = {pk: a.judged_at for pk, a in (attempts or {}).items() if a.verdict}
    tried_exercises = {
        pk: s["attempt"].created_at if s["solved"] else None
        for pk, s in (ordering or {}).items()
        if s["solved"] or s["revealed"]
    }
    empty = {"flashcard_views": {}, "question_notes": {}, "exercise_notes": {}}
    if not (cards or tried_questions or tried_exercises):
        return empty
    study_settings = StudentSettings.objects.for_user(user)
    clock = scheduling.StudyClock.of(study_settings)
    now = timezone.now()
    notes = {"question_notes": {}, "exercise_notes": {}}
    states = {}
    for row in records["item_states"]:
        if row.card_id is not None:
            states[row.card_id] = row
            continue
        kind, tried, off = (
            ("question", tried_questions, row.questions_off)
            if row.question_id is not None
            else ("exercise", tried_exercises, row.exercises_off)
        )
        if row.item_id in tried:
            notes[f"{kind}_notes"][row.item_id] = review_note(
                row, latest_try_at=tried[row.item_id], clock=clock, now=now, switched_off=off
            )
    if not cards:
        return {**empty, **notes}
    reveals = practice_records.card_reveals(user.pk, lesson.pk)
    last_log = practice_records.last_live_log(user.pk)
    return {
        "flashcard_views": {
            card.pk: card_view(
                user,
                card,
                state=states.get(card.pk),
                revealed_at=reveals.get(card.pk),
                study_settings=study_settings,
                last_log=last_log,
            )
            for card in cards
        },
        **notes,
    }


def flashcard(user, card) -> dict:
    """One card's fragment context, redrawn after a reveal, a rating or an undo."""
    fc = card_view(
        user,
        card,
        state=CardState.objects.filter(user=user, card=card).first(),
        revealed_at=FlashcardReveal.objects.filter(user=user, card=card).values_list("revealed_at", flat=True).first(),
        study_settings=StudentSettings.objects.for_user(user),
        last_log=practice_records.last_live_log(user.pk),
    )
    return {"lesson": card.lesson, "card": card, "fc": fc}
