"""Helpers for task code: the run's notion of "now" and a short label for logs and audit rows.

Tasks never read the wall clock: `now` comes from the run, so a backfill or a rerun of a past
interval reproduces the past results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (naive values are taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def run_now(context: Mapping[str, Any]) -> datetime:
    """The run's reference time: `data_interval_end` when set, else `dag_run.run_after` (aware UTC).

    Manual and asset-triggered runs have no data interval; their `run_after` is the time the run
    was requested for.
    """
    end = context.get("data_interval_end")
    if end is not None:
        return as_utc(end)
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if run_after is None:
        raise ValueError("task context has neither data_interval_end nor dag_run.run_after")
    return as_utc(run_after)


def run_label(context: Mapping[str, Any]) -> str:
    """`dag_id/run_id` of the current run (actor for audit rows, `source` for notifications)."""
    dag_run = context.get("dag_run")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None) or "?"
    return f"{dag_id}/{run_id}"


@dataclass(frozen=True)
class RunContext:
    """What a task body needs from its Airflow run; every DAG task builds it with `run_context`."""

    now: datetime  # data_interval_end, else run_after (aware UTC): never the wall clock
    label: str  # `dag_id/run_id`: the actor of audit rows, the source of notifications
    run_id: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    run_type: str | None = None
    interval_start: datetime | None = None
    interval_end: datetime | None = None
    ti: Any = None  # the task instance, for XCom pulls (publication's approval results)
    started_at: datetime | None = None  # when the run started (a week-old run is a past run)


def run_context(context: Mapping[str, Any]) -> RunContext:
    """The one place a task's Airflow context becomes a `RunContext`.

    Also puts the PII log filter on the task's loggers (defence in depth: task logs are readable
    by every Airflow user).
    """
    from citizen_desk.privacy.logfilter import install_log_filter

    install_log_filter()
    dag_run = context.get("dag_run")
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    run_type = getattr(dag_run, "run_type", None)
    return RunContext(
        now=run_now(context),
        label=run_label(context),
        run_id=str(context.get("run_id") or getattr(dag_run, "run_id", "") or ""),
        params=dict(context.get("params") or {}),
        run_type=str(getattr(run_type, "value", run_type)) if run_type is not None else None,
        interval_start=as_utc(start) if start is not None else None,
        interval_end=as_utc(end) if end is not None else None,
        ti=context.get("ti"),
        started_at=getattr(dag_run, "start_date", None),
    )
