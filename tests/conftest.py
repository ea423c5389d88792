"""Shared fixtures: users, the diffusion lesson, lesson sizes, browser set-up; the builders are in tests/factory.py."""

import os
import shutil
import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from lessons.models import Course, Lesson
from tests import factory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    skip_postgres_only(items)
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items or shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`."
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {message}")
    skip = pytest.mark.skip(reason=f"browser test skipped: {message} (REQUIRE_BROWSER=1 makes this a failure)")
    for item in browser_items:
        item.add_marker(skip)


def skip_postgres_only(items):
    """Tests marked ``postgres`` need PostgreSQL (row locks, deferred constraints, EXPLAIN); skip them elsewhere."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (this run uses {connection.vendor}): set DATABASE_URL=postgres://... to run it"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_collection_finish(session):
    skipped = [
        i
        for i in session.items
        if "browser" in i.keywords and "Chromium not found" in str(getattr(i.get_closest_marker("skip"), "kwargs", ""))
    ]
    if skipped:
        print(f"\n*** {len(skipped)} browser tests will be SKIPPED: Chromium not found at {CHROMIUM}. ***\n")


@pytest.fixture(autouse=True, scope="session")
def _fast_tests():
    # PBKDF2 at a million iterations costs 0.25 s a login; tests do not need it. Session-wide, so the
    # module-scoped worlds (tests/test_permissions_matrix.py) hash their users' passwords fast too.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], AXES_ENABLED=False):
        yield


@pytest.fixture(autouse=True)
def _no_rate_limit_counts():
    # Rate-limit counters live in the cache (local memory in tests): each test starts with none.
    cache.clear()


# ---------------------------------------------------------------- users


@pytest.fixture
def make_user(db):
    """``tests.factory.make_user`` for tests that ask for it as a fixture."""
    return factory.make_user


@pytest.fixture
def student(make_user):
    return make_user("student")


@pytest.fixture
def other_student(make_user):
    return make_user("other")


@pytest.fixture
def instructor(make_user):
    return make_user("teacher", instructor=True)


@pytest.fixture
def student_client(student):
    client = Client()
    client.force_login(student)
    return client


@pytest.fixture
def htmx_headers():
    """Headers htmx sends with its requests (django-htmx reads HX-Request)."""
    return {"HX-Request": "true"}


# ---------------------------------------------------------------- content


@pytest.fixture
def diffusion(db):
    """The shipped diffusion lesson, imported from its lesson file: for tests about the shipped text."""
    return factory.import_diffusion()


@pytest.fixture
def lesson(db):
    """A made lesson shaped like the shipped one (6 questions, an ordering exercise of six stages a-f whose
    correct order is b d c f a e, a prediction with 3 rubric points, 10 cards), for tests that need no shipped text."""
    made = factory.make_lesson(slug="made", title="A made lesson", questions=6, cards=10)
    return Lesson.objects.for_practice().get(pk=made.pk)


@pytest.fixture
def make_lesson(db):
    """A lesson with ``size`` questions and cards (no exercises), in one shared course, for query counts at two sizes."""

    def make(slug="sized", *, size=3, published=True):
        course, _ = Course.objects.get_or_create(title="Sized course", defaults={"slug": "sized-course"})
        return factory.make_lesson(
            course=course, slug=slug, questions=size, cards=size, ordering=False, prediction=False, published=published
        )

    return make


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp lets the axe-core audit inject its script; CSP itself is tested with its own context.
    return {**browser_context_args, "bypass_csp": True}


def login_context(context, live_server, user):
    """Put a logged-in session cookie for ``user`` into a browser context (no password hashing)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def student_page(page, live_server, student):
    """A page logged in as ``student``. Set up after the database, so torn down before its flush: it first
    waits until every request the page sent has its response, since one still being served would hold row
    locks while the flush truncates the tables (a deadlock seen in CI). ``wait_for_load_state("networkidle")``
    cannot do this: it returns at once for a page that was idle once, whatever htmx sent since."""
    in_flight = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    login_context(page.context, live_server, student)
    yield page
    if not page.is_closed():
        deadline = time.monotonic() + 15
        while in_flight and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the responses' events
        page.close()
