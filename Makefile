# Quizsite: the few commands people need. See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench screenshots clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## run: set up everything (venv, database, lessons, demo accounts) and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_lessons lessons/content
	$(PY) manage.py create_demo_accounts
	$(PY) manage.py runserver 127.0.0.1:8000

## test: the whole suite (browser tests too when Chromium is installed; Postgres-only tests skip on SQLite)
# make only ever exits 2, so say pytest's own exit code (5: no tests were collected or all were deselected).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) || { status=$$?; echo "make test: pytest exited with $$status"; exit $$status; }

## test-fast: everything except browser and heavy system tests
test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser and not heavy" $(PYTEST_ARGS)

## bench: seed a Postgres benchmark database, load the site with wrk, write docs/performance.md (SCALE=10 for 10x)
SCALE ?= 1
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/quizsite_bench
bench: $(STAMP)
	command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench run --scale $(SCALE) --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

## screenshots: the main pages at 360 and 1280 px, light and dark, into docs/screenshots/ (Playwright + Chromium)
screenshots: $(STAMP)
	$(PY) -m pytest tests/browser/screenshots.py -p no:randomly -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
