"""The prediction exercise in Chromium: write, reveal, mark, reload; with htmx, without JavaScript, on a phone."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import PredictionDraft, PredictionSubmission
from tests.axe import assert_accessible
from tests.conftest import login_context

pytestmark = pytest.mark.browser

PREDICTION = "It will be slow, because every picture is many denoising steps."
MODEL_ANSWER = "It is slow, taking noticeable seconds per image."


def open_lesson(page, live_server, diffusion):
    page.goto(f"{live_server.url}{diffusion.get_absolute_url()}")
    exercise = diffusion.predictions.get()
    return exercise, page.locator(f"#prediction-{exercise.pk}")


def test_write_reveal_tick_two_points_reload_and_all_is_kept(student_page, live_server, diffusion, student):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    page = student_page
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    exercise, article = open_lesson(page, live_server, diffusion)
    expect(article.get_by_text(MODEL_ANSWER)).to_have_count(0)
    assert_accessible(page)

    box = article.get_by_label("Your prediction")
    box.fill(PREDICTION)
    expect(article.locator(".char-count")).to_have_text(f"{len(PREDICTION)} of 3000 used.")
    expect(article.locator(f"#draft-status-{exercise.pk}")).to_contain_text("Draft saved at")  # autosaved
    article.get_by_label("Medium").check()
    article.get_by_role("button", name="Show a model answer").click()

    expect(article.get_by_text(MODEL_ANSWER)).to_be_visible()
    expect(article.get_by_role("heading", name="Model answer")).to_be_focused()
    expect(article.locator(".prediction-yours")).to_contain_text(PREDICTION)
    article.get_by_label("slow because many steps").check()
    varied = article.get_by_label("varied because random starting static")
    varied.focus()
    page.keyboard.press("Space")  # the keyboard works too
    article.get_by_role("button", name="Save my marking").click()
    expect(article.locator(".prediction-coverage")).to_have_text(re.compile(r"named\s+2 of 3\s+points"))
    expect(article.get_by_text("you have the lesson")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_accessible(page)

    page.reload()
    exercise, article = open_lesson(page, live_server, diffusion)
    expect(article.locator(".prediction-yours")).to_contain_text(PREDICTION)
    expect(article.get_by_text(MODEL_ANSWER)).to_be_visible()
    expect(article.get_by_label("slow because many steps")).to_be_checked()
    expect(article.get_by_label("varied because random starting static")).to_be_checked()
    confident = article.get_by_label("confident errors because it matches data rather than understanding")
    expect(confident).not_to_be_checked()
    expect(article.locator(".prediction-coverage")).to_have_text(re.compile(r"named\s+2 of 3\s+points"))
    expect(article.get_by_text("your confidence was medium")).to_be_visible()

    (stored,) = PredictionSubmission.objects.filter(user=student, exercise=exercise)
    assert (stored.text, stored.confidence) == (PREDICTION, "medium")
    assert sorted(p.text for p in stored.named_points.all()) == [
        "slow because many steps",
        "varied because random starting static",
    ]


def test_the_draft_survives_a_reload_and_the_counter_speaks_only_near_the_limit(
    student_page, live_server, diffusion, student
):
    page = student_page
    exercise, article = open_lesson(page, live_server, diffusion)
    box = article.get_by_label("Your prediction")
    live = page.locator(f"#prediction-count-live-{exercise.pk}")

    box.press_sequentially("Slow and varied")
    expect(article.locator(".char-count")).to_have_text("15 of 3000 used.")
    expect(live).to_have_text("")  # typing far from the limit is not announced
    expect(article.locator(f"#draft-status-{exercise.pk}")).to_contain_text("Draft saved at")
    assert PredictionDraft.objects.get(user=student, exercise=exercise).text == "Slow and varied"

    page.reload()
    expect(article.get_by_label("Your prediction")).to_have_value("Slow and varied")
    expect(article.get_by_text("Draft saved at")).to_be_visible()

    article.get_by_label("Your prediction").fill("x" * 2750)
    expect(live).to_have_text("250 characters left.")
    assert_accessible(page)


def test_empty_prediction_gets_a_clear_message(student_page, live_server, diffusion, student):
    page = student_page
    _, article = open_lesson(page, live_server, diffusion)
    article.get_by_label("Your prediction").fill("   ")  # passes the browser's `required`, not the server
    article.get_by_label("Low").check()
    article.get_by_role("button", name="Show a model answer").click()
    expect(article.get_by_text("Write your prediction first")).to_be_visible()
    expect(article.get_by_text(MODEL_ANSWER)).to_have_count(0)
    assert not PredictionSubmission.objects.exists()
    assert_accessible(page)


def test_revise_and_resubmit_shows_the_latest_and_keeps_the_earlier(student_page, live_server, diffusion, student):
    page = student_page
    _, article = open_lesson(page, live_server, diffusion)
    article.get_by_label("Your prediction").fill("First: slow.")
    article.get_by_label("Low").check()
    article.get_by_role("button", name="Show a model answer").click()
    expect(article.get_by_text(MODEL_ANSWER)).to_be_visible()

    article.get_by_text("Revise and resubmit").click()
    article.get_by_label("Your revised prediction").fill("Second: slow, varied, confidently wrong.")
    article.get_by_label("High").check()
    article.get_by_role("button", name="Resubmit").click()
    expect(article.get_by_role("heading", name="Your prediction (submission 2)")).to_be_visible()
    expect(article.locator(".prediction-yours")).to_contain_text("Second: slow, varied, confidently wrong.")
    article.get_by_text("Earlier submissions (1)").click()
    expect(article.get_by_text("First: slow.")).to_be_visible()
    assert list(PredictionSubmission.objects.order_by("number").values_list("number", "confidence")) == [
        (1, "low"),
        (2, "high"),
    ]


def test_without_javascript_full_pages_do_the_same(browser, live_server, diffusion, student):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    context = browser.new_context(java_script_enabled=False)
    try:
        login_context(context, live_server, student)
        page = context.new_page()
        exercise, article = open_lesson(page, live_server, diffusion)
        expect(article.get_by_text("Up to 3000 characters.")).to_be_visible()
        article.get_by_label("Your prediction").fill(PREDICTION)
        article.get_by_label("High").check()
        article.get_by_role("button", name="Show a model answer").click()
        page.wait_for_url(re.compile(rf"#prediction-{exercise.pk}$"))
        expect(article.get_by_text(MODEL_ANSWER)).to_be_visible()
        article.get_by_label("confident errors because it matches data rather than understanding").check()
        article.get_by_role("button", name="Save my marking").click()
        expect(article.locator(".prediction-coverage")).to_have_text(re.compile(r"named\s+1 of 3\s+points"))
        assert PredictionDraft.objects.get(user=student, exercise=exercise).text == PREDICTION  # saved on submit
    finally:
        context.close()
