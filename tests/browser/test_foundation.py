"""Foundation flows in Chromium: sign up, log in, self-check without a page load, log out; axe audits."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from lessons.models import SelfCheckAttempt
from tests.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "diffusion-Steps-42"


def test_sign_up_study_self_check_and_log_out(page, live_server, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign up").first.click()
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, Ada Lovelace")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=diffusion.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(diffusion.title)
    assert_accessible(page)

    question = diffusion.questions.all()[0]
    card = page.locator(f"#question-{question.pk}")
    card.locator("summary").click()  # the question is a disclosure: opening it shows the answer box
    card.get_by_label("Your answer (optional)").fill("Noise is added; nothing to learn")
    page.evaluate("window.__noReload = true")
    card.get_by_role("button", name="Show answer").click()
    expect(card.get_by_text("You take a real image and add a little random noise")).to_be_visible()
    expect(card.get_by_text("Noise is added; nothing to learn")).to_be_visible()
    assert page.evaluate("window.__noReload === true"), "the answer came with a full page load"
    card.get_by_role("button", name="Partly").click()
    expect(card.get_by_text("You said: Partly")).to_be_visible()
    assert page.evaluate("window.__noReload === true")
    assert_accessible(page)

    page.reload()
    card = page.locator(f"#question-{question.pk}")
    expect(card.get_by_text("You take a real image and add a little random noise")).to_be_visible()
    expect(card.get_by_text("You said: Partly")).to_be_visible()
    attempt = SelfCheckAttempt.objects.get(user__username="ada")
    assert attempt.answer_text == "Noise is added; nothing to learn" and attempt.verdict == "partly"

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out")).to_be_visible()
    page.goto(live_server.url + "/lessons/diffusion/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_log_in_with_the_form_and_self_check_without_javascript(browser, live_server, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    User.objects.create_user("bea", password=PASSWORD)
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("bea")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome, bea")).to_be_visible()
    page.goto(live_server.url + "/lessons/diffusion/")
    question = diffusion.questions.all()[1]
    card = page.locator(f"#question-{question.pk}")
    card.locator("summary").click()
    card.get_by_role("button", name="Show answer").click()
    card = page.locator(f"#question-{question.pk}")
    expect(card.get_by_text("predict what it looked like one noising-step earlier")).to_be_visible()
    card.get_by_role("button", name="Missed").click()
    expect(page.locator(f"#question-{question.pk}").get_by_text("You said: Missed")).to_be_visible()
    context.close()


def test_keyboard_only_self_check_on_a_phone(browser, live_server, diffusion, student):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    from tests.conftest import login_context

    context = browser.new_context(viewport={"width": 375, "height": 740}, bypass_csp=True)
    login_context(context, live_server, student)
    page = context.new_page()
    page.goto(live_server.url + "/lessons/diffusion/")
    question = diffusion.questions.all()[0]
    page.locator(f"#question-{question.pk} summary").focus()
    page.keyboard.press("Enter")  # opens the question's disclosure
    page.locator(f"#answer-{question.pk}").focus()
    page.keyboard.type("by keyboard")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    card = page.locator(f"#question-{question.pk}")
    expect(card.get_by_text("You take a real image")).to_be_visible()
    # Focus moved into the revealed answer; Tab reaches the verdict buttons.
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Got it":
            break
    page.keyboard.press("Enter")
    expect(card.get_by_text("You said: Got it")).to_be_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"page scrolls sideways on a phone ({scroll_width}px)"
    assert_accessible(page)
    context.close()
