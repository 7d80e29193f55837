"""Helpers for task code: the run's notion of "now" and a short label for logs and audit rows.

Tasks never read the wall clock: `now` comes from the run, so a backfill or a rerun of a past
interval reproduces the past results.
"""

from __future__ import annotations

from collections.abc import Mapping
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
