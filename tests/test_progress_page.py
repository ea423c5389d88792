"""The /progress/ page's words (issue 17): counts read as English, the forecast's first bar says why it may carry
yesterday's date, and a chart without data says so instead of showing a large "-"."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lessons.models import StudentSettings
from tests.factory import card_state, make_lesson, reveal
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def progress_text(user):
    client = Client()
    client.force_login(user)
    return page_text(client.get("/progress/"))


def test_one_card_falls_due_and_two_cards_fall_due(student):
    lesson = make_lesson(cards=2, ordering=False, prediction=False)
    reveal(student, lesson.questions.first())
    first, second = lesson.flashcards.all()
    card_state(student, first, due=timezone.now() + timedelta(days=2))
    assert "1 card falls due in the next 30 days" in progress_text(student)
    card_state(student, second, due=timezone.now() + timedelta(days=3))
    assert "2 cards fall due in the next 30 days" in progress_text(student)


def test_no_data_is_said_in_words_not_with_a_dash(student):
    client = Client()
    client.force_login(student)
    response = client.get("/progress/")
    text = page_text(response)
    assert "No data yet." in text and "0 cards fall due in the next 30 days" in text
    assert 'class="big-number"' not in response.content.decode()


def zone_where_it_is_noon():
    """A fixed-offset zone whose local time is about 12:00 now (Etc/GMT-5 is UTC+5)."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"


@pytest.mark.parametrize(("rollover_hour", "words"), [(23, "It is before 23:00"), (0, "A study day starts at 00:00")])
def test_the_forecast_says_why_its_first_bar_may_carry_yesterdays_date(student, rollover_hour, words):
    zone = zone_where_it_is_noon()
    StudentSettings.objects.create(user=student, time_zone=zone, rollover_hour=rollover_hour)
    text = progress_text(student)
    assert words in text
    local = timezone.now().astimezone(StudentSettings(time_zone=zone).zone)
    study_day = local.date() - timedelta(days=1) if rollover_hour == 23 else local.date()
    assert f"The first bar is your current study day, {study_day:%a} {study_day.day} {study_day:%b}" in text
    if rollover_hour == 23:
        assert "so today's study day still carries yesterday's date" in text
