"""The practice page's content cache: fewer queries, and an edit is seen at once."""

import pytest

from lessons.models import Flashcard, OrderingItem
from tests import budgets
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def test_second_view_skips_the_content_queries(student_client, diffusion, django_assert_max_num_queries):
    student_client.get("/lessons/diffusion/")
    # user, lesson (+ course); the six content prefetches come from the cache; per-student rows only.
    with django_assert_max_num_queries(11):
        assert student_client.get("/lessons/diffusion/").status_code == 200


def test_first_view_reads_the_lesson_row_once(student_client, diffusion, django_assert_max_num_queries):
    # A cold cache prefetches onto the lesson already fetched, so the page stays within its budget.
    with django_assert_max_num_queries(budgets.PRACTICE_PAGE) as captured:
        assert student_client.get("/lessons/diffusion/").status_code == 200
    lesson_reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "lessons_lesson"."id"')]
    assert len(lesson_reads) == 1


@pytest.mark.parametrize("edit", ["card", "item", "delete card"])
def test_a_content_edit_shows_on_the_next_view(student_client, diffusion, edit):
    student_client.get("/lessons/diffusion/")
    if edit == "card":
        card = Flashcard.objects.filter(lesson=diffusion).first()
        card.front = "A freshly edited front?"
        card.save()
        assert "A freshly edited front?" in page_text(student_client.get("/lessons/diffusion/"))
    elif edit == "item":
        item = OrderingItem.objects.get(exercise__lesson=diffusion, label="c")
        item.text = "Begin from static, freshly edited."
        item.save()
        assert "Begin from static, freshly edited." in page_text(student_client.get("/lessons/diffusion/"))
    else:
        card = Flashcard.objects.filter(lesson=diffusion).last()
        front = card.front
        card.delete()
        assert front not in page_text(student_client.get("/lessons/diffusion/"))
