"""The Today page (issue 17): cards due with a Start button, the lesson to continue and what is left in it,
each course as a map of lessons with their state, and an optional daily goal with a gentle count of days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lessons.models import Rating, StudentSettings
from tests.factory import card_state, reveal, review
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def test_a_new_student_is_welcomed_once_and_offered_the_lessons(student_client, diffusion):
    text = page_text(student_client.get("/"))
    assert "Today Welcome, student." in text and "Welcome back" not in text
    assert "All caught up." in text and "Start a lesson" in text
    assert diffusion.title in text and "Not started" in text


def test_cards_due_come_with_a_start_button(student_client, student, diffusion):
    card_state(student, diffusion.flashcards.first(), due=timezone.now() - timedelta(hours=1))
    text = page_text(student_client.get("/"))
    assert "Welcome back, student." in text and "Review now" in text and "1 due" in text


def test_the_lesson_to_continue_says_what_is_left(student_client, student, diffusion):
    for question in list(diffusion.questions.all())[:2]:
        reveal(student, question)
    text = page_text(student_client.get("/"))
    continue_part = text.split("Continue where you left off")[1].split("Daily goal")[0]
    assert diffusion.title in continue_part and "22% done · 7 activities left" in continue_part


def test_the_course_map_shows_each_lessons_state(student_client, student, diffusion, make_lesson):
    make_lesson("second", size=1)
    reveal(student, diffusion.questions.first())
    html = student_client.get("/").content.decode()
    assert html.count('class="lesson-stop lesson-in-progress"') == 1
    assert html.count('class="lesson-stop lesson-not-started"') == 1


def test_without_a_goal_the_days_studied_are_counted_gently(student_client, student, diffusion):
    cards = list(diffusion.flashcards.all())
    review(student, cards[0], Rating.GOOD, at=timezone.now() - timedelta(days=3))
    review(student, cards[1], Rating.GOOD, at=timezone.now())
    text = page_text(student_client.get("/"))
    assert "1 review today." in text and "Set a daily goal" in text
    assert "You reviewed on 2 of the last 7 days. Missing a day is fine" in text


def test_a_daily_goal_counts_todays_reviews_toward_it(student_client, student, diffusion):
    response = student_client.post("/settings/goal/", {"daily_goal": "3"}, follow=True)
    assert "Your daily goal is saved." in page_text(response)
    assert StudentSettings.objects.get(user=student).daily_goal == 3
    cards = list(diffusion.flashcards.all())
    for card in cards[:2]:
        review(student, card, Rating.GOOD)
    assert "2 of 3 reviews today." in page_text(student_client.get("/"))
    review(student, cards[2], Rating.AGAIN)
    text = page_text(student_client.get("/"))
    assert "Goal met today : 3 reviews." in text and "Goal met on 1 of the last 7 days" in text


def test_a_bad_goal_is_refused_and_changes_nothing(student_client, student):
    response = student_client.post("/settings/goal/", {"daily_goal": "-1"})
    assert response.status_code == 400 and "from 0 (no goal) to 500" in page_text(response)
    assert not StudentSettings.objects.filter(user=student).exists()
