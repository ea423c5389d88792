"""LTI 1.3 against a platform run inside the tests (tests/lti_platform.py): real keys, real signed JWTs, real HTTP.

Nothing of ours is mocked: the tool fetches the platform's key set, gets
service tokens with a JWT it signs, reads the roster and posts scores over HTTP
to the platform's thread on 127.0.0.1.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lti_tool.models import Key, LtiDeployment, LtiUser

from lessons.models import (
    ClassContext,
    ClassLesson,
    Classroom,
    Enrollment,
    LaunchNonce,
    LessonLink,
    PlatformFrame,
    ScoreOutbox,
    SelfCheckQuestion,
)
from lessons.services import lti as services
from tests.factory import first_memory, make_class
from tests.lti_platform import LTI, ROLE_INSTRUCTOR, Platform, new_key, register

pytestmark = pytest.mark.django_db

ALICE = {
    "sub": "u-alice",
    "name": "Alice Martin",
    "given_name": "Alice",
    "family_name": "Martin",
    "email": "alice@school.edu",
}
BOB = {"sub": "u-bob", "name": "Bob Chen", "given_name": "Bob", "family_name": "Chen", "email": "bob@school.edu"}
TEACHER = {
    "sub": "u-teach",
    "name": "Tess Ward",
    "given_name": "Tess",
    "family_name": "Ward",
    "email": "tess@school.edu",
}
LAUNCH_URL = "http://testserver/lti/launch/"


def member(user, role="Learner", status="Active"):
    roles = [f"http://purl.imsglobal.org/vocab/lis/v2/membership#{role}"]
    return {"user_id": user["sub"], "status": status, "roles": roles, **{k: v for k, v in user.items() if k != "sub"}}


@pytest.fixture
def platform():
    lms = Platform()
    lms.tool_launch_url = LAUNCH_URL
    yield lms
    lms.close()
    services.frame_origins_forget()


@pytest.fixture
def registration(platform, client):
    return register(platform, client)


def oidc_login(client, platform, **extra):
    """Step 1: the platform starts a login; returns the (state, nonce) our redirect carries."""
    secure = extra.pop("secure", False)
    response = client.get(
        reverse("lti_login"),
        {
            "iss": platform.issuer,
            "client_id": platform.client_id,
            "login_hint": "hint",
            "lti_message_hint": "message",
            "target_link_uri": LAUNCH_URL,
            **extra,
        },
        secure=secure,
    )
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == platform.auth_url
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["redirect_uri"] == LAUNCH_URL.replace("http:", "https:" if secure else "http:")
    assert query["client_id"] == platform.client_id
    return query["state"], query["nonce"]


def launch(client, platform, user, *, sign=None, secure=False, **claims):
    """A full OIDC login and launch through our URLs; returns the launch response."""
    state, nonce = oidc_login(client, platform, secure=secure)
    token = (sign or platform.sign)(platform.launch_claims(user=user, nonce=nonce, **claims))
    return client.post(reverse("lti_launch"), {"id_token": token, "state": state}, secure=secure)


# ---------------------------------------------------------------- launch


def test_student_launch_creates_the_account_and_class_and_opens_the_lesson(client, platform, registration, make_lesson):
    lesson = make_lesson("cells")
    response = launch(client, platform, ALICE, lesson="cells")

    assert response.status_code == 302
    assert response["Location"] == lesson.get_absolute_url()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Lesson cells" in page.content.decode()

    alice = User.objects.get(lti_users__sub="u-alice")
    assert (alice.first_name, alice.last_name, alice.email) == ("Alice", "Martin", "alice@school.edu")
    assert not alice.has_usable_password() and not alice.is_staff
    classroom = Classroom.objects.get(lti_binding__context__id_on_platform="course-1")
    assert classroom.name == "Biology 101"
    assert Enrollment.objects.filter(classroom=classroom, student=alice).exists()
    assert ClassLesson.objects.filter(classroom=classroom, lesson=lesson).exists()
    link = LessonLink.objects.get(lesson=lesson)
    assert link.line_item_url == platform.lineitem_url("item-1")


def test_a_second_launch_finds_the_same_account_by_platform_id_and_refreshes_the_name(
    client, platform, registration, make_lesson
):
    make_lesson("cells")
    launch(client, platform, ALICE, lesson="cells")
    renamed = {**ALICE, "family_name": "Martin-Diaz", "email": "alice.md@school.edu"}
    other = Client()
    assert launch(other, platform, renamed, lesson="cells").status_code == 302
    alice = User.objects.get(lti_users__sub="u-alice")
    assert (alice.last_name, alice.email) == ("Martin-Diaz", "alice.md@school.edu")
    assert User.objects.filter(lti_users__isnull=False).count() == 1
    assert Enrollment.objects.count() == 1


def test_a_local_account_with_the_same_username_or_email_is_never_taken_over(
    client, platform, registration, make_lesson
):
    make_lesson("cells")
    local = User.objects.create_user("alice-martin", email="alice@school.edu", password="a-Long-passw0rd")
    launch(client, platform, ALICE, lesson="cells")
    alice = User.objects.get(lti_users__sub="u-alice")
    assert alice.pk != local.pk
    assert alice.username != "alice-martin"
    local.refresh_from_db()
    assert not local.lti_users.exists()


def test_instructor_launch_lands_on_the_class_dashboard_with_the_roster(client, platform, registration, make_lesson):
    make_lesson("cells")
    platform.members["course-1"] = [member(TEACHER, "Instructor"), member(ALICE), member(BOB)]

    response = launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, lesson="cells")

    classroom = Classroom.objects.get(lti_binding__context__id_on_platform="course-1")
    assert response["Location"] == reverse("class_dashboard", args=[classroom.pk])
    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    text = dashboard.content.decode()
    assert "Refresh roster from the LMS" in text
    teacher = User.objects.get(lti_users__sub="u-teach")
    assert teacher.is_staff and teacher.groups.filter(name="Instructors").exists()
    assert list(classroom.instructors.all()) == [teacher]
    students = Enrollment.objects.filter(classroom=classroom).select_related("student")
    assert sorted((e.student.first_name, e.student.last_name, e.student.email) for e in students) == [
        ("Alice", "Martin", "alice@school.edu"),
        ("Bob", "Chen", "bob@school.edu"),
    ]


# ---------------------------------------------------------------- refused launches


def assert_refused(response, text):
    assert response.status_code == 403
    assert text in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    assert not User.objects.filter(lti_users__isnull=False).exists()
    assert not Enrollment.objects.exists()
    assert not ScoreOutbox.objects.exists()


def test_a_launch_signed_with_another_key_is_refused(client, platform, registration, make_lesson):
    make_lesson("cells")
    _, forged_pem = new_key()  # same kid, other key: the signature does not match the platform's key set

    def forge(claims):
        return platform.sign(claims, private_pem=forged_pem)

    assert_refused(launch(client, platform, ALICE, lesson="cells", sign=forge), "Signature verification failed")


def test_a_launch_for_another_audience_is_refused(client, platform, registration, make_lesson):
    make_lesson("cells")
    assert_refused(launch(client, platform, ALICE, lesson="cells", audience="another-tool"), "Registration not found")


def test_an_expired_launch_is_refused(client, platform, registration, make_lesson):
    make_lesson("cells")
    old = timezone.now() - timedelta(hours=2)
    response = launch(client, platform, ALICE, lesson="cells", issued_at=old.timestamp(), expires_in=300)
    assert_refused(response, "Signature has expired")


def test_a_replayed_launch_is_refused(client, platform, registration, make_lesson):
    make_lesson("cells")
    state, nonce = oidc_login(client, platform)
    token = platform.sign(platform.launch_claims(user=ALICE, nonce=nonce, lesson="cells"))
    first = client.post(reverse("lti_launch"), {"id_token": token, "state": state})
    assert first.status_code == 302

    attacker = Client()
    attacker.cookies = client.cookies  # even with the victim's state cookie
    replay = attacker.post(reverse("lti_launch"), {"id_token": token, "state": state})
    assert replay.status_code == 403
    assert "already used" in replay.content.decode()
    assert LaunchNonce.objects.filter(nonce=nonce).count() == 1


def test_a_nonce_we_never_issued_is_refused(client, platform, registration, make_lesson):
    make_lesson("cells")
    state, _ = oidc_login(client, platform)
    token = platform.sign(platform.launch_claims(user=ALICE, nonce="made-up", lesson="cells"))
    assert_refused(client.post(reverse("lti_launch"), {"id_token": token, "state": state}), "Invalid Nonce")


def test_a_launch_from_an_unknown_deployment_is_refused(client, platform, registration, make_lesson):
    make_lesson("cells")
    response = launch(client, platform, ALICE, lesson="cells", deployment_id="deployment-unknown")
    assert_refused(response, "not enabled on this site")
    # django-lti records it, inactive, for an admin to approve.
    assert not LtiDeployment.objects.get(deployment_id="deployment-unknown").is_active


def test_a_launch_without_the_state_cookie_is_refused(platform, registration, make_lesson):
    make_lesson("cells")
    browser = Client()
    state, nonce = oidc_login(browser, platform)
    token = platform.sign(platform.launch_claims(user=ALICE, nonce=nonce, lesson="cells"))
    assert_refused(Client().post(reverse("lti_launch"), {"id_token": token, "state": state}), "State not found")


def test_a_disabled_account_cannot_launch(client, platform, registration, make_lesson):
    make_lesson("cells")
    launch(Client(), platform, ALICE, lesson="cells")
    User.objects.filter(lti_users__sub="u-alice").update(is_active=False)
    response = launch(client, platform, ALICE, lesson="cells")
    assert response.status_code == 403
    assert "disabled" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_malformed_claims_are_refused_not_a_500(client, platform, registration, make_lesson):
    make_lesson("cells")
    response = launch(client, platform, ALICE, lesson="cells", audience=["quizsite-tool", "other"])
    assert response.status_code == 403
    assert "azp" in response.content.decode()


def test_a_login_from_an_unregistered_platform_is_a_clear_400(client, platform, registration):
    response = client.get(
        reverse("lti_login"), {"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": LAUNCH_URL}
    )
    assert response.status_code == 400
    assert "could not start" in response.content.decode()


def test_garbage_posted_to_the_launch_url_is_refused_not_a_500(client, registration):
    for data in ({}, {"id_token": "not-a-jwt", "state": "x"}, {"id_token": "a.b.c", "state": "state-x"}):
        assert client.post(reverse("lti_launch"), data).status_code == 403


# ---------------------------------------------------------------- deep linking


def test_deep_linking_returns_one_signed_link_per_lesson(client, platform, registration, make_lesson):
    cells = make_lesson("cells")
    genes = make_lesson("genes")
    make_lesson("draft", published=False)
    response = launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, message_type="LtiDeepLinkingRequest")
    assert response["Location"] == reverse("lti_deep_link")

    picker = client.get(reverse("lti_deep_link"))
    text = picker.content.decode()
    assert "Lesson cells" in text and "Lesson genes" in text and "Lesson draft" not in text

    assert "Choose at least one lesson" in client.post(reverse("lti_deep_link"), {}).content.decode()
    answer = client.post(reverse("lti_deep_link"), {"lessons": [cells.pk, genes.pk]})
    assert answer.status_code == 200
    assert f'action="{platform.url}/deep-link-return"' in answer.content.decode()
    assert platform.url in answer["Content-Security-Policy"].split("form-action")[1].split(";")[0]

    token = answer.context["jwt"]
    platform.tool_jwks = client.get(reverse("lti_jwks")).json()
    claims = platform.verify_tool_jwt(token, audience=platform.issuer)  # signature, kid, audience, expiry
    assert claims["iss"] == platform.client_id
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "deployment_id"] == platform.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert [(i["type"], i["title"], i["url"], i["custom"]["lesson"]) for i in items] == [
        ("ltiResourceLink", "Lesson cells", LAUNCH_URL, "cells"),
        ("ltiResourceLink", "Lesson genes", LAUNCH_URL, "genes"),
    ]
    assert all(i["lineItem"]["scoreMaximum"] == 1 for i in items)


def test_a_forged_deep_linking_response_does_not_verify(client, platform, registration, make_lesson):
    cells = make_lesson("cells")
    launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, message_type="LtiDeepLinkingRequest")
    token = client.post(reverse("lti_deep_link"), {"lessons": [cells.pk]}).context["jwt"]
    platform.tool_jwks = client.get(reverse("lti_jwks")).json()
    header, body, signature = token.split(".")
    tampered = ".".join([header, body[:-4] + ("AAAA" if not body.endswith("AAAA") else "BBBB"), signature])
    with pytest.raises(jwt.InvalidTokenError):
        platform.verify_tool_jwt(tampered, audience=platform.issuer)


def test_the_lesson_picker_refuses_forged_and_unpublished_lessons(client, platform, registration, make_lesson):
    make_lesson("cells")
    draft = make_lesson("draft", published=False)
    launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, message_type="LtiDeepLinkingRequest")
    for forged in ([draft.pk], [999999], ["x"]):
        response = client.post(reverse("lti_deep_link"), {"lessons": forged})
        assert response.status_code == 200
        assert "jwt" not in response.context
        assert "message-error" in response.content.decode()


def test_students_cannot_deep_link(client, platform, registration, make_lesson):
    make_lesson("cells")
    response = launch(client, platform, ALICE, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 403
    assert "Only instructors" in response.content.decode()


def test_the_lesson_picker_needs_a_deep_linking_launch(client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("lti_deep_link"))
    assert response.status_code == 400
    assert "start again from your LMS" in response.content.decode()


# ---------------------------------------------------------------- roster (NRPS)


def test_roster_refresh_from_the_dashboard(client, platform, registration, make_lesson):
    make_lesson("cells")
    platform.members["course-1"] = [member(TEACHER, "Instructor"), member(ALICE)]
    launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, lesson="cells")
    classroom = Classroom.objects.get(lti_binding__isnull=False)
    assert Enrollment.objects.filter(classroom=classroom).count() == 1

    platform.members["course-1"] = [member(TEACHER, "Instructor"), member(ALICE, status="Inactive"), member(BOB)]
    response = client.post(reverse("lti_roster_refresh", args=[classroom.pk]), follow=True)
    assert (
        "Roster refreshed from the LMS: 1 students, 1 instructors; 1 no longer in the course."
        in response.content.decode()
    )
    assert [e.student.get_full_name() for e in Enrollment.objects.filter(classroom=classroom)] == ["Bob Chen"]
    assert ClassContext.objects.get(classroom=classroom).roster_synced_at is not None


def test_roster_refresh_is_only_for_the_class_instructors(client, platform, registration, make_lesson, make_user):
    make_lesson("cells")
    launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, lesson="cells")
    classroom = Classroom.objects.get(lti_binding__isnull=False)
    url = reverse("lti_roster_refresh", args=[classroom.pk])

    other_teacher = Client()
    other_teacher.force_login(make_user("other-teacher", instructor=True))
    assert other_teacher.post(url).status_code == 404
    a_student = Client()
    a_student.force_login(make_user("a-student"))
    assert a_student.post(url).status_code == 403
    own_class = make_class(User.objects.get(lti_users__sub="u-teach"))
    assert client.post(reverse("lti_roster_refresh", args=[own_class.pk])).status_code == 404  # not bound to an LMS


def test_roster_refresh_says_so_when_the_lms_is_down(client, platform, registration, make_lesson):
    make_lesson("cells")
    launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, lesson="cells")
    classroom = Classroom.objects.get(lti_binding__isnull=False)
    platform.close()
    response = client.post(reverse("lti_roster_refresh", args=[classroom.pk]), follow=True)
    assert response.status_code == 200
    assert "The LMS did not send the roster" in response.content.decode()


# ---------------------------------------------------------------- scores (AGS)


def reveal(client, question):
    response = client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
    assert response.status_code in (200, 302)


def test_scores_reach_the_gradebook_after_outages_none_lost_none_doubled(client, platform, registration, make_lesson):
    lesson = make_lesson("cells", size=2)  # 2 questions + the cards: 3 activities
    launch(client, platform, ALICE, lesson="cells")
    bob = Client()
    launch(bob, platform, BOB, lesson="cells", resource_link="link-1")
    first, second = SelfCheckQuestion.objects.filter(lesson=lesson).order_by("position")

    reveal(client, first)  # Alice: 1/3
    row = ScoreOutbox.objects.get(student__lti_users__sub="u-alice")
    assert (row.pending, round(row.progress, 3), row.completed) == (True, 0.333, False)

    platform.fail_next_scores = 5  # the gradebook is down
    call_command("lti_send_scores")
    assert platform.scores == []
    row.refresh_from_db()
    assert row.pending and row.attempts == 1 and "500" in row.last_error

    reveal(client, second)  # a change during the outage replaces the unsent score
    reveal(bob, first)
    now = timezone.now()
    for minutes in (0, 2, 5, 10, 20, 40):
        services.scores_send(now=now + timedelta(minutes=minutes))
    assert platform.fail_next_scores == 0
    assert not ScoreOutbox.objects.filter(pending=True).exists()

    by_user = {}
    for score in platform.scores:
        by_user.setdefault(score["body"]["userId"], []).append(score["body"])
    assert sorted(by_user) == ["u-alice", "u-bob"]
    assert [(s["scoreGiven"], s["scoreMaximum"], s["activityProgress"]) for s in by_user["u-alice"]] == [
        (0.6667, 1, "InProgress")
    ]
    assert [s["scoreGiven"] for s in by_user["u-bob"]] == [0.3333]
    assert {s["lineitem"] for s in platform.scores} == {"item-1"}

    call_command("lti_send_scores")  # nothing new: nothing sent again
    assert len(platform.scores) == 2


def test_completion_is_sent_as_completed_and_a_lesson_edit_sends_the_new_share(
    client, platform, registration, make_lesson
):
    lesson = make_lesson("cells", size=1)
    launch(client, platform, ALICE, lesson="cells")
    launch(Client(), platform, BOB, lesson="cells")
    (question,) = SelfCheckQuestion.objects.filter(lesson=lesson)
    reveal(client, question)
    call_command("lti_send_scores")
    assert [(s["body"]["scoreGiven"], s["body"]["activityProgress"]) for s in platform.scores] == [(0.5, "InProgress")]

    # An edit adds a question: Alice's share drops from 1/2 to 1/3; Bob (nothing done) stays at 0, unsent.
    SelfCheckQuestion.objects.create(lesson=lesson, position=9, question="New?", answer="Yes.")
    call_command("lti_send_scores")
    assert [s["body"]["scoreGiven"] for s in platform.scores] == [0.5, 0.3333]

    platform.scores.clear()
    # Finish it: the cards of the lesson count as one activity.
    from lessons.models import CardState, CardStateKind, Flashcard  # noqa: PLC0415 - only this test needs them

    for card in Flashcard.objects.filter(lesson=lesson):
        CardState.objects.create(
            user=User.objects.get(lti_users__sub="u-alice"),
            card=card,
            state=CardStateKind.REVIEW,
            due=timezone.now(),
            last_review=timezone.now(),
            **first_memory(),
        )
    reveal(client, SelfCheckQuestion.objects.get(position=9, lesson=lesson))
    call_command("lti_send_scores")
    assert [(s["body"]["scoreGiven"], s["body"]["activityProgress"]) for s in platform.scores] == [(1, "Completed")]


def test_activity_of_a_student_without_lms_links_writes_no_score(student_client, make_lesson):
    lesson = make_lesson("cells")
    reveal(student_client, SelfCheckQuestion.objects.filter(lesson=lesson).first())
    assert not ScoreOutbox.objects.exists()


# ---------------------------------------------------------------- framing and cookies


def test_without_a_platform_no_page_can_be_framed_and_cookies_are_unchanged(client, student, settings):
    settings.LTI_IFRAME_COOKIES = True
    services.frame_origins_forget()
    response = client.post(reverse("login"), {"username": "student", "password": "a-Long-passw0rd"}, secure=True)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def test_frame_ancestors_lists_exactly_the_platforms_for_lti_visitors(client, platform, registration, make_lesson):
    make_lesson("cells")
    launch(client, platform, ALICE, lesson="cells")
    response = client.get(reverse("class_list"))
    assert f"frame-ancestors {platform.url};" in response["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in response

    PlatformFrame.objects.create(registration=registration, origins="https://school.instructure.com/\nnot a url")
    services.frame_origins_forget()
    csp = client.get(reverse("class_list"))["Content-Security-Policy"]
    assert "frame-ancestors https://school.instructure.com;" in csp + ";"

    # Someone who did not come from an LMS is never framed.
    other = Client()
    other.force_login(User.objects.create_user("local"))
    response = other.get(reverse("class_list"))
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_refused_launch_can_still_show_its_message_in_the_lms_frame(client, platform, registration):
    response = client.post(reverse("lti_launch"), {"id_token": "a.b.c", "state": "x"})
    assert response.status_code == 403
    assert f"frame-ancestors {platform.url};" in response["Content-Security-Policy"] + ";"


def test_iframe_cookies_over_https_are_samesite_none_and_secure(client, platform, registration, make_lesson, settings):
    settings.LTI_IFRAME_COOKIES = True
    make_lesson("cells")
    response = launch(client, platform, ALICE, lesson="cells", secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert (session["samesite"], session["secure"], session["httponly"]) == ("None", True, True)
    assert "; Partitioned;" in session.OutputString()
    page = client.get(reverse("class_list"), secure=True)
    csrf = page.cookies["csrftoken"]
    assert (csrf["samesite"], csrf["secure"]) == ("None", True)
    messages = client.post(reverse("class_join"), {"code": "ZZZZZZZ"}, secure=True)
    assert messages.status_code == 200


def test_iframe_cookies_are_partitioned_with_pyltis_login_cookies(client, platform, registration, settings):
    settings.LTI_IFRAME_COOKIES = True
    response = client.get(
        reverse("lti_login"),
        {"iss": platform.issuer, "client_id": platform.client_id, "login_hint": "x", "target_link_uri": LAUNCH_URL},
        secure=True,
    )
    state = [name for name in response.cookies if name.startswith("lti1p3-state-")]
    assert state and all("; Partitioned;" in response.cookies[name].OutputString() for name in state)
    assert "SameSite=None" in response.cookies[state[0]].OutputString()


def test_a_launch_over_https_without_the_login_cookies_is_refused_not_a_500(platform, registration):
    response = Client().post(reverse("lti_launch"), {"id_token": "a.b.c", "state": "state-x"}, secure=True)
    assert response.status_code == 403
    assert "Missing" in response.content.decode()


def test_iframe_cookies_stay_lax_over_plain_http(client, platform, registration, make_lesson, settings):
    settings.LTI_IFRAME_COOKIES = True
    make_lesson("cells")
    response = launch(client, platform, ALICE, lesson="cells")
    session = response.cookies["sessionid"]
    assert (session["samesite"], session["secure"]) == ("Lax", "")


def test_iframe_cookies_setting_off_keeps_lax_even_over_https(client, platform, registration, make_lesson, settings):
    settings.LTI_IFRAME_COOKIES = False
    make_lesson("cells")
    session = launch(client, platform, ALICE, lesson="cells", secure=True).cookies["sessionid"]
    assert session["samesite"] == "Lax"


# ---------------------------------------------------------------- keys and admin


def test_key_rotation_from_the_admin_publishes_the_new_key(client, registration, admin_user):
    before = {key["kid"] for key in client.get(reverse("lti_jwks")).json()["keys"]}
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:lti_tool_key_changelist"),
        {"action": "rotate", "_selected_action": [Key.objects.first().pk]},
        follow=True,
    )
    assert "New signing key" in response.content.decode()
    after = {key["kid"] for key in client.get(reverse("lti_jwks")).json()["keys"]}
    assert len(after) == 2 and before < after  # the old key stays published a while


def test_saving_a_platform_in_the_admin_creates_the_tool_key_and_allows_framing(client, admin_user):
    client.force_login(admin_user)
    data = {
        "name": "Moodle",
        "is_active": "on",
        "issuer": "https://moodle.school.edu",
        "client_id": "abc123",
        "audience": "",
        "auth_url": "https://moodle.school.edu/mod/lti/auth.php",
        "token_url": "https://moodle.school.edu/mod/lti/token.php",
        "keyset_url": "https://moodle.school.edu/mod/lti/certs.php",
        "deployments-TOTAL_FORMS": "1",
        "deployments-INITIAL_FORMS": "0",
        "deployments-0-deployment_id": "7",
        "deployments-0-is_active": "on",
        "frame-TOTAL_FORMS": "1",
        "frame-INITIAL_FORMS": "0",
        "frame-0-origins": "",
    }
    response = client.post(reverse("admin:lti_tool_ltiregistration_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert LtiDeployment.objects.get(deployment_id="7").is_active
    assert Key.objects.active().count() == 1
    csp = client.post(reverse("lti_launch"), {})["Content-Security-Policy"]
    assert "frame-ancestors https://moodle.school.edu;" in csp + ";"
    services.frame_origins_forget()


def test_platform_user_records_link_one_account(client, platform, registration, make_lesson):
    make_lesson("cells")
    launch(client, platform, ALICE, lesson="cells")
    assert LtiUser.objects.get(sub="u-alice").auth_user.email == "alice@school.edu"


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("size", [2, 20])
def test_the_lesson_picker_query_count_does_not_grow(
    client, platform, registration, make_lesson, size, django_assert_max_num_queries
):
    for i in range(size):
        make_lesson(f"lesson-{i}", size=1)
    launch(client, platform, TEACHER, role=ROLE_INSTRUCTOR, message_type="LtiDeepLinkingRequest")
    # session (read, then its expiry refreshed), user, the deep-linking launch's registration, key,
    # platform user, lessons with their course
    with django_assert_max_num_queries(8):
        response = client.get(reverse("lti_deep_link"))
    assert response.content.decode().count('type="checkbox"') == size


# A launch's queries, savepoints included: the checks (key, registration, deployment, nonce), django-lti's
# sync of the LMS's user, context, membership, resource link and platform (an upsert each), our account,
# class, enrollment and lesson link, the progress for the gradebook (7 grouped queries), the session.
LAUNCH_BUDGET = 75


@pytest.mark.parametrize("size", [2, 20])
def test_a_student_launch_query_count_does_not_grow_with_the_class(
    client, platform, registration, make_lesson, size, django_assert_max_num_queries
):
    make_lesson("cells")
    for i in range(size):
        launch(Client(), platform, {**BOB, "sub": f"u-{i}", "email": f"s{i}@school.edu"}, lesson="cells")
    assert Enrollment.objects.count() == size
    state, nonce = oidc_login(client, platform)
    token = platform.sign(platform.launch_claims(user=ALICE, nonce=nonce, lesson="cells"))
    with django_assert_max_num_queries(LAUNCH_BUDGET):
        response = client.post(reverse("lti_launch"), {"id_token": token, "state": state})
    assert response.status_code == 302
