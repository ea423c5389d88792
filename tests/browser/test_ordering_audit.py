"""Audit of the ordering exercise on a phone: what a student sees once the order is solved."""

import pytest
from playwright.sync_api import expect

from lessons.services.ordering import ordering_check
from tests.conftest import login_context

pytestmark = pytest.mark.browser


def test_solved_list_on_a_phone_keeps_each_label_beside_its_stage(browser, live_server, student, diffusion):
    exercise = diffusion.ordering_exercises.get()
    ordering_check(user=student, exercise=exercise, order=exercise.correct_labels(), number=1)
    context = browser.new_context(viewport={"width": 375, "height": 740}, bypass_csp=True)
    login_context(context, live_server, student)
    page = context.new_page()
    page.goto(live_server.url + diffusion.get_absolute_url())
    article = page.locator("article.ordering")
    expect(article.get_by_role("heading", name="Correct!")).to_be_visible()
    for label in exercise.correct_labels():
        item = article.locator(f'ol.ordering-solved > li[data-label="{label}"]')
        label_box = item.locator(".item-label").bounding_box()
        text_box = item.locator(".item-text").bounding_box()
        # The stage reads "(b) Take real images ..." as on the list before solving, not the label alone on a line.
        assert abs(label_box["y"] - text_box["y"]) < 4, f"({label}) sits on its own line above its text"
    context.close()
