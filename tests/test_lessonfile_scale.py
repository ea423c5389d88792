"""Big lessons in bounded time (issue 13): importing a lesson file, and re-importing it with changes, takes the
same number of queries whatever the number of cards (bulk statements, not a query per card)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lessons.lessonfile import dump, import_paths
from lessons.models import CardState, Flashcard, ReviewLog
from tests.factory import card_state, review

# SQLite caps the parameters of one statement, so its bulk inserts come in batches that grow with the cards.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def lesson_data(cards, *, slug="big"):
    return {
        "course": f"Big course {cards}",  # a new course each time: both sizes create one
        "slug": slug,
        "title": "A big lesson",
        "self_check": {"questions": [{"question": f"Q{i}?", "answer": f"A{i}."} for i in range(1, 4)]},
        "flashcards": {"cards": [{"front": f"Front {i}", "back": f"Back {i}"} for i in range(1, cards + 1)]},
    }


def run_import(tmp_path, data, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(dump(data), encoding="utf-8")
    with CaptureQueriesContext(connection) as queries:
        (outcome,) = import_paths([path])
    return outcome.plan, len(queries)


def changed(data, n_changes):
    """A re-import with n edits, n/2 inserts at the top (every position moves) and n/2 cards removed."""
    cards = [dict(card) for card in data["flashcards"]["cards"]]
    for card in cards[:n_changes]:
        card["back"] += " (edited)"
    del cards[-(n_changes // 2) :]
    new = [{"front": f"New {i}", "back": "New back"} for i in range(n_changes // 2)]
    return {**data, "flashcards": {"cards": new + cards}}


def import_and_reimport(tmp_path, cards, student):
    data = lesson_data(cards)
    plan, created = run_import(tmp_path, data, f"first-{cards}")
    assert plan.created and Flashcard.objects.filter(lesson=plan.lesson).count() == cards
    # Students used the last cards: their removal archives them, counted in the same queries.
    for card in Flashcard.objects.filter(lesson=plan.lesson).order_by("-position")[:3]:
        review(student, card, 3)
        card_state(student, card, due=card.lesson.updated_at)
    plan, updated = run_import(tmp_path, changed(data, 10), f"second-{cards}")
    assert (plan.count("added"), plan.count("changed"), plan.count("archived"), plan.count("deleted")) == (5, 10, 3, 2)
    assert CardState.objects.filter(user=student).count() == 3 and ReviewLog.objects.filter(user=student).count() == 3
    plan.lesson.delete()
    return created, updated


def test_import_and_reimport_take_the_same_queries_at_two_sizes(tmp_path, student):
    small = import_and_reimport(tmp_path, 20, student)
    large = import_and_reimport(tmp_path, 400, student)
    assert small == large, f"queries at 20 and 400 cards: {small} vs {large}"
    created, updated = large
    # The re-import also rewrites the lesson's kept progress rows (about 11 queries, whatever the students),
    # and asks who has records on each item: one query per kind of record (questions and ordering
    # exercises have review states, logs and sittings too since they became review items).
    assert created <= 15 and updated <= 58
