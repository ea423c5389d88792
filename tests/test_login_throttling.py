"""Login throttling: django-axes locks (username, address) after five wrong passwords, in the database;
per-address rate limits (django-ratelimit, in the cache) cap log-ins, failures, sign-ups, resets and
join-code guesses; the address is the client's, behind the configured number of trusted proxies.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

PASSWORD = "a-Long-passw0rd"
WRONG = "not-the-password"


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting every hash it computes: a locked-out login must not cost one."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def axes_on(settings, db):
    # tests/conftest.py turns axes off for every other test; this module is about it.
    settings.AXES_ENABLED = True
    settings.PASSWORD_HASHERS = ["tests.test_login_throttling.CountingHasher"]
    reset()
    yield
    reset()


def log_in(username, password, *, ip="203.0.113.7"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def hashes_during(action):
    before = CountingHasher.calls
    result = action()
    return result, CountingHasher.calls - before


def test_the_sixth_wrong_password_is_refused_without_hashing(make_user):
    make_user("victim", password=PASSWORD)
    for attempt in range(1, 5):
        (_, response), hashes = hashes_during(lambda: log_in("victim", WRONG))
        assert response.status_code == 200, attempt
        assert "Please enter a correct username and password" in response.content.decode()
        assert hashes == 1, "a wrong password is checked by hashing it"
    (_, fifth), _ = hashes_during(lambda: log_in("victim", WRONG))
    assert fifth.status_code == 429
    assert "Too many failed log-ins" in fifth.content.decode()

    (_, sixth), hashes = hashes_during(lambda: log_in("victim", WRONG))
    assert sixth.status_code == 429
    assert "Too many failed log-ins" in sixth.content.decode()
    assert hashes == 0, "a locked-out attempt must be refused before any password hashing"

    # Even the right password is refused while locked, still without hashing.
    (client, right), hashes = hashes_during(lambda: log_in("victim", PASSWORD))
    assert right.status_code == 429
    assert hashes == 0
    assert "_auth_user_id" not in client.session

    attempt = AccessAttempt.objects.get(username="victim")
    assert attempt.failures_since_start >= 5
    assert attempt.ip_address == "203.0.113.7"


def test_other_users_and_other_connections_are_unaffected(make_user):
    make_user("victim", password=PASSWORD)
    make_user("bystander", password=PASSWORD)
    for _ in range(6):
        log_in("victim", WRONG)
    assert log_in("victim", PASSWORD)[1].status_code == 429

    client, response = log_in("bystander", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"].username == "bystander"

    # The lock is on (username, IP): the real owner on another connection still gets in.
    client, response = log_in("victim", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) > 0


def test_the_lock_ends_after_the_cool_off(make_user, settings):
    make_user("victim", password=PASSWORD)
    for _ in range(5):
        log_in("victim", WRONG)
    assert log_in("victim", PASSWORD)[1].status_code == 429
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    long_ago = timezone.now() - cool_off - timedelta(seconds=1)
    AccessAttempt.objects.filter(username="victim").update(attempt_time=long_ago)
    assert log_in("victim", PASSWORD)[1].status_code == 302


def test_a_good_login_resets_the_count(make_user):
    make_user("victim", password=PASSWORD)
    for _ in range(4):
        log_in("victim", WRONG)
    assert log_in("victim", PASSWORD)[1].status_code == 302
    for _ in range(4):
        assert log_in("victim", WRONG)[1].status_code == 200


# ---------------------------------------------------------------- behind the proxy (finding 1)

PROXY = "10.0.0.2"  # the load balancer: every request reaches the app from it


def via_proxy(username, password, *, client_ip, spoofed=None):
    """A log-in through one trusted proxy, which appends the address it saw to X-Forwarded-For."""
    forwarded = f"{spoofed}, {client_ip}" if spoofed else client_ip
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    return client, client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def test_behind_the_proxy_a_stranger_cannot_lock_a_student_out(make_user, one_proxy):
    make_user("victim", password=PASSWORD)
    for _ in range(6):
        via_proxy("victim", WRONG, client_ip="198.51.100.66")
    assert via_proxy("victim", PASSWORD, client_ip="198.51.100.66")[1].status_code == 429, "the stranger is locked"
    attempt = AccessAttempt.objects.get(username="victim")
    assert attempt.ip_address == "198.51.100.66", "the lock is on the client's address, not the proxy's"

    client, response = via_proxy("victim", PASSWORD, client_ip="203.0.113.7")
    assert response.status_code == 302, "the student, from their own address, still gets in"
    assert int(client.session["_auth_user_id"]) > 0


def test_a_forged_forwarded_header_does_not_choose_the_address(make_user, one_proxy):
    """Only the entry the trusted proxy wrote counts: the attacker cannot pose as the student's address."""
    make_user("victim", password=PASSWORD)
    for _ in range(6):
        via_proxy("victim", WRONG, client_ip="198.51.100.66", spoofed="203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    assert via_proxy("victim", PASSWORD, client_ip="203.0.113.7")[1].status_code == 302


def test_without_trusted_proxies_the_forwarded_header_is_ignored(make_user):
    make_user("victim", password=PASSWORD)
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    client.post(reverse("login"), {"username": "victim", "password": WRONG})
    assert AccessAttempt.objects.get(username="victim").ip_address == "203.0.113.9"


def test_a_successful_password_reset_unlocks_the_account(make_user):
    user = make_user("victim", password=PASSWORD)
    for _ in range(5):
        log_in("victim", WRONG)
    assert log_in("victim", PASSWORD)[1].status_code == 429
    locked_page = log_in("victim", PASSWORD)[1].content.decode()
    assert "reset your password" in locked_page

    client = Client(REMOTE_ADDR="203.0.113.7")
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "A-new-l0ng-secret", "new_password2": "A-new-l0ng-secret"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="victim").exists()
    assert log_in("victim", "A-new-l0ng-secret")[1].status_code == 302, "unlocked on the address that was locked"


# ---------------------------------------------------------------- per-address limits (finding 2)


def test_a_login_flood_from_one_address_is_refused_before_hashing(make_user, settings):
    """Unknown usernames, many of them, from one address: past the limit, no password hash at all."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failure": "10/10m"}
    make_user("student", password=PASSWORD)
    for n in range(10):
        (_, response), hashes = hashes_during(lambda n=n: log_in(f"nobody{n}", WRONG, ip="198.51.100.66"))
        assert response.status_code == 200, n
    (_, response), hashes = hashes_during(lambda: log_in("nobody-else", WRONG, ip="198.51.100.66"))
    assert response.status_code == 429
    assert hashes == 0
    assert 0 < int(response["Retry-After"]) <= 600
    assert "Too many attempts from your network" in response.content.decode()
    # Another address is not affected, and neither is any account: no username is locked.
    assert log_in("student", PASSWORD, ip="203.0.113.7")[1].status_code == 302
    assert not AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).exists()


def test_every_login_post_counts_against_the_address(make_user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    make_user("student", password=PASSWORD)
    statuses = [log_in("student", PASSWORD, ip="198.51.100.9")[1].status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert Client(REMOTE_ADDR="198.51.100.9").get(reverse("login")).status_code == 200, "the form itself still shows"


def test_signup_and_password_reset_are_limited_per_address(make_user, settings):
    from django.contrib.auth.models import User

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/h", "password_reset": "2/h"}
    client = Client(REMOTE_ADDR="198.51.100.9")
    statuses = []
    for n in range(3):
        client.post(reverse("logout"))
        form = {
            "display_name": f"New {n}",
            "email": f"new{n}@example.com",
            "username": f"new{n}",
            "password1": "A-l0ng-passphrase",
            "password2": "A-l0ng-passphrase",
        }
        statuses.append(client.post(reverse("signup"), form).status_code)
    assert statuses == [302, 302, 429]
    assert not User.objects.filter(username="new2").exists()

    make_user("victim")
    mail.outbox.clear()  # the two sign-ups' (optional) verification links
    resets = [client.post(reverse("password_reset"), {"email": "victim@example.com"}) for _ in range(3)]
    assert [r.status_code for r in resets] == [302, 302, 429]
    assert len(mail.outbox) == 2
    assert resets[-1].has_header("Retry-After")


def test_join_code_guessing_is_limited_per_address(make_user, settings):
    from lessons.models import Classroom

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "join_failure": "5/10m"}
    classroom = Classroom.objects.create(name="Period 1")
    guesser = Client(REMOTE_ADDR="198.51.100.9")
    guesser.force_login(make_user("guesser"))
    statuses = [guesser.post(reverse("class_join"), {"code": f"ABCDEF{n}"}).status_code for n in range(5)]
    assert statuses == [200] * 5  # each re-shows the form: no such class
    refused = guesser.post(reverse("class_join"), {"code": classroom.join_code})
    assert refused.status_code == 429, "even the right code, once the address has guessed too often"
    assert refused.has_header("Retry-After")
    assert guesser.get(reverse("class_join_link", args=[classroom.join_code])).status_code == 429
    assert not classroom.enrollments.exists()

    # A classmate on another connection joins normally.
    classmate = Client(REMOTE_ADDR="203.0.113.7")
    classmate.force_login(make_user("classmate"))
    assert classmate.post(reverse("class_join"), {"code": classroom.join_code}).status_code == 302
    assert classroom.enrollments.count() == 1


def test_an_overlong_username_is_a_form_error_not_a_500(make_user):
    """axes records a failed log-in with the username (255 characters at most): Django did not check its length."""
    client = Client(REMOTE_ADDR="203.0.113.7", raise_request_exception=False)
    response = client.post(reverse("login"), {"username": "x" * 300, "password": WRONG})
    assert response.status_code == 200
    assert "A username has at most 150 characters." in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_new_verification_links_are_limited_per_address(make_user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_verification": "2/h"}
    client = Client(REMOTE_ADDR="198.51.100.21")
    client.force_login(make_user("student", password=PASSWORD))
    statuses = [client.post(reverse("email_verification_resend")).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2
