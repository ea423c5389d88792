"""Anki's queue rules in /review/: intraday (re)learning first, reviews by day with a seeded shuffle, both caps,
learn-ahead."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from lessons.models import CardState, CardStateKind, Rating, ReviewLog, StudentSettings
from lessons.selectors import review_queue as queue
from tests.factory import synced

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 5, 6, 15, 0, tzinfo=UTC)  # study day of 6 May (UTC, rollover 04:00)


def put(user, card, state, due):
    """A card state, with the student's kept progress row rewritten as every writer of records does."""
    state = CardState.objects.create(
        user=user,
        card=card,
        state=state,
        due=due,
        stability=3.0,
        difficulty=5.0,
        last_review=due - timedelta(days=3),
        reps=2,
        version=1,
    )
    return synced(state, user, card.lesson)


def log(user, card, *, state_before, at, practice=False):
    return ReviewLog.objects.create(
        user=user,
        card=card,
        rating=Rating.GOOD,
        reviewed_at=at,
        state_before=state_before,
        state_after=CardStateKind.REVIEW,
        due_after=at + timedelta(days=3),
        practice=practice,
    )


def order(user, study_settings, now=NOW, limit=20):
    """The cards /review/ shows one after the other (each moved out of the way once shown)."""
    shown = []
    for _ in range(limit):
        q = queue.queue_for(user, now=now, study_settings=study_settings)
        if q.head_card is None:
            break
        shown.append(q.head_card.pk)
        if q.head_state is None:
            put(user, q.head_card, CardStateKind.REVIEW, now + timedelta(days=30))
        else:
            CardState.objects.filter(pk=q.head_state.pk).update(
                due=now + timedelta(days=30), state=CardStateKind.REVIEW
            )
    return shown


def test_learning_first_then_reviews_by_day_then_new_then_learn_ahead(student, make_lesson):
    cards = list(make_lesson("q", size=9).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", learn_ahead_minutes=20)
    put(student, cards[0], CardStateKind.REVIEW, datetime(2025, 5, 4, 4, tzinfo=UTC))  # two days overdue
    put(student, cards[1], CardStateKind.REVIEW, datetime(2025, 5, 6, 4, tzinfo=UTC))  # due today
    put(student, cards[2], CardStateKind.REVIEW, datetime(2025, 5, 6, 4, tzinfo=UTC))  # due today
    put(student, cards[3], CardStateKind.LEARNING, NOW - timedelta(minutes=1))  # intraday learning, due
    put(student, cards[4], CardStateKind.RELEARNING, NOW - timedelta(minutes=3))  # relearning, due earlier
    put(student, cards[5], CardStateKind.LEARNING, NOW + timedelta(minutes=15))  # within learn-ahead
    put(student, cards[6], CardStateKind.LEARNING, NOW + timedelta(minutes=40))  # beyond learn-ahead
    put(student, cards[7], CardStateKind.REVIEW, datetime(2025, 5, 7, 4, tzinfo=UTC))  # due tomorrow
    q = queue.queue_for(student, now=NOW, study_settings=settings_)
    assert (q.learning_count, q.review_count, q.new_count, q.learn_ahead_count) == (2, 3, 1, 0)
    shown = order(student, settings_)
    assert shown[:3] == [cards[4].pk, cards[3].pk, cards[0].pk]  # (re)learning by due time, then oldest day
    assert set(shown[3:5]) == {cards[1].pk, cards[2].pk}
    assert shown[5:] == [cards[8].pk, cards[5].pk]  # the new card, then learning ahead (nothing else left)


def test_reviews_due_on_one_day_are_shuffled_with_a_seed_of_student_and_day(student, other_student, make_lesson):
    cards = list(make_lesson("s", size=12).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC")
    due = datetime(2025, 5, 6, 4, tzinfo=UTC)

    def day_order(user, now):
        CardState.objects.filter(user=user).delete()
        for card in cards:
            put(user, card, CardStateKind.REVIEW, due)
        return order(user, StudentSettings.objects.for_user(user), now=now)

    today = day_order(student, NOW)
    assert sorted(today) == sorted(c.pk for c in cards)
    assert day_order(student, NOW + timedelta(hours=2)) == today  # the same all day: reloads do not reshuffle
    assert day_order(student, NOW + timedelta(days=1)) != today  # another day, another order
    assert today != sorted(today)  # not by id
    assert settings_ is not None


def test_the_daily_review_cap_counts_reviews_done_today_but_not_practice(student_client, student, make_lesson):
    cards = list(make_lesson("c", size=6).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", reviews_per_day=3, new_cards_per_day=0)
    for card in cards[:5]:
        put(student, card, CardStateKind.REVIEW, datetime(2025, 5, 5, 4, tzinfo=UTC))
    assert queue.queue_for(student, now=NOW, study_settings=settings_).review_count == 3
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(hours=1))
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(hours=1), practice=True)
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(days=1))  # yesterday
    assert queue.queue_for(student, now=NOW, study_settings=settings_).review_count == 2
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(minutes=5))
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(minutes=4))
    q = queue.queue_for(student, now=NOW, study_settings=settings_)
    assert q.review_count == 0 and q.head_card is None and q.review_limit == 0


def test_the_review_page_says_when_the_review_cap_is_met(student_client, student, make_lesson):
    cards = list(make_lesson("p", size=2).flashcards.all())
    StudentSettings.objects.create(user=student, reviews_per_day=0, new_cards_per_day=0)
    put(student, cards[0], CardStateKind.REVIEW, datetime(2025, 5, 5, 4, tzinfo=UTC))
    html = student_client.get(reverse("review")).content.decode()
    assert "Nothing due." in html and "today's limit of reviews" in html


def test_learn_ahead_shows_a_learning_card_due_within_the_limit_instead_of_nothing_due(student, make_lesson):
    cards = list(make_lesson("a", size=1).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", learn_ahead_minutes=20)
    put(student, cards[0], CardStateKind.LEARNING, NOW + timedelta(minutes=4))
    q = queue.queue_for(student, now=NOW, study_settings=settings_)
    assert q.head_card == cards[0] and q.learn_ahead_count == 1
    settings_.learn_ahead_minutes = 0
    assert queue.queue_for(student, now=NOW, study_settings=settings_).head_card is None
    settings_.learn_ahead_minutes = 3
    assert queue.queue_for(student, now=NOW, study_settings=settings_).head_card is None
