# The README's commands. A fresh machine needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint format check-migrations bench screenshots clean

$(STAMP): requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

## make run [ADDRESS=0.0.0.0:8100]: the app with demo data at http://$(ADDRESS) on SQLite (no
## other server needed), with a Celery worker and beat that email due reminders to this
## console; links in those emails point at ADDRESS (0.0.0.0 as 127.0.0.1) unless SITE_URL is set
ADDRESS ?= 127.0.0.1:8000
run: export DEBUG ?= 1
run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --no-logins
	bin/devserver $(ADDRESS)

## make test: the whole suite (SQLite by default; DATABASE_URL / REDIS_URL select real servers),
## in parallel: one test process per CPU, at most 4 (pytest-xdist; TEST_PROCESSES=0 for one)
TEST_PROCESSES ?= auto
test: $(STAMP)
	DEBUG=1 $(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_PROCESSES) --maxprocesses=4 --dist loadfile $(PYTEST_ARGS)

## make bench: the pages at 100,000 candidates under 8 members reading and writing, with
## gunicorn as docker-compose.yml runs it and wrk, with Redis and with Redis stopped, and each
## page's SQL at 10,000 and 100,000; seeds recovery_bench and recovery_bench_10k once
## (minutes), then prints the tables (README, Performance). Quick:
## make bench BENCH_ARGS="--duration 5 --skip-seed-check --sizes 100k"
bench: $(STAMP)
	$(BIN)/python benchmarks/web.py $(BENCH_ARGS)

## make screenshots: refresh docs/screenshots/ (every page at desktop and phone width, on a
## throwaway demo database); needs Debian's Chromium (apt-get install chromium)
screenshots: $(STAMP)
	DEBUG=1 $(BIN)/python docs/take_screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 test-db.sqlite3* var staticfiles
