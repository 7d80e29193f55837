"""End-to-end runs of Citizen Desk on the real Airflow engine (`scripts/e2e.sh local|celery`).

Modules: `environment` (process environments, derived from docker-compose.yml for the celery
topology), `processes`, `topology` (local: `airflow standalone` + SQLite; celery: PostgreSQL,
Redis, api-server, scheduler, dag-processor, triggerer, two Celery workers), `airflow_rest`,
`simulator`, `secrets_backend` (a per-id secrets backend standing in for Vault, used by the
scale bench), `checks` (ground truth), `confidentiality` (the canary sweep), `scenario`, `report`.
"""
