"""Self-check questions and ordering exercises in /review/ (issue 18) in Chromium: with the keyboard alone,
without JavaScript, and axe-core on each screen."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import CardState, Rating, ReviewLog, Verdict
from lessons.services import ordering as ordering_services
from lessons.services import selfcheck as selfcheck_services
from tests import factory
from tests.axe import assert_accessible
from tests.browser.test_ordering import assert_accessible_without_js
from tests.conftest import login_context

pytestmark = pytest.mark.browser

CORRECT = list(factory.CORRECT)


def due_question(student):
    """A question the student answered once on the practice page, due again now."""
    lesson = factory.make_lesson(slug="q-review", questions=1, cards=0, ordering=False, prediction=False)
    question = lesson.questions.get()
    selfcheck_services.selfcheck_reveal(user=student, question=question, answer_text="")
    selfcheck_services.selfcheck_judge(user=student, question=question, verdict=Verdict.GOT_IT)
    CardState.objects.filter(user=student, question=question).update(due=timezone.now() - timedelta(minutes=1))
    return question


def due_exercise(student):
    """An exercise the student solved once on the practice page, due again now."""
    lesson = factory.make_lesson(slug="o-review", questions=0, cards=0, prediction=False)
    exercise = lesson.ordering_exercises.get()
    ordering_services.ordering_check(user=student, exercise=exercise, order=CORRECT, number=1)
    CardState.objects.filter(user=student, exercise=exercise).update(due=timezone.now() - timedelta(minutes=1))
    return exercise


def latest_log(student, **which):
    return ReviewLog.objects.filter(user=student, **which).latest("reviewed_at")


def tab_to(page, test, limit=80):
    """Press Tab until the focused element passes ``test`` (a JavaScript predicate on it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def current_order(page):
    return page.locator("#review-session ol.ordering-items > li").evaluate_all(
        "items => items.map(li => li.dataset.label)"
    )


def test_review_a_question_with_the_keyboard_alone(student_page, live_server, student):
    question = due_question(student)
    page = student_page
    page.goto(f"{live_server.url}/review/")
    session = page.locator("#review-session")
    expect(session).to_contain_text("Question 1?")
    expect(session).not_to_contain_text("Answer 1.")
    assert_accessible(page)
    tab_to(page, "el.tagName === 'TEXTAREA'")
    page.keyboard.type("my recollection")
    tab_to(page, "el.textContent.trim() === 'Show answer'")
    page.keyboard.press("Enter")
    expect(session).to_contain_text("Answer 1.")
    expect(session).to_contain_text("my recollection")
    expect(session.get_by_role("heading", name="Answer", exact=True)).to_be_focused()  # focus follows the answer
    assert_accessible(page)
    page.keyboard.press("3")  # Got it: it graduates, back in days
    expect(session).to_contain_text("Nothing due.")
    log = latest_log(student, question=question)
    assert (log.rating, log.practice) == (Rating.GOOD, False)
    page.keyboard.press("u")  # undo: the question is back, its answer shown
    expect(session).to_contain_text("Answer 1.")
    assert ReviewLog.objects.filter(user=student, question=question).live().count() == 1


def test_review_an_exercise_with_the_keyboard_alone(student_page, live_server, student):
    exercise = due_exercise(student)
    page = student_page
    page.goto(f"{live_server.url}/review/")
    session = page.locator("#review-session")
    expect(session).to_contain_text(exercise.title)
    expect(session.get_by_role("combobox")).to_have_count(0)  # with JavaScript: Move buttons, not selects
    assert current_order(page) != CORRECT, "shuffled anew"
    assert_accessible(page)
    for index, label in enumerate(CORRECT):
        presses = current_order(page).index(label) - index
        if presses:
            tab_to(page, f"el.textContent.trim() === 'Move up stage {label}'")
            for _ in range(presses):
                page.keyboard.press("Enter")  # focus stays on the moved stage's button
    assert current_order(page) == CORRECT
    tab_to(page, "el.textContent.trim() === 'Check order'")
    page.keyboard.press("Enter")
    expect(session).to_contain_text("solved at the first check (Good)")
    log = latest_log(student, exercise=exercise)
    assert (log.rating, log.practice) == (Rating.GOOD, False)


def test_an_exercise_in_review_shows_its_feedback_and_answer_accessibly(student_page, live_server, student):
    exercise = due_exercise(student)
    page = student_page
    page.goto(f"{live_server.url}/review/")
    session = page.locator("#review-session")
    page.get_by_label("Keep this order").check()
    session.get_by_role("button", name="Check order").click()
    expect(session).to_contain_text("Not yet")
    assert_accessible(page)
    session.get_by_role("button", name="Show answer").click()
    expect(session.get_by_role("heading", name="Answer", exact=True)).to_be_focused()
    assert_accessible(page)
    session.get_by_role("button", name="Continue").click()
    expect(session).to_contain_text("answer shown (Again)")
    assert latest_log(student, exercise=exercise).rating == Rating.AGAIN


def test_review_a_question_and_an_exercise_without_javascript(browser, live_server, student):
    question = due_question(student)
    exercise = due_exercise(student)
    CardState.objects.filter(user=student, exercise=exercise).update(due=timezone.now() - timedelta(minutes=2))
    context = browser.new_context(java_script_enabled=False)
    login_context(context, live_server, student)
    page = context.new_page()
    page.goto(f"{live_server.url}/review/")
    session = page.locator("#review-session")
    # The exercise first (due earlier): position selects without JavaScript, checked on the server.
    expect(session).to_contain_text(exercise.title)
    assert_accessible_without_js(browser, live_server, page)
    for position, label in enumerate(CORRECT, start=1):
        session.get_by_label(f"Position of stage ({label})").select_option(str(position))
    session.get_by_role("button", name="Check order").click()
    expect(session).to_contain_text("solved at the first check (Good)")
    assert latest_log(student, exercise=exercise).rating == Rating.GOOD
    # Then the question: a plain form to answer, "Show answer", then the verdicts.
    expect(session).to_contain_text("Question 1?")
    session.get_by_label("Your answer (optional)").fill("typed without scripts")
    session.get_by_role("button", name="Show answer").click()
    expect(session).to_contain_text("typed without scripts")
    assert_accessible_without_js(browser, live_server, page)
    session.get_by_role("button", name="Missed").click()
    expect(session).not_to_contain_text("typed without scripts")  # back to the question: Again is 1 minute away
    assert latest_log(student, question=question).rating == Rating.AGAIN
    context.close()


def test_the_review_screens_and_the_switches_fit_a_dark_phone(browser, browser_context_args, live_server, student):
    due_question(student)
    exercise = due_exercise(student)
    CardState.objects.filter(user=student, exercise=exercise).update(due=timezone.now() - timedelta(minutes=2))
    context = browser.new_context(**browser_context_args, viewport={"width": 360, "height": 740}, color_scheme="dark")
    login_context(context, live_server, student)
    page = context.new_page()
    for path in ("/review/", "/settings/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert_accessible(page)  # in the dark theme too
    expect(page.get_by_role("heading", name="What comes back in review")).to_be_visible()
    page.get_by_label("1 question of Lesson q-review").uncheck()
    page.get_by_role("button", name="Save what comes back").click()
    expect(page.get_by_label("1 question of Lesson q-review")).not_to_be_checked()
    assert_accessible(page)
    context.close()
