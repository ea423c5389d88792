"""The measurements behind docs/security.md: a login flood, a Redis outage, the lockout through a proxy.

Usage: .venv/bin/python scripts/security_measure.py CODE_DIR LABEL

CODE_DIR is a checkout of the site (this one, or `git archive main` unpacked elsewhere for "before").
It needs Postgres at MEASURE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/quizsite_measure,
dropped and recreated) and redis-server on the PATH (started on a spare port and stopped again). The site
runs under gunicorn with production settings (DJANGO_DEBUG=0, 2 workers), behind one simulated proxy:
every request reaches it from 127.0.0.1 with the client's address in X-Forwarded-For.
Prints one JSON object.
"""

import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

CODE = Path(sys.argv[1]).resolve()
LABEL = sys.argv[2]
PYTHON = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python")
DB = os.environ.get("MEASURE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quizsite_measure")
PORT, REDIS_PORT = 8761, 6391
PASSWORD = "study-diffusion-1"  # noqa: S105 - a throwaway account in a throwaway database
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_", "REDIS_"))},
    "DJANGO_SETTINGS_MODULE": "quizsite.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_STATIC_ROOT": f"/tmp/quizsite-measure-static-{LABEL}",  # noqa: S108
    "DATABASE_URL": DB,
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "AXES_PROXY_COUNT": "1",
    "TRUSTED_PROXY_COUNT": "1",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    "GUNICORN_WORKERS": "2",
    "GUNICORN_ACCESS_LOG": "",
    "GUNICORN_LOG_LEVEL": "warning",
}


def run(*args):
    subprocess.run(args, cwd=CODE, env=ENV, check=True, capture_output=True)  # noqa: S603


def redis_start():
    return subprocess.Popen(  # noqa: S603
        ["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"],  # noqa: S607
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class Session:
    """A browser of one: cookies, the CSRF token, the client address the proxy forwards."""

    def __init__(self, address):
        self.address, self.cookies = address, {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"X-Forwarded-For": self.address, "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = "&".join(f"{k}={v}" for k, v in form.items())
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        connection.close()
        return response.status, content, elapsed

    def log_in(self, username, password):
        self.request("GET", "/accounts/login/")
        return self.request("POST", "/accounts/login/", {"username": username, "password": password})[0]


def median_ms(samples):
    return round(statistics.median(samples) * 1000, 1), round(sorted(samples)[int(len(samples) * 0.95)] * 1000, 1)


def page_latency(session, seconds):
    samples, statuses = [], Counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, _, elapsed = session.request("GET", "/lessons/diffusion/")
        samples.append(elapsed)
        statuses[status] += 1
    return {"median_ms": median_ms(samples)[0], "p95_ms": median_ms(samples)[1], "statuses": dict(statuses)}


def login_flood(student, seconds=10, threads=6):
    quiet = page_latency(student, seconds)
    flood_statuses, stop = Counter(), threading.Event()

    def flood(n):
        attacker = Session("198.51.100.66")
        attacker.request("GET", "/accounts/login/")
        i = 0
        while not stop.is_set():
            i += 1
            status = attacker.request("POST", "/accounts/login/", {"username": f"nobody{n}x{i}", "password": "x"})[0]
            flood_statuses[status] += 1

    workers = [threading.Thread(target=flood, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(1)
    early = page_latency(student, seconds)  # seconds 1-11 of the flood
    time.sleep(30)
    sustained = page_latency(student, seconds)  # seconds 41-51
    stop.set()
    for worker in workers:
        worker.join()
    return {
        "quiet": quiet,
        "flood_first_10s": early,
        "flood_after_40s": sustained,
        "flood_responses": dict(flood_statuses),
    }


def redis_outage(student, redis, seconds=20, threads=4):
    statuses = {"before": Counter(), "outage": Counter(), "after": Counter()}
    health = {}
    started = time.monotonic()
    phase = ["before"]

    def load():
        me = Session(student.address)
        me.cookies = dict(student.cookies)
        paths = ["/lessons/diffusion/", "/", "/review/", "/progress/"]
        i = 0
        while time.monotonic() - started < seconds:
            status = me.request("GET", paths[i % len(paths)])[0]
            statuses[phase[0]][status] += 1
            i += 1

    workers = [threading.Thread(target=load) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(5)
    redis.terminate()
    redis.wait()
    phase[0] = "outage"
    time.sleep(1)
    status, body, _ = Session("203.0.113.8").request("GET", "/healthz")
    health["during"] = f"{status} {body.decode().splitlines()[0]}"
    time.sleep(9)
    redis = redis_start()
    time.sleep(0.5)
    phase[0] = "after"
    for worker in workers:
        worker.join()
    status, body, _ = Session("203.0.113.8").request("GET", "/healthz")
    health["after"] = f"{status} {body.decode().splitlines()[0]}"
    return {phase: dict(counts) for phase, counts in statuses.items()} | {"healthz": health}, redis


def lockout_through_proxy():
    for _ in range(6):
        Session("198.51.100.77").log_in("student", "wrong-password")
    return {
        "stranger_after_6_wrong": Session("198.51.100.77").log_in("student", PASSWORD),
        "student_from_own_address": Session("203.0.113.7").log_in("student", PASSWORD),
    }


def main():
    base, name = DB.rsplit("/", 1)
    recreate = (
        f"import psycopg; c = psycopg.connect('{base}/postgres', autocommit=True); "
        f"c.execute('DROP DATABASE IF EXISTS {name}'); c.execute('CREATE DATABASE {name}')"
    )
    subprocess.run([PYTHON, "-c", recreate], check=True)  # noqa: S603
    run(PYTHON, "manage.py", "migrate", "--noinput")
    run(PYTHON, "manage.py", "collectstatic", "--noinput")
    run(PYTHON, "manage.py", "import_lessons", "lessons/content")
    create_student = (
        "import django; django.setup(); from django.contrib.auth.models import User; "
        f"User.objects.create_user('student', 'student@example.com', '{PASSWORD}')"
    )
    run(PYTHON, "-c", create_student)
    redis = redis_start()
    gunicorn = [PYTHON, "-m", "gunicorn", "-c", "docker/gunicorn.conf.py", "quizsite.wsgi"]
    server = subprocess.Popen(gunicorn, cwd=CODE, env=ENV)  # noqa: S603
    try:
        for _ in range(100):
            try:
                if Session("203.0.113.8").request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        result = {"label": LABEL}
        student = Session("203.0.113.7")
        assert student.log_in("student", PASSWORD) == 302
        result["login_flood"] = login_flood(student)
        result["redis_outage"], redis = redis_outage(student, redis)
        time.sleep(1)
        result["lockout_through_proxy"] = lockout_through_proxy()
        print(json.dumps(result, indent=1))
    finally:
        server.terminate()
        server.wait()
        redis.terminate()
        redis.wait()


if __name__ == "__main__":
    main()
