# Sustain: `make run` serves the demo; `make test` runs the whole suite.
# `make` alone lists every target.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
STAMPS := $(VENV)/.stamps
# Hashed lockfiles from pip-compile: what `make run`, `make test`, CI and the image install.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links

.DEFAULT_GOAL := help
.PHONY: help install lock lock-upgrade run reset-demo test lint typecheck format check-migrations migrate seed worker beat scheduler bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Sustain needs Python 3.11 ($(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMPS)/app: $(LOCK) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/test: $(DEV_LOCK) $(STAMPS)/app
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	@mkdir -p $(STAMPS) && touch $@

$(BIN)/pip-compile: | $(PY)
	$(PY) -m pip install --quiet "pip-tools~=7.7"

lock: | $(BIN)/pip-compile ## Re-resolve the lockfiles after editing pyproject.toml (other pins stay)
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file=$(LOCK) pyproject.toml
	$(PIP_COMPILE) $(LOCK_ARGS) --extra=test --extra=dev --constraint=$(LOCK) \
	  --output-file=$(DEV_LOCK) pyproject.toml

lock-upgrade: ## Upgrade every locked package to the newest release pyproject.toml allows
	$(MAKE) lock LOCK_ARGS=--upgrade

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets/dist/css/main.css: node_modules/.package-lock.json assets/build.mjs $(wildcard assets/scss/*.scss assets/js/*)
	npm run --silent build

install: $(STAMPS)/app assets/dist/css/main.css ## Install Python and front-end dependencies, build assets

migrate: install ## Apply database migrations (SQLite unless DATABASE_URL is set)
	$(PY) manage.py migrate --no-input -v0

seed: migrate ## Load the demo county (safe to repeat)
	$(DEMO_ENV) $(PY) manage.py seed_demo

# make run writes its emails to files instead of printing them: the first start sends
# about 200 (reminders and digests for the whole demo county).
DEMO_MAIL := var/emails
DEMO_ENV := EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend EMAIL_FILE_PATH=$(DEMO_MAIL)
BANNER = printf '\n== Sustain is running on http://127.0.0.1:$(PORT)/  (Ctrl+C stops it; make reset-demo starts afresh)\n== Demo logins (password sustain-demo): practitioner, supervisor, manager, commissioner, editor, admin\n== Emails: %s written to $(DEMO_MAIL)/ (one file per batch), not sent.\n\n' "$$(cat $(DEMO_MAIL)/*.log 2>/dev/null | grep -c '^Message-ID:')"

run: seed ## Install, migrate, seed and serve the demo with its scheduler on http://127.0.0.1:$(PORT)
	@mkdir -p $(DEMO_MAIL)
	@echo "Catching up today's scheduled jobs (sweep, reminders): a minute or two on first start."
	$(DEMO_ENV) $(PY) manage.py run_scheduler --once
	@$(BANNER)
	@trap 'kill 0' INT TERM EXIT; \
	  $(DEMO_ENV) $(PY) manage.py run_scheduler & \
	  (sleep 5; $(BANNER)) & \
	  $(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

reset-demo: ## Delete the demo database and its emails; the next make run starts afresh
	rm -rf db.sqlite3 db.sqlite3-wal db.sqlite3-shm $(DEMO_MAIL)

test: $(STAMPS)/test assets/dist/css/main.css ## Install test dependencies and run the whole suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMPS)/test ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMPS)/test ## Type-check services, tasks, rules and reports with mypy
	$(BIN)/mypy

format: $(STAMPS)/test ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-migrations: $(STAMPS)/test ## Fail if a model change has no migration
	$(PY) manage.py makemigrations --check --dry-run

worker: install ## Run a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install ## Run Celery beat, the single scheduler (needs REDIS_URL)
	$(BIN)/celery -A config beat --loglevel=INFO

scheduler: install ## Run the beat schedule in-process without Redis (embedded mode)
	$(PY) manage.py run_scheduler

bench: $(STAMPS)/test ## Build a county, run the benchmarks, write bench/results/latest.json (BENCH_SCALE=1 or 10)
	$(PY) bench/run.py

clean: ## Remove the virtualenv, node_modules, built assets and the demo database
	rm -rf $(VENV) node_modules assets/dist static_build var db.sqlite3 db.sqlite3-wal db.sqlite3-shm
