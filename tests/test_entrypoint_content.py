"""Start-up never depends on content: the production entrypoint with an admin-edited shipped lesson and
with a broken lesson file (issue 13).

Each start runs docker/entrypoint.sh for real (migrate, lessons, gunicorn) against a scratch Postgres
database, with ``LESSONS_DIR`` pointing at a copy of the shipped lessons plus what the test adds.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.test_scale_out import HOST, fetch, free_port, wait_healthy

pytestmark = pytest.mark.postgres  # the entrypoint refuses anything but a real database URL

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "lessons" / "content"


@pytest.fixture
def scratch_db():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the entrypoint test needs DATABASE_URL pointing at PostgreSQL")
    server, name = url.rsplit("/", 1)
    name = f"{name.split('?')[0]}_entrypoint"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start(env, log_path):
    """Run the entrypoint until /healthz answers; return the port and the process (the caller stops it)."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 - our own entrypoint
        [str(ROOT / "docker" / "entrypoint.sh")], cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_healthy(process, port, log_path)
    except BaseException:
        stop(process)
        raise
    return port, process


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def test_entrypoint_installs_new_lessons_keeps_admin_edits_and_starts_despite_a_broken_file(scratch_db, tmp_path):
    lessons_dir = tmp_path / "content"
    shutil.copytree(CONTENT, lessons_dir)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "AXES_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=scratch_db,
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        PYTHON=sys.executable,
        GUNICORN_WORKERS="1",
        GUNICORN_ACCESS_LOG="",
        LESSONS_DIR=str(lessons_dir),
    )
    env.pop("REDIS_URL", None)

    # A new database: the shipped lesson is installed.
    port, process = start(env, tmp_path / "first.log")
    stop(process)
    assert "diffusion: created" in (tmp_path / "first.log").read_text()

    # An instructor edits the shipped lesson in the admin; a broken lesson file joins the folder.
    with psycopg.connect(scratch_db, autocommit=True) as db:
        db.execute(
            "UPDATE lessons_flashcard SET front = 'Edited in the admin' WHERE position = 1 AND lesson_id = "
            "(SELECT id FROM lessons_lesson WHERE slug = 'diffusion')"
        )
    (lessons_dir / "broken.yaml").write_text("course: [unclosed\n", encoding="utf-8")
    (lessons_dir / "second.yaml").write_text(
        "course: Extra\nslug: extra\ntitle: Extra\nflashcards:\n  cards:\n    - front: F\n      back: B\n",
        encoding="utf-8",
    )

    port, process = start(env, tmp_path / "second.log")
    try:
        assert fetch(port, "GET", "/healthz")[0] == 200
    finally:
        stop(process)
    log = (tmp_path / "second.log").read_text()
    assert "broken.yaml: line 2: valid YAML" in log
    assert "starting anyway" in log
    assert "diffusion: exists; not updated" in log
    assert "extra: created" in log  # the good new file is installed beside the broken one
    assert "Traceback" not in log
    with psycopg.connect(scratch_db) as db:
        front = db.execute(
            "SELECT front FROM lessons_flashcard WHERE position = 1 AND lesson_id = "
            "(SELECT id FROM lessons_lesson WHERE slug = 'diffusion')"
        ).fetchone()[0]
        assert front == "Edited in the admin"
        assert db.execute("SELECT count(*) FROM lessons_lesson").fetchone()[0] == 2
