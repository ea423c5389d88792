"""Flashcards on the practice page, the review queue, undo, settings, stats, export, print."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from lessons import scheduling
from lessons.errors import ApplicationError
from lessons.forms.review import StudySettingsForm
from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Classroom,
    Enrollment,
    FlashcardReveal,
    Rating,
    ReviewLog,
    StudentSettings,
)
from lessons.selectors import review_queue as queue
from lessons.selectors.exports import REVIEW_HISTORY_HEADER
from lessons.services import review as services

pytestmark = pytest.mark.django_db


def reveal(client, card, *, next_page="lesson", **headers):
    return client.post(reverse("flashcard_reveal", args=[card.pk]), {"next": next_page}, **headers)


def rate(client, card, rating, *, version=0, next_page="lesson", **headers):
    data = {"rating": rating, "version": version, "next": next_page}
    return client.post(reverse("flashcard_rate", args=[card.pk]), data, **headers)


def intervals_on_buttons(html):
    """{rating name: interval label} as printed on the four rating buttons."""
    found = re.findall(
        r'class="rating-name">(\w+)</span>\s*'
        r'<span class="rating-interval"><span class="fc-sr-only">[^<]*</span>([^<]+)<',
        html,
    )
    return dict(found)


def label_days(label):
    """Days in an interval label like "4d", "2.9mo" or "1.2y"."""
    number, unit = re.fullmatch(r"([\d.]+)(d|mo|y)", label).groups()
    return float(number) * {"d": 1, "mo": 30, "y": 365}[unit]


def rate_directly(user, card, rating, at, *, version=None):
    """Reveal then rate through the service at a given time (for building histories)."""
    revealed_at = at - timedelta(seconds=5)
    clock = scheduling.StudyClock.of(StudentSettings.objects.for_user(user))
    if clock.date_of(revealed_at) != clock.date_of(at):  # a reveal before the rollover would have expired
        revealed_at = at
    services.review_reveal(user=user, card=card, revealed_at=revealed_at)
    if version is None:
        state = CardState.objects.filter(user=user, card=card).first()
        version = state.version if state else 0
    return services.review_record(user=user, card=card, rating=rating, version=version, reviewed_at=at)


# ---------------------------------------------------------------- practice page


def test_practice_page_shows_fronts_as_buttons_and_the_print_link(student_client, diffusion):
    response = student_client.get(diffusion.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="card-front"') == 10
    assert "What happens in the forward direction of diffusion?" in html
    assert "A real image has noise added" not in html  # backs stay hidden until revealed
    assert reverse("flashcards_print", args=["diffusion"]) in html
    assert "Print flashcards" in html


def test_reveal_with_htmx_records_it_and_returns_the_back_with_four_intervals(
    student_client, student, diffusion, htmx_headers
):
    card = diffusion.flashcards.all()[0]
    response = reveal(student_client, card, headers=htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert "A real image has noise added step by step" in html
    shown = intervals_on_buttons(html)
    assert list(shown) == ["Again", "Hard", "Good", "Easy"]
    assert (shown["Again"], shown["Hard"], shown["Good"]) == ("1m", "6m", "10m")
    assert re.fullmatch(r"\d+d", shown["Easy"])
    assert "Hard, Good and Easy all count as remembered" in html
    assert FlashcardReveal.objects.filter(user=student, card=card).count() == 1
    assert "<html" not in html  # a fragment, not the page


def test_reveal_without_javascript_redirects_and_the_page_shows_the_back(student_client, diffusion):
    card = diffusion.flashcards.all()[0]
    response = reveal(student_client, card)
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/diffusion/#card-{card.pk}"
    page = student_client.get(response["Location"]).content.decode()
    assert "A real image has noise added step by step" in page
    assert page.count('class="card-front"') == 9


@pytest.mark.parametrize("rating", Rating.values)
def test_the_interval_on_each_button_is_the_interval_the_rating_gives(student_client, student, diffusion, rating):
    card = diffusion.flashcards.all()[1]
    html = reveal(student_client, card, headers={"HX-Request": "true"}).content.decode()
    label = intervals_on_buttons(html)[Rating(rating).label]
    before = timezone.now()
    response = rate(student_client, card, rating, headers={"HX-Request": "true"})
    assert response.status_code == 200
    state = CardState.objects.get(user=student, card=card)
    log = ReviewLog.objects.get(user=student, card=card)
    assert log.reviewed_at >= before and log.rating == rating and log.state_before is None
    if state.state == CardStateKind.REVIEW:  # N study days: available from the rollover N days on
        clock = scheduling.StudyClock.of(StudentSettings.objects.for_user(student))
        assert f"{clock.days_between(log.reviewed_at, state.due)}d" == label
        assert f"Next review {state.due:%a %-d %b}, from 04:00" in response.content.decode()
    else:
        assert scheduling.format_interval(state.due - log.reviewed_at) == label
        assert f"Next review in {label}" in response.content.decode()


def test_rating_a_reviewed_card_keeps_the_preview_exact_in_review_state(student, diffusion):
    card = diffusion.flashcards.all()[2]
    t0 = datetime(2025, 1, 6, 10, tzinfo=UTC)
    state, _ = rate_directly(student, card, Rating.EASY, t0)
    later = state.due + timedelta(days=2, hours=1)
    shown_at = later - timedelta(seconds=3)  # the buttons are computed when the answer is shown
    shown = scheduling.preview(
        user_id=student.pk,
        card_id=card.pk,
        memory=scheduling.MemoryState.of(state),
        now=shown_at,
        desired_retention=0.9,
    )
    for outcome in shown:
        services.review_reveal(user=student, card=card, revealed_at=shown_at)
        state, log = services.review_record(
            user=student, card=card, rating=outcome.rating, version=state.version, reviewed_at=later
        )
        expected_due = outcome.after.due if outcome.after.state == CardStateKind.REVIEW else later + outcome.interval
        assert state.due == expected_due and state.stability == outcome.after.stability
        assert log.retrievability_before is not None and 0 < log.retrievability_before < 1
        assert log.duration_ms == 3000
        services.review_undo(user=student, log_id=log.pk)
        state.refresh_from_db()


def _due_review_card(student, card):
    state, _ = rate_directly(student, card, Rating.EASY, timezone.now() - timedelta(days=20))
    state, _ = rate_directly(student, card, Rating.GOOD, state.due + timedelta(hours=1), version=state.version)
    CardState.objects.filter(pk=state.pk).update(due=timezone.now() - timedelta(days=1))
    state.refresh_from_db()
    return state


@pytest.mark.parametrize("age", [timedelta(minutes=11), timedelta(days=1)])
def test_an_expired_reveal_is_refused_and_the_card_starts_front_first(
    student_client, student, diffusion, htmx_headers, age
):
    """A reveal counts only for the rating that follows it in the same sitting: no accidental peeks."""
    card = diffusion.flashcards.all()[3]
    state = _due_review_card(student, card)
    reveal(student_client, card, headers=htmx_headers)
    FlashcardReveal.objects.filter(user=student, card=card).update(revealed_at=F("revealed_at") - age)
    # The review page and the practice page both show its front, not the answer.
    review_page = student_client.get(reverse("review")).content.decode()
    assert "Show answer" in review_page and "How well did you remember it?" not in review_page
    lesson_page = student_client.get(diffusion.get_absolute_url()).content.decode()
    assert lesson_page.count("How well did you remember it?") == 0
    response = rate(student_client, card, Rating.GOOD, version=state.version)
    assert response.status_code == 409
    assert "shown too long ago" in response.content.decode()
    assert ReviewLog.objects.filter(user=student, card=card).count() == 2
    # Shown again, the rating counts, as of the new reveal.
    reveal(student_client, card)
    assert rate(student_client, card, Rating.GOOD, version=state.version).status_code == 302
    assert ReviewLog.objects.filter(user=student, card=card, practice=False).count() == 3


def test_the_duration_runs_from_the_front_shown_and_the_reveal_time_is_kept(student, diffusion):
    card = diffusion.flashcards.all()[3]
    state = _due_review_card(student, card)
    now = timezone.now()
    services.review_reveal(
        user=student, card=card, shown_at=now - timedelta(seconds=9), revealed_at=now - timedelta(seconds=4)
    )
    _, log = services.review_record(user=student, card=card, rating=Rating.GOOD, version=state.version, reviewed_at=now)
    assert log.duration_ms == 9000 and log.revealed_at == now - timedelta(seconds=4)
    # A forged "shown" long before the reveal is not trusted: the duration starts at the reveal.
    services.review_undo(user=student, log_id=log.pk)
    services.review_reveal(
        user=student, card=card, shown_at=now - timedelta(days=3), revealed_at=now - timedelta(seconds=4)
    )
    _, log = services.review_record(
        user=student, card=card, rating=Rating.GOOD, version=state.version + 2, reviewed_at=now
    )
    assert log.duration_ms == 4000


def test_practice_ratings_of_a_card_not_due_change_no_schedule(student_client, student, diffusion, htmx_headers):
    card = diffusion.flashcards.all()[3]
    state, _ = rate_directly(student, card, Rating.EASY, timezone.now() - timedelta(minutes=1))
    snapshot = CardState.objects.filter(pk=state.pk).values().get()
    page = student_client.get(diffusion.get_absolute_url()).content.decode()
    assert "Practise again" in page
    html = reveal(student_client, card, headers=htmx_headers).content.decode()
    assert "logged as practice and does not change its schedule" in html
    assert intervals_on_buttons(html) == {}  # no interval: the rating moves nothing
    for rating in (Rating.AGAIN, Rating.EASY):
        reveal(student_client, card, headers=htmx_headers)
        response = rate(student_client, card, rating, version=state.version, headers=htmx_headers)
        assert response.status_code == 200
        assert "Practise again" in response.content.decode()
    assert CardState.objects.filter(pk=state.pk).values().get() == snapshot
    practice = ReviewLog.objects.filter(user=student, card=card, practice=True).order_by("reviewed_at")
    assert [log.rating for log in practice] == [Rating.AGAIN, Rating.EASY]
    assert all(log.due_after == state.due and log.state_after == state.state for log in practice)
    # A second click of the same practice rating is refused (the reveal was used up), as for reviews.
    assert rate(student_client, card, Rating.GOOD, version=state.version).status_code == 409
    # Services of other modes (shuffle, missed only) force practice even on a due card.
    due = _due_review_card(student, diffusion.flashcards.all()[4])
    services.review_reveal(user=student, card=due.card)
    _, log = services.review_record(
        user=student, card=due.card, rating=Rating.AGAIN, version=due.version, practice=True
    )
    assert log.practice and CardState.objects.get(pk=due.pk).due == due.due
    # Undoing a practice rating marks it undone and leaves the schedule alone.
    services.review_undo(user=student, log_id=log.pk)
    assert CardState.objects.get(pk=due.pk).version == due.version


def test_rating_is_stored_as_columns_and_an_append_only_log(student_client, student, diffusion):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    rate(student_client, card, Rating.GOOD)
    state = CardState.objects.get(user=student, card=card)
    assert (state.state, state.step, state.reps, state.lapses, state.version) == (CardStateKind.LEARNING, 1, 1, 0, 1)
    log = ReviewLog.objects.get()
    assert log.state_after == CardStateKind.LEARNING and log.due_after == state.due
    assert log.stability_after == state.stability and log.difficulty_after == state.difficulty
    assert log.duration_ms is not None and log.duration_ms < 60_000


def test_plain_rating_redirects_back_to_the_card(student_client, diffusion):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    response = rate(student_client, card, Rating.AGAIN)
    assert response.status_code == 302 and response["Location"].endswith(f"#card-{card.pk}")
    page = student_client.get(response["Location"]).content.decode()
    assert "Next review in 1m" in page
    assert "Undo rating (Again)" in page


# ---------------------------------------------------------------- bad input


def test_a_stale_version_is_refused_and_changes_nothing(student_client, student, diffusion):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    assert rate(student_client, card, Rating.GOOD, version=0).status_code == 302
    reveal(student_client, card)
    response = rate(student_client, card, Rating.EASY, version=0)  # the same form sent again
    assert response.status_code == 409
    assert "already rated" in response.content.decode()
    assert ReviewLog.objects.count() == 1
    assert CardState.objects.get().version == 1


@pytest.mark.parametrize("next_page", ["lesson", "review"])
def test_a_stale_rating_from_htmx_redraws_the_card_as_it_now_is(
    student_client, student, diffusion, htmx_headers, next_page
):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card, next_page=next_page, headers=htmx_headers)
    assert rate(student_client, card, Rating.GOOD, next_page=next_page, headers=htmx_headers).status_code == 200
    response = rate(student_client, card, Rating.EASY, next_page=next_page, headers=htmx_headers)  # another tab
    html = response.content.decode()
    assert response.status_code == 409
    target = f"#card-{card.pk}" if next_page == "lesson" else "#review-session"
    assert response["HX-Retarget"] == target and response["HX-Reselect"] == target
    assert response["HX-Reswap"] == "outerHTML"
    assert f'id="{target[1:]}"' in html and "<html" not in html
    assert "already rated" in html and 'id="alerts" hx-swap-oob="innerHTML"' in html
    if next_page == "lesson":
        assert "Next review in 10m" in html and "Undo rating (Good)" in html
    else:
        assert diffusion.flashcards.all()[1].front in html and "9 left" in html
    assert [log.rating for log in ReviewLog.objects.all()] == [Rating.GOOD]
    assert CardState.objects.get().version == 1


def test_a_double_submit_of_the_first_rating_counts_once(student_client, diffusion):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    assert rate(student_client, card, Rating.GOOD).status_code == 302
    assert rate(student_client, card, Rating.GOOD).status_code == 409
    assert ReviewLog.objects.count() == 1


def test_rating_without_revealing_is_refused(student_client, diffusion):
    card = diffusion.flashcards.all()[0]
    response = rate(student_client, card, Rating.GOOD)
    assert response.status_code == 409
    assert "Show the answer" in response.content.decode()
    assert not CardState.objects.exists()


@pytest.mark.parametrize("data", [{"rating": 0}, {"rating": 5}, {"rating": "good"}, {"version": ""}, {"version": -1}])
def test_bad_ratings_get_a_clear_400(student_client, diffusion, data):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    response = student_client.post(reverse("flashcard_rate", args=[card.pk]), {"rating": 3, "version": 0} | data)
    assert response.status_code == 400
    assert "Again, Hard, Good or Easy" in response.content.decode()
    assert not CardState.objects.exists() and not ReviewLog.objects.exists()


def test_forged_and_unpublished_cards_are_404(student_client, diffusion, make_lesson):
    hidden = make_lesson("hidden", published=False).flashcards.first()
    for card_id in (hidden.pk, 999_999):
        assert student_client.post(reverse("flashcard_reveal", args=[card_id])).status_code == 404
        response = student_client.post(reverse("flashcard_rate", args=[card_id]), {"rating": 3, "version": 0})
        assert response.status_code == 404
    assert student_client.get(reverse("flashcards_print", args=["hidden"])).status_code == 404
    assert not FlashcardReveal.objects.exists()


def test_get_on_post_urls_is_405(student_client, diffusion):
    card = diffusion.flashcards.first()
    assert student_client.get(reverse("flashcard_reveal", args=[card.pk])).status_code == 405
    assert student_client.get(reverse("flashcard_rate", args=[card.pk])).status_code == 405
    assert student_client.get(reverse("review_undo", args=[1])).status_code == 405


def test_anonymous_users_are_sent_to_log_in(client, diffusion):
    for url in (reverse("review"), reverse("progress"), reverse("study_settings"), reverse("reviews_csv")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    card = diffusion.flashcards.first()
    assert client.post(reverse("flashcard_reveal", args=[card.pk])).status_code == 302
    assert not FlashcardReveal.objects.exists()


# ---------------------------------------------------------------- undo


def test_undo_restores_the_state_exactly(student_client, student, diffusion):
    card = diffusion.flashcards.all()[0]
    t0 = timezone.now() - timedelta(days=30)
    state, _ = rate_directly(student, card, Rating.EASY, t0)
    state, _ = rate_directly(student, card, Rating.GOOD, state.due)
    CardState.objects.filter(pk=state.pk).update(due=timezone.now() - timedelta(hours=1))  # due now
    snapshot = CardState.objects.filter(pk=state.pk).values().get()
    reveal(student_client, card)
    rate(student_client, card, Rating.AGAIN, version=state.version)
    log = ReviewLog.objects.filter(undone_at__isnull=True).latest("reviewed_at")
    assert CardState.objects.get(pk=state.pk).state == CardStateKind.RELEARNING
    response = student_client.post(reverse("review_undo", args=[log.pk]), {"next": "lesson"})
    assert response.status_code == 302
    restored = CardState.objects.filter(pk=state.pk).values().get()
    assert restored == snapshot | {"version": snapshot["version"] + 2}
    log.refresh_from_db()
    assert log.undone_at is not None
    assert ReviewLog.objects.count() == 3  # append-only: the undone rating stays, marked


def test_undo_of_a_new_cards_first_rating_makes_it_new_again(student_client, student, diffusion):
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    rate(student_client, card, Rating.GOOD)
    log = ReviewLog.objects.get()
    response = student_client.post(reverse("review_undo", args=[log.pk]), {"next": "lesson"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not CardState.objects.exists()
    # back to the revealed card, ready to be rated again
    assert intervals_on_buttons(response.content.decode())["Good"] == "10m"
    again = student_client.post(reverse("review_undo", args=[log.pk]), {"next": "lesson"})
    assert again.status_code == 409 and "already undone" in again.content.decode()


def test_undo_of_a_rating_of_a_state_without_a_memory_makes_the_card_new(student_client, student, diffusion):
    # Before migration 0013 a hand-made state without a stability was rated as a new card, and its log keeps
    # that state; the database refuses it now, so undo leaves the card new, as it was scheduled.
    card = diffusion.flashcards.all()[0]
    reveal(student_client, card)
    rate(student_client, card, Rating.GOOD)
    log = ReviewLog.objects.get()
    ReviewLog.objects.filter(pk=log.pk).update(state_before=CardStateKind.REVIEW, reps_before=1)
    response = student_client.post(reverse("review_undo", args=[log.pk]), {"next": "lesson"})
    assert response.status_code == 302
    assert not CardState.objects.exists()


def test_only_the_latest_rating_of_a_card_can_be_undone(student, diffusion):
    card = diffusion.flashcards.all()[0]
    t0 = timezone.now() - timedelta(hours=1)
    _, first = rate_directly(student, card, Rating.GOOD, t0)
    rate_directly(student, card, Rating.GOOD, t0 + timedelta(minutes=11))
    with pytest.raises(ApplicationError):
        services.review_undo(user=student, log_id=first.pk)


def test_a_student_cannot_undo_anothers_rating(student_client, other_student, diffusion):
    card = diffusion.flashcards.all()[0]
    _, log = rate_directly(other_student, card, Rating.GOOD, timezone.now())
    response = student_client.post(reverse("review_undo", args=[log.pk]), {"next": "review"})
    assert response.status_code == 404
    log.refresh_from_db()
    assert log.undone_at is None and CardState.objects.filter(user=other_student).exists()


# ---------------------------------------------------------------- review queue


def test_review_serves_due_cards_oldest_first_then_new_ones(student_client, student, diffusion):
    cards = list(diffusion.flashcards.all())
    now = timezone.now()
    rate_directly(student, cards[3], Rating.AGAIN, now - timedelta(minutes=30))  # due 29 min ago
    rate_directly(student, cards[5], Rating.AGAIN, now - timedelta(minutes=50))  # due 49 min ago
    rate_directly(student, cards[6], Rating.GOOD, now)  # due in 10 minutes: not yet
    html = student_client.get(reverse("review")).content.decode()
    assert cards[5].front in html and cards[3].front not in html
    assert "9 left" in html and "(2 learning, 0 to review, 7 new)" in html
    FlashcardReveal.objects.filter(card=cards[5]).delete()
    reveal(student_client, cards[5], next_page="review")
    rate(student_client, cards[5], Rating.GOOD, version=1, next_page="review")
    html = student_client.get(reverse("review")).content.decode()
    assert cards[3].front in html and "8 left" in html


def test_review_of_the_last_due_card_with_htmx_returns_the_next_one(student_client, student, diffusion, htmx_headers):
    cards = list(diffusion.flashcards.all())
    first = cards[0]
    reveal(student_client, first, next_page="review", headers=htmx_headers)
    response = rate(student_client, first, Rating.GOOD, next_page="review", headers=htmx_headers)
    html = response.content.decode()
    assert 'id="review-session"' in html and "<html" not in html
    assert cards[1].front in html and "9 left" in html
    assert "Undo last rating (Good)" in html


def test_new_cards_stop_at_the_daily_cap(student_client, student, diffusion):
    StudentSettings.objects.create(user=student, new_cards_per_day=3, learn_ahead_minutes=5)
    cards = list(diffusion.flashcards.all())
    now = timezone.now()
    rate_directly(student, cards[0], Rating.GOOD, now - timedelta(minutes=1))  # due in 9 minutes
    html = student_client.get(reverse("review")).content.decode()
    assert "2 left" in html and "(0 learning, 0 to review, 2 new)" in html
    for card in cards[1:3]:
        rate_directly(student, card, Rating.EASY, timezone.now())
    html = student_client.get(reverse("review")).content.decode()
    assert "Nothing due." in html and "today's limit of new cards" in html


def test_the_daily_cap_follows_the_students_time_zone_and_rollover_hour(student, diffusion):
    """Tokyo is UTC+9; with a 4 am rollover the study day starts at 19:00 UTC."""
    tokyo = StudentSettings.objects.create(user=student, new_cards_per_day=2, time_zone="Asia/Tokyo", rollover_hour=4)
    cards = list(diffusion.flashcards.all())
    # 18:30 UTC = 03:30 in Tokyo: still yesterday's study day
    rate_directly(student, cards[0], Rating.EASY, datetime(2025, 5, 1, 18, 30, tzinfo=UTC))
    rate_directly(student, cards[1], Rating.EASY, datetime(2025, 5, 1, 18, 40, tzinfo=UTC))
    at_0350 = datetime(2025, 5, 1, 18, 50, tzinfo=UTC)
    at_0410 = datetime(2025, 5, 1, 19, 10, tzinfo=UTC)
    assert queue.queue_for(student, now=at_0350, study_settings=tokyo).new_count == 0
    after_rollover = queue.queue_for(student, now=at_0410, study_settings=tokyo)
    assert after_rollover.new_count == 2
    assert after_rollover.day_start == datetime(2025, 5, 2, 4, tzinfo=ZoneInfo("Asia/Tokyo"))
    # the same moments in UTC with a midnight rollover are all one day
    utc = StudentSettings(user=student, new_cards_per_day=2, time_zone="UTC", rollover_hour=0)
    assert queue.queue_for(student, now=at_0410, study_settings=utc).new_count == 0


def test_a_review_card_is_due_for_its_whole_study_day(student):
    zone = ZoneInfo("America/New_York")
    start = queue.day_start(datetime(2025, 7, 1, 7, 0, tzinfo=UTC), zone=zone, rollover_hour=4)
    assert start == datetime(2025, 6, 30, 4, tzinfo=zone)  # 03:00 in New York is still the previous day
    end = queue.next_day_start(start, zone=zone, rollover_hour=4)
    assert end == datetime(2025, 7, 1, 4, tzinfo=zone)
    # across the autumn DST change the study day is 25 hours long
    fall = queue.day_start(datetime(2025, 11, 2, 12, tzinfo=UTC), zone=zone, rollover_hour=4)
    after_fall = queue.next_day_start(fall, zone=zone, rollover_hour=4)
    assert after_fall.astimezone(UTC) - fall.astimezone(UTC) == timedelta(hours=24)
    before_fall = queue.day_start(datetime(2025, 11, 1, 12, tzinfo=UTC), zone=zone, rollover_hour=4)
    long_day = queue.next_day_start(before_fall, zone=zone, rollover_hour=4)
    assert long_day.astimezone(UTC) - before_fall.astimezone(UTC) == timedelta(hours=25)


def test_review_cards_due_later_today_are_served_but_learning_cards_wait(student, diffusion):
    cards = list(diffusion.flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", rollover_hour=4)
    now = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    state, _ = rate_directly(student, cards[0], Rating.EASY, now - timedelta(days=30))
    CardState.objects.filter(pk=state.pk).update(due=now + timedelta(hours=10))  # Review, due at 19:00 today
    rate_directly(student, cards[1], Rating.GOOD, now - timedelta(minutes=5))  # Learning, due in 5 minutes
    q = queue.queue_for(student, now=now, study_settings=settings_)
    assert q.due_count == 1 and q.head_card == cards[0]


def test_assigned_lessons_feed_new_cards_before_they_are_started(student_client, student, make_lesson, instructor):
    lesson = make_lesson("assigned", size=4)
    make_lesson("not-mine", size=4)
    assert "Nothing due." in student_client.get(reverse("review")).content.decode()
    classroom = Classroom.objects.create(name="Bio 1")
    ClassLesson.objects.create(classroom=classroom, lesson=lesson)
    Enrollment.objects.create(classroom=classroom, student=student)
    html = student_client.get(reverse("review")).content.decode()
    assert "4 left" in html and "Front 1" in html


@pytest.mark.parametrize("activity", ["ordering check", "prediction"])
def test_any_activity_of_a_lesson_starts_it_for_review(student_client, student, diffusion, activity):
    """The home page calls a lesson started after any activity; /review/ must then offer its cards."""
    assert "Nothing due." in student_client.get(reverse("review")).content.decode()
    if activity == "ordering check":
        exercise = diffusion.ordering_exercises.get()
        data = {"attempt": "1", "moved": "1", "order": list("abcdef")}
        assert student_client.post(reverse("ordering_check", args=[exercise.pk]), data).status_code == 302
    else:
        exercise = diffusion.predictions.get()
        data = {"text": "Slow, because many steps.", "number": 1, "confidence": "medium"}
        assert student_client.post(reverse("prediction_submit", args=[exercise.pk]), data).status_code == 302
    assert "Not started" not in student_client.get("/").content.decode()
    html = student_client.get(reverse("review")).content.decode()
    assert "10 left" in html and diffusion.flashcards.first().front in html


def test_empty_review_says_when_the_next_card_is_due(student_client, student, diffusion):
    StudentSettings.objects.create(user=student, new_cards_per_day=0, time_zone="Europe/Paris")
    card = diffusion.flashcards.first()
    state, _ = rate_directly(student, card, Rating.EASY, timezone.now())
    html = student_client.get(reverse("review")).content.decode()
    assert "Nothing due." in html
    local = state.due.astimezone(ZoneInfo("Europe/Paris"))
    assert local.hour == 4 and local.minute == 0  # available from the rollover of its study day
    assert f"Next card available from {local:%a} {local.day} {local:%b %Y, %H:%M} (Europe/Paris)" in html
    assert 'href="/"' in html


def test_home_shows_how_many_cards_are_due(student_client, student, diffusion):
    assert "Review now" not in student_client.get("/").content.decode()
    reveal(student_client, diffusion.flashcards.first())
    html = student_client.get("/").content.decode()
    assert "10 cards to study" in html and "(0 due, 10 new)" in html and "Review now" in html
    # The Today page puts the cards first, right under its greeting, before any lesson.
    assert html.index("Welcome back") < html.index("Review now") < html.index(diffusion.course.title)


def test_no_student_sees_anothers_cards_or_reviews(student_client, student, other_student, diffusion):
    for card in diffusion.flashcards.all()[:3]:
        rate_directly(other_student, card, Rating.AGAIN, timezone.now() - timedelta(hours=1))
    assert "Nothing due." in student_client.get(reverse("review")).content.decode()
    progress = student_client.get(reverse("progress")).content.decode()
    assert "0 reviews on 0 days" in progress
    export = b"".join(student_client.get(reverse("reviews_csv")).streaming_content).decode()
    rows = list(csv.reader(io.StringIO(export)))
    assert rows == [REVIEW_HISTORY_HEADER]
    page = student_client.get(diffusion.get_absolute_url()).content.decode()
    assert "Next review" not in page


# ---------------------------------------------------------------- settings


def test_settings_page_saves_and_validates(student_client, student):
    response = student_client.get(reverse("study_settings"))
    html = response.content.decode()
    assert 'value="0.9"' in html and "Europe/Paris" in html and "The site&#x27;s time zone (UTC)" in html
    data = {
        "desired_retention": "0.85",
        "new_cards_per_day": "12",
        "reviews_per_day": "150",
        "learn_ahead_minutes": "5",
        "time_zone": "Asia/Tokyo",
        "rollover_hour": "5",
    }
    response = student_client.post(reverse("study_settings"), data)
    assert response.status_code == 302
    saved = StudentSettings.objects.get(user=student)
    assert (
        saved.desired_retention,
        saved.new_cards_per_day,
        saved.reviews_per_day,
        saved.learn_ahead_minutes,
        saved.time_zone,
        saved.rollover_hour,
    ) == (0.85, 12, 150, 5, "Asia/Tokyo", 5)
    assert "Your study settings are saved." in student_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "field,value",
    [
        ("desired_retention", "0.99"),
        ("desired_retention", "0.5"),
        ("new_cards_per_day", "-1"),
        ("new_cards_per_day", "9999"),
        ("time_zone", "Mars/Olympus"),
        ("rollover_hour", "24"),
        ("reviews_per_day", "-3"),
        ("learn_ahead_minutes", "721"),
    ],
)
def test_bad_settings_are_refused_with_a_message(student_client, student, field, value):
    data = {
        "desired_retention": "0.9",
        "new_cards_per_day": "20",
        "reviews_per_day": "200",
        "learn_ahead_minutes": "20",
        "time_zone": "",
        "rollover_hour": "4",
    }
    assert StudySettingsForm(data).is_valid()  # the refusal below is the bad field's
    data[field] = value
    response = student_client.post(reverse("study_settings"), data)
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert not StudentSettings.objects.filter(user=student).exists()


def test_desired_retention_drives_the_intervals(student_client, student, diffusion):
    card = diffusion.flashcards.first()
    t0 = timezone.now() - timedelta(days=40)
    state, _ = rate_directly(student, card, Rating.EASY, t0)
    CardState.objects.filter(pk=state.pk).update(due=timezone.now() - timedelta(days=1))
    FlashcardReveal.objects.update(revealed_at=timezone.now())
    default = intervals_on_buttons(student_client.get(diffusion.get_absolute_url()).content.decode())
    StudentSettings.objects.create(user=student, desired_retention=0.97)
    strict = intervals_on_buttons(student_client.get(diffusion.get_absolute_url()).content.decode())
    assert label_days(strict["Good"]) < label_days(default["Good"])


# ---------------------------------------------------------------- progress and export


def test_progress_shows_heatmap_forecast_retention_and_states(student_client, student, diffusion):
    StudentSettings.objects.create(user=student, time_zone="UTC", rollover_hour=0)
    cards = list(diffusion.flashcards.all())
    now = timezone.now()
    for card in cards[:4]:
        rate_directly(student, card, Rating.EASY, now - timedelta(days=20))
    for card, rating in zip(cards[:4], [Rating.GOOD, Rating.GOOD, Rating.HARD, Rating.AGAIN], strict=True):
        state = CardState.objects.get(user=student, card=card)
        rate_directly(student, card, rating, now - timedelta(days=2), version=state.version)
    html = student_client.get(reverse("progress")).content.decode()
    assert "75%" in html and "3 of 4 reviews of learnt cards were not Again" in html
    assert "8 reviews on 2 days" in html
    day = (now - timedelta(days=20)).date()
    assert f"{day:%a} {day.day} {day:%b %Y}: 4 reviews" in html
    assert '<svg class="heatmap" role="img"' in html and '<svg class="forecast" role="img"' in html
    assert '<title id="forecast-title">' in html
    assert "style=" not in html
    assert re.search(r"<th scope=\"row\">Relearning</th><td>1</td>", html)
    assert re.search(r"<th scope=\"row\">New \(not studied yet\)</th><td>6</td>", html)


def test_heatmap_names_its_months_and_weekdays_and_has_a_legend(student_client, student, diffusion):
    rate_directly(student, diffusion.flashcards.first(), Rating.GOOD, timezone.now() - timedelta(days=40))
    html = student_client.get(reverse("progress")).content.decode()
    svg = re.search(r'<svg class="heatmap".*?</svg>', html, re.S).group(0)
    labels = re.findall(r'<text x="\d+" y="\d+" class="axis-label">(\w+)</text>', svg)
    assert labels[:3] == ["Mon", "Wed", "Fri"] and labels[-2:] == ["Less", "More"]
    months = labels[3:-2]
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert 11 <= len(months) <= 13
    steps = {(names.index(b) - names.index(a)) % 12 for a, b in zip(months, months[1:], strict=False)}
    assert steps == {1}, months  # a year of months, in order
    assert "a stronger green means more reviews" in svg
    assert svg.count('class="heat heat-') == len(re.findall(r"<title>\w{3} \d+ \w{3} \d{4}: ", svg)) + 5


def test_csv_export_lists_the_students_reviews(student_client, student, diffusion):
    card = diffusion.flashcards.first()
    card.front = '=HYPERLINK("http://evil")'
    card.save()
    rate_directly(student, card, Rating.GOOD, datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC))
    _, undone = rate_directly(student, card, Rating.GOOD, datetime(2025, 2, 3, 4, 20, tzinfo=UTC))
    services.review_undo(user=student, log_id=undone.pk)
    response = student_client.get(reverse("reviews_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    at = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert rows == [
        [
            "card_id",
            "review_time",
            "review_rating",
            "review_state",
            "review_duration",
            "reviewed_at",
            "lesson",
            "card_front",
            "card_uid",
            "card_archived",
        ],
        [
            str(card.pk),
            str(int(at.timestamp() * 1000)),
            "3",
            "0",
            "5000",
            "2025-02-03T04:05:06Z",
            diffusion.title,
            '\'=HYPERLINK("http://evil")',
            card.uid,
            "",
        ],
    ]


# ---------------------------------------------------------------- print


def test_print_layout_has_one_card_per_page_and_no_site_chrome(student_client, diffusion):
    html = student_client.get(reverse("flashcards_print", args=["diffusion"])).content.decode()
    assert html.count('class="print-page"') == 10
    assert "Log out" not in html and "<nav" not in html
    assert 'rel="icon"' in html  # no favicon.ico 404 in the console
    for card in diffusion.flashcards.all():
        assert card.front in html
    duplex = student_client.get(reverse("flashcards_print", args=["diffusion"]) + "?layout=duplex").content.decode()
    assert duplex.count('class="print-page print-front"') == 10 and duplex.count('class="print-page print-back"') == 10
