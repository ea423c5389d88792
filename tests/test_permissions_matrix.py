"""Every URL of the site, as anonymous, student, another student, instructor and another instructor.

The URLs come from the resolver, so a new view cannot be forgotten: a URL name missing from
MATRIX fails ``test_every_url_is_in_the_matrix``. To add a view, add its name to MATRIX with
one Case per interesting request (the objects it needs live on ``World``; extend ``make_world``).

Expected statuses are given in ROLES order. ``LOGIN`` means "redirected to the log-in page",
``ADMIN_LOGIN`` "redirected to the admin's log-in page". Each case runs in a savepoint that is
rolled back, with a fresh client, so cases do not depend on each other's writes.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lessons.lessonfile import import_paths
from lessons.models import (
    ClassLesson,
    Classroom,
    Course,
    Enrollment,
    Flashcard,
    Lesson,
    OrderingExercise,
    PredictionExercise,
    SelfCheckAttempt,
    SelfCheckQuestion,
)
from lessons.services.selfcheck import selfcheck_reveal

from .conftest import DIFFUSION_FILE

ROLES = ("anonymous", "student", "other_student", "instructor", "other_instructor")
LOGIN = "/accounts/login/?next="
ADMIN_LOGIN = "/admin/login/?next="
# Namespaces whose inner URLs belong to a third party: only their top level is walked.
TOP_LEVEL_ONLY = {"admin": "admin:index"}


# ---------------------------------------------------------------- the world every case runs in


@dataclass
class World:
    """One of everything, owned by ``student`` and taught by ``instructor``; the others own nothing here."""

    users: dict[str, User]
    course: Course
    lesson: Lesson
    hidden_lesson: Lesson
    question: SelfCheckQuestion
    hidden_question: SelfCheckQuestion
    classroom: Classroom
    attempt: SelfCheckAttempt
    flashcard: Flashcard
    ordering: OrderingExercise
    prediction: PredictionExercise
    extra: dict[str, Any] = field(default_factory=dict)


def make_world(make_user) -> World:
    (result,) = import_paths([DIFFUSION_FILE])
    lesson = result.lesson
    hidden_lesson = Lesson.objects.create(
        course=lesson.course, slug="hidden", title="Not published yet", position=99, published=False
    )
    hidden_question = SelfCheckQuestion.objects.create(lesson=hidden_lesson, position=1, question="Q?", answer="A.")
    users = {
        "student": make_user("student"),
        "other_student": make_user("other_student"),
        "instructor": make_user("instructor", instructor=True),
        "other_instructor": make_user("other_instructor", instructor=True),
    }
    classroom = Classroom.objects.create(name="Period 1")
    classroom.instructors.add(users["instructor"])
    ClassLesson.objects.create(classroom=classroom, lesson=lesson, position=1)
    Enrollment.objects.create(classroom=classroom, student=users["student"])
    question = lesson.questions.first()
    attempt = selfcheck_reveal(user=users["student"], question=question, answer_text="my own words")
    return World(
        users=users,
        course=lesson.course,
        lesson=lesson,
        hidden_lesson=hidden_lesson,
        question=question,
        hidden_question=hidden_question,
        classroom=classroom,
        attempt=attempt,
        flashcard=lesson.flashcards.first(),
        ordering=lesson.ordering_exercises.first(),
        prediction=lesson.predictions.first(),
    )


# ---------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Case:
    method: str
    expected: tuple  # one status (or LOGIN / ADMIN_LOGIN) per role, in ROLES order
    kwargs: Any = None  # callable World -> URL kwargs
    data: Any = None  # callable World -> POST data
    note: str = ""


def everyone(status):
    return (status,) * len(ROLES)


def logged_in(status):
    return (LOGIN, *(status,) * (len(ROLES) - 1))


def lesson_kwargs(w):
    return {"slug": w.lesson.slug}


def hidden_lesson_kwargs(w):
    return {"slug": w.hidden_lesson.slug}


def question_kwargs(w):
    return {"question_id": w.question.pk}


def hidden_question_kwargs(w):
    return {"question_id": w.hidden_question.pk}


FORGED_ID = 2_000_000_000

MATRIX: dict[str, list[Case]] = {
    # Public pages.
    "home": [Case("GET", everyone(200))],
    "healthz": [Case("GET", everyone(200)), Case("POST", everyone(405))],
    "signup": [Case("GET", (200, 302, 302, 302, 302), note="logged-in users go home")],
    "login": [Case("GET", everyone(200))],
    "logout": [Case("GET", logged_in(405)), Case("POST", logged_in(302))],
    "password_reset": [Case("GET", everyone(200))],
    "password_reset_done": [Case("GET", everyone(200))],
    "password_reset_confirm": [
        Case("GET", everyone(200), kwargs=lambda w: {"uidb64": "MQ", "token": "forged-token"}, note="invalid link")
    ],
    "password_reset_complete": [Case("GET", everyone(200))],
    # Accounts.
    "password_change": [Case("GET", logged_in(200))],
    "password_change_done": [Case("GET", logged_in(200))],
    # Content pages.
    "course_detail": [
        Case("GET", logged_in(200), kwargs=lambda w: {"slug": w.course.slug}),
        Case("GET", logged_in(404), kwargs=lambda w: {"slug": "no-such-course"}),
    ],
    "lesson_detail": [
        Case("GET", logged_in(200), kwargs=lesson_kwargs),
        Case("GET", logged_in(404), kwargs=hidden_lesson_kwargs, note="unpublished"),
        Case("GET", logged_in(404), kwargs=lambda w: {"slug": "no-such-lesson"}),
    ],
    # Self-check.
    "selfcheck_reveal": [
        Case("GET", logged_in(405), kwargs=question_kwargs),
        Case("POST", logged_in(302), kwargs=question_kwargs, data=lambda w: {"answer_text": "a try"}),
        Case("POST", logged_in(404), kwargs=hidden_question_kwargs, data=lambda w: {"answer_text": "a try"}),
        Case("POST", logged_in(404), kwargs=lambda w: {"question_id": FORGED_ID}, data=lambda w: {}),
    ],
    "selfcheck_judge": [
        Case("GET", logged_in(405), kwargs=question_kwargs),
        Case(
            "POST",
            (LOGIN, 302, 409, 409, 409),
            kwargs=question_kwargs,
            data=lambda w: {"verdict": "got_it"},
            note="only the student who revealed the question can judge it",
        ),
        Case("POST", logged_in(404), kwargs=hidden_question_kwargs, data=lambda w: {"verdict": "got_it"}),
    ],
    # Authoring.
    "admin:index": [Case("GET", (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, 200))],
}


# ---------------------------------------------------------------- walking the resolver


@dataclass(frozen=True)
class SiteURL:
    name: str | None
    route: str
    converters: dict  # path parameter -> Django path converter


def url_patterns(resolver=None, prefix="", namespace="", converters=None):
    """Every URL of the site; third-party namespaces (the admin) only at their top level."""
    resolver = resolver or get_resolver()
    converters = converters or {}
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        params = {**converters, **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace in TOP_LEVEL_ONLY:
                yield SiteURL(TOP_LEVEL_ONLY[pattern.namespace], route, params)
            else:
                yield from url_patterns(pattern, route, inner, params)
        elif isinstance(pattern, URLPattern):
            yield SiteURL(f"{namespace}{pattern.name}" if pattern.name else None, route, params)


def site_url_names():
    return {url.name for url in url_patterns()}


def case_url(name, case, world):
    return reverse(name, kwargs=case.kwargs(world) if case.kwargs else None)


def client_for(role, world):
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def request(client, case, url, world):
    if case.method == "GET":
        return client.get(url)
    return client.post(url, case.data(world) if case.data else {})


def outcome(response):
    """The status, or LOGIN / ADMIN_LOGIN for a redirect to a log-in page."""
    location = response.get("Location", "")
    if response.status_code == 302:
        for target in (LOGIN, ADMIN_LOGIN):
            if location.startswith(target):
                return target
    return response.status_code


# ---------------------------------------------------------------- tests


def test_every_url_has_a_name():
    unnamed = [url.route for url in url_patterns() if url.name is None]
    assert unnamed == [], "give these URL patterns a name so the matrix can list them"


def test_every_url_is_in_the_matrix():
    missing = sorted(site_url_names() - MATRIX.keys())
    assert missing == [], f"add these URL names to MATRIX in {__name__} with their expected statuses"


def test_the_matrix_lists_no_url_that_is_gone():
    assert sorted(MATRIX.keys() - site_url_names()) == []


def test_every_case_gives_one_status_per_role():
    for name, cases in MATRIX.items():
        for case in cases:
            assert len(case.expected) == len(ROLES), name


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, make_user):
    world = make_world(make_user)
    index = ROLES.index(role)
    mismatches = []
    checked = 0
    for name in sorted(site_url_names()):
        for case in MATRIX.get(name, []):
            with transaction.atomic():
                url = case_url(name, case, world)
                got = outcome(request(client_for(role, world), case, url, world))
                transaction.set_rollback(True)
            checked += 1
            if got != case.expected[index]:
                mismatches.append(
                    f"{case.method} {url} ({name}{', ' + case.note if case.note else ''}): "
                    f"expected {case.expected[index]}, got {got}"
                )
    assert checked >= len(MATRIX)
    assert mismatches == [], f"as {role}:\n" + "\n".join(mismatches)


def test_the_matrix_can_fail(make_user):
    """A wrong expectation is reported (the comparison is real)."""
    world = make_world(make_user)
    case = Case("GET", logged_in(200), kwargs=hidden_lesson_kwargs)
    response = request(client_for("student", world), case, case_url("lesson_detail", case, world), world)
    assert outcome(response) == 404 != case.expected[1]
