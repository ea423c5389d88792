"""Security in a real browser: zero CSP violations on the main pages; no student work left in web storage."""

import importlib
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from lessons.lessonfile import import_paths
from lessons.models import Lesson
from tests.conftest import DIFFUSION_FILE, login_context

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def instructors_group(transactional_db):
    """The Instructors group, as migration 0002 makes it.

    live_server tests flush the database afterwards, and serialized_rollback cannot bring the group
    back once Playwright runs: Django's connection then lives in another context than the one
    that serialized the database at set-up. So run the migration's own function again.
    """
    migration = importlib.import_module("lessons.migrations.0002_instructors_group")
    config = django_apps.get_app_config("lessons")
    models_module = config.models_module  # the migration resets it, as it does on its historical apps
    try:
        migration.create_group(django_apps, None)
    finally:
        config.models_module = models_module


# Loaded by the driver before any page script, so it sees every violation from the first byte.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                              " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
MAX_PAGES = 40
# The admin's index, app pages, change lists and add forms (not every object's change form).
ADMIN_PAGES = re.compile(r"^/admin/(\w+/){0,2}(add/)?$")


@pytest.fixture
def csp_context(browser, live_server):
    """A context that enforces the site's CSP (the default context bypasses it for axe-core)."""
    context = browser.new_context(bypass_csp=False)
    context.add_init_script(CSP_RECORDER)
    yield context
    context.close()


class ViolationLog:
    def __init__(self, page):
        self.page = page
        self.console = []
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def collect(self):
        recorded = self.page.evaluate("window.__cspViolations || []")
        return [f"{self.page.url}: {v}" for v in recorded] + self.console


def same_site_links(page, base):
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    links = set()
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        if urlsplit(url).netloc == urlsplit(base).netloc and not urlsplit(url).path.startswith("/static/"):
            links.add(url)
    return links


def walk(page, log, start_urls, base, *, follow):
    """Visit the start pages and, breadth first, every same-site link whose path passes ``follow``."""
    queue, seen, violations = list(start_urls), set(), []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            response = page.goto(url, wait_until="load")  # deferred scripts and stylesheets have run by then
        except PlaywrightError as error:
            if "Download is starting" in str(error):  # a CSV export: not a page
                continue
            raise
        assert response.status < 500, f"{url}: {response.status}"
        violations += log.collect()
        queue += sorted(link for link in same_site_links(page, base) if follow(urlsplit(link).path))
    return seen, violations


def not_admin(path):
    return not path.startswith("/admin/") and not path.startswith("/accounts/logout")


def test_csp_catches_an_inline_script(csp_context, live_server):
    """The recorder works: an inline script added to a page is blocked and reported."""
    page = csp_context.new_page()
    log = ViolationLog(page)
    page.goto(live_server.url + "/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.x") is None
    assert any("script-src" in v for v in log.collect())


def test_main_pages_have_no_csp_violations(csp_context, live_server, make_user):
    import_paths([DIFFUSION_FILE])
    student = make_user("student")
    instructor = make_user("instructor", instructor=True)
    base = live_server.url

    # Anonymous: landing, log-in, sign-up, password reset.
    page = csp_context.new_page()
    log = ViolationLog(page)
    seen, violations = walk(page, log, [base + "/", base + reverse("login")], base, follow=not_admin)
    assert {base + "/", base + reverse("login"), base + reverse("signup")} <= seen
    page.close()

    # A student: home, courses, the practice page and everything linked from them; then htmx at work.
    login_context(csp_context, live_server, student)
    page = csp_context.new_page()
    log = ViolationLog(page)
    student_seen, found = walk(page, log, [base + "/"], base, follow=not_admin)
    violations += found
    assert base + reverse("lesson_detail", args=["diffusion"]) in student_seen
    assert base + reverse("course_detail", args=[Lesson.objects.get(slug="diffusion").course.slug]) in student_seen
    page.goto(base + reverse("lesson_detail", args=["diffusion"]))
    page.locator("textarea[name=answer_text]").first.fill("noise is added step by step")
    page.get_by_role("button", name="Show answer").first.click()
    page.get_by_role("button", name="Got it").first.click()
    page.get_by_text("You said:").first.wait_for()
    violations += log.collect()
    page.close()
    csp_context.clear_cookies()

    # An instructor: their pages and the admin (index, and the pages it links to).
    login_context(csp_context, live_server, instructor)
    page = csp_context.new_page()
    log = ViolationLog(page)
    admin_seen, found = walk(
        page, log, [base + "/", base + reverse("admin:index")], base,
        follow=lambda path: not_admin(path) or ADMIN_PAGES.match(path),
    )  # fmt: skip
    violations += found
    assert base + reverse("admin:index") in admin_seen
    assert base + reverse("admin:lessons_lesson_changelist") in admin_seen
    print(f"CSP walk: {len(seen)} public, {len(student_seen)} student, {len(admin_seen)} instructor pages")
    page.close()

    assert violations == [], "CSP violations:\n" + "\n".join(violations)


def test_no_student_work_is_left_in_web_storage_after_logout(student_page, live_server, diffusion):
    page = student_page
    secret = "my private answer about static"
    page.goto(live_server.url + reverse("lesson_detail", args=[diffusion.slug]))
    page.locator("textarea[name=answer_text]").first.fill(secret)
    page.get_by_role("button", name="Show answer").first.click()
    page.get_by_text(secret).first.wait_for()
    # A link that pushes a URL makes htmx snapshot the page (as any future hx-push-url or hx-boost would).
    page.evaluate(
        """() => {
        const a = document.createElement('a');
        a.id = 'push'; a.textContent = 'push'; a.setAttribute('href', '/');
        a.setAttribute('hx-get', '/'); a.setAttribute('hx-push-url', 'true'); a.setAttribute('hx-target', '#main');
        a.setAttribute('hx-select', '#main'); a.setAttribute('hx-swap', 'outerHTML');
        document.body.append(a); htmx.process(a);
    }"""
    )
    with page.expect_response(lambda r: r.url.rstrip("/") == live_server.url):
        page.locator("#push").click()
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")
    storage = page.evaluate(
        """() => {
        const dump = s => Object.keys(s).map(k => k + '=' + s.getItem(k)).join('\\n');
        return dump(window.localStorage) + '\\n' + dump(window.sessionStorage);
    }"""
    )
    assert "htmx-history-cache" not in storage
    assert secret not in storage
