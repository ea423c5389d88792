"""Login throttling with django-axes: five wrong passwords lock (username, IP) for a while, in the database."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth.hashers import MD5PasswordHasher
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
