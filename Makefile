# Dialogkonferanse: `make run` serves the demo on embedded defaults; `make test` runs the suite
# against PostgreSQL and Redis. `make help` lists every target.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

# Embedded defaults for `make run`: SQLite, eager tasks, mail to files and the console.
RUN_ENV := DJANGO_DEBUG=1 SITE_URL=$(or $(SITE_URL),http://127.0.0.1:$(PORT))

.PHONY: help install messages run test test-suites lint format bench faults worker beat \
	makemessages compose-check clean requirements-run requirements-test requirements-bench \
	requirements-faults

help:
	@echo "make run      - install, migrate, load demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test     - the whole test suite against PostgreSQL and Redis (PYTEST_ARGS=... to narrow)"
	@echo "make bench    - the benchmarks (BENCH lines, bench/results/latest.json)"
	@echo "make faults   - the fault suite: worker kills, Redis and PostgreSQL outages (FAULT lines)"
	@echo "make worker   - a Celery worker with beat (needs CELERY_BROKER_URL)"
	@echo "make lint     - ruff check, format check and the import contract (lint-imports)"
	@echo "make makemessages - update locale/*/LC_MESSAGES/django.po from the sources"

# The Debian packages each command needs (README "Requirements"), checked before anything else:
# as root the missing ones are installed, otherwise one line names them.
requirements-run requirements-test requirements-bench requirements-faults:
	@PYTHON=$(PYTHON) bash .ci/requirements.sh $(@:requirements-%=%)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or set PYTHON=..."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (apt-get install gettext)"; exit 1; }
	$(RUN_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

run: requirements-run messages
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input -v0
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl+C stops)"
	$(RUN_ENV) FORWARDED_ALLOW_IPS='$(FORWARDED_ALLOW_IPS)' $(BIN)/uvicorn dialogkonferanse.asgi:application --host 127.0.0.1 --port $(PORT) --lifespan off

AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js and npm (apt-get install npm)"; exit 1; }
	npm install --no-audit --no-fund --no-package-lock --silent
	touch $(AXE)

# When no PostgreSQL or Redis answers on DATABASE_URL / REDIS_URL / CELERY_BROKER_URL (or the
# defaults in pyproject.toml), .ci/services.py starts private ones on free loopback ports for both
# pytest runs and stops them afterwards. The sub-make goes through a variable so that `make -n
# test` only prints this line instead of starting servers.
SUBMAKE = $(MAKE) --no-print-directory

test: requirements-test messages $(AXE)
	$(BIN)/python .ci/services.py $(SUBMAKE) test-suites

# The two pytest runs of `make test`, against the servers .ci/services.py chose. The first
# builds the test database afresh (--create-db): rows a killed earlier run committed would
# otherwise stay in the reused database and fail tests that count.
test-suites:
	$(BIN)/python -m pytest -m "not browser" -p no:cacheprovider --create-db $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m browser -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "(no browser tests collected)"; else exit $$rc; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

makemessages: $(STAMP)
	for lang in nb nn; do \
		$(RUN_ENV) $(BIN)/python manage.py makemessages -l $$lang --no-obsolete \
			--ignore=.venv --ignore=node_modules --ignore=var --ignore=bench --ignore=tests --add-location=file; \
	done

bench: requirements-bench messages
	$(BIN)/python bench/run.py

# Private PostgreSQL cluster and redis-server on free ports; nothing shared is touched.
faults: requirements-faults messages
	$(BIN)/python bench/faults.py

worker: $(STAMP)
	$(BIN)/celery -A dialogkonferanse worker --beat --loglevel=INFO

beat: $(STAMP)
	$(BIN)/celery -A dialogkonferanse beat --loglevel=INFO

compose-check:
	DJANGO_SECRET_KEY=compose-check docker-compose config -q

clean:
	rm -rf $(VENV) var db.sqlite3
