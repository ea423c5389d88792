"""Self-check: reveal (with and without htmx), verdicts, permissions, bad input."""

import pytest
from django.test import Client

from lessons.models import SelfCheckAttempt, Verdict
from tests import budgets
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(diffusion):
    return diffusion.questions.all()[0]


def reveal_url(question):
    return f"/questions/{question.pk}/reveal/"


def judge_url(question):
    return f"/questions/{question.pk}/judge/"


def test_reveal_with_htmx_returns_the_fragment_with_answer_and_own_text(student_client, question, htmx_headers):
    response = student_client.post(
        reveal_url(question), {"answer_text": "Add noise, no learning"}, headers=htmx_headers
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="question-{question.pk}"' in html
    text = page_text(response)
    assert "Add noise, no learning" in text
    assert "You take a real image and add a little random noise" in text
    assert "Got it" in text and "Partly" in text and "Missed" in text
    attempt = SelfCheckAttempt.objects.get()
    assert attempt.answer_text == "Add noise, no learning" and attempt.verdict == ""


def test_reveal_without_javascript_redirects_to_the_page_showing_the_answer(student_client, question):
    response = student_client.post(reveal_url(question), {"answer_text": "my guess"})
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/diffusion/#question-{question.pk}"
    text = page_text(student_client.get("/lessons/diffusion/"))
    assert "my guess" in text and "You take a real image" in text


def test_judging_is_recorded_and_kept_on_reload(student_client, question, htmx_headers):
    student_client.post(reveal_url(question), {"answer_text": ""}, headers=htmx_headers)
    response = student_client.post(judge_url(question), {"verdict": "partly"}, headers=htmx_headers)
    assert "You said: Partly" in page_text(response)
    assert SelfCheckAttempt.objects.get().verdict == Verdict.PARTLY
    assert "You said: Partly" in page_text(student_client.get("/lessons/diffusion/"))
    student_client.post(judge_url(question), {"verdict": "got_it"})
    assert SelfCheckAttempt.objects.get().verdict == Verdict.GOT_IT


def test_revealing_again_keeps_the_first_attempt(student_client, question):
    student_client.post(reveal_url(question), {"answer_text": "first"})
    student_client.post(reveal_url(question), {"answer_text": "second"})
    assert list(SelfCheckAttempt.objects.values_list("answer_text", flat=True)) == ["first"]


def test_judging_before_revealing_is_refused(student_client, question):
    response = student_client.post(judge_url(question), {"verdict": "got_it"})
    assert response.status_code == 409 and "Show the answer" in page_text(response)
    assert not SelfCheckAttempt.objects.exists()


def test_bad_verdict_is_refused(student_client, question):
    student_client.post(reveal_url(question), {})
    response = student_client.post(judge_url(question), {"verdict": "perfect"})
    assert response.status_code == 400
    assert SelfCheckAttempt.objects.get().verdict == ""


def test_oversized_answer_is_refused_and_nothing_stored(student_client, question):
    response = student_client.post(reveal_url(question), {"answer_text": "x" * 5001})
    assert response.status_code == 400 and "too long" in page_text(response)
    assert not SelfCheckAttempt.objects.exists()


def test_line_breaks_count_as_one_character_like_the_browsers_maxlength(student_client, question):
    # The textarea's maxlength counts a line break as one character, but the browser sends CRLF.
    text = "x" * 4800 + "\r\ny" * 100  # 5,000 characters in the box, 5,100 on the wire
    response = student_client.post(reveal_url(question), {"answer_text": text})
    assert response.status_code == 302
    assert SelfCheckAttempt.objects.get().answer_text == "x" * 4800 + "\ny" * 100


def test_forged_question_id_is_404_and_changes_nothing(student_client, diffusion):
    assert student_client.post("/questions/999999/reveal/", {}).status_code == 404
    assert student_client.post("/questions/999999/judge/", {"verdict": "got_it"}).status_code == 404
    assert not SelfCheckAttempt.objects.exists()


def test_unpublished_lesson_cannot_be_revealed(student_client, question):
    question.lesson.published = False
    question.lesson.save()
    assert student_client.post(reveal_url(question), {}).status_code == 404
    assert not SelfCheckAttempt.objects.exists()


def test_get_is_refused(student_client, question):
    assert student_client.get(reveal_url(question)).status_code == 405
    assert student_client.get(judge_url(question)).status_code == 405


def test_anonymous_cannot_reveal(question):
    response = Client().post(reveal_url(question), {})
    assert response.status_code == 302
    assert not SelfCheckAttempt.objects.exists()


def test_students_never_see_or_touch_each_others_records(student_client, other_student, question):
    other = Client()
    other.force_login(other_student)
    other.post(reveal_url(question), {"answer_text": "the other's secret"})
    other.post(judge_url(question), {"verdict": "missed"})
    text = page_text(student_client.get("/lessons/diffusion/"))
    assert "the other's secret" not in text and "You said" not in text
    # Judging acts on one's own record only: without a reveal of my own it is refused.
    assert student_client.post(judge_url(question), {"verdict": "got_it"}).status_code == 409
    assert SelfCheckAttempt.objects.get(user=other_student).verdict == Verdict.MISSED


def test_csrf_is_enforced(student, question):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert client.post(reveal_url(question), {}).status_code == 403
    assert not SelfCheckAttempt.objects.exists()


@pytest.mark.parametrize("size", [3, 30])
def test_reveal_fragment_query_count_does_not_grow(
    student_client, make_lesson, htmx_headers, django_assert_max_num_queries, size
):
    lesson = make_lesson("sized", size=size)
    question = lesson.questions.last()
    # session, user, question, attempt lookup + insert (in a savepoint), completion check (progress: 7 grouped queries),
    # the LMS gradebook check
    with django_assert_max_num_queries(15 + budgets.LTI_SCORE_CHECK):
        response = student_client.post(reveal_url(question), {"answer_text": "x"}, headers=htmx_headers)
    assert response.status_code == 200
