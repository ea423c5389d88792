"""A Redis outage is not an outage: a real redis-server, stopped and started inside the test.

The server is our own, on a spare port (not the shared one on 6379), without persistence. The
site uses it through ``lessons.cache.ResilientRedisCache`` as in production (``REDIS_URL``).
"""

import logging
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from lessons.models import SelfCheckAttempt

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"),
]


def free_port(start=6390):
    for port in range(start, start + 200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for redis-server")


class RedisServer:
    """A redis-server subprocess we can stop and start again on the same port."""

    def __init__(self, port):
        self.port = port
        self.process = None

    def start(self):
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def keys(self, pattern):
        return redis.Redis(port=self.port).keys(pattern)


@pytest.fixture
def redis_server():
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "lessons.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_server.port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry_after": 0.2},
        }
    }
    return redis_server


def text(response):
    return response.content.decode()


def test_pages_are_served_from_the_database_while_redis_is_down(redis_cache, diffusion, student, caplog):
    client = Client()
    client.force_login(student)
    lesson_url = reverse("lesson_detail", args=[diffusion.slug])
    question = diffusion.questions.first()
    assert client.get(lesson_url).status_code == 200
    assert redis_cache.keys("*lesson-content*"), "the lesson content is cached in Redis"
    assert client.get("/healthz").content.decode().splitlines()[0] == "ok"

    redis_cache.stop()
    with caplog.at_level(logging.WARNING, logger="lessons.cache"):
        served = {url: client.get(url).status_code for url in ("/", lesson_url, "/review/", "/progress/", "/classes/")}
        page = text(client.get(lesson_url))
        reveal = client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": "during the outage"})
        health = client.get("/healthz")
        # Logging in needs no cache either (sessions and the lockout are in Postgres; the rate limits step aside).
        User.objects.create_user("newcomer", password="a-Long-passw0rd")
        fresh = Client()
        login = fresh.post(reverse("login"), {"username": "newcomer", "password": "a-Long-passw0rd"})
    assert served == dict.fromkeys(served, 200)
    assert question.question in page, "the lesson's content came from the database"
    assert reveal.status_code == 302
    assert SelfCheckAttempt.objects.get(user=student, question=question).answer_text == "during the outage"
    assert health.status_code == 200, "the site can serve: the load balancer keeps it"
    assert health.content.decode().splitlines() == [
        "degraded",
        "database: ok",
        "cache: unavailable (pages are served from the database)",
    ]
    assert login.status_code == 302 and fresh.get("/").context["user"].username == "newcomer"
    assert any("Cache unreachable" in record.getMessage() for record in caplog.records), "the outage is logged"

    redis_cache.start()
    time.sleep(0.3)  # past retry_after: the cache is tried again
    assert client.get("/healthz").content.decode().splitlines()[0] == "ok"
    assert client.get(lesson_url).status_code == 200
    assert redis_cache.keys("*lesson-content*"), "the cache fills again once Redis is back"
    assert client.get("/").context["user"] == student, "nobody was logged out"


def test_an_outage_costs_one_connection_attempt_per_retry_window(redis_cache, diffusion, student, caplog):
    """While Redis is down, the cache is skipped outright for retry_after seconds, not tried on every call."""
    from django.core.cache import cache

    redis_cache.stop()
    with caplog.at_level(logging.WARNING, logger="lessons.cache"):
        started = time.monotonic()
        for n in range(200):
            cache.get(f"key-{n}")
            cache.set(f"key-{n}", n)
        elapsed = time.monotonic() - started
    warnings = [r for r in caplog.records if "Cache unreachable" in r.getMessage()]
    assert len(warnings) <= 2 + elapsed / 0.2
    assert cache.get("key-1", "default") == "default"
    assert cache.add("key-1", 1) is False and cache.incr("key-1") is None


def test_rate_limit_counters_are_shared_by_app_servers(redis_cache, settings):
    """Failures counted by this process refuse a log-in sent to another process using the same Redis."""
    limit = int(settings.RATE_LIMITS["login_failure"].split("/")[0])
    client = Client()
    for n in range(limit):
        assert client.post(reverse("login"), {"username": f"nobody{n}", "password": "wrong"}).status_code == 200
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().post('/accounts/login/', {'username': 'someone', 'password': 'x'}, HTTP_HOST='localhost'); "
        "print(r.status_code, r.get('Retry-After') is not None)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "quizsite.settings",
        "REDIS_URL": f"redis://127.0.0.1:{redis_cache.port}/0",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/unused",  # the refusal needs no database
    }
    other_server = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert other_server.stdout.split() == ["429", "True"], other_server.stderr[-2000:]
