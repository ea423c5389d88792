"""Setting an exam date and seeing the plan, at 360 px, with the keyboard, with and without JavaScript; the
instructor's predicted-recall row. axe-core finds no serious or critical violation on either page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from lessons import scheduling
from lessons.models import CardState, CardStateKind
from tests import factory
from tests.axe import assert_accessible
from tests.browser.test_look import OVERFLOW_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLOCK = scheduling.StudyClock()


def session_cookie(live_server, user):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def studied(student, lesson, stabilities):
    today = CLOCK.date_of(timezone.now())
    for card, stability in zip(lesson.flashcards.all(), stabilities, strict=False):
        CardState.objects.create(
            user=student, card=card, state=CardStateKind.REVIEW, stability=stability, difficulty=5.0,
            last_review=CLOCK.start_of(today - timedelta(days=3)) + timedelta(hours=9),
            due=CLOCK.start_of(today + timedelta(days=40)), reps=3, version=1,
        )  # fmt: skip


@pytest.mark.parametrize("javascript", [True, False])
def test_a_student_sets_an_exam_date_and_sees_the_plan_at_360px(browser, live_server, javascript):
    student = factory.make_user("ada")
    lesson = factory.make_lesson(cards=3, title="Forward noising", course=factory.make_course(title="Diffusion"))
    studied(student, lesson, [3.0, 30.0])
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, java_script_enabled=javascript, bypass_csp=True
    )
    context.add_cookies([session_cookie(live_server, student)])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Set its date and see your plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam dates and your plan")
    if javascript:  # axe-core and the overflow check run in the page: only with JavaScript on
        assert_accessible(page)

    exam_day = CLOCK.date_of(timezone.now()) + timedelta(days=30)
    page.get_by_label("Course").select_option(label="Diffusion")
    page.get_by_label("Exam date").focus()
    page.get_by_label("Exam date").fill(exam_day.isoformat())
    page.get_by_label("Exam date").press("Tab")
    page.keyboard.press("Enter")  # the keyboard alone: focus is on "Save exam date"
    expect(page.get_by_text(f"Your exam in Diffusion is set for {exam_day:%-d %b %Y}.")).to_be_visible()
    plan = page.locator("section.exam-plan")
    expect(plan.get_by_role("heading", level=2)).to_contain_text("Your exam: Diffusion")
    expect(plan).to_contain_text("you would recall about")
    expect(plan).to_contain_text("of the 2 items you have studied on that day")
    expect(plan).to_contain_text("1 new flashcard not studied yet")
    expect(plan.locator(".exam-per-day")).to_contain_text("review")
    expect(plan.get_by_role("row", name="Forward noising")).to_contain_text("about")
    if javascript:
        assert page.evaluate(OVERFLOW_JS) == []
        assert_accessible(page)

    page.get_by_role("button", name="Remove this exam date").click()
    expect(page.get_by_text("No date coming up.")).to_be_visible()
    context.close()


def test_the_instructor_sees_predicted_recall_and_who_is_below_at_360px(browser, live_server):
    teacher = factory.make_instructor("teacher")
    lesson = factory.make_lesson(cards=2, title="Forward noising")
    kept, behind = factory.make_user("grace", first_name="Grace Hopper"), factory.make_user("alan")
    factory.make_class(
        teacher, [lesson], students=[kept, behind], expected_by=timezone.localdate() + timedelta(days=10)
    )
    studied(kept, lesson, [200.0, 200.0])
    studied(behind, lesson, [2.0, 2.0])
    context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    context.add_cookies([session_cookie(live_server, teacher)])
    page = context.new_page()
    page.goto(live_server.url + "/classes/")
    page.get_by_role("link", name="Biology 101").first.click()
    row = page.locator("tr.forecast-row")
    expect(row).to_contain_text("(2 studied it)")
    expect(row.get_by_role("link", name="alan")).to_be_visible()
    expect(row.get_by_role("link", name="Grace Hopper")).to_have_count(0)
    assert_accessible(page)
    context.close()
