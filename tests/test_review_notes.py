"""Issue 18, second half: the practice page tells a student when a question or an exercise is in their reviews.

After the first try (a verdict, an exercise solved or its answer shown) the item says "In your reviews: back ...";
a later try says "Practice: your review schedule is unchanged". Both as htmx fragments and on the whole page after
a plain POST (POST/redirect/GET).
"""

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import CardState, CardStateKind, ItemKind, ReviewOptOut, StudentSettings
from tests import budgets, factory

pytestmark = pytest.mark.django_db

CORRECT = list(factory.CORRECT)
PRACTICE = "Practice: your review schedule is unchanged"


def text_of(response):
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(a|strong|em|span|small)\b[^>]*>", "", html)  # inline: no gap, as a browser shows them
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def lesson_with(slug="notes", **kwargs):
    kwargs = {"questions": 1, "cards": 0, "ordering": False, "prediction": False, **kwargs}
    return factory.make_lesson(slug=slug, **kwargs)


def reveal(client, question, **headers):
    return client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": "mine"}, **headers)


def judge(client, question, verdict="got_it", **headers):
    return client.post(reverse("selfcheck_judge", args=[question.pk]), {"verdict": verdict}, **headers)


def check(client, exercise, order, number, **headers):
    data = {"attempt": number, "order": order, "keep_order": "1"}
    return client.post(reverse("ordering_check", args=[exercise.pk]), data, **headers)


def show_answer(client, exercise, **headers):
    return client.post(reverse("ordering_reveal", args=[exercise.pk]), **headers)


def page(client, lesson):
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 200
    return text_of(response)


# ---------------------------------------------------------------- self-check questions


def test_nothing_is_said_before_the_first_verdict(student_client):
    lesson = lesson_with()
    question = lesson.questions.get()
    assert "In your reviews" not in page(student_client, lesson)
    response = reveal(student_client, question, headers={"HX-Request": "true"})
    assert "In your reviews" not in text_of(response) and PRACTICE not in text_of(response)


def test_first_verdict_says_the_question_is_in_review_in_the_fragment_and_on_the_page(student_client):
    lesson = lesson_with()
    question = lesson.questions.get()
    reveal(student_client, question)
    fragment = text_of(judge(student_client, question, "got_it", headers={"HX-Request": "true"}))
    # Good on a new item: FSRS's second learning step, 10 minutes
    assert "In your reviews: back in 10m." in fragment
    assert PRACTICE not in fragment
    assert "In your reviews: back in 10m." in page(student_client, lesson)


def test_first_verdict_without_javascript_redirects_to_a_page_that_says_it(student_client):
    lesson = lesson_with()
    question = lesson.questions.get()
    reveal(student_client, question)
    response = judge(student_client, question, "missed", follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith(lesson.get_absolute_url())
    assert "In your reviews: back in 1m." in text_of(response)  # Again: the first learning step


def test_a_later_verdict_is_practice_and_says_so(student_client, student):
    lesson = lesson_with()
    question = lesson.questions.get()
    reveal(student_client, question)
    judge(student_client, question, "got_it")
    before = CardState.objects.get(user=student, question=question)
    fragment = text_of(judge(student_client, question, "missed", headers={"HX-Request": "true"}))
    assert f"{PRACTICE} (back in 10m)." in fragment
    assert "In your reviews:" not in fragment
    after = CardState.objects.get(user=student, question=question)
    assert (after.due, after.version) == (before.due, before.version)
    assert PRACTICE in page(student_client, lesson)


def test_a_review_card_names_its_study_day_in_the_students_zone(student_client, student):
    lesson = lesson_with()
    question = lesson.questions.get()
    StudentSettings.objects.create(user=student, time_zone="Pacific/Auckland", rollover_hour=4)
    reveal(student_client, question)
    judge(student_client, question)
    # as if rated in /review/ since: a Review state due at the rollover of Tue 10 Dec 2030 in Auckland, which is
    # still Monday 9 Dec in UTC
    due = datetime(2030, 12, 10, 4, tzinfo=ZoneInfo("Pacific/Auckland"))
    CardState.objects.filter(user=student, question=question).update(
        state=CardStateKind.REVIEW, due=due, last_review=timezone.now() + timedelta(seconds=1)
    )
    text = page(student_client, lesson)
    assert "In your reviews: back on Tue 10 Dec." in text
    assert PRACTICE not in text  # the latest verdict came before that review


def test_a_switched_off_kind_says_so_instead(student_client, student):
    lesson = lesson_with()
    question = lesson.questions.get()
    ReviewOptOut.objects.create(user=student, lesson=lesson, kind=ItemKind.QUESTION)
    reveal(student_client, question)
    fragment = text_of(judge(student_client, question, headers={"HX-Request": "true"}))
    assert "Not in your reviews: this lesson's self-check questions are switched off in Settings." in fragment
    assert "In your reviews:" not in fragment


# ---------------------------------------------------------------- ordering exercises


def ordering_lesson():
    lesson = lesson_with(questions=0, ordering=True)
    return lesson, lesson.ordering_exercises.get()


def test_wrong_checks_say_nothing_and_solving_says_in_review(student_client):
    lesson, exercise = ordering_lesson()
    fragment = text_of(check(student_client, exercise, CORRECT[::-1], 1, headers={"HX-Request": "true"}))
    assert "Not yet" in fragment and "In your reviews" not in fragment
    fragment = text_of(check(student_client, exercise, CORRECT, 2, headers={"HX-Request": "true"}))
    assert "Correct!" in fragment and "In your reviews: back in" in fragment
    assert "In your reviews: back in" in page(student_client, lesson)


def test_show_answer_without_javascript_says_in_review_then_solving_after_it_is_practice(student_client):
    lesson, exercise = ordering_lesson()
    check(student_client, exercise, CORRECT[::-1], 1)
    response = show_answer(student_client, exercise, follow=True)
    assert "In your reviews: back in 1m." in text_of(response)  # Again
    # the answer shown, the student solves it: practice, said on the page after the redirect
    response = check(student_client, exercise, CORRECT, 2, follow=True)
    text = text_of(response)
    assert "Correct!" in text and f"{PRACTICE} (back in 1m)." in text
    assert "In your reviews:" not in text


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("size", [3, 30])
def test_the_practice_page_with_notes_stays_in_budget(student, student_client, django_assert_max_num_queries, size):
    lesson = lesson_with(slug=f"sized-{size}", questions=size, cards=size, ordering=True)
    for question in lesson.questions.all():
        reveal(student_client, question)
        judge(student_client, question)
    check(student_client, lesson.ordering_exercises.get(), CORRECT, 1)
    assert CardState.objects.filter(user=student, question__isnull=False).count() == size
    with django_assert_max_num_queries(budgets.PRACTICE_PAGE):
        response = student_client.get(lesson.get_absolute_url())
    assert text_of(response).count("In your reviews: back in 10m.") == size + 1


def test_the_verdict_fragment_costs_the_same_at_two_sizes(student_client, htmx_headers):
    counts = []
    for size in (3, 30):
        lesson = lesson_with(slug=f"judge-{size}", questions=size, cards=size)
        question = lesson.questions.last()
        reveal(student_client, question)
        with CaptureQueriesContext(connection) as captured:
            response = judge(student_client, question, headers=htmx_headers)
        assert "In your reviews: back in 10m." in text_of(response)
        counts.append(len(captured))
    assert counts[0] == counts[1]
