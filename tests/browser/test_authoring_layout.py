"""The lesson change page fits a laptop screen: no inline pushes its Position and Delete columns off the page.

At 1280 pixels every column shows; narrower, a wide inline scrolls inside its own box, never the page.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lessons.lessonfile import import_paths
from tests.conftest import login_context
from tests.factory import DIFFUSION_FILE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def open_change_page(browser, browser_context_args, live_server, instructor, width):
    (result,) = import_paths([DIFFUSION_FILE])
    context = browser.new_context(**browser_context_args, viewport={"width": width, "height": 900})
    login_context(context, live_server, instructor)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:lessons_lesson_change", args=[result.lesson.pk]))
    expect(page.locator("#ordering_exercises-group")).to_be_visible()
    return context, page


def test_every_inline_column_shows_at_1280(browser, browser_context_args, live_server, instructor):
    context, page = open_change_page(browser, browser_context_args, live_server, instructor, 1280)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for name in ("ordering_exercises-0-position", "predictions-0-position", "predictions-0-DELETE"):
        box = page.locator(f'input[name="{name}"]').bounding_box()
        assert box and box["x"] + box["width"] <= 1280, (name, box)
    context.close()


def test_narrower_the_page_itself_never_scrolls_sideways(browser, browser_context_args, live_server, instructor):
    context, page = open_change_page(browser, browser_context_args, live_server, instructor, 1024)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
