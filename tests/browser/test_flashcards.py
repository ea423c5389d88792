"""Flashcards in Chromium: reveal and rate, review with the keyboard alone, print to PDF, axe-core."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from lessons.models import CardState, CardStateKind, Rating, ReviewLog, StudentSettings
from lessons.services import review as services
from tests.axe import assert_accessible
from tests.conftest import login_context

pytestmark = pytest.mark.browser


def pdf_pages(page):
    reader = PdfReader(io.BytesIO(page.pdf()))
    return [" ".join(p.extract_text().split()) for p in reader.pages]


def squash(text):
    return " ".join(text.split())


def test_print_layout_gives_one_pdf_page_per_card(student_page, live_server, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    page = student_page
    page.goto(f"{live_server.url}/lessons/diffusion/")
    page.get_by_role("link", name="Print flashcards").click()
    expect(page).to_have_url(re.compile(r"/lessons/diffusion/flashcards/print/$"))
    pages = pdf_pages(page)
    cards = list(diffusion.flashcards.all())
    assert len(pages) == 10
    for number, (text, card) in enumerate(zip(pages, cards, strict=True), start=1):
        assert squash(card.front) in text and squash(card.back)[:60] in text
        others = [c for c in cards if c.pk != card.pk]
        assert not any(squash(other.front) in text for other in others), number
        assert f"card {number} of 10" in text
    assert "Log out" not in " ".join(pages) and "Print" not in pages[0].split("Q.")[0]


def test_duplex_layout_alternates_fronts_and_answers(student_page, live_server, diffusion):
    page = student_page
    page.goto(f"{live_server.url}/lessons/diffusion/flashcards/print/?layout=duplex")
    pages = pdf_pages(page)
    cards = list(diffusion.flashcards.all())
    assert len(pages) == 20
    for index, card in enumerate(cards):
        front, back = pages[2 * index], pages[2 * index + 1]
        assert squash(card.front) in front and squash(card.back)[:60] not in front
        assert squash(card.back)[:60] in back and squash(card.front) not in back


def test_reveal_and_rate_on_the_practice_page(student_page, live_server, student, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    page = student_page
    card = diffusion.flashcards.all()[0]
    page.goto(f"{live_server.url}/lessons/diffusion/")
    item = page.locator(f"#card-{card.pk}")
    text, background = item.locator("button.card-front").evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(document.body).backgroundColor]"
    )
    assert text != background, "the card's front must be readable"
    item.get_by_role("button", name=re.compile("What happens in the forward direction")).click()
    expect(item).to_contain_text("A real image has noise added step by step")
    good = item.get_by_role("button", name=re.compile(r"^Good"))
    assert_accessible(page)  # includes colour contrast of the fronts and the rating buttons
    expect(good).to_contain_text("10m")
    expect(item.get_by_role("button", name=re.compile(r"^Hard"))).to_contain_text("6m")
    good.click()
    expect(item).to_contain_text("Next review in 10m")
    state = CardState.objects.get(user=student, card=card)
    assert state.state == CardStateKind.LEARNING and state.reps == 1
    item.get_by_role("button", name="Undo rating (Good)").click()
    expect(item.get_by_role("button", name=re.compile(r"^Good"))).to_be_visible()
    assert not CardState.objects.filter(user=student).exists()
    # keyboard on the practice page: focus the next card's front and press Enter
    second = diffusion.flashcards.all()[1]
    front = page.locator(f"#card-{second.pk} button.card-front")
    front.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#card-{second.pk}")).to_contain_text("predict the slightly-cleaner version")


def test_practice_page_works_without_javascript(browser, live_server, student, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    context = browser.new_context(java_script_enabled=False)
    login_context(context, live_server, student)
    page = context.new_page()
    card = diffusion.flashcards.all()[2]
    page.goto(f"{live_server.url}/lessons/diffusion/")
    page.locator(f"#card-{card.pk} button.card-front").click()
    expect(page.locator(f"#card-{card.pk}")).to_contain_text("we created the noisy images ourselves")
    page.locator(f"#card-{card.pk}").get_by_role("button", name=re.compile(r"^Again")).click()
    expect(page.locator(f"#card-{card.pk}")).to_contain_text("Next review in 1m")
    assert ReviewLog.objects.get(user=student).rating == Rating.AGAIN
    context.close()


def test_review_due_cards_with_the_keyboard_alone(student_page, live_server, student, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    cards = list(diffusion.flashcards.all())
    now = timezone.now()
    # one card learnt earlier and due now; the rest of the lesson is new (the lesson is started)
    services.review_reveal(user=student, card=cards[4], revealed_at=now - timedelta(days=5, seconds=4))
    state, _ = services.review_record(
        user=student, card=cards[4], rating=Rating.EASY, version=0, reviewed_at=now - timedelta(days=5)
    )
    CardState.objects.filter(pk=state.pk).update(due=now - timedelta(hours=1))
    page = student_page
    page.goto(f"{live_server.url}/review/")
    session = page.locator("#review-session")
    expect(session).to_contain_text("10 left")
    expect(session).to_contain_text(cards[4].front)
    page.keyboard.press("Space")
    expect(session).to_contain_text("Removing a little noise is easy")
    page.keyboard.press("3")  # Good: the due card goes away for days
    expect(session).to_contain_text("9 left")
    expect(session).to_contain_text(cards[0].front)
    page.keyboard.press("Enter")
    expect(session).to_contain_text("A real image has noise added")
    page.keyboard.press("1")  # Again: back in a minute, not now
    expect(session).to_contain_text("8 left")
    expect(session).to_contain_text(cards[1].front)
    page.keyboard.press("u")  # undo the Again: the first card is new and revealed again
    expect(session).to_contain_text("9 left")
    expect(session).to_contain_text("A real image has noise added")
    assert not CardState.objects.filter(user=student, card=cards[0]).exists()
    page.keyboard.press("4")
    expect(session).to_contain_text("8 left")
    logs = ReviewLog.objects.filter(user=student).order_by("reviewed_at")
    assert [(log.card_id, log.rating, log.undone_at is None) for log in logs] == [
        (cards[4].pk, Rating.EASY, True),
        (cards[4].pk, Rating.GOOD, True),
        (cards[0].pk, Rating.AGAIN, False),
        (cards[0].pk, Rating.EASY, True),
    ]
    assert all(log.duration_ms is not None for log in logs)
    # typing in a field never rates a card
    page.goto(f"{live_server.url}/settings/")
    page.get_by_label("New cards per day").fill("1234")
    assert ReviewLog.objects.filter(user=student).count() == 4


def test_review_settings_and_progress_pass_axe(student_page, live_server, student, diffusion):
    cards = list(diffusion.flashcards.all())
    now = timezone.now()
    for days, card in enumerate(cards[:5], start=1):
        services.review_reveal(user=student, card=card, revealed_at=now - timedelta(days=days, seconds=9))
        services.review_record(
            user=student, card=card, rating=Rating.EASY, version=0, reviewed_at=now - timedelta(days=days)
        )
    page = student_page
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/review/")
    assert_accessible(page)
    page.keyboard.press("Space")
    expect(page.locator("#review-session")).to_contain_text("How well did you remember it?")
    assert_accessible(page)
    page.goto(f"{live_server.url}/settings/")
    assert_accessible(page)
    page.get_by_label("Desired retention").fill("0.99")
    page.locator("form.study-settings").evaluate("form => { form.noValidate = true; }")  # reach the server
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".field-error")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/progress/")
    expect(page.get_by_role("img", name="Reviews per day over the last year")).to_be_visible()
    expect(page.get_by_role("img", name="Cards due per day for the next 30 days")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/lessons/diffusion/flashcards/print/")
    assert_accessible(page)


def test_heatmap_opens_on_the_latest_weeks_on_a_phone_and_stays_legible_in_dark_mode(
    browser, live_server, student, diffusion
):
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme="dark")
    login_context(context, live_server, student)
    page = context.new_page()
    page.goto(f"{live_server.url}/progress/")
    region = page.locator(".chart-scroll:has(svg.heatmap)")
    today = page.locator("svg.heatmap rect:has(title)").last
    box, shown = today.bounding_box(), region.bounding_box()
    assert shown["x"] <= box["x"] and box["x"] + box["width"] <= shown["x"] + shown["width"], (box, shown)
    # a dark page: more reviews must be brighter, not darker (the legend runs from Less to More)
    fills = page.locator("svg.heatmap rect:not(:has(title))").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c).fill.match(/\\d+/g).map(Number))"
    )
    brightness = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in fills]
    assert brightness[1:] == sorted(brightness[1:]), fills
    assert_accessible(page)
    context.close()


def test_settings_offer_the_browsers_time_zone(browser, live_server, student):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    login_context(context, live_server, student)
    page = context.new_page()
    page.goto(f"{live_server.url}/settings/")
    expect(page.get_by_label("Time zone")).to_have_value("")  # the site's until the student chooses
    page.get_by_role("button", name="Use my browser's time zone (Asia/Tokyo)").click()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#alerts")).to_contain_text("Your study settings are saved.")
    assert StudentSettings.objects.get(user=student).time_zone == "Asia/Tokyo"
    expect(page.get_by_role("button", name=re.compile("Use my browser's time zone"))).to_be_hidden()
    context.close()


def test_sign_up_takes_the_browsers_time_zone(browser, live_server):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("tokyo-student")
    page.get_by_label("Your name").fill("Tokyo Student")
    page.get_by_label("Email").fill("tokyo@example.com")
    page.get_by_label("Password", exact=True).fill("a-Long-passw0rd")
    page.get_by_label("Password confirmation").fill("a-Long-passw0rd")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#alerts")).to_contain_text("Your account is ready.")
    assert StudentSettings.objects.get(user__username="tokyo-student").time_zone == "Asia/Tokyo"
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_the_print_layouts_print_button_is_offered_only_when_it_can_print(
    browser, live_server, student, diffusion, javascript
):
    context = browser.new_context(java_script_enabled=javascript)
    login_context(context, live_server, student)
    page = context.new_page()
    page.goto(f"{live_server.url}/lessons/diffusion/flashcards/print/")
    button = page.get_by_role("button", name="Print", exact=True)
    expect(button).to_be_visible() if javascript else expect(button).to_be_hidden()
    expect(page.get_by_text("Print with your browser (Ctrl+P or Cmd+P)")).to_be_visible()
    context.close()


def test_a_second_tab_catches_up_when_its_rating_is_refused(student_page, live_server, student, diffusion):
    card = diffusion.flashcards.all()[0]
    first = student_page
    second = first.context.new_page()
    for page in (first, second):
        page.goto(f"{live_server.url}/lessons/diffusion/")
    for page in (first, second):
        page.locator(f"#card-{card.pk} button.card-front").click()
        expect(page.locator(f"#card-{card.pk}").get_by_role("button", name=re.compile(r"^Good"))).to_be_visible()
    first.locator(f"#card-{card.pk}").get_by_role("button", name=re.compile(r"^Good")).click()
    expect(first.locator(f"#card-{card.pk}")).to_contain_text("Next review in 10m")
    second.locator(f"#card-{card.pk}").get_by_role("button", name=re.compile(r"^Easy")).click()
    expect(second.locator("#alerts")).to_contain_text("already rated")
    item = second.locator(f"#card-{card.pk}")
    expect(item).to_contain_text("Next review in 10m")  # the first tab's rating, no stale buttons left
    expect(item.get_by_role("button", name=re.compile(r"^Easy"))).to_have_count(0)
    assert [log.rating for log in ReviewLog.objects.filter(user=student)] == [Rating.GOOD]
