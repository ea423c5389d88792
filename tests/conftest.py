"""Shared fixtures: users, the diffusion lesson, lesson factories, browser set-up."""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from lessons.lessonfile import import_paths
from lessons.models import Course, Flashcard, Lesson, SelfCheckQuestion
from lessons.roles import instructors_group

CONTENT_DIR = Path(__file__).resolve().parent.parent / "lessons" / "content"
DIFFUSION_FILE = CONTENT_DIR / "diffusion.yaml"
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
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items or shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`."
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {message}")
    skip = pytest.mark.skip(reason=f"browser test skipped: {message} (REQUIRE_BROWSER=1 makes this a failure)")
    for item in browser_items:
        item.add_marker(skip)


def pytest_collection_finish(session):
    skipped = [i for i in session.items if "browser" in i.keywords and i.get_closest_marker("skip")]
    if skipped:
        print(f"\n*** {len(skipped)} browser tests will be SKIPPED: Chromium not found at {CHROMIUM}. ***\n")


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    # PBKDF2 at a million iterations costs 0.25 s a login; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False
    # Rate-limit counters live in the cache (local memory in tests): each test starts with none.
    cache.clear()


# ---------------------------------------------------------------- users


@pytest.fixture
def make_user(db):
    def make(username="student", *, instructor=False, password="a-Long-passw0rd"):
        user = User.objects.create_user(username=username, password=password, email=f"{username}@example.com")
        if instructor:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(instructors_group())
        return user

    return make


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
    """The shipped diffusion lesson, imported from its lesson file."""
    (result,) = import_paths([DIFFUSION_FILE])
    return Lesson.objects.for_practice().get(pk=result.lesson.pk)


@pytest.fixture
def make_lesson(db):
    """A lesson with ``size`` questions and cards, for query-count tests at two sizes."""

    def make(slug="sized", *, size=3, published=True):
        course, _ = Course.objects.get_or_create(title="Sized course", defaults={"slug": "sized-course"})
        lesson = Lesson.objects.create(
            course=course,
            slug=slug,
            title=f"Lesson {slug}",
            position=Lesson.objects.filter(course=course).count() + 1,
            published=published,
        )
        SelfCheckQuestion.objects.bulk_create(
            SelfCheckQuestion(lesson=lesson, position=i, question=f"Question {i}?", answer=f"Answer {i}.")
            for i in range(1, size + 1)
        )
        Flashcard.objects.bulk_create(
            Flashcard(lesson=lesson, position=i, front=f"Front {i}", back=f"Back {i}") for i in range(1, size + 1)
        )
        return lesson

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
    login_context(page.context, live_server, student)
    return page
