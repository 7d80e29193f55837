"""Conventions shared by every Citizen Desk DAG (checked by tests/test_dag_integrity.py).

Imported at DAG parse time: keep it free of I/O and heavy imports.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

import pendulum

OWNER = "citizen-desk"
START_DATE = pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh")


class Tag(StrEnum):
    """Allowed DAG tags."""

    CITIZEN_DESK = "citizen-desk"
    COLLECTION = "collection"
    SLA = "sla"
    ESCALATION = "escalation"
    PUBLICATION = "publication"
    MAINTENANCE = "maintenance"


def default_args(**overrides: Any) -> dict[str, Any]:
    """Owner, retries with exponential backoff, and a bounded run time for every task."""
    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(minutes=30),
    }
    args.update(overrides)
    return args
