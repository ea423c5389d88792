"""`make screenshots`: the main pages at phone and desktop width, light and dark, into docs/screenshots/.

Not collected by the test run (the file name does not start with test_); the Makefile passes it to pytest
explicitly so it gets the live server, Chromium and the same small world as tests/browser/test_look.py.
"""

import os
from pathlib import Path

import pytest

from tests.browser.test_look import session_cookie
from tests.browser.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(os.environ.get("SCREENSHOTS_DIR", Path(__file__).resolve().parents[2] / "docs" / "screenshots"))
SHOTS = {
    "public": ["landing", "signup"],
    "student": ["home", "lesson", "review", "shuffle", "progress", "settings"],
    "instructor": ["dashboard", "items", "student-page", "admin-lesson"],
}
WIDTHS = {"phone": (360, 760), "desktop": (1280, 800)}


def test_screenshots(browser, live_server):
    OUT.mkdir(parents=True, exist_ok=True)
    world = build_world()
    only = set(filter(None, os.environ.get("SCREENSHOTS", "").split(",")))
    for role, names in SHOTS.items():
        for scheme in ("light", "dark"):
            for device, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                if role != "public":
                    context.add_cookies([session_cookie(live_server, world[role])])
                page = context.new_page()
                for name in names:
                    if only and name not in only:
                        continue
                    page.goto(live_server.url + {**world["pages"][role], **world["admin_pages"]}[name])
                    page.screenshot(
                        path=OUT / f"{name}-{device}-{scheme}.png",
                        full_page=device == "phone" or name.startswith("admin"),
                    )
                context.close()
