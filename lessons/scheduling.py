"""FSRS scheduling: the only module that talks to ``fsrs``.

Everything handed to fsrs is UTC (``datetime.timezone.utc`` exactly, as fsrs
demands) and every ``fsrs.Card`` carries our own card id (fsrs otherwise sleeps
a millisecond and uses the clock).

Fuzz. fsrs spreads Review intervals of 3 days and more by a few days so cards
learnt together do not stay together, but it draws from the global random
generator: a preview computed before the click would differ from the result.
We run fsrs with fuzzing off and apply the same fuzz ranges ourselves with a
generator seeded by (student, card, review count), as Anki seeds its fuzz with
the card id and review count.

Time. FSRS counts whole days since the last review, so the same card rated a few
seconds apart can get different intervals when a day boundary falls in between.
Like Anki, which computes its answer buttons when it shows the card and applies the
chosen one, we compute a rating's outcome as of the moment the answer was shown
(``now``) and start the interval when the student answers (``answered_at``). The
interval printed on each button is therefore exactly the one the click gives,
however long the student looked at the answer.

Study days. Anki hands FSRS the elapsed time of a day-scale review in study days
(days between the student's rollovers), not in 24-hour periods: a card rated "1d"
at 23:00 and reviewed at 04:05 the next morning has had one day, not a same-day
review. We do the same for Review-state cards (``StudyClock``), and keep real
minutes for the learning and relearning steps. A Review interval of N days is
due at the rollover starting the study day N days after the rating's, in the
student's zone, so a daylight-saving change never moves it.
"""

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import fsrs_rs_python as fsrs_rs
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES

from lessons.models import CardStateKind
from lessons.models import Rating as OurRating

DEFAULT_RETENTION = 0.9
MAXIMUM_INTERVAL_DAYS = 36500
DEFAULT_PARAMETERS = tuple(Scheduler().parameters)


@dataclass(frozen=True)
class StudyClock:
    """A student's study days: each starts at ``rollover_hour`` in ``zone`` (Anki's default: 4 am)."""

    zone: tzinfo = UTC
    rollover_hour: int = 4

    def date_of(self, moment: datetime) -> date:
        """The study day a moment belongs to (named by the calendar date it starts on)."""
        return (moment.astimezone(self.zone) - timedelta(hours=self.rollover_hour)).date()

    def start_of(self, day: date) -> datetime:
        """When study day ``day`` starts (its rollover), aware in the student's zone."""
        return datetime.combine(day, time(self.rollover_hour), tzinfo=self.zone)

    def days_between(self, earlier: datetime, later: datetime) -> int:
        """Whole study days from ``earlier`` to ``later`` (0 within one study day)."""
        return (self.date_of(later) - self.date_of(earlier)).days

    @classmethod
    def of(cls, study_settings):
        """The clock of a ``StudentSettings`` (saved or the unsaved defaults)."""
        return cls(zone=study_settings.zone, rollover_hour=study_settings.rollover_hour)


def is_due(memory, *, now, clock, learn_ahead=timedelta(0)) -> bool:
    """Whether a rating at ``now`` is a review: a new card, a Review card due by the end of this study day,
    a (re)learning card due within ``learn_ahead``. Any other rating is practice."""
    if memory.is_new:
        return True
    if memory.state == CardStateKind.REVIEW:
        return clock.date_of(memory.due) <= clock.date_of(now)
    return memory.due <= now + learn_ahead


# A reveal counts only for the rating that follows it in the same sitting: one older than this, or
# from an earlier study day, has expired and the card starts front first again (no accidental peeks).
REVEAL_EXPIRES_AFTER = timedelta(minutes=10)


def reveal_counts(revealed_at, *, last_review, now, clock) -> bool:
    """Whether a reveal at ``revealed_at`` still stands at ``now`` for a card last rated at ``last_review``."""
    if revealed_at is None or (last_review is not None and revealed_at <= last_review):
        return False
    return now - revealed_at <= REVEAL_EXPIRES_AFTER and clock.date_of(revealed_at) == clock.date_of(now)


@dataclass(frozen=True)
class MemoryState:
    """A card's FSRS state as we store it; ``None`` everywhere (and reps 0) for a new card."""

    state: int | None = None
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0

    @classmethod
    def of(cls, card_state):
        """The memory state of a CardState row (or of a new card when ``card_state`` is None)."""
        if card_state is None:
            return cls()
        return cls(
            state=card_state.state,
            step=card_state.step,
            stability=card_state.stability,
            difficulty=card_state.difficulty,
            due=card_state.due,
            last_review=card_state.last_review,
            reps=card_state.reps,
            lapses=card_state.lapses,
        )

    @property
    def is_new(self):
        # No rating writes a state without a stability, and the database refuses one (the constraint
        # cardstate_scheduled_has_memory); one made otherwise is scheduled as a new card rather than
        # handed to fsrs, which asserts on it.
        return self.state is None or self.stability is None or self.difficulty is None


@dataclass(frozen=True)
class Outcome:
    """What one rating does to a card: its state after, and what the log needs."""

    rating: int
    after: MemoryState
    interval: timedelta
    retrievability_before: float

    @property
    def label(self):
        return format_interval(self.interval)


def _utc(moment):
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime handed to the scheduler")
    return moment.astimezone(UTC)


def _scheduler(desired_retention, parameters=None):
    return Scheduler(
        parameters=tuple(parameters or DEFAULT_PARAMETERS),
        desired_retention=desired_retention,
        maximum_interval=MAXIMUM_INTERVAL_DAYS,
        enable_fuzzing=False,
    )


def _fsrs_card(card_id, memory, now, clock):
    if memory.is_new:
        return Card(card_id=card_id, due=now)
    last_review = _utc(memory.last_review)
    if memory.state == CardStateKind.REVIEW and last_review is not None:
        # fsrs counts whole 24-hour periods since the last review; hand it the study days instead.
        last_review = now - timedelta(days=max(0, clock.days_between(last_review, now)))
    return Card(
        card_id=card_id,
        state=State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=_utc(memory.due),
        last_review=last_review,
    )


def _fuzz_range(interval_days):
    """The same bounds fsrs uses for its fuzz (``Scheduler._get_fuzzed_interval``)."""
    delta = 1.0
    for fuzz_range in FUZZ_RANGES:
        delta += fuzz_range["factor"] * max(min(float(interval_days), fuzz_range["end"]) - fuzz_range["start"], 0.0)
    min_ivl = max(2, round(interval_days - delta))
    max_ivl = min(round(interval_days + delta), MAXIMUM_INTERVAL_DAYS)
    return min(min_ivl, max_ivl), max_ivl


def fuzzed_days(interval_days, *, seed):
    """A Review interval spread the way fsrs spreads it, but deterministic for a given seed."""
    if interval_days < 2.5:
        return interval_days
    min_ivl, max_ivl = _fuzz_range(interval_days)
    rng = random.Random(seed)
    return min(round(rng.random() * (max_ivl - min_ivl + 1) + min_ivl), MAXIMUM_INTERVAL_DAYS)


def review(
    *,
    user_id,
    card_id,
    memory,
    rating,
    now,
    answered_at=None,
    desired_retention=DEFAULT_RETENTION,
    parameters=None,
    clock=None,
):
    """The outcome of a rating given to a card shown at ``now`` and answered at ``answered_at`` (default ``now``).

    Pure, so preview and record agree exactly: the state and the interval depend on ``now`` only; a
    learning step runs from ``answered_at``, a Review interval of N days ends at the rollover N study
    days after ``answered_at``'s. ``parameters``: the student's fitted FSRS weights (None: defaults).
    """
    clock = clock or StudyClock()
    now = _utc(now)
    answered_at = now if answered_at is None else _utc(answered_at)
    scheduler = _scheduler(desired_retention, parameters)
    before = _fsrs_card(card_id, memory, now, clock)
    retrievability = 0.0 if memory.is_new else scheduler.get_card_retrievability(before, now)
    after, _log = scheduler.review_card(before, Rating(int(rating)), review_datetime=now)
    interval = after.due - now
    due = answered_at + interval
    if after.state == State.Review:
        days = fuzzed_days(interval.days, seed=f"{user_id}:{card_id}:{memory.reps}")
        interval = timedelta(days=days)
        due = clock.start_of(clock.date_of(answered_at) + timedelta(days=days)).astimezone(UTC)
    lapsed = memory.state == CardStateKind.REVIEW and int(rating) == OurRating.AGAIN
    return Outcome(
        rating=int(rating),
        after=MemoryState(
            state=int(after.state),
            step=after.step,
            stability=after.stability,
            difficulty=after.difficulty,
            due=due,
            last_review=answered_at,
            reps=memory.reps + 1,
            lapses=memory.lapses + (1 if lapsed else 0),
        ),
        interval=interval,
        retrievability_before=retrievability,
    )


def preview(*, user_id, card_id, memory, now, desired_retention=DEFAULT_RETENTION, parameters=None, clock=None):
    """The outcome of each of the four ratings of a card shown at ``now``, in rating order."""
    return [
        review(
            user_id=user_id,
            card_id=card_id,
            memory=memory,
            rating=rating,
            now=now,
            desired_retention=desired_retention,
            parameters=parameters,
            clock=clock,
        )
        for rating in OurRating.values
    ]


def format_interval(interval):
    """A short label as Anki prints it on its buttons: 1m, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = interval.total_seconds()
    if seconds < 60:
        return "<1m"
    minutes = seconds / 60
    if minutes < 60:
        return f"{round(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return _one_decimal(days / 30, "mo")
    return _one_decimal(days / 365, "y")


def _one_decimal(value, unit):
    rounded = math.floor(value * 10 + 0.5) / 10
    text = f"{rounded:.1f}".removesuffix(".0")
    return f"{text}{unit}"


# ---------------------------------------------------------------- fitting parameters (the optimizer)
#
# The optimizer is fsrs-rs, the Rust FSRS that Anki itself runs, through its Python binding
# ``fsrs-rs-python`` (a 0.6 MB wheel, no torch); see docs/performance.md for the measured choice.
# Anki builds its training items the same way (``rslib/src/scheduler/fsrs/params.rs``,
# ``reviews_for_fsrs``): per card, every review after the first is an item holding the card's
# history up to it, with the elapsed time in study days; items whose last review came on the same
# study day as the one before are left out of training.

# Anki optimizes once a preset has 400 training items (the comment on ``compute_params`` in
# rslib/src/scheduler/fsrs/params.rs, and its deck options screen refuses below it); we use the same
# bar for a student's own history and for a class's pooled one.
MIN_TRAINING_ITEMS = 400


@dataclass(frozen=True)
class Evaluation:
    """How well parameters predict a review history, as Anki's "Evaluate" reports it (smaller is better)."""

    log_loss: float
    rmse: float


def training_items(histories, clock):
    """FSRS items from ``histories``: for each card, its ratings ``[(reviewed_at, rating), ...]`` oldest first,
    starting with its first rating as a new card."""
    items = []
    for ratings in histories:
        reviews = []
        previous = None
        for reviewed_at, rating in ratings:
            delta = 0 if previous is None else clock.days_between(previous, reviewed_at)
            reviews.append(fsrs_rs.FSRSReview(int(rating), int(delta)))
            previous = reviewed_at
            if len(reviews) > 1 and delta > 0:
                items.append(fsrs_rs.FSRSItem(list(reviews)))
    return items


def two_folds(histories):
    """``histories`` split in two halves of cards (even and odd positions), so a fit can be judged on cards it
    did not see: scored on the reviews it was fitted to, a fit flatters itself."""
    return histories[0::2], histories[1::2]


def fit_parameters(items) -> list[float]:
    """FSRS-6 parameters fitted to ``items`` by fsrs-rs (Anki's optimizer), starting from the defaults."""
    return [float(w) for w in fsrs_rs.FSRS(fsrs_rs.DEFAULT_PARAMETERS).compute_parameters(items)]


def evaluate(parameters, items) -> Evaluation:
    """Log loss and RMSE (bins) of ``parameters`` on ``items``."""
    result = fsrs_rs.FSRS(list(parameters or DEFAULT_PARAMETERS)).evaluate(items)
    return Evaluation(log_loss=float(result.log_loss), rmse=float(result.rmse_bins))


def estimated_workload(parameters, *, desired_retention, new_cards_per_day, days=365, deck_size=None, seed=1):
    """Reviews a day FSRS's own simulator expects, on average over ``days``, at this retention."""
    config = fsrs_rs.default_simulator_config()
    config.learn_span = days
    config.learn_limit = new_cards_per_day
    config.deck_size = deck_size or new_cards_per_day * days
    config.review_limit = 9999
    result = fsrs_rs.simulate(list(parameters or DEFAULT_PARAMETERS), desired_retention, config, seed)
    reviews = result.review_cnt_per_day
    return sum(reviews) / len(reviews)


# ---------------------------------------------------------------- a date that matters (exam planning)
#
# FSRS predicts the probability of recall after t days at stability S as R(t) = (1 + F * t / S) ** D, with
# D = -w20 and F = 0.9 ** (1 / D) - 1 (so R(S) = 0.9). On a day that matters, a Review card has had as many
# days as study days have passed since its last review (the same count a review would use).


def retrievability_at(memory, moment, *, parameters=None, clock=None) -> float | None:
    """FSRS's predicted recall of a card at ``moment`` (None for a card never rated): fsrs's own formula,
    with the student's fitted ``parameters`` when they have them, elapsed days counted in study days."""
    if memory.is_new or memory.stability is None or memory.last_review is None:
        return None
    clock = clock or StudyClock()
    moment = _utc(moment)
    card = _fsrs_card(0, memory, moment, clock)
    return float(_scheduler(DEFAULT_RETENTION, parameters).get_card_retrievability(card, moment))


def retrievability_on(memory, day: date, *, parameters=None, clock=None) -> float | None:
    """Predicted recall on study day ``day`` (as of the rollover that starts it)."""
    clock = clock or StudyClock()
    return retrievability_at(memory, clock.start_of(day), parameters=parameters, clock=clock)


def days_kept(stability: float, *, desired_retention: float, parameters=None) -> float:
    """Days after a review until predicted recall falls to ``desired_retention`` (the t with R(t) = r)."""
    decay = -float((parameters or DEFAULT_PARAMETERS)[20])
    factor = 0.9 ** (1 / decay) - 1
    return stability / factor * (desired_retention ** (1 / decay) - 1)


@dataclass(frozen=True)
class Projection:
    """One card until a day that matters, if every review it gets is rated Good."""

    reviews: int  # ratings needed before the day (on schedule, plus the one brought forward if any)
    advanced: bool  # whether one review must come before the card's due date
    retrievability: float  # predicted recall on the day after those reviews


def advance_from(memory, day: date, *, desired_retention, parameters=None) -> date:
    """The first study day from which one Good review keeps the card above ``desired_retention`` on ``day``.

    A Good review never lowers stability, so a review on any day d with ``day - d <= days_kept(S)`` is enough;
    a card kept less than a day is brought forward to the day before."""
    kept = days_kept(memory.stability, desired_retention=desired_retention, parameters=parameters)
    return day - timedelta(days=max(1, math.floor(kept)))


def project(
    *, memory, today: date, day: date, desired_retention=DEFAULT_RETENTION, parameters=None, clock=None
) -> Projection:
    """How many Good reviews a card needs from ``today`` until (not on) ``day`` so its predicted recall on
    ``day`` is at least ``desired_retention``: the reviews its schedule asks for before the day (a new card:
    its first rating and learning steps), each projected as Good, then one more brought forward when the
    recall on the day would still fall short."""
    clock = clock or StudyClock()
    reviews = 0
    # An overdue card is reviewed today; a card due later on its due study day; learning steps the same day.
    while reviews < 64:
        if memory.is_new:
            at = clock.start_of(today) + timedelta(hours=12)
        else:
            due_day = clock.date_of(memory.due)
            if due_day >= day:
                break
            at = max(clock.start_of(max(today, due_day)) + timedelta(hours=12), _utc(memory.due))
            if clock.date_of(at) >= day:
                break
        memory = review(
            user_id=0,
            card_id=0,
            memory=memory,
            rating=OurRating.GOOD,
            now=at,
            desired_retention=desired_retention,
            parameters=parameters,
            clock=clock,
        ).after
        reviews += 1
    recall = retrievability_on(memory, day, parameters=parameters, clock=clock) or 0.0
    if recall >= desired_retention:
        return Projection(reviews=reviews, advanced=False, retrievability=recall)
    start = advance_from(memory, day, desired_retention=desired_retention, parameters=parameters)
    when = max(start, today, clock.date_of(memory.last_review) + timedelta(days=1))
    memory = review(
        user_id=0,
        card_id=0,
        memory=memory,
        rating=OurRating.GOOD,
        now=clock.start_of(when) + timedelta(hours=12),
        desired_retention=desired_retention,
        parameters=parameters,
        clock=clock,
    ).after
    recall = retrievability_on(memory, day, parameters=parameters, clock=clock) or 0.0
    return Projection(reviews=reviews + 1, advanced=True, retrievability=recall)
