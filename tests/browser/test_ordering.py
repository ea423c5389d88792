"""The ordering exercise in Chromium: mouse drag, Move buttons, keyboard alone, no JavaScript, a phone; axe-core."""

import pytest
from playwright.sync_api import expect

from lessons import grading
from lessons.models import OrderingAttempt, OrderingReveal
from tests.axe import assert_accessible
from tests.conftest import login_context

pytestmark = pytest.mark.browser

CORRECT = list("bdcfae")
EXPLANATION_START = "First wreck real images to make training pairs"


@pytest.fixture
def exercise(diffusion):
    return diffusion.ordering_exercises.get()


def open_lesson(page, live_server, lesson):
    page.goto(live_server.url + lesson.get_absolute_url())
    return page.locator("article.ordering")


def current_order(article):
    return article.locator("ol.ordering-items > li").evaluate_all("items => items.map(li => li.dataset.label)")


def live_text(article):
    return article.locator("[data-ordering-live]")


def drag(page, article, label, to_index):
    """Drag ``label`` by its handle with the real mouse, in small steps, onto the top of the item at ``to_index``."""
    handle = article.locator(f'li[data-label="{label}"] [data-ordering-handle]')
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    target = article.locator("[data-ordering-list] > li").nth(to_index).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 6, steps=3)
    page.mouse.move(x, target["y"] + target["height"] * 0.25, steps=20)
    page.mouse.up()


def test_drag_with_the_mouse_into_the_correct_order(student_page, live_server, student, diffusion, exercise):
    page = student_page
    article = open_lesson(page, live_server, diffusion)
    assert current_order(article) == list("abcdef")
    expect(article.get_by_role("combobox")).to_have_count(0)  # the selects give way to drag and buttons
    assert_accessible(page)
    for index, label in enumerate(CORRECT):
        if current_order(article)[index] != label:
            drag(page, article, label, index)
            assert current_order(article)[index] == label, f"dragging {label} gave {current_order(article)}"
    assert current_order(article) == CORRECT
    expect(live_text(article)).to_have_text("Stage f moved to position 4 of 6")
    article.get_by_role("button", name="Check order").click()
    article = page.locator("article.ordering")
    expect(article.get_by_role("heading", name="Correct!")).to_be_visible()
    expect(article).to_contain_text("15 of 15 pairs in order")
    expect(article).to_contain_text("Solved in 1 try.")
    expect(article).to_contain_text(EXPLANATION_START)
    assert page.url.endswith(diffusion.get_absolute_url())  # htmx: no page load
    assert_accessible(page)
    attempt = OrderingAttempt.objects.get(user=student, exercise=exercise)
    assert (attempt.order, attempt.is_correct) == (CORRECT, True)
    page.reload()  # the result stays
    expect(page.locator("article.ordering").get_by_role("heading", name="Correct!")).to_be_visible()


def test_move_buttons_alone_a_wrong_order_shows_which_to_move_then_show_answer(
    student_page, live_server, student, diffusion, exercise
):
    page = student_page
    article = open_lesson(page, live_server, diffusion)
    article.get_by_role("button", name="Check order").click()  # untouched: refused with a message
    expect(article.locator(".ordering-error")).to_contain_text("You have not moved anything yet")
    assert not OrderingAttempt.objects.exists()
    assert_accessible(page)

    article = page.locator("article.ordering")
    article.get_by_role("button", name="Move up stage b").click()
    expect(live_text(article)).to_have_text("Stage b moved to position 1 of 6")
    assert page.evaluate("document.activeElement.textContent") == "Move up stage b"
    article.get_by_role("button", name="Move up stage b").click()  # already first
    expect(live_text(article)).to_have_text("Stage b is already first")
    article.get_by_role("button", name="Move down stage a").click()
    article.get_by_role("button", name="Move down stage a").click()
    expect(live_text(article)).to_have_text("Stage a moved to position 4 of 6")
    order = current_order(article)
    assert order == list("bcdaef")
    article.get_by_role("button", name="Check order").click()

    article = page.locator("article.ordering")
    expected = grading.grade(order, CORRECT)
    expect(article.get_by_role("heading", name="Not yet")).to_be_visible()
    expect(article).to_contain_text("Attempt 1")
    expect(article).to_contain_text(f"{expected.pairs_in_order} of 15 pairs in order")
    for label in expected.move:
        expect(article.locator(f'li[data-label="{label}"] .ordering-mark')).to_have_text("Move")
    for label in expected.keep:
        expect(article.locator(f'li[data-label="{label}"] .ordering-mark')).to_have_text("Keep")
    assert expected.move  # the student has something to move
    assert current_order(article) == order
    expect(article).not_to_contain_text(EXPLANATION_START)
    assert_accessible(page)

    article.get_by_role("button", name="Show answer").click()
    article = page.locator("article.ordering")
    answer = article.locator(".ordering-answer li .item-label")
    expect(answer).to_have_text([f"({label})" for label in CORRECT])
    expect(article).to_contain_text(EXPLANATION_START)
    assert OrderingReveal.objects.filter(user=student, exercise=exercise).exists()
    assert_accessible(page)


def test_keyboard_alone(student_page, live_server, student, diffusion, exercise):
    page = student_page
    article = open_lesson(page, live_server, diffusion)

    def tab_to(name, limit=80):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    # From a b c d e f to b d c f a e with Move up: b once, d twice, c once, f twice.
    for label, presses in [("b", 1), ("d", 2), ("c", 1), ("f", 2)]:
        tab_to(f"Move up stage {label}")
        for _ in range(presses):
            page.keyboard.press("Enter")  # focus stays on the moved item's button
    assert current_order(article) == CORRECT
    expect(live_text(article)).to_have_text("Stage f moved to position 4 of 6")
    tab_to("Check order")
    page.keyboard.press("Enter")
    heading = page.locator("article.ordering").get_by_role("heading", name="Correct!")
    expect(heading).to_be_focused()  # focus follows the feedback
    expect(page.locator("article.ordering")).to_contain_text(EXPLANATION_START)
    assert OrderingAttempt.objects.get(user=student).order == CORRECT


def assert_accessible_without_js(browser, live_server, page):
    """axe-core on the DOM a JavaScript-less browser got.

    axe needs timers, which never fire with JavaScript off, so the same HTML is served
    into a context where JavaScript runs but every script of the page is blocked.
    """
    html = page.content()
    context = browser.new_context(bypass_csp=True)
    context.route("**/*.js", lambda route: route.abort())
    snapshot = context.new_page()
    url = f"{live_server.url}/axe-snapshot/"
    snapshot.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    snapshot.goto(url)
    assert snapshot.evaluate("typeof htmx + typeof Sortable") == "undefinedundefined"  # none of the page's scripts ran
    assert_accessible(snapshot)
    context.close()


def test_without_javascript(browser, live_server, student, diffusion, exercise):
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    login_context(context, live_server, student)
    page = context.new_page()
    article = open_lesson(page, live_server, diffusion)
    expect(article.get_by_role("button", name="Move up stage a")).to_be_hidden()
    assert_accessible_without_js(browser, live_server, page)

    article.get_by_role("button", name="Check order").click()  # untouched
    article = page.locator("article.ordering")
    expect(article).to_contain_text("You have not moved anything yet")
    assert not OrderingAttempt.objects.exists()

    article.get_by_label("Position of stage (c)").select_option("1")  # a and c now share 1
    article.get_by_role("button", name="Check order").click()
    article = page.locator("article.ordering")
    expect(article).to_contain_text("(a) and (c) are both at position 1")
    expect(article.get_by_label("Position of stage (c)")).to_have_value("1")  # the choice is kept
    assert_accessible_without_js(browser, live_server, page)

    for position, label in enumerate(CORRECT, start=1):
        article.get_by_label(f"Position of stage ({label})").select_option(str(position))
    article.get_by_role("button", name="Check order").click()
    article = page.locator("article.ordering")
    expect(article.get_by_role("heading", name="Correct!")).to_be_visible()
    expect(article).to_contain_text(EXPLANATION_START)
    assert current_order(article) == CORRECT
    assert_accessible_without_js(browser, live_server, page)
    assert OrderingAttempt.objects.get(user=student).order == CORRECT
    context.close()


def test_phone_sized_screen(browser, live_server, student, diffusion, exercise):
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True, bypass_csp=True)
    login_context(context, live_server, student)
    page = context.new_page()
    article = open_lesson(page, live_server, diffusion)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing sideways
    for label in "abcdef":
        item = article.locator(f'li[data-label="{label}"]')
        for control in [
            item.locator("[data-ordering-handle]"),
            item.get_by_role("button", name=f"Move up stage {label}"),
            item.get_by_role("button", name=f"Move down stage {label}"),
        ]:
            box = control.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, f"{label}: {box} is too small to tap"
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    article.get_by_role("button", name="Move up stage b").tap()
    expect(live_text(article)).to_have_text("Stage b moved to position 1 of 6")
    assert current_order(article) == list("bacdef")
    assert_accessible(page)
    context.close()
