#!/usr/bin/env sh
# Start Quizsite in production: check the configuration, wait for the database,
# migrate, install the shipped lessons that are not there yet, then hand the
# process to gunicorn. Content never stops the server: a lesson an instructor
# edited is never overwritten here (updating a shipped lesson is an explicit
# `manage.py import_lessons`, see the README), and a lesson file that cannot be
# imported is reported and skipped.
# Used by the Docker image and, unchanged, by CI's production smoke test
# (set PYTHON to the interpreter; extra arguments go to gunicorn).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

case "${DJANGO_DEBUG:-}" in
  0|false|False|no|off) ;;
  *) echo "entrypoint: set DJANGO_DEBUG=0: this script starts the production server." >&2; exit 2 ;;
esac
key="${DJANGO_SECRET_KEY:-}"
case "$key" in
  ""|dev-only-*|build-only-*|change-me*|*replace-me*)
    echo "entrypoint: DJANGO_SECRET_KEY is missing or a placeholder. Generate one with:" >&2
    echo "  python3 -c 'import secrets; print(secrets.token_urlsafe(50))'" >&2
    exit 2 ;;
esac
if [ "${#key}" -lt 50 ]; then
  echo "entrypoint: DJANGO_SECRET_KEY is too short (${#key} characters; use at least 50 random ones)." >&2
  exit 2
fi
if [ -z "${DATABASE_URL:-}" ]; then
  echo "entrypoint: set DATABASE_URL (postgres://user:password@host:5432/name)." >&2
  exit 2
fi

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-quizsite.settings}"
echo "entrypoint: waiting for the database"
tries="${DB_WAIT_SECONDS:-60}"
until error=$("$PYTHON" -c 'import django; django.setup(); from django.db import connection; connection.ensure_connection()' 2>&1); do
  tries=$((tries - 1))
  if [ "$tries" -le 0 ]; then
    echo "entrypoint: the database did not answer; giving up. Last error:" >&2
    echo "$error" | tail -n 3 >&2
    exit 1
  fi
  sleep 1
done

"$PYTHON" manage.py migrate --noinput
if [ "${IMPORT_LESSONS:-1}" != "0" ]; then
  if ! "$PYTHON" manage.py import_lessons --new-only --skip-broken "${LESSONS_DIR:-lessons/content}"; then
    echo "entrypoint: some shipped lesson files were not installed (see above); starting anyway." >&2
  fi
fi
exec "$PYTHON" -m gunicorn -c docker/gunicorn.conf.py "$@" quizsite.wsgi
