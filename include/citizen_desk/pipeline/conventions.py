"""Conventions shared by every Citizen Desk DAG (checked by tests/dags/test_dag_integrity.py).

Imported at DAG parse time: keep it free of I/O and heavy imports.
"""

from __future__ import annotations

import os
from datetime import timedelta
from enum import StrEnum
from typing import Any

import pendulum
from airflow.sdk import Asset, ExceptionRetryPolicy, RetryAction, RetryRule

OWNER = "citizen-desk"
START_DATE = pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh")
CASES = Asset("citizen_desk://cases")  # updated by every collection; SLA and escalation follow it
COLLECTION_RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception="citizen_desk.collect.PermanentFailure",
            action=RetryAction.FAIL,
            reason="token, permission or configuration problem: admins notified, no retry",
        ),
        RetryRule(
            exception="citizen_desk.collect.RateLimited",
            action=RetryAction.RETRY,
            retry_delay=timedelta(minutes=15),
            reason="platform rate limit: retry once the budget is back",
        ),
    ]
)

# A run param the operator got wrong: the task fails at once (its ConfigError names the param),
# retrying would only fail again.
BAD_PARAMS_RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception="citizen_desk.errors.ConfigError",
            action=RetryAction.FAIL,
            reason="invalid run param or configuration: fix it and trigger again, no retry",
        )
    ]
)
# `as_of` of the escalation DAG: ISO datetime (local unless an offset is given) or `+1d12h`
# ahead of the run's time. Checked at trigger time; `citizen_desk.tips.tasks.parse_as_of` parses.
AS_OF_PATTERN = (
    r"^(\+(?=\d)(\d+d)?(\d+h)?(\d+m)?"
    r"|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


class Tag(StrEnum):
    """Allowed DAG tags."""

    CITIZEN_DESK = "citizen-desk"
    COLLECTION = "collection"
    SLA = "sla"
    ESCALATION = "escalation"
    PUBLICATION = "publication"
    MAINTENANCE = "maintenance"
    REALTIME = "realtime"
    TRIAGE = "triage"


def collection_deadline(after: timedelta) -> Any:
    """Deadline Alert: tell the admins when a collection run is still not done `after` queueing.

    Off when `CITIZEN_DESK_DEADLINES=off` (tests: `dag.test()` crashes on DAGs with deadlines in
    3.3.2, apache/airflow#73428; the scheduler is not affected).
    """
    if os.environ.get("CITIZEN_DESK_DEADLINES", "on") == "off":
        return None
    # airflow.sdk exports these (its __all__, documented path), but the task-sdk 1.3.2 stub
    # airflow/sdk/__init__.pyi omits them.
    from airflow.sdk import (  # type: ignore[attr-defined]
        AsyncCallback,
        DeadlineAlert,
        DeadlineReference,
    )

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=after,
        callback=AsyncCallback(
            "citizen_desk.pipeline.alerts.collection_is_late",
            kwargs={"late_after": f"{int(after.total_seconds() // 60)} phút"},
        ),
    )


def default_args(**overrides: Any) -> dict[str, Any]:
    """Owner, retries with backoff, a bounded run time, and a Slack alert on failure."""
    from citizen_desk.pipeline.alerts import TaskFailureNotifier

    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": [TaskFailureNotifier()],
    }
    args.update(overrides)
    return args
