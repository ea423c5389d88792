"""Shuffle and missed-cards practice (issue 17): read-only, so the FSRS schedule is exactly as it was."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lessons.models import CardState, FlashcardReveal, Rating, ReviewLog
from tests.factory import card_state, review
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def schedule(user):
    """Everything that decides when a student's cards come back."""
    states = list(CardState.objects.filter(user=user).order_by("card_id").values())
    logs = list(ReviewLog.objects.filter(user=user).order_by("pk").values())
    reveals = list(FlashcardReveal.objects.filter(user=user).order_by("pk").values())
    return states, logs, reveals


def walk(client, url):
    """Follow a practice from its first card to its last with the Next links; return every page's text."""
    response = client.get(url, follow=True)
    texts = [page_text(response)]
    html = response.content.decode()
    while match := re.search(r'href="([^"]+)" role="button">Next card', html):
        response = client.get(match.group(1).replace("&amp;", "&"))
        html = response.content.decode()
        texts.append(page_text(response))
    return texts


def test_shuffle_shows_every_card_once_and_leaves_the_schedule_alone(student_client, student, make_lesson):
    lesson = make_lesson("deck", size=6)
    cards = list(lesson.flashcards.all())
    review(student, cards[0], Rating.GOOD, at=timezone.now() - timedelta(days=2))
    card_state(student, cards[1], due=timezone.now() - timedelta(hours=1))
    before = schedule(student)

    texts = walk(student_client, f"/lessons/{lesson.slug}/flashcards/shuffle/")

    assert len(texts) == 6 and "Card 6 of 6" in texts[-1]
    fronts = [re.search(r"Front \d+", text).group(0) for text in texts]
    assert sorted(fronts) == sorted(card.front for card in cards)
    assert schedule(student) == before


def test_the_same_seed_gives_the_same_order(student_client, make_lesson):
    lesson = make_lesson("deck", size=8)
    first = [student_client.get(f"/lessons/deck/flashcards/shuffle/?seed=7&card={i}") for i in (1, 2, 3)]
    again = [student_client.get(f"/lessons/deck/flashcards/shuffle/?seed=7&card={i}") for i in (1, 2, 3)]
    assert [page_text(r) for r in first] == [page_text(r) for r in again]
    assert lesson.flashcards.count() == 8


def test_missed_lists_the_cards_whose_latest_rating_was_again(student_client, student, other_student, make_lesson):
    lesson = make_lesson("deck", size=4)
    c1, c2, c3, c4 = lesson.flashcards.all()
    now = timezone.now()
    review(student, c1, Rating.AGAIN, at=now - timedelta(days=2))  # missed
    review(student, c2, Rating.AGAIN, at=now - timedelta(days=2))
    review(student, c2, Rating.GOOD, at=now - timedelta(days=1))  # missed, then remembered: not listed
    review(student, c3, Rating.AGAIN, at=now - timedelta(hours=1), undone=True)  # undone: not listed
    review(other_student, c4, Rating.AGAIN, at=now)  # someone else's miss: not listed
    before = schedule(student)

    texts = walk(student_client, "/lessons/deck/flashcards/missed/")

    assert len(texts) == 1 and "Card 1 of 1" in texts[0] and "Front 1" in texts[0]
    assert "rate" not in texts[0].lower().replace("separate", "")  # no rating is offered
    assert schedule(student) == before


def test_missed_with_nothing_missed_says_so(student_client, make_lesson):
    make_lesson("deck", size=2)
    text = page_text(student_client.get("/lessons/deck/flashcards/missed/", follow=True))
    assert "No missed cards" in text


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/lessons/deck/flashcards/sideways/", 404, "Unknown practice mode"),
        ("/lessons/deck/flashcards/shuffle/?seed=abc&card=1", 400, "That practice link is broken"),
        ("/lessons/deck/flashcards/shuffle/?seed=1&card=99", 400, "choose 1 to 3"),
        ("/lessons/hidden/flashcards/shuffle/?seed=1&card=1", 404, ""),
    ],
)
def test_bad_practice_links_get_a_clear_refusal(student_client, make_lesson, url, status, message):
    make_lesson("deck", size=3)
    make_lesson("hidden", size=3, published=False)
    response = student_client.get(url)
    assert response.status_code == status and message in page_text(response)


def test_practice_needs_a_login(make_lesson):
    make_lesson("deck", size=3)
    response = Client().get("/lessons/deck/flashcards/shuffle/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("size", [3, 30])
def test_practice_query_count_does_not_grow(student_client, student, make_lesson, django_assert_max_num_queries, size):
    lesson = make_lesson("deck", size=size)
    for card in lesson.flashcards.all():
        review(student, card, Rating.AGAIN)
    for mode in ("shuffle", "missed"):
        with django_assert_max_num_queries(4):
            assert student_client.get(f"/lessons/deck/flashcards/{mode}/?seed=3&card=2").status_code == 200
