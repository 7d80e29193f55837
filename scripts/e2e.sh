#!/usr/bin/env bash
# `make e2e-local` / `make e2e-celery`: scheduler-driven end-to-end run on the real Airflow engine.
#   scripts/e2e.sh local    airflow standalone + SQLite (the `make demo` topology)
#   scripts/e2e.sh celery   docker-compose.yml's services as local processes: PostgreSQL + Redis
#                           (127.0.0.1), api-server, scheduler, dag-processor, triggerer and two
#                           Celery workers; then a chaos cycle compared with the undisturbed one
# Options: --keep (keep the temp dir), --no-chaos, --strict (SKIPPED steps fail).
#          celery --national N: instead of the scenario, one daily collection of the national
#          world cut to N channels (6570: the whole country), checked for success and completeness.
# Exit status is non-zero when any check failed; the report ends with RESULT: PASSED|FAILED.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD/include:$PWD/devtools
exec .venv/bin/python -m e2e "$@"
