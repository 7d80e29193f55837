"""Where things live: repository paths and the environment variables that override them."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
TIMEZONE = "Asia/Ho_Chi_Minh"  # only the default when the registry names no `timezone`


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
