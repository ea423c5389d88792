"""Landing, home and the practice page: content from the lesson file, permissions, query counts."""

import re
from html import unescape

import pytest
from django.test import Client

from lessons.lessonfile import parse_file
from lessons.markdown import render_markdown
from tests import budgets
from tests.factory import DIFFUSION_FILE

pytestmark = pytest.mark.django_db


def page_text(response):
    """The visible text of a page, tags stripped and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def plain(markdown_text):
    """What a Markdown text looks like once rendered, as visible text."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", str(render_markdown(markdown_text))))).strip()


def test_landing_page_is_public_and_offers_sign_up():
    response = Client().get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Sign up" in text and "Log in" in text


def test_everything_else_requires_login(diffusion):
    response = Client().get("/lessons/diffusion/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_public_auth_pages_render():
    client = Client()
    for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"):
        assert client.get(url).status_code == 200, url


def test_home_lists_courses_and_lessons(student_client, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    text = page_text(student_client.get("/"))
    assert "Generative models" in text and diffusion.title in text


def test_practice_page_shows_every_section_in_the_seeds_words(student_client, diffusion):
    spec = parse_file(DIFFUSION_FILE)
    text = page_text(student_client.get("/lessons/diffusion/"))
    expected = [spec["title"], plain(spec["self_check"]["intro"])]
    expected += [plain(q["question"]) for q in spec["self_check"]["questions"]]
    exercises = spec["exercises"]
    expected += [exercises["title"], plain(exercises["intro"]), plain(exercises["side_effects"])]
    ordering = exercises["ordering"][0]
    expected += [ordering["title"], plain(ordering["prompt"])] + [plain(stage["text"]) for stage in ordering["items"]]
    prediction = exercises["prediction"][0]
    expected += [prediction["title"], plain(prediction["prompt"])]
    expected += [plain(spec["flashcards"]["intro"])] + [plain(c["front"]) for c in spec["flashcards"]["cards"]]
    position = 0
    for fragment in expected:
        found = text.find(fragment, position)
        assert found >= 0, f"missing or out of order: {fragment!r}"
        position = found
    # Answers stay hidden until asked for.
    for question in spec["self_check"]["questions"]:
        assert plain(question["answer"]) not in text


def test_unpublished_lesson_is_404_for_students(student_client, diffusion):
    diffusion.published = False
    diffusion.save()
    assert student_client.get("/lessons/diffusion/").status_code == 404


def test_signup_logs_in_and_validates_passwords():
    client = Client()
    response = client.post("/accounts/signup/", {"username": "newbie", "password1": "short", "password2": "short"})
    assert response.status_code == 200 and "too short" in page_text(response)
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "display_name": "Nell Newbie",
            "email": "nell@example.com",
            "password1": "diffusion-Steps-42",
            "password2": "diffusion-Steps-42",
        },
        follow=True,
    )
    assert page_text(response).count("Welcome") == 1 and "Welcome, Nell Newbie" in page_text(response)


def test_logout_is_a_post(student_client):
    assert student_client.get("/accounts/logout/").status_code == 405
    student_client.post("/accounts/logout/")
    assert student_client.get("/lessons/diffusion/").status_code == 302


@pytest.mark.parametrize("size", [3, 30])
def test_practice_page_query_count_does_not_grow(student_client, make_lesson, django_assert_max_num_queries, size):
    make_lesson("sized", size=size)
    with django_assert_max_num_queries(budgets.PRACTICE_PAGE):
        response = student_client.get("/lessons/sized/")
    assert response.status_code == 200
    assert f"Question {size}?" in page_text(response)


@pytest.mark.parametrize("size", [3, 30])
def test_home_query_count_does_not_grow(student_client, make_lesson, django_assert_max_num_queries, size):
    for i in range(size // 3):
        make_lesson(f"lesson-{i}", size=1)
    with django_assert_max_num_queries(budgets.HOME):
        assert student_client.get("/").status_code == 200
