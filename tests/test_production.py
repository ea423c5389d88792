"""Production configuration: deploy checks, the health endpoint, the entrypoint's refusals, the compose file."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"


def run(args, *, env=None, timeout=60):
    """Run a command at the project root with a clean production-like environment."""
    base = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "AXES_"))}
    return subprocess.run(  # noqa: S603 - our own scripts and interpreter
        args, cwd=ROOT, env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout, check=False
    )


def production_env(**extra):
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.org",
        **extra,
    }


# ---------------------------------------------------------------- settings


def test_production_settings_pass_check_deploy():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_local_settings_fail_check_deploy():
    """The check is real: the development defaults fail it."""
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_production_settings_refuse_the_development_key():
    result = run([sys.executable, "manage.py", "check"], env={"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


# ---------------------------------------------------------------- /healthz


@pytest.mark.django_db
def test_healthz_says_ok_with_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == ["ok", "database: ok", "cache: ok"]
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_503_when_the_database_is_down():
    """A real unreachable database (a closed port), in a separate process so the test database is untouched.

    With a session cookie the session cannot be read before the view runs: that was a 500, now the
    error handler answers 503 as well, and so does any page.
    """
    script = """
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
response = client.get("/healthz", HTTP_HOST="localhost", secure=True)
print(response.status_code, response.content.decode().splitlines()[:2])
client.cookies["sessionid"] = "x" * 32
for url in ("/healthz", "/", "/review/"):
    response = client.get(url, HTTP_HOST="localhost", secure=True)
    print(url, response.status_code, response.get("Retry-After"), b"Temporarily unavailable" in response.content)
"""
    env = production_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere",
        DJANGO_SETTINGS_MODULE="quizsite.settings",
        DJANGO_ALLOWED_HOSTS="localhost",
    )
    result = run([sys.executable, "-c", script], env=env)
    assert result.stdout.splitlines() == [
        "503 ['unavailable', 'database: unavailable']",
        "/healthz 503 30 True",
        "/ 503 30 True",
        "/review/ 503 30 True",
    ], result.stderr


@pytest.mark.postgres  # production settings reach a real Postgres server
def test_healthz_is_exempt_from_the_https_redirect_but_pages_are_not():
    script = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "print(c.get('/healthz', HTTP_HOST='example.org').status_code, c.get('/', HTTP_HOST='example.org').status_code)"
    )
    # SELECT 1 needs no tables: Postgres's own maintenance database will do.
    env = production_env(DJANGO_SETTINGS_MODULE="quizsite.settings", DATABASE_URL=f"{POSTGRES}/postgres")
    result = run([sys.executable, "-c", script], env=env)
    assert result.stdout.split()[-2:] == ["200", "301"], result.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_apps_queries_are_never_jit_compiled_however_costly_they_look():
    """Postgres compiles a query whose estimated cost passes ``jit_above_cost`` before running it: the
    queue's new-card count took 0.8 s instead of 8 ms once the flashcard table's statistics grew
    (docs/performance.md). The app's connections turn JIT off, so even a query over the threshold runs as is."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit_above_cost = 0")
        cursor.execute("EXPLAIN (ANALYZE) SELECT sum(n) FROM generate_series(1, 1000) AS n")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    assert "JIT:" not in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_apps_queries_never_start_parallel_workers_however_costly_they_look():
    """At scale 10 Postgres started two workers for the dashboard's 0.6 ms aggregate of a class's kept rows and
    spent 5 ms starting them (docs/performance.md). The app's connections allow no parallel workers, so even a
    scan that the planner is told costs nothing to share runs in the one backend."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            cursor.execute(f"SET LOCAL {setting} = 0")
        cursor.execute("EXPLAIN SELECT count(*) FROM auth_user")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
    assert "Gather" not in plan and "Parallel" not in plan, plan


# ---------------------------------------------------------------- entrypoint


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "missing or a placeholder"),
        ("dev-only-insecure-key-do-not-use-in-production", "missing or a placeholder"),
        ("replace-me-with-50-random-characters", "missing or a placeholder"),
        ("build-only-key-never-used-at-runtime-0123456789abcdefghij", "missing or a placeholder"),
        ("x" * 20, "too short"),
    ],
)
def test_entrypoint_refuses_to_start_without_a_real_secret_key(key, message):
    env = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": key, "DATABASE_URL": "postgres://nowhere/none"}
    result = run(["docker/entrypoint.sh"], env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Starting gunicorn" not in result.stderr


def test_entrypoint_refuses_debug_mode():
    result = run(["docker/entrypoint.sh"], env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 2
    assert "DJANGO_DEBUG=0" in result.stderr


# ---------------------------------------------------------------- docker files


def test_compose_file_follows_the_compose_specification():
    result = run([str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_postgres_redis_and_the_app_from_the_env_file():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["db"]["image"] == "postgres:15"
    volume = services["db"]["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "Postgres data must live in a named volume"
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]
    app = services["app"]
    assert app["env_file"] == ".env"
    assert app["environment"]["DJANGO_DEBUG"] == "0"
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}
    assert "/healthz" in " ".join(app["healthcheck"]["test"])
    example = (ROOT / ".env.example").read_text()
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS", "POSTGRES_PASSWORD"):
        assert f"\n{name}=" in example


def test_dockerfile_builds_a_slim_non_root_image_with_collected_static_files():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert lines[[i for i, line in enumerate(lines) if line.startswith("FROM")][0]] == "FROM python:3.11-slim"
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] != "USER root"
    assert any("collectstatic" in line for line in lines)
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in lines
