"""Task bodies of `escalate_unverified_tips` (the DAG file only wires these)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from citizen_desk.config.registry import deployment_zone
from citizen_desk.errors import ConfigError, WorkflowError
from citizen_desk.pipeline.context import RunContext
from citizen_desk.tips.sweep import log_counts


def resolve_now(run: RunContext) -> datetime:
    """The sweep's `now`: the `as_of` param of a manual run if given, else the run's time."""
    as_of = run.params.get("as_of")
    return parse_as_of(as_of) if as_of else run.now


def parse_as_of(value: object) -> datetime:
    """ISO 8601; without an offset it is local time (Asia/Ho_Chi_Minh)."""
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problem = f"expected an ISO datetime like 2026-11-25T09:00, got {text!r}"
        raise ConfigError("DAG run params", "as_of", problem) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=deployment_zone())
    return parsed.astimezone(UTC)


def run_sweep(*, now: datetime, actor: str, url: str | None = None) -> dict[str, Any]:
    """One committed sweep against the domain DB; returns the report (counts only)."""
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import session_scope
    from citizen_desk.tips.sweep import sweep

    registry = load_registry()
    with session_scope(url) as session:
        report = sweep(session, registry, now=now, actor=actor, source=actor)
    return report.as_dict()


def run_delivery(*, now: datetime, url: str | None = None) -> dict[str, Any]:
    """Send what the outbox holds (this sweep's alerts and anything left from earlier runs)."""
    from citizen_desk.notify import delivery

    return delivery.run_delivery(now, url=url)


def summarize(sweep_report: Mapping[str, Any], delivery: Mapping[str, Any]) -> str:
    """One log line; raises (after delivery happened) if tips could not be swept."""
    line = f"sweep {log_counts(sweep_report)}; delivery {dict(delivery)}"
    failed = list(sweep_report.get("failed_tips") or ())
    if failed:
        raise WorkflowError(f"{line}; tips that could not be swept: {failed}")
    if delivery.get("fatal"):
        raise WorkflowError(f"{line}; Slack refused the bot token: {delivery['fatal']}")
    return line


def sweep_and_enqueue(run: RunContext) -> dict[str, Any]:
    """Task `sweep_and_enqueue`: due alerts into the outbox, once each."""
    return run_sweep(now=resolve_now(run), actor=run.label)


def deliver(run: RunContext) -> dict[str, Any]:
    """Task `deliver`: the outbox sends to Slack."""
    return run_delivery(now=resolve_now(run))
