"""Where things live: repository paths and the environment variables that override them."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
TIMEZONE = "Asia/Ho_Chi_Minh"  # only the default when the registry names no `timezone`
PAGE_PATH = "/citizen-desk"  # where the Airflow api-server mounts the Citizen Desk pages
BASE_URL_ENV = "CITIZEN_DESK_BASE_URL"
DEFAULT_CASE_VIEW_BASE_URL = f"http://localhost:8080{PAGE_PATH}"


def data_dir() -> Path:
    """Directory for the default SQLite domain DB, reports and other generated files."""
    path = Path(os.environ.get("CITIZEN_DESK_DATA_DIR", PROJECT_DIR / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def registry_path() -> Path:
    """The registry YAML: units, channels, contacts and policies."""
    return Path(
        os.environ.get("CITIZEN_DESK_REGISTRY", PACKAGE_DIR.parent / "config" / "registry.yaml")
    )


def templates_dir() -> Path:
    return Path(os.environ.get("CITIZEN_DESK_TEMPLATES", PROJECT_DIR / "templates"))


def reports_dir() -> Path:
    path = data_dir() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _env_root_url() -> str | None:
    value = os.environ.get(BASE_URL_ENV, "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        from citizen_desk.errors import ConfigError

        raise ConfigError("environment", BASE_URL_ENV, "expected an http(s) URL")
    return value.rstrip("/")


def _airflow_root_url() -> str | None:
    try:
        from airflow.configuration import conf
    except ImportError:  # pragma: no cover - Airflow is always installed with the project
        return None
    value = (conf.get("api", "base_url", fallback="") or "").strip()
    return value.rstrip("/") if value.startswith(("http://", "https://")) else None


def case_view_base_url(configured: str | None) -> str:
    """Where alert links and buttons point: the Citizen Desk pages as people reach them.

    `CITIZEN_DESK_BASE_URL` (the public root of the Airflow api-server) + `PAGE_PATH` wins; else
    the registry's `case_view_base_url` (`configured`); else Airflow's `[api] base_url` +
    `PAGE_PATH`; else `DEFAULT_CASE_VIEW_BASE_URL`. No trailing slash.
    """
    root = _env_root_url()
    if root is not None:
        return root + PAGE_PATH
    if configured:
        return configured.rstrip("/")
    root = _airflow_root_url()
    return (root + PAGE_PATH) if root is not None else DEFAULT_CASE_VIEW_BASE_URL
