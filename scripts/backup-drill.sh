#!/usr/bin/env bash
# Backup/restore drill: seed a database, back it up with `pg_dump -Fc`, restore the dump into a
# scratch database, and prove the restore is whole: every table has the same number of rows,
# a student can log in with their password, and their work is there. CI runs it.
#
#   scripts/backup-drill.sh                     # uses databases quizsite_drill and quizsite_drill_restore
#   DRILL_DB=mydrill scripts/backup-drill.sh    # other names (both are dropped and re-created)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-$PWD/.venv/bin/python}"
HOST="${PGHOST:-127.0.0.1}"
USER_="${PGUSER:-postgres}"
SOURCE="${DRILL_DB:-quizsite_drill}"
SCRATCH="${SOURCE}_restore"
work=$(mktemp -d)
export PGOPTIONS="-c client_min_messages=warning"

cleanup() {
  dropdb --if-exists -h "$HOST" -U "$USER_" "$SOURCE" || true
  dropdb --if-exists -h "$HOST" -U "$USER_" "$SCRATCH" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "backup drill: FAIL: $*" >&2; exit 1; }

# Same settings module as production; DEBUG stays at its local default so no static manifest is needed.
export DJANGO_SETTINGS_MODULE=quizsite.settings
manage() { DATABASE_URL="postgres://$USER_@$HOST:5432/$1" "$PY" manage.py "${@:2}"; }

echo "-- seeding $SOURCE"
dropdb --if-exists -h "$HOST" -U "$USER_" "$SOURCE"
createdb -h "$HOST" -U "$USER_" "$SOURCE"
manage "$SOURCE" migrate --noinput -v 0
manage "$SOURCE" import_lessons lessons/content >/dev/null
manage "$SOURCE" shell -v 0 -c '
from django.contrib.auth.models import User
from lessons.models import SelfCheckQuestion, Verdict
from lessons.services.selfcheck import selfcheck_judge, selfcheck_reveal
for n in range(1, 6):
    user = User.objects.create_user(f"drill{n}", password=f"drill-password-{n}!")
    for question in SelfCheckQuestion.objects.all()[:n]:
        selfcheck_reveal(user=user, question=question, answer_text=f"answer of drill{n} to {question.pk}")
        selfcheck_judge(user=user, question=question, verdict=Verdict.PARTLY)
'

# Rows in every table of the public schema, one "table count" a line, sorted.
row_counts() {
  psql -h "$HOST" -U "$USER_" -d "$1" -At -v ON_ERROR_STOP=1 -c "
    SELECT string_agg(format('SELECT %L || %L || count(*) FROM %I.%I', tablename, ' ', schemaname, tablename), ' UNION ALL ')
    FROM pg_tables WHERE schemaname = 'public'" | psql -h "$HOST" -U "$USER_" -d "$1" -At -v ON_ERROR_STOP=1 | sort
}

echo "-- backing up with pg_dump -Fc"
pg_dump -h "$HOST" -U "$USER_" -Fc -f "$work/quizsite.dump" "$SOURCE"
echo "   $(du -h "$work/quizsite.dump" | cut -f1) dump"

echo "-- restoring into $SCRATCH"
dropdb --if-exists -h "$HOST" -U "$USER_" "$SCRATCH"
createdb -h "$HOST" -U "$USER_" "$SCRATCH"
pg_restore -h "$HOST" -U "$USER_" --no-owner --exit-on-error -d "$SCRATCH" "$work/quizsite.dump"

echo "-- comparing row counts"
row_counts "$SOURCE" >"$work/source.counts"
row_counts "$SCRATCH" >"$work/restored.counts"
[ "$(wc -l <"$work/source.counts")" -gt 10 ] || fail "too few tables counted"
grep -q "^lessons_selfcheckattempt 15$" "$work/source.counts" || fail "the seed did not store 15 attempts"
diff -u "$work/source.counts" "$work/restored.counts" || fail "row counts differ after restore"
echo "   $(wc -l <"$work/restored.counts") tables, same row counts"

echo "-- logging in to the restored database through the login view"
manage "$SCRATCH" migrate --check -v 0 || fail "the restored schema is missing migrations"
manage "$SCRATCH" shell -v 0 -c '
from django.test import Client
from lessons.models import SelfCheckAttempt
client = Client(HTTP_HOST="localhost")
refused = client.post("/accounts/login/", {"username": "drill3", "password": "wrong"})
assert refused.status_code == 200 and "_auth_user_id" not in client.session, "a wrong password was accepted"
response = client.post("/accounts/login/", {"username": "drill3", "password": "drill-password-3!"})
assert response.status_code == 302, f"login failed: {response.status_code}"
home = client.get("/")
assert "Welcome back, drill3" in home.content.decode(), "the home page does not greet the restored user"
attempts = SelfCheckAttempt.objects.filter(user__username="drill3", verdict="partly")
assert attempts.count() == 3, attempts.count()
page = client.get("/lessons/diffusion/").content.decode()
assert "answer of drill3 to" in page, "the restored student does not see their answers"
'
echo "backup drill: OK"
