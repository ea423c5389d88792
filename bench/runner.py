"""The benchmark run: database, servers, load, EXPLAIN checks, report.

1. (Re)create and seed the benchmark database when it is missing or seeded at
   another scale (bench/seed.py); otherwise reuse it.
2. Log in a sample of students (sessions written straight to the session
   table) and write each endpoint's prepared requests to a file.
3. Start two gunicorns with the same settings (2 sync workers, persistent
   database connections, production settings): the site and the floor.
4. For each endpoint: one preflight request checked for its status and text,
   a warm-up, then wrk at each connection count, bounded in time.
5. Stop the servers, run the EXPLAIN (ANALYZE) checks, write the report.

Everything listens on 127.0.0.1 only.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta
from itertools import cycle, islice
from pathlib import Path

from bench.common import ROOT, WORKERS

LUA = Path(__file__).resolve().parent / "wrk.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/quizsite_bench"
CONN_MAX_AGE = 600
SAMPLE_STUDENTS = 500


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Seed, load and report on Quizsite's performance."
    )
    parser.add_argument(
        "command",
        choices=["run", "seed", "explain", "lessonfile", "profile"],
        help="run: the whole benchmark; seed: the database only; explain: the EXPLAIN checks only (prints plans); "
        "lessonfile: only the import of a 10,000-card lesson file and its re-import with 100 changes; "
        "profile ENDPOINT: cProfile of that endpoint's requests served in this process",
    )
    parser.add_argument("endpoint", nargs="?", default="", help="profile: the endpoint's name (e.g. 'practice page')")
    parser.add_argument("--requests", type=int, default=200, help="profile: how many requests to profile")
    parser.add_argument(
        "--timing", action="store_true", help="profile: time the requests (ms and queries each) without cProfile"
    )
    parser.add_argument("--queries", action="store_true", help="profile: with --timing, print the first request's SQL")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="Postgres database to (re)create; its name must contain 'bench' (env BENCH_DATABASE_URL)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1: 2,000 students, ~1M review logs; 10: ten times")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database even if it fits")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint and connection count")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded load before each endpoint")
    parser.add_argument("--connections", default="8,32", help="comma-separated connection counts")
    parser.add_argument("--endpoints", default="", help="comma-separated endpoint names (default: all)")
    parser.add_argument("--output", default=str(ROOT / "docs"), help="folder of performance.md and performance.json")
    parser.add_argument("--workdir", default=str(ROOT / "bench-out"), help="request files and server logs")
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    return args


def server_env(database_url, secret_key):
    """The production settings the site runs with, for gunicorn and for this process alike."""
    return {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "quizsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_CONN_MAX_AGE": str(CONN_MAX_AGE),
        "PYTHONUNBUFFERED": "1",
    }


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------- database


def _admin_connection(database_url):
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(database_url)
    name = config["NAME"]
    if config["ENGINE"] != "django.db.backends.postgresql" or "bench" not in name:
        raise SystemExit(f"Refusing {database_url}: the benchmark needs a Postgres database whose name has 'bench'.")
    connection = psycopg.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    return connection, name


def create_database(database_url, *, drop):
    from psycopg import sql

    connection, name = _admin_connection(database_url)
    with connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if not exists or drop:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"Created database {name}")


def prepare_database(args):
    """A migrated database seeded at ``args.scale``: reused when it already is one."""
    from django.core.management import call_command
    from django.db import connection

    from bench import seed

    create_database(args.database_url, drop=False)
    info = seed.seed_info()
    if args.reseed or info is None or info["scale"] != args.scale:
        connection.close()
        create_database(args.database_url, drop=True)
        log("Migrating")
        call_command("migrate", verbosity=0)
        return seed.seed(scale=args.scale, write=log)
    log(f"Reusing the database seeded at scale {info['scale']} on {info['seeded_at']} (--reseed to start afresh)")
    call_command("migrate", verbosity=0)
    return seed.seed_summary()


# ---------------------------------------------------------------- sessions and requests


def login_sample(now, sample=SAMPLE_STUDENTS):
    """Sessions for a sample of students spread over the whole body and for the instructor."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils.crypto import get_random_string

    from bench import seed
    from bench.endpoints import BenchData
    from lessons.models import Classroom

    students = list(User.objects.filter(username__startswith=seed.USERNAME_PREFIX).order_by("pk"))
    step = max(len(students) // sample, 1)
    students = students[::step][:sample]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cs.user_id, count(DISTINCT f.lesson_id) FROM lessons_cardstate cs "
            "JOIN lessons_flashcard f ON f.id = cs.card_id WHERE cs.user_id = ANY(%s) GROUP BY cs.user_id",
            [[s.pk for s in students]],
        )
        started = dict(cursor.fetchall())
    instructor = User.objects.get(username=seed.INSTRUCTOR_USERNAME)
    sessions = {}
    rows = []
    for user in [*students, instructor]:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=SessionStore().encode(data), expire_date=now + timedelta(1)))
        sessions[user.pk] = key
    Session.objects.bulk_create(rows)
    return BenchData(
        lessons=seed.bench_lessons(),
        students=[(s.pk, sessions[s.pk], started.get(s.pk, 0)) for s in students],
        instructor_session=sessions[instructor.pk],
        class_30=Classroom.objects.filter(name=seed.SMALL_CLASS_NAME).order_by("section").first().pk,
        class_300=Classroom.objects.get(name=seed.BIG_CLASS_NAME).pk,
        class_1000=Classroom.objects.get(name=seed.LECTURE_NAME).pk,
        now=now,
    )


def write_requests(endpoint, data, workdir):
    requests = endpoint.requests(data)
    if not requests:
        raise SystemExit(f"{endpoint.name}: no requests prepared")
    path = workdir / f"requests-{endpoint.name.replace(' ', '-').replace('(', '').replace(')', '')}.tsv"
    # The last request is kept for the preflight, so the load never repeats it.
    path.write_text("".join(request.line() + "\n" for request in requests[:-1] or requests), encoding="utf-8")
    return path, requests


# ---------------------------------------------------------------- servers and load


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app, port, env, logfile):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(logfile),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # noqa: S603


def wait_ready(process, port, path, logfile, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited:\n{Path(logfile).read_text()[-3000:]}")
        try:
            status, _ = http_request(port, "GET", path)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer {path} within {timeout} s")


def http_request(port, method, path, headers=None, body=""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body.encode() or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def preflight(endpoint, request, port, csrf):
    """Send one prepared request the way wrk.lua does; refuse to load an endpoint that answers wrongly."""
    headers = {}
    if request.session:
        headers = {"Cookie": f"sessionid={request.session}; csrftoken={csrf}", "X-CSRFToken": csrf}
    if request.htmx:
        headers["HX-Request"] = "true"
    if request.body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    status, text = http_request(port, request.method, request.path, headers, request.body)
    if status != endpoint.status or endpoint.contains not in text:
        raise SystemExit(
            f"{endpoint.name}: {request.method} {request.path} answered {status} "
            f"(expected {endpoint.status} containing {endpoint.contains!r}):\n{text[:2000]}"
        )


def run_wrk(port, path, request_file, connections, duration, csrf, offset=0):
    threads = min(2, connections)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
        "--",
        str(request_file),
        str(threads),
        csrf,
        str(offset),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False)  # noqa: S603
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    return {
        "connections": connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "non_2xx_3xx": raw["errors_status"],
        "socket_errors": errors - raw["errors_status"],
    }


def load_endpoint(endpoint, port, request_file, requests, args, csrf):
    """Preflight with the last prepared request, then warm-up and load runs that each start where the last stopped.

    wrk counts finished requests only; the margin covers the ones in flight when a run ends, so a
    state-changing request (a rating, an ordering try) is never sent twice.
    """
    preflight(endpoint, requests[-1], port, csrf)
    sent = 0
    if args.warmup:
        warm = run_wrk(port, requests[0].path, request_file, args.connections[0], args.warmup, csrf, sent)
        sent += warm["requests"] + 4 * args.connections[0]
    levels = []
    for connections in args.connections:
        level = run_wrk(port, requests[0].path, request_file, connections, args.duration, csrf, sent)
        sent += level["requests"] + 4 * connections
        # More requests sent than prepared: the rotation repeated some, and a repeated state-changing
        # request (a rating with a used version) is rightly refused. Only tiny seeds run out.
        level["exhausted"] = sent > len(requests) - 1
        log(
            f"  {endpoint.name:<28} c={connections:<3} {level['rps']:>8.1f} req/s  p50 {level['p50_ms']:.1f} ms  "
            f"p95 {level['p95_ms']:.1f} ms  p99 {level['p99_ms']:.1f} ms  errors {level['errors']}"
        )
        levels.append(level)
    return {"name": endpoint.name, "prepared_requests": len(requests), "levels": levels}


# ---------------------------------------------------------------- the run


def run(args):
    import django

    from bench import endpoints as endpoint_table

    if args.command == "run" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does it)")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    secret_key = secrets.token_urlsafe(50)
    env = server_env(args.database_url, secret_key)
    os.environ.update(env)
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import explain, report

    started = time.time()
    load_before = os.getloadavg()
    seeded = prepare_database(args)
    if args.command == "seed":
        return 0
    if args.command == "lessonfile":
        from bench import lessonfile_import

        log("Lesson file import (rolled back)")
        lessonfile_import.measure(write=log)
        return 0
    if args.command == "explain":
        for check in explain.run_checks(login_sample(timezone.now(), sample=10)):
            log(f"== {check['name']}: {check['median_ms']:.3f} ms, uses {check['index']}: {check['uses_index']}")
            log(check["plan"])
        return 0
    log("Collecting static files")
    call_command("collectstatic", "--noinput", verbosity=0)
    if args.command == "profile":
        return profile(args, endpoint_table)
    now = timezone.now()
    data = login_sample(now)
    chosen = [e for e in endpoint_table.ENDPOINTS if not args.endpoints or e.name in args.endpoints.split(",")]
    prepared = [(endpoint, *write_requests(endpoint, data, workdir)) for endpoint in chosen]
    for note in data.extra.get("notes", []):
        log(f"  {note}")
    floor_file, floor_requests = write_requests(endpoint_table.FLOOR, data, workdir)
    connection.close()

    csrf = secrets.token_hex(16)  # an unmasked 32-character secret: Django accepts it as cookie and header
    site_port, floor_port = free_port(), free_port()
    server_environ = {**os.environ, **env}
    site = start_gunicorn("quizsite.wsgi:application", site_port, server_environ, workdir / "gunicorn-site.log")
    floor = start_gunicorn("bench.floor_wsgi:application", floor_port, server_environ, workdir / "gunicorn-floor.log")
    servers = [site, floor]
    ports = {"quizsite.wsgi:application": site_port}
    try:
        wait_ready(site, site_port, "/accounts/login/", workdir / "gunicorn-site.log")
        wait_ready(floor, floor_port, "/floor/", workdir / "gunicorn-floor.log")
        for app in {e.app for e, _, _ in prepared} - set(ports):  # the logged-in floor: its own gunicorn
            ports[app] = free_port()
            logfile = workdir / f"gunicorn-{app.split(':')[0]}.log"
            servers.append(start_gunicorn(app, ports[app], server_environ, logfile))
            wait_ready(servers[-1], ports[app], "/account-floor/", logfile)
        log(f"Load: {args.duration:g} s per endpoint at {args.connections} connections (warm-up {args.warmup:g} s)")
        floor_result = load_endpoint(endpoint_table.FLOOR, floor_port, floor_file, floor_requests, args, csrf)
        results = [load_endpoint(e, ports[e.app], f, r, args, csrf) for e, f, r in prepared]
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(timeout=30)
    load_after = os.getloadavg()

    log("EXPLAIN (ANALYZE) checks")
    checks = explain.run_checks(data)
    for check in checks:
        verdict = "index used" if check["uses_index"] else f"NOT using {check['index']}: {check['scans']}"
        log(f"  {check['name']:<52} {check['median_ms']:>8.3f} ms  {verdict}")

    from bench import lessonfile_import

    log("Lesson file import (rolled back)")
    imports = lessonfile_import.measure(write=log)

    run_result = report.build_run(
        imports=imports,
        args=args,
        seeded=seeded,
        floor=floor_result,
        endpoints=results,
        endpoint_table=chosen,
        checks=checks,
        load=(load_before, load_after),
        seconds=time.time() - started,
    )
    paths = report.write(Path(args.output), run_result)
    log(f"Report: {', '.join(str(p) for p in paths)}")
    failed = [c["name"] for c in checks if not c["uses_index"]]
    if failed and args.scale >= report.INDEX_ASSERT_SCALE:
        log(f"FAILED: these queries do not use their index at scale {args.scale:g}: {', '.join(failed)}")
        return 1
    return 0


def profile(args, endpoint_table, top=60):
    """Serve ``args.requests`` of an endpoint's prepared requests in this process under cProfile; print the top.

    Requests go through Django's test client with the production settings and the same sessions
    and bodies wrk sends (CSRF is not enforced by the test client), after ten unprofiled warm-up
    requests (connections, the content cache, template compilation).
    """
    import cProfile
    import io
    import pstats

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    names = [e.name for e in endpoint_table.ENDPOINTS]
    endpoint = next((e for e in endpoint_table.ENDPOINTS if e.name == args.endpoint), None)
    if endpoint is None:
        raise SystemExit(f"Unknown endpoint {args.endpoint!r}; one of: {', '.join(names)}")
    data = login_sample(timezone.now())
    data.limit = args.requests + 10
    requests = list(islice(cycle(endpoint.requests(data)), args.requests + 10))  # a dashboard has one request

    client = Client(HTTP_HOST="127.0.0.1")  # one handler: middleware (and whitenoise's file scan) loaded once

    def send(request):
        client.cookies.clear()
        client.cookies[settings.SESSION_COOKIE_NAME] = request.session
        headers = {"HTTP_HX_REQUEST": "true"} if request.htmx else {}
        if request.method == "GET":
            return client.get(request.path, **headers)
        body_type = "application/x-www-form-urlencoded"
        return client.post(request.path, request.body, content_type=body_type, secure=False, **headers)

    for request in requests[:10]:
        response = send(request)
        if response.status_code >= 400:
            raise SystemExit(f"{request.method} {request.path} answered {response.status_code}")
    measured = requests[10 : 10 + args.requests]
    if args.timing:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if args.queries:  # the first measured request's SQL (a write sent twice would take another path)
            with CaptureQueriesContext(connection) as first:
                send(measured.pop(0))
            for query in first:
                log(f"{query['time']:>7} s  {' '.join(query['sql'].split())[:300]}")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            for request in measured:
                send(request)
            seconds = time.perf_counter() - started
        count = max(len(measured), 1)
        log(f"== {endpoint.name}: {1000 * seconds / count:.2f} ms and {len(queries) / count:.1f} queries a request")
        return 0
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for request in measured:
        send(request)
    profiler.disable()
    seconds = time.perf_counter() - started
    count = len(measured)
    log(f"== {endpoint.name}: {count} requests, {1000 * seconds / max(count, 1):.2f} ms each under cProfile")
    out = io.StringIO()
    stats = (
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
    )
    stats.print_stats(top)
    log(out.getvalue())
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run(args)
