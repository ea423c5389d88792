"""Security in a real browser: zero CSP violations on the main pages; no student work left in web storage."""

import importlib
import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from lessons.lessonfile import import_paths
from lessons.models import ClassLesson, Classroom, Confidence, Enrollment, Lesson, Rating, Verdict
from lessons.services.ordering import ordering_check
from lessons.services.prediction import prediction_submit
from lessons.services.review import review_record, review_reveal
from lessons.services.selfcheck import selfcheck_judge, selfcheck_reveal
from tests.conftest import login_context
from tests.factory import DIFFUSION_FILE

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


def walk(page, log, start_urls, base, *, follow, seen=None, limit=MAX_PAGES):
    """Visit the start pages in order and then, breadth first, every same-site link whose path passes ``follow``.

    Stops when ``seen`` (pass the set of an earlier walk to share its budget) holds ``limit`` pages.
    A page is visited once whatever its query string (``?sort=...`` renders the same template).
    """
    queue, violations = list(start_urls), []
    seen = set() if seen is None else seen
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url.split("?")[0] in {visited.split("?")[0] for visited in seen}:
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
    return not path.startswith(("/admin/", "/accounts/logout")) and not path.endswith(".csv")


def seed_class_and_work(student, instructor):
    """A class taught by ``instructor`` with the diffusion lesson, and ``student``'s work in it.

    So the dashboard, the item view, the review queue and the statistics render with data (their
    grids, bars and heatmaps are where inline styles would creep in).
    """
    (result,) = import_paths([DIFFUSION_FILE])
    lesson = Lesson.objects.for_practice().get(pk=result.lesson.pk)
    classroom = Classroom.objects.create(name="Period 1")
    classroom.instructors.add(instructor)
    ClassLesson.objects.create(classroom=classroom, lesson=lesson, position=1)
    Enrollment.objects.create(classroom=classroom, student=student)
    for question, verdict in zip(lesson.questions.all()[:3], Verdict.values, strict=False):
        selfcheck_reveal(user=student, question=question, answer_text="my words")
        selfcheck_judge(user=student, question=question, verdict=verdict)
    earlier = timezone.now() - timedelta(days=3)
    for card in lesson.flashcards.all()[:3]:
        review_reveal(user=student, card=card, revealed_at=earlier - timedelta(seconds=5))
        review_record(user=student, card=card, rating=Rating.GOOD, version=0, reviewed_at=earlier)
    prediction_submit(
        user=student, exercise=lesson.predictions.first(), number=1, text="slow", confidence=Confidence.LOW
    )
    ordering_check(user=student, exercise=lesson.ordering_exercises.first(), order=list("bacdef"), number=1)
    return lesson, classroom


def drag(page, handle, target):
    """Drag by ``handle`` with the real mouse onto the top of ``target``; returns the dragged ghost's inline position.

    SortableJS's pointer fallback moves a clone styled through CSSOM (``element.style``), which
    CSP's style-src does not govern; a ``<style>`` or ``style`` attribute in markup it would block.
    """
    box, to = handle.bounding_box(), target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 6, steps=3)
    page.mouse.move(x, to["y"] + to["height"] * 0.25, steps=20)
    ghost = page.evaluate("(document.querySelector('.sortable-fallback') || {style: {}}).style.position")
    page.mouse.up()
    return ghost


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
    student = make_user("student")
    instructor = make_user("instructor", instructor=True)
    lesson, classroom = seed_class_and_work(student, instructor)
    base = live_server.url
    study_pages = [base + reverse(name) for name in ("review", "study_settings", "progress", "class_list")]

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
    assert base + reverse("course_detail", args=[lesson.course.slug]) in student_seen
    assert set(study_pages) <= student_seen
    page.goto(base + reverse("lesson_detail", args=["diffusion"]))
    question = page.locator(f"#question-{lesson.questions.last().pk}")  # one the seeded work left open
    question.locator("summary").click()
    question.locator("textarea[name=answer_text]").fill("noise is added step by step")
    question.get_by_role("button", name="Show answer").click()
    question.get_by_role("button", name="Got it").click()
    expect(question.get_by_text("You said:")).to_be_visible()
    violations += log.collect()
    # The ordering exercise: SortableJS (static/vendor) drags under the CSP, then the htmx feedback fragment.
    ordering = page.locator("article.ordering")
    expect(ordering).to_contain_text("Attempt 1")  # the seeded try, rendered by the server
    assert page.evaluate("typeof window.Sortable") == "function", "SortableJS did not load"
    items = ordering.locator("[data-ordering-list] > li")
    expect(items.first).to_have_attribute("data-label", "b")
    items.nth(0).scroll_into_view_if_needed()
    ghost = drag(page, ordering.locator('li[data-label="d"] [data-ordering-handle]'), items.nth(1))
    assert ghost == "fixed", "SortableJS's drag ghost was not styled: did the drag run?"
    expect(items.nth(1)).to_have_attribute("data-label", "d")
    expect(ordering.locator("[data-ordering-live]")).to_have_text("Stage d moved to position 2 of 6")
    ordering.get_by_role("button", name="Move up stage c").click()
    ordering.get_by_role("button", name="Check order").click()
    expect(ordering.get_by_role("heading", name="Not yet")).to_contain_text("Attempt 2")
    ordering.get_by_role("button", name="Show answer").click()
    expect(ordering.locator(".ordering-answer")).to_be_visible()
    violations += log.collect()
    page.reload()  # the practice page as the server now renders it: feedback, marks and the answer
    expect(page.locator("article.ordering .ordering-answer")).to_be_visible()
    violations += log.collect()
    page.close()
    csp_context.clear_cookies()

    # An instructor: their class pages and study pages first, then the admin (index, and the pages it links to).
    login_context(csp_context, live_server, instructor)
    page = csp_context.new_page()
    log = ViolationLog(page)
    class_pages = [
        base + reverse("class_list"),
        base + reverse("class_create"),
        base + reverse("class_dashboard", args=[classroom.pk]),
        base + reverse("class_lesson_items", args=[classroom.pk, lesson.pk]),
        base + reverse("class_edit", args=[classroom.pk]),
    ]
    instructor_seen, found = walk(page, log, [base + "/", *class_pages, *study_pages], base, follow=not_admin, limit=25)
    violations += found
    assert set(class_pages + study_pages) <= instructor_seen
    site_pages = len(instructor_seen)
    _, found = walk(
        page, log, [base + reverse("admin:index")], base,
        follow=lambda path: not_admin(path) or ADMIN_PAGES.match(path), seen=instructor_seen,
    )  # fmt: skip
    violations += found
    assert base + reverse("admin:index") in instructor_seen
    assert base + reverse("admin:lessons_lesson_changelist") in instructor_seen
    assert len(instructor_seen) <= MAX_PAGES
    print(
        f"CSP walk: {len(seen)} public, {len(student_seen)} student, {site_pages} instructor "
        f"and {len(instructor_seen) - site_pages} admin pages"
    )
    page.close()

    assert violations == [], "CSP violations:\n" + "\n".join(violations)


def test_no_student_work_is_left_in_web_storage_after_logout(student_page, live_server, diffusion):
    page = student_page
    secret = "my private answer about static"
    page.goto(live_server.url + reverse("lesson_detail", args=[diffusion.slug]))
    page.locator(".self-check-disclosure:not([open]) > summary").first.click()
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
