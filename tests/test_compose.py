"""docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}


def test_every_service_of_the_topology_is_present() -> None:
    assert set(SERVICES) >= {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES}
    for name, command in AIRFLOW_SERVICES.items():
        assert SERVICES[name]["command"] == command


def test_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        assert image, f"{name} has no image"
        repo, _, tag = image.rpartition(":")
        assert repo, f"{name}: {image} has no repository"
        assert tag not in ("", "latest"), f"{name}: {image} is not pinned"
        assert re.search(r"\d+\.\d+", tag), f"{name}: {image} has no version tag"
    assert "FROM apache/airflow:3.3.2-" in (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_long_running_services_have_healthchecks() -> None:
    for name, service in SERVICES.items():
        if name != "airflow-init":
            assert "healthcheck" in service, f"{name} has no healthcheck"
            assert service["healthcheck"]["test"], name


def test_airflow_services_share_one_environment() -> None:
    env = COMPOSE["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "${JWT_SECRET}"
    assert env["AIRFLOW__CORE__FERNET_KEY"] == "${FERNET_KEY}"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert env["PYTHONPATH"] == "/opt/airflow/include"
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        service_env = SERVICES[name]["environment"]
        for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
            assert service_env[key] == env[key], f"{name} overrides {key}"


def test_workers_are_celery_and_scaled() -> None:
    worker = SERVICES["airflow-worker"]
    assert worker["deploy"]["replicas"] >= 2


def test_connections_come_from_an_env_file_never_committed() -> None:
    assert COMPOSE["x-airflow-common"]["env_file"] == ["${ENV_FILE_PATH:-.env}"]
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    for key in ("FERNET_KEY", "JWT_SECRET", "AIRFLOW_CONN_CITIZEN_DESK_SLACK"):
        assert re.search(rf"^{key}=", example, re.M), key
    tracked = subprocess.run(
        ["git", "ls-files", ".env"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout
    assert tracked.strip() == ""
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()


def test_domain_database_is_separate_from_the_metadata_db() -> None:
    env = COMPOSE["x-airflow-common"]["environment"]
    assert env["AIRFLOW_CONN_CITIZEN_DESK_DB"].endswith("/citizen_desk")
    init_sql = (REPO / "config" / "postgres-init.sql").read_text(encoding="utf-8")
    assert "CREATE DATABASE citizen_desk" in init_sql


DEV_TOOLS = ("pytest", "pytest-timeout", "ruff", "uv", "hypothesis", "mypy")
IMAGE_SOURCES = {"requirements.lock", "dags/", "plugins/", "include/", "templates/", "datasets/"}


def _in_build_context(path: str) -> bool:
    """Docker's .dockerignore rule for one path: the last matching pattern (or parent) wins."""
    included = True
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for line in (line.strip() for line in lines):
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.lstrip("!").rstrip("/")
        parts = path.split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            included = negated
    return included


def test_the_image_carries_no_dev_tools() -> None:
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    for tool in DEV_TOOLS:
        assert not re.search(rf"^{re.escape(tool)}==", lock, re.M), f"{tool} in requirements.lock"
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.split() for line in dockerfile.splitlines() if line and line[0] != "#"]
    sources = {
        source
        for words in instructions
        if words[0] == "COPY"
        for source in words[1:-1]
        if not source.startswith("--")
    }
    assert sources == IMAGE_SOURCES
    for words in instructions:
        if words[0] == "RUN" and "install" in words:
            assert words[-1] == "/opt/citizen-desk/requirements.lock", words
    for words in instructions:
        assert not re.search(r"devtools|tests|requirements-dev|pytest|ruff", " ".join(words))


def test_the_build_context_holds_only_what_the_image_needs() -> None:
    for path in IMAGE_SOURCES:
        assert _in_build_context(path.rstrip("/") + ("/x.py" if path.endswith("/") else ""))
    assert _in_build_context("include/citizen_desk/cli.py")
    assert _in_build_context("include/config/registry.yaml")
    assert _in_build_context("datasets/real/triage.jsonl")  # the weekly retrain's corpus
    for path in (
        "devtools/platform_simulator/web.py",
        "tests/conftest.py",
        ".venv/bin/python",
        "data/citizen_desk.db",
        "docs/screenshot-tips.png",
        ".env",
        ".git/HEAD",
        "requirements-dev.lock",
        "include/citizen_desk/__pycache__/cli.cpython-311.pyc",
    ):
        assert not _in_build_context(path), path


def test_airflow_init_creates_the_pools_the_registry_asks_for() -> None:
    """No pool table of its own: `citizen-desk pools --commands` (tests/pipeline/test_pools.py
    runs what it prints through bash)."""
    script = "\n".join(SERVICES["airflow-init"]["command"])
    assert 'eval "$$(python -m citizen_desk pools --commands)"' in script
    assert "airflow pools set" not in script
    steps = script.splitlines()
    pools = next(i for i, line in enumerate(steps) if "pools --commands" in line)
    assert steps.index("airflow db migrate") < pools
