#!/usr/bin/env bash
# CI: run the production entrypoint (docker/entrypoint.sh, the one the image uses) with
# production settings against the local Postgres and Redis, on a free port, then fetch
# /healthz, the landing page and a static file through gunicorn + whitenoise, and stop it.
# We have no Docker engine in CI, so this is how the image's start-up path is tested;
# docker-compose.yml is validated against the Compose specification's schema.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-$PWD/.venv/bin/python}"
PG="${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${SMOKE_DB:-quizsite_smoke}"
REDIS="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/0}"
work=$(mktemp -d)
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  dropdb --if-exists -h 127.0.0.1 -U postgres "$DB" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "production smoke: FAIL: $*" >&2; [ -f "$work/server.log" ] && tail -n 40 "$work/server.log" >&2; exit 1; }

echo "-- docker-compose.yml against the Compose specification"
"$(dirname "$PY")/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL="$PG/$DB"
export REDIS_URL="$REDIS"
export DJANGO_STATIC_ROOT="$work/staticfiles"
export PYTHON="$PY"

echo "-- the entrypoint refuses a missing or weak secret key"
for bad in "" "dev-only-insecure-key-do-not-use-in-production" "replace-me-with-50-random-characters" "short-key"; do
  if DJANGO_SECRET_KEY="$bad" docker/entrypoint.sh >"$work/refused.log" 2>&1; then
    fail "entrypoint started with DJANGO_SECRET_KEY='$bad'"
  fi
  grep -q "DJANGO_SECRET_KEY" "$work/refused.log" || fail "no clear message for DJANGO_SECRET_KEY='$bad'"
done

echo "-- collectstatic (as the Docker build does)"
"$PY" manage.py collectstatic --noinput -v 0

dropdb --if-exists -h 127.0.0.1 -U postgres "$DB" 2>/dev/null
createdb -h 127.0.0.1 -U postgres "$DB"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

echo "-- starting docker/entrypoint.sh on $base"
GUNICORN_BIND="127.0.0.1:$port" GUNICORN_WORKERS=2 docker/entrypoint.sh >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 90); do
  kill -0 "$server_pid" 2>/dev/null || fail "the entrypoint exited"
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 1
done

# The reverse proxy terminates TLS and says so in X-Forwarded-Proto.
https=(-H "X-Forwarded-Proto: https")

echo "-- /healthz"
[ "$(curl -fsS "$base/healthz" | head -n 1)" = "ok" ] || fail "/healthz did not say ok (database and cache)"

echo "-- plain http is redirected to https"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$base/")
[ "$code" = "301 https://127.0.0.1:$port/" ] || fail "expected a redirect to https, got '$code'"

echo "-- the landing page, with the security headers"
curl -fsS -D "$work/landing.headers" -o "$work/landing.html" "${https[@]}" "$base/"
grep -q "Practise a course until it sticks" "$work/landing.html" || fail "landing page text missing"
grep -qi "^strict-transport-security: max-age=31536000" "$work/landing.headers" || fail "no HSTS header"
grep -qi "^content-security-policy: .*frame-ancestors 'none'" "$work/landing.headers" || fail "no CSP header"
if grep -i "^content-security-policy:" "$work/landing.headers" | grep -q "unsafe-"; then fail "CSP allows unsafe-*"; fi
grep -qi "^x-content-type-options: nosniff" "$work/landing.headers" || fail "no nosniff header"

echo "-- the lesson files were imported (the login page renders, and the lesson exists)"
curl -fsS -o "$work/login.html" "${https[@]}" "$base/accounts/login/"
grep -q "Forgot your password?" "$work/login.html" || fail "login page"
"$PY" manage.py shell -v 0 -c "from lessons.models import Lesson; assert Lesson.objects.filter(slug='diffusion').exists()"

echo "-- a hashed static file through whitenoise"
css=$(grep -o '/static/css/site\.[0-9a-f]\{12\}\.css' "$work/landing.html" | head -n 1)
[ -n "$css" ] || fail "the landing page does not link a hashed site.css"
curl -fsS -D "$work/static.headers" -o "$work/site.css" -H "Accept-Encoding: gzip" "${https[@]}" "$base$css"
grep -qi "^content-type: text/css" "$work/static.headers" || fail "static file content type"
grep -qi "^cache-control: max-age=315360000, public, immutable" "$work/static.headers" || fail "hashed file not cached forever"
grep -qi "^content-encoding: gzip" "$work/static.headers" || fail "static file not served compressed"

echo "-- stopping gunicorn"
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""
echo "production smoke: OK"
