# Citizen Desk: every workflow is a make target (`make help`).
SHELL := /bin/bash
PY_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
AIRFLOW := $(VENV)/bin/airflow
export PYTHONPATH := $(CURDIR)/include:$(CURDIR)/devtools
# Some machines (this workplace's among them) set PYTHONDONTWRITEBYTECODE=1: every Python process
# (each test worker, each Airflow task, the scheduler) then recompiles Airflow and our code from
# source, and pytest re-rewrites every test module. Bytecode caches are safe here, so allow them.
unexport PYTHONDONTWRITEBYTECODE
SIM_PORT ?= 8765

.PHONY: help install lock check-lock lint format test test-fast test-pg db-upgrade registry-sync \
	simulator demo stop eval-triage eval-redaction train-triage bench e2e-local e2e-celery clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

# .venv is a dev venv: runtime + dev tools (requirements-dev.lock); the image installs only
# requirements.lock (Dockerfile).
$(VENV)/.installed: requirements-dev.lock pyproject.toml
	test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv==0.13.9
	$(UV) pip install -q --compile-bytecode --python $(PY) -r requirements-dev.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

install: $(VENV)/.installed ## create the dev .venv from requirements-dev.lock (+ .venv/bin/citizen-desk)

lock: ## re-resolve requirements.lock (runtime), then requirements-dev.lock held to it
	$(UV) pip compile -q requirements.txt -p 3.11 --no-header -o requirements.lock
	$(UV) pip compile -q requirements-dev.txt -p 3.11 --no-header -o requirements-dev.lock

check-lock: install ## fail when a requirements file and its lock disagree (runtime and dev)
	$(PY) scripts/check_lock.py

lint: install ## ruff (with Airflow's AIR rules), the format check and mypy (include/citizen_desk)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

TEST_WORKERS ?= 2

test: install ## the full test suite on TEST_WORKERS processes (PostgreSQL too when CITIZEN_DESK_TEST_PG_URL is set)
	$(PY) scripts/check_lock.py
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-fast: install ## the product's pure logic in seconds: no database, Airflow, subprocesses or tooling; a tenth of the property examples
	CITIZEN_DESK_TEST_FAST=1 $(VENV)/bin/pytest -q -n $(TEST_WORKERS) \
		-m "not db and not airflow and not slow and not tooling" --ignore=tests/dags --ignore=tests/devtools $(PYTEST_ARGS)

db-upgrade: install ## migrate the domain DB (CITIZEN_DESK_DB_URL, default data/citizen_desk.db)
	$(PY) -m citizen_desk db upgrade

registry-sync: install ## validate the registry and upsert it into the domain DB
	$(PY) -m citizen_desk registry sync

simulator: install ## run the platform simulator in the foreground
	$(PY) -m platform_simulator serve --port $(SIM_PORT) \
		--registry include/config/registry.yaml --seed 42 --days 14 --live

demo: install ## start simulator + Airflow (standalone, SQLite) on http://localhost:8080
	scripts/demo.sh start

stop: ## stop the demo
	scripts/demo.sh stop

eval-triage: install ## triage quality (model with rules, and rules alone) on the synthetic sets and real dev
	$(PY) -m citizen_desk.triage.evaluate tests/triage/eval_set.jsonl
	$(PY) -m citizen_desk.triage.evaluate tests/triage/holdout.jsonl
	$(PY) -m citizen_desk.triage.evaluate datasets/real/triage.jsonl --split dev

eval-redaction: install ## redaction on the real sets' dev split (secrets masked, keep-spans intact, per source family)
	$(PY) -m citizen_desk.privacy.evaluate --set datasets/real/redaction.jsonl --split dev
	$(PY) -m citizen_desk.privacy.evaluate --set datasets/real/triage.jsonl --split dev

train-triage: install ## retrain the triage and urgency models (real train/dev splits + eval set) -> triage/models/
	$(PY) -m citizen_desk.triage.train
	$(PY) -m citizen_desk.triage.urgency_train

bench: install ## benchmarks -> bench/results.json and bench/REPORT.md
	$(PY) -m bench.run

e2e-local: install ## scheduler-driven end-to-end run, embedded topology (SQLite)
	scripts/e2e.sh local $(E2E_ARGS)

e2e-celery: install ## the docker-compose topology as plain processes (PostgreSQL, Redis, Celery); E2E_ARGS="--national 6570" for the national world
	scripts/e2e.sh celery $(E2E_ARGS)

clean:
	rm -rf .airflow data .pytest_cache
