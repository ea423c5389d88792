"""Issue 17's browser checks on every page, as each kind of visitor sees it, at 360 and 1280 px, light and dark:
no page wider than the screen, the phone header at most 72 px tall, no serious or critical axe-core violation."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from playwright.sync_api import expect

from tests.axe import severe_violations
from tests.browser.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Elements may be wider than the screen when they scroll inside their own box (the grid's .table-scroll, the
# admin's tabular inlines) as long as that box fits.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > width) wide.push('document ' + document.documentElement.scrollWidth);
  const scrolls = new Map();
  const scroller = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (!scrolls.has(up)) scrolls.set(up, ['auto', 'scroll'].includes(getComputedStyle(up).overflowX));
      if (scrolls.get(up)) return up;
    }
    return null;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-scroll') && !el.matches('.table-scroll')) continue;
    const box_of = scroller(el);
    if (box_of && box_of.getBoundingClientRect().right <= width + 1) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && getComputedStyle(el).visibility !== 'hidden') {
      wide.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className : '') + ' right=' + Math.round(box.right));
    }
  }
  return wide.slice(0, 5);
}"""


def session_cookie(live_server, user):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def visit_every_page(browser, live_server, *, width, scheme):
    world = build_world()
    problems = []
    for role, pages in world["pages"].items():
        if role == "instructor":
            pages = {**pages, **world["admin_pages"]}  # the admin's lesson page, which instructors author in
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme, bypass_csp=True)
        if role != "public":
            context.add_cookies([session_cookie(live_server, world[role])])
        page = context.new_page()
        for name, url in pages.items():
            response = page.goto(live_server.url + url)
            where = f"{role} {name} ({url}) at {width}px {scheme}"
            if response.status != 200:
                problems.append(f"{where}: status {response.status}")
                continue
            wide = page.evaluate(OVERFLOW_JS)
            if wide:
                problems.append(f"{where}: wider than the screen: {wide}")
            if width < 700 and name != "print" and not name.startswith("admin"):
                height = page.locator("header.site-header").bounding_box()["height"]
                if height > 72:
                    problems.append(f"{where}: header {height}px tall")
            problems += [f"{where}: {v}" for v in severe_violations(page)]
        context.close()
    return problems


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_the_screen_and_is_accessible(browser, live_server, width, scheme):
    problems = visit_every_page(browser, live_server, width=width, scheme=scheme)
    assert problems == [], "\n".join(problems)


BACKGROUND_JS = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (r + g + b) / 3;
}"""


@pytest.mark.parametrize(("saved", "system"), [("dark", "light"), ("light", "dark")])
def test_the_saved_colour_theme_beats_the_system_and_stays_accessible(browser, live_server, saved, system):
    """The per-user override (data-theme on <html>) is a second path through the tokens: checked on its own."""
    from lessons.models import StudentSettings

    world = build_world()
    StudentSettings.objects.filter(user=world["student"]).update(theme=saved)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=system, bypass_csp=True)
    context.add_cookies([session_cookie(live_server, world["student"])])
    page = context.new_page()
    problems = []
    for name, url in world["pages"]["student"].items():
        page.goto(live_server.url + url)
        assert page.locator("html").get_attribute("data-theme") == saved
        brightness = page.evaluate(BACKGROUND_JS)
        if (brightness < 128) != (saved == "dark"):
            problems.append(f"{name}: background brightness {brightness} in {saved}")
        problems += [f"{name} ({saved} on a {system} system): {v}" for v in severe_violations(page)]
    context.close()
    assert problems == [], "\n".join(problems)


def test_the_review_card_is_centred_and_the_print_page_wears_the_site_look_on_screen(browser, live_server):
    world = build_world()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.add_cookies([session_cookie(live_server, world["student"])])
    page = context.new_page()
    page.goto(live_server.url + "/review/")
    box = page.locator("article.review-card").bounding_box()
    middle = box["x"] + box["width"] / 2
    assert abs(middle - 640) < 40, f"the review card's middle is at {middle}px of 1280"
    page.goto(live_server.url + world["pages"]["student"]["print"])
    look = page.evaluate(
        """() => ({
          font: getComputedStyle(document.body).fontFamily,
          radius: getComputedStyle(document.querySelector('.print-page')).borderTopLeftRadius,
          button: getComputedStyle(document.querySelector('.print-toolbar button')).backgroundColor,
        })"""
    )
    assert "serif" not in look["font"].replace("sans-serif", ""), look
    assert look["radius"] != "0px" and look["button"] not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)"), look
    context.close()


# ---------------------------------------------------------------- flip cards


def practice_page(browser, live_server, make_lesson, student, *, javascript=True):
    make_lesson("deck", size=3)
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    context.add_cookies([session_cookie(live_server, student)])
    page = context.new_page()
    page.goto(live_server.url + "/lessons/deck/flashcards/shuffle/?seed=1&card=1")
    return page


@pytest.mark.parametrize("how", ["click", "Enter", "Space"])
def test_a_practice_card_flips_by_click_enter_and_space(browser, live_server, make_lesson, student, how):
    page = practice_page(browser, live_server, make_lesson, student)
    back = page.locator(".flip-back")
    expect(back).to_be_hidden()
    front = page.locator("summary.flip-front")
    if how == "click":
        front.click()
    else:
        front.focus()
        page.keyboard.press(how)
    expect(back).to_be_visible()
    expect(back).to_contain_text("Back")


def test_a_practice_card_flips_without_javascript(browser, live_server, make_lesson, student):
    page = practice_page(browser, live_server, make_lesson, student, javascript=False)
    page.locator("summary.flip-front").click()
    expect(page.locator(".flip-back")).to_be_visible()
    page.get_by_role("button", name="Next card").click()
    expect(page.get_by_text("Card 2 of 3")).to_be_visible()


def test_the_flip_is_not_animated_for_reduced_motion(browser, live_server, make_lesson, student):
    page = practice_page(browser, live_server, make_lesson, student)
    page.emulate_media(reduced_motion="reduce")
    page.locator("summary.flip-front").click()
    assert page.locator(".flip-back").evaluate("el => getComputedStyle(el).animationName") == "none"
    page.emulate_media(reduced_motion="no-preference")
    assert page.locator(".flip-back").evaluate("el => getComputedStyle(el).animationName") == "card-flip"


def test_review_shows_its_keyboard_keys_only_with_javascript(browser, live_server, student):
    for javascript in (True, False):
        context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
        context.add_cookies([session_cookie(live_server, student)])
        page = context.new_page()
        page.goto(live_server.url + "/review/")
        help_line = page.get_by_text("Keyboard:")
        expect(help_line).to_be_visible() if javascript else expect(help_line).to_be_hidden()
        context.close()


# ---------------------------------------------------------------- accounts


def test_sign_up_with_an_email_verify_it_then_reset_the_password_from_the_mail(page, live_server):
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("Your name").fill("Mary Somerville")
    page.get_by_label("Email").fill("mary@example.com")
    page.get_by_label("Username").fill("mary")
    page.get_by_label("Password", exact=True).fill("diffusion-Steps-42")
    page.get_by_label("Password confirmation").fill("diffusion-Steps-42")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".today-greeting")).to_have_text("Welcome, Mary Somerville.")
    assert page.get_by_text("Welcome").count() == 1
    # The optional verification link came with the sign-up: open it, confirm, and the account page says so.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mary@example.com"]
    page.goto(re.search(r"http://\S+/accounts/verify/\S+/", mail.outbox[0].body).group(0))
    page.get_by_role("button", name="Confirm mary@example.com").click()
    expect(page.get_by_text("mary@example.com is confirmed.").first).to_be_visible()
    expect(page.locator(".email-verification .badge")).to_have_text("Verified")
    mail.outbox.clear()
    page.get_by_role("button", name="Log out").click()

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("MARY@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your email")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mary@example.com"]
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("Another-Passw0rd-7")
    page.get_by_label("New password confirmation").fill("Another-Passw0rd-7")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Password set")).to_be_visible()
    assert User.objects.get(username="mary").check_password("Another-Passw0rd-7")


# ---------------------------------------------------------------- the instructor's grid


def test_a_ten_lesson_dashboard_shows_the_first_student_and_every_lesson_at_1280(browser, live_server):
    world = build_world()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.add_cookies([session_cookie(live_server, world["instructor"])])
    page = context.new_page()
    page.goto(live_server.url + world["pages"]["instructor"]["dashboard"])
    headers = page.locator(".class-grid thead th.lesson-col")
    expect(headers).to_have_count(10)
    for index in range(10):
        box = headers.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, f"lesson column {index + 1} is off screen: {box}"
    first_row = page.locator(".class-grid tbody tr").first
    expect(first_row).to_contain_text("Ada Lovelace")
    row_box = first_row.bounding_box()
    assert row_box["y"] + row_box["height"] <= 800, f"the first student row is below the first screen: {row_box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # The short heading names the whole title on hover and to screen readers.
    last = headers.nth(9).get_by_role("link")
    expect(last).to_have_accessible_name(re.compile(re.escape(world["lessons"][9].title)))
    expect(headers.nth(9)).to_contain_text("Unpublished")
    context.close()
