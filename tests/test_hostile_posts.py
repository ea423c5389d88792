"""Random and hostile POSTs to every URL of the site: never a 500, and a refused request stores nothing.

Endpoints come from the resolver (tests/test_permissions_matrix.py walks it), so a new view is
attacked without anyone adding it here. Path parameters are filled with the ids and slugs the
permission matrix uses (real objects) and with forged ones of the right shape (huge ints,
random slugs). Form fields are the names found in the site's own forms plus common ones,
with hostile values: oversized text, NUL bytes, markup, SQL, numbers out of range, lists.

Half the requests start from a valid form of the permission matrix (real ids in the path and in
the fields, e.g. the student's own submission number or a rubric point of the exercise) with some
fields replaced by hostile values, so validation is attacked past its first check; field values
also include the world's real ids and codes.

"Stores nothing" is checked on every student-data model (progress, review, classes, users):
after a 4xx answer, a forged id, a request without a CSRF token, or a form re-shown with its
errors at status 200 (a plain POST that succeeds redirects; an htmx one marks the errors), every
row is as before.
"""

import re
import sys
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import converters as path_converters
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.models import OrderingAttempt, OrderingReveal
from tests import factory

from .test_permissions_matrix import (
    HIDDEN_LABELS,
    MATRIX,
    ROLES,
    TOP_LEVEL_ONLY,
    make_world,
    shown_order,
    student_data,
    url_patterns,
)

COMMON_FIELDS = [
    "answer_text", "verdict", "rating", "order", "text", "confidence", "code", "join_code", "name",
    "points", "named_points", "version", "duration_ms", "item", "items", "label", "position", "next",
    "username", "password", "password1", "password2", "email", "old_password", "new_password1",
    "new_password2", "desired_retention", "new_cards_per_day", "time_zone", "id", "pk",
]  # fmt: skip
FIELD_NAME = re.compile(r'<(?:input|textarea|select|button)[^>]*\bname="([^"]+)"')
# How the site's templates mark a field the user must fix (or, for the ordering form, the whole form).
FORM_ERROR = re.compile(rb'aria-invalid="true"|class="field-error"|class="errorlist|class="message message-error')

# Posted by an LMS from its own site, so no CSRF token can come with them: a signed id_token, the state
# cookie of the login and a one-time nonce protect the launch instead (tests/test_lti.py).
CSRF_EXEMPT = {"lti_login", "lti_launch"}
ENDPOINTS = sorted(url.name for url in url_patterns() if url.name not in TOP_LEVEL_ONLY.values())
CONVERTERS = {url.name: url.converters for url in url_patterns()}

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "x" * 100_000,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "-1",
            "0",
            "1",
            "4",
            "99999999999999999999999",
            "9" * 5000,  # more digits than int() converts
            "\u00b2",  # a digit to str.isdigit, not to int()
            "0001",
            "1e309",
            "NaN",
            "null",
            "[]",
            '{"a": 1}',
            "got_it",
            "again",
            "b,d,c,f,a,e",
            "../../etc/passwd",
            "\ud7ff\ufeff",
        ]
    ),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=2, max_size=4))


def forged_value(converter):
    if isinstance(converter, path_converters.IntConverter):
        return st.one_of(st.integers(min_value=10**9, max_value=2**70), st.sampled_from([2**31, 2**63, 10**30]))
    if isinstance(converter, path_converters.SlugConverter):
        return st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True).map(lambda slug: f"forged-{slug}")
    if isinstance(converter, path_converters.UUIDConverter):
        return st.uuids().map(str)
    return st.text(st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), min_size=1, max_size=40)


def real_requests(name, world):
    """(path parameters, form) of the permission matrix's cases for this URL: real objects, valid forms."""
    options = [
        (case.kwargs(world) if case.kwargs else {}, case.data(world) if case.method == "POST" and case.data else {})
        for case in MATRIX.get(name, [])
    ]
    return options or [({}, {})]


def real_values(world):
    """Ids and codes of the world's objects, as a form would send them."""
    objects = [
        world.lesson, world.hidden_lesson, world.question, world.hidden_question, world.classroom, world.attempt,
        world.flashcard, world.fresh_card, world.hidden_card, world.card_state, world.review_log, world.hidden_log,
        world.prediction, world.hidden_prediction, world.hidden_rubric_point, world.submission,
        world.ordering, world.hidden_ordering, world.ordering_attempt,
        *world.prediction.rubric_points.all(), *world.users.values(),
    ]  # fmt: skip
    labels = {item.label for item in [*world.ordering.items.all(), *world.hidden_ordering.items.all()]}
    values = {str(obj.pk) for obj in objects} | {"1", "2", world.card_state.version} | labels
    return sorted(map(str, values)) + [world.classroom.join_code, world.lesson.slug, world.users["student"].username]


def form_field_names(world):
    """Field names of the forms on the pages a student and an instructor see, plus common ones."""
    names = set(COMMON_FIELDS)
    for role in ("student", "instructor"):
        client = Client()
        client.force_login(world.users[role])
        for name in ENDPOINTS:
            for case in MATRIX.get(name, []):
                if case.method != "GET":
                    continue
                response = client.get(reverse(name, kwargs=case.kwargs(world) if case.kwargs else None))
                if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                    names.update(FIELD_NAME.findall(response.content.decode()))
    return sorted(names)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The permission matrix's world, built once for the module; each test's writes are rolled back."""
    with factory.kept_for_module(django_db_blocker):
        with django_db_blocker.unblock():
            built = make_world()
            built.extra["fields"] = form_field_names(built)
            built.extra["values"] = real_values(built)
        yield built


def test_every_endpoint_with_parameters_is_attacked_with_real_ids(world, db):
    """The matrix gives every URL with path parameters real ones (not only forged ids)."""
    without_real_ids = [
        name for name in ENDPOINTS if CONVERTERS[name] and not any(kw for kw, _ in real_requests(name, world))
    ]
    assert without_real_ids == [], "add cases with real ids to the permission matrix"


@pytest.mark.parametrize("name", ENDPOINTS)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_hostile_posts_never_fail_and_store_nothing_when_refused(name, world, db, data):
    converters = CONVERTERS[name]
    # A URL with parameters that the permission matrix does not list yet can only be attacked with forged ones.
    known = any(case.kwargs for case in MATRIX.get(name, []))
    forged = bool(converters) and (not known or data.draw(st.booleans(), label="forged"))
    kwargs, valid_form = data.draw(st.sampled_from(real_requests(name, world)), label="real request")
    if forged:
        kwargs = {param: data.draw(forged_value(conv), label=param) for param, conv in converters.items()}
    url = reverse(name, kwargs=kwargs or None)
    fields = st.one_of(st.sampled_from(world.extra["fields"]), st.text(min_size=1, max_size=20))
    values = st.one_of(hostile_value, st.sampled_from(world.extra["values"]))
    form = data.draw(st.dictionaries(fields, values, max_size=6), label="form")
    if valid_form and data.draw(st.booleans(), label="from a valid form"):
        form = {
            **valid_form,
            **data.draw(st.dictionaries(st.sampled_from(sorted(valid_form)), values, max_size=2)),
        }
    role = data.draw(st.sampled_from(ROLES), label="role")
    without_csrf = data.draw(st.booleans(), label="without_csrf")
    htmx = data.draw(st.booleans(), label="htmx")

    client = Client(enforce_csrf_checks=without_csrf)
    if role != "anonymous":
        client.force_login(world.users[role])
    headers = {"HX-Request": "true"} if htmx else {}
    before = student_data()
    with transaction.atomic():  # keep the test's transaction usable even if the view breaks it
        response = client.post(url, form, headers=headers)
    assert response.status_code < 500, f"{response.status_code} for POST {url} as {role}: {form!r}"[:2000]
    if without_csrf and name not in CSRF_EXEMPT:
        assert response.status_code == 403, f"POST {url} without a CSRF token was not refused"
    reshown = response.status_code == 200 and (
        not htmx or (not response.streaming and FORM_ERROR.search(response.content) is not None)
    )
    if response.status_code >= 400 or forged or without_csrf or reshown:
        assert student_data() == before, f"POST {url} as {role} answered {response.status_code} but stored data"


# ---------------------------------------------------------------- the ordering exercise, payload by payload


def ordering_payloads(world):
    """Hostile "Check order" forms built on the real exercise, with the status each must get (the student has one try)."""
    right = world.ordering.correct_labels()
    shown = shown_order(world.ordering)
    payloads = {
        "the right order repeated 30 times": ({"order": right * 30}, 400),
        "past the item limit": ({"order": [*right, *(f"z{n}" for n in range(300))]}, 400),
        "more fields than Django accepts": ({"order": right * 200}, 400),
        "one enormous label": ({"order": [*right[:-1], "x" * 100_000]}, 400),
        "a label with a NUL byte": ({"order": [*right[:-1], right[-1] + "\x00"]}, 400),
        "a repeated label": ({"order": [*right[:-1], right[0]]}, 400),
        "every label twice": ({"order": right + right}, 400),
        "a label missing": ({"order": right[:-1]}, 400),
        "no order at all": ({}, 400),
        "the labels of another exercise": ({"order": list(HIDDEN_LABELS)}, 400),
        "one label of another exercise": ({"order": [*right[:-1], HIDDEN_LABELS[0]]}, 400),
        "positions for another exercise's labels": ({f"position-{label}": 1 for label in HIDDEN_LABELS}, 400),
        "a position out of range": ({**{f"position-{label}": n for n, label in enumerate(shown, 1)}, "position-a": 7}, 400),
        "a position in superscript": ({**{f"position-{label}": n for n, label in enumerate(shown, 1)}, "position-a": "\u00b2"}, 400),
        "positions for half the stages": ({f"position-{label}": n for n, label in enumerate(shown[:3], 1)}, 400),
        "a huge position": ({**{f"position-{label}": n for n, label in enumerate(shown, 1)}, "position-a": "9" * 5000}, 400),
    }  # fmt: skip
    for number in (
        "",
        "0",
        "-1",
        "1.0",
        " 2",
        "2 ",
        "1e3",
        "0x2",
        "\u00b2",
        "\u0662",
        "9" * 5000,
        "1000001",
        ["2", "0"],
    ):
        payloads[f"attempt {str(number)[:12]!r}"] = ({"attempt": number, "order": right}, 400)
    for number in (3, 999_999):  # the student has one try: any number past 2 skips ahead
        payloads[f"attempt {number}"] = ({"attempt": number, "order": right}, 409)
    return {name: ({"attempt": 2, **form}, status) for name, (form, status) in payloads.items()}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_hostile_ordering_checks_are_refused_and_store_nothing(world, db, htmx):
    client = Client()
    client.force_login(world.users["student"])
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("ordering_check", args=[world.ordering.pk])
    hidden_url = reverse("ordering_check", args=[world.hidden_ordering.pk])
    attempts = OrderingAttempt.objects.filter(user=world.users["student"], exercise=world.ordering)
    assert list(attempts.values_list("number", flat=True)) == [1]
    wrong = []
    for name, (form, status) in ordering_payloads(world).items():
        before = student_data()
        response = client.post(url, form, headers=headers)
        if response.status_code != status:
            wrong.append(f"{name}: expected {status}, got {response.status_code}")
        elif (
            status == 400
            and b"Nothing was saved" not in response.content
            and b"nothing was changed" not in response.content
        ):
            wrong.append(f"{name}: the 400 does not say what happened")
        if student_data() != before:
            wrong.append(f"{name}: answered {response.status_code} but stored data")
        before = student_data()
        if client.post(hidden_url, form, headers=headers).status_code != 404 or student_data() != before:
            wrong.append(f"{name}: the unpublished exercise answered or stored something")
    assert wrong == []
    # The same client can still make its real second try: the refusals left nothing behind.
    response = client.post(url, {"attempt": 2, "order": world.ordering.correct_labels()}, headers=headers)
    assert response.status_code == (200 if htmx else 302)
    assert list(attempts.values_list("number", "is_correct")) == [(1, False), (2, True)]


@pytest.mark.parametrize("role", ["other_student", "instructor"])
def test_show_answer_with_any_payload_before_a_try_stores_nothing(world, db, role):
    client = Client()
    client.force_login(world.users[role])
    url = reverse("ordering_reveal", args=[world.ordering.pk])
    for form in ({}, {"attempt": 1}, {"user": world.users["student"].pk}, {"order": world.ordering.correct_labels()}):
        before = student_data()
        response = client.post(url, form, headers={"HX-Request": "true"})
        assert response.status_code == 409, form
        assert b"Check your order at least once" in response.content
        assert b"pairs in order" not in response.content, "the student's result leaked"
        assert student_data() == before
    assert not OrderingReveal.objects.filter(user=world.users[role]).exists()


# ---------------------------------------------------------------- odd charsets, oversized forms, a database outage

ODD_CONTENT_TYPES = [
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data; boundary=BoUnDaRy; charset=utf-16",
    "multipart/form-data; boundary=BoUnDaRy; charset=no-such-charset",
]


def encoded_form(content_type, fields):
    if content_type.startswith("multipart"):
        parts = [f'--BoUnDaRy\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
        body = "".join(parts) + "--BoUnDaRy--\r\n"
    else:
        body = "&".join(f"{k}={v}" for k, v in fields.items())
    return body.encode("utf-16" if "utf-16" in content_type else "utf-8")


@pytest.mark.parametrize("role", ["anonymous", "student"])
def test_a_form_in_another_charset_is_refused_on_every_endpoint(world, db, role):
    """Django answered a urlencoded body in UTF-16 with a BadRequest whose error page read the body again: a 500.

    Sent with a valid CSRF token in the header, so the CSRF check reads the body as a browser's request would.
    """
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world.users[role])
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    wrong = []
    for name in ENDPOINTS:
        kwargs, form = real_requests(name, world)[0]
        url = reverse(name, kwargs=kwargs or None)
        for content_type in ODD_CONTENT_TYPES:
            before = student_data()
            with transaction.atomic():
                response = client.generic(
                    "POST", url, encoded_form(content_type, form or {"username": "student"}),
                    content_type=content_type, headers={"X-CSRFToken": token},
                )  # fmt: skip
            if response.status_code != 400 or b"Forms must be sent as UTF-8" not in response.content:
                wrong.append(f"POST {url} as {content_type}: {response.status_code}")
            if student_data() != before:
                wrong.append(f"POST {url} as {content_type} stored data")
    assert wrong == []


def test_utf8_is_accepted_however_it_is_capitalised_and_other_names_are_refused(world, db):
    for charset, status in (("utf-8", 302), ("UTF-8", 302), ('"utf-8"', 302), ("utf8", 400), ("us-ascii", 400)):
        client = Client()
        response = client.generic(
            "POST", reverse("login"), b"username=student&password=a-Long-passw0rd",
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )  # fmt: skip
        assert response.status_code == status, charset


ANONYMOUS_FORMS = {
    "login": lambda big: {"username": big, "password": big},
    "signup": lambda big: {"username": big, "password1": big, "password2": big},
    "password_reset": lambda big: {"email": big},
}


@pytest.mark.parametrize("size", [151, 300, 100_000, 2_000_000])
@pytest.mark.parametrize("name", sorted(ANONYMOUS_FORMS))
def test_oversized_fields_on_the_anonymous_forms(world, db, settings, name, size):
    settings.AXES_ENABLED = True  # the log-in failure is recorded by axes: the overflow was there
    before = student_data()
    client = Client(raise_request_exception=False)
    body = urlencode(ANONYMOUS_FORMS[name]("x" * size))
    response = client.post(reverse(name), body, content_type="application/x-www-form-urlencoded")
    if len(body) > settings.MAX_REQUEST_BODY_BYTES:
        assert response.status_code == 413, "refused from its length, unread"
        assert b"That request is too large" in response.content
    else:
        assert response.status_code in (200, 302), response.status_code  # the form with its errors; reset says "sent"
        if response.status_code == 200:
            assert FORM_ERROR.search(response.content), "the form says what is wrong"
    assert student_data() == before


def test_every_request_during_a_database_outage_answers_503():
    """Production settings, a database that refuses connections: pages, forms and the health check say 503."""
    from tests.test_production import production_env, run

    script = """
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a" * 32
for method, url, data in [
    ("get", "/healthz", None), ("get", "/", None), ("get", "/accounts/login/", None),
    ("post", "/accounts/login/", {"username": "student", "password": "x"}),
    ("post", "/accounts/signup/", {"username": "new", "password1": "x", "password2": "x"}),
    ("post", "/classes/join/", {"code": "ABCDEFG"}), ("post", "/questions/1/reveal/", {"answer_text": "x"}),
]:
    response = getattr(client, method)(url, data, HTTP_HOST="localhost", secure=True)
    print(method, url, response.status_code)
"""
    env = production_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere",
        DJANGO_SETTINGS_MODULE="quizsite.settings",
        DJANGO_ALLOWED_HOSTS="localhost",
    )
    result = run([sys.executable, "-c", script], env=env)
    statuses = [line.rsplit(" ", 1)[1] for line in result.stdout.splitlines()]
    assert len(statuses) == 7 and set(statuses) == {"503"}, result.stdout + result.stderr[-3000:]
