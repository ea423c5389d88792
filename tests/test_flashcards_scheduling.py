"""lessons.scheduling: FSRS through our wrapper, with deterministic fuzz (pure, no database)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lessons import scheduling
from lessons.models import CardStateKind, Rating
from lessons.scheduling import MemoryState, format_interval, preview, review

NOW = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)


def rate(memory, rating, now, *, card_id=7, user_id=1, retention=0.9):
    return review(user_id=user_id, card_id=card_id, memory=memory, rating=rating, now=now, desired_retention=retention)


def test_new_card_first_ratings_follow_the_learning_steps():
    new = MemoryState()
    again, hard, good, easy = (rate(new, rating, NOW) for rating in Rating.values)
    assert again.after.state == CardStateKind.LEARNING and again.interval == timedelta(minutes=1)
    assert hard.after.state == CardStateKind.LEARNING and hard.interval == timedelta(minutes=5, seconds=30)
    assert good.after.state == CardStateKind.LEARNING and good.after.step == 1
    assert good.interval == timedelta(minutes=10)
    assert easy.after.state == CardStateKind.REVIEW and easy.after.step is None
    assert easy.interval >= timedelta(days=1)
    assert [o.label for o in (again, hard, good)] == ["1m", "6m", "10m"]
    for outcome in (again, hard, good, easy):
        assert outcome.after.reps == 1 and outcome.after.last_review == NOW
        if outcome.after.state == CardStateKind.REVIEW:  # at the rollover (4 am UTC) of the study day it falls in
            assert outcome.after.due == datetime.combine((NOW + outcome.interval).date(), time(4), tzinfo=UTC)
        else:
            assert outcome.after.due == NOW + outcome.interval
        assert outcome.retrievability_before == 0.0


def test_good_twice_graduates_to_review_in_days():
    first = rate(MemoryState(), Rating.GOOD, NOW).after
    later = NOW + timedelta(minutes=10)
    second = rate(first, Rating.GOOD, later)
    assert second.after.state == CardStateKind.REVIEW
    assert second.interval.days >= 1 and second.interval.seconds == 0
    assert second.after.reps == 2


def test_lapse_in_review_goes_to_relearning_and_counts_a_lapse():
    graduated = rate(MemoryState(), Rating.EASY, NOW).after
    due = graduated.due
    lapse = rate(graduated, Rating.AGAIN, due)
    assert lapse.after.state == CardStateKind.RELEARNING
    assert lapse.interval == timedelta(minutes=10)
    assert lapse.after.lapses == 1
    assert lapse.after.stability < graduated.stability
    relearnt = rate(lapse.after, Rating.GOOD, lapse.after.due)
    assert relearnt.after.state == CardStateKind.REVIEW and relearnt.after.lapses == 1


def test_again_in_learning_is_not_a_lapse():
    learning = rate(MemoryState(), Rating.GOOD, NOW).after
    assert rate(learning, Rating.AGAIN, NOW + timedelta(minutes=10)).after.lapses == 0


def _states_along_a_history():
    """A new card, a learning card, a young and an older review card, a relearning card."""
    states = [("new", MemoryState(), NOW)]
    learning = rate(MemoryState(), Rating.GOOD, NOW).after
    states.append(("learning", learning, learning.due))
    young = rate(learning, Rating.GOOD, learning.due).after
    states.append(("young review", young, young.due))
    older = rate(young, Rating.GOOD, young.due).after
    older = rate(older, Rating.GOOD, older.due).after
    states.append(("older review", older, older.due + timedelta(days=3)))
    relearning = rate(older, Rating.AGAIN, older.due).after
    states.append(("relearning", relearning, relearning.due))
    return states


@pytest.mark.parametrize("name,memory,now", _states_along_a_history(), ids=lambda v: v if isinstance(v, str) else "")
def test_preview_equals_the_outcome_for_every_rating(name, memory, now):
    shown = preview(user_id=3, card_id=42, memory=memory, now=now, desired_retention=0.85)
    for rating, outcome in zip(Rating.values, shown, strict=True):
        # A fresh call, as the POST makes it: same due, same interval, same label.
        done = rate(memory, rating, now, card_id=42, user_id=3, retention=0.85)
        assert done.after == outcome.after, (name, rating)
        assert done.label == outcome.label


def test_fuzz_is_deterministic_per_card_and_review_count_and_stays_in_fsrs_bounds():
    older = _states_along_a_history()[3][1]
    intervals = {rate(older, Rating.GOOD, older.due, card_id=card_id).interval.days for card_id in range(1, 60)}
    assert len(intervals) > 1, "fuzz spreads cards reviewed together"
    base = scheduling.review(
        user_id=1, card_id=1, memory=older, rating=Rating.GOOD, now=older.due, desired_retention=0.9
    ).interval.days
    low, high = scheduling._fuzz_range(base)
    assert all(abs(days - base) <= (high - low) + 1 for days in intervals)
    assert scheduling.fuzzed_days(30, seed="1:2:3") == scheduling.fuzzed_days(30, seed="1:2:3")
    assert scheduling.fuzzed_days(2, seed="x") == 2


def test_higher_desired_retention_gives_shorter_intervals():
    older = _states_along_a_history()[3][1]
    low = rate(older, Rating.GOOD, older.due, retention=0.75).interval
    high = rate(older, Rating.GOOD, older.due, retention=0.97).interval
    assert high < low


def test_datetimes_in_other_zones_are_converted_to_utc_and_naive_refused():
    paris = NOW.astimezone(ZoneInfo("Europe/Paris"))
    assert rate(MemoryState(), Rating.GOOD, paris).after.due == NOW + timedelta(minutes=10)
    with pytest.raises(ValueError):
        rate(MemoryState(), Rating.GOOD, NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "interval,label",
    [
        (timedelta(seconds=30), "<1m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=4), "4d"),
        (timedelta(days=75), "2.5mo"),
        (timedelta(days=60), "2mo"),
        (timedelta(days=500), "1.4y"),
    ],
)
def test_interval_labels(interval, label):
    assert format_interval(interval) == label


PARIS = scheduling.StudyClock(zone=ZoneInfo("Europe/Paris"), rollover_hour=4)


def test_the_same_day_loop_is_gone_a_1d_card_reviewed_after_the_rollover_grows():
    # A young Review card rated "1d" at 23:00 and reviewed at 04:05 the next morning: 5 real hours,
    # but one study day. Counted in 24-hour periods it was a same-day review (retrievability 1) and
    # Good gave "1d" again, day after day.
    paris = ZoneInfo("Europe/Paris")
    rated_at = datetime(2025, 3, 10, 23, 0, tzinfo=paris)
    memory = MemoryState(
        state=CardStateKind.REVIEW, stability=1.0, difficulty=6.0, due=rated_at, last_review=rated_at, reps=3
    )
    intervals = []
    now = datetime(2025, 3, 11, 4, 5, tzinfo=paris)
    for _ in range(4):
        outcome = review(user_id=1, card_id=7, memory=memory, rating=Rating.GOOD, now=now, clock=PARIS)
        assert outcome.retrievability_before < 0.95  # a day has passed for FSRS
        intervals.append(outcome.interval.days)
        memory = outcome.after
        due_local = memory.due.astimezone(paris)
        assert (due_local.hour, due_local.minute) == (4, 0)
        now = due_local + timedelta(minutes=5)
    assert intervals[0] >= 2 and intervals == sorted(intervals) and intervals[-1] > 2 * intervals[0]


def test_a_daylight_saving_change_keeps_study_day_intervals():
    # Paris springs forward on 30 March 2025 and falls back on 26 October 2025.
    for rated_at in (
        datetime(2025, 3, 28, 20, 0, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2025, 10, 24, 20, 0, tzinfo=ZoneInfo("Europe/Paris")),
    ):
        learning = rate(MemoryState(), Rating.GOOD, rated_at - timedelta(minutes=10)).after
        outcome = review(user_id=1, card_id=7, memory=learning, rating=Rating.EASY, now=rated_at, clock=PARIS)
        days = outcome.interval.days
        assert days >= 3  # the interval spans the change
        due_local = outcome.after.due.astimezone(ZoneInfo("Europe/Paris"))
        assert (due_local.hour, due_local.minute) == (4, 0)  # available from the rollover, whatever the offset
        assert PARIS.days_between(rated_at, outcome.after.due) == days
        # Reviewed at the same wall-clock time as the rating: FSRS sees exactly ``days`` days.
        at_same_time = rated_at + timedelta(days=days)  # wall-clock arithmetic in the zone
        assert PARIS.days_between(rated_at, at_same_time) == days
