"""Task bodies of `escalate_unverified_tips` (the DAG file only wires these)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from citizen_desk.config.registry import deployment_zone
from citizen_desk.errors import ConfigError, WorkflowError
from citizen_desk.pipeline.context import RunContext
from citizen_desk.tips.sweep import log_counts

RELATIVE_AS_OF = re.compile(r"^\+(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def resolve_now(run: RunContext) -> datetime:
    """The moment the sweep evaluates: the `as_of` param of a manual run if given, else the
    run's time. A what-if only: what is written (outbox, audit, delivery) carries `run.now`."""
    as_of = run.params.get("as_of")
    return parse_as_of(as_of, base=run.now) if as_of else run.now


def parse_as_of(value: object, *, base: datetime | None = None) -> datetime:
    """ISO 8601 (without an offset: local time, Asia/Ho_Chi_Minh), or `+2d`, `+4h`, `+1d12h`,
    `+30m` after `base` (the run's time). Raises ConfigError (not retried) otherwise."""
    text = str(value).strip()
    relative = RELATIVE_AS_OF.match(text)
    if relative and base is not None:
        days, hours, minutes = (int(part or 0) for part in relative.groups())
        return base.astimezone(UTC) + timedelta(days=days, hours=hours, minutes=minutes)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problem = (
            f"expected an ISO datetime like 2026-11-25T09:00 or a shift like +2d, +1d12h, "
            f"got {text!r}"
        )
        raise ConfigError("DAG run params", "as_of", problem) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=deployment_zone())
    return parsed.astimezone(UTC)


def run_sweep(
    *, now: datetime, actor: str, url: str | None = None, recorded_at: datetime | None = None
) -> dict[str, Any]:
    """One committed sweep at `now` against the domain DB, its writes stamped `recorded_at`
    (default `now`); returns the report (counts only)."""
    from citizen_desk.db.engine import session_scope
    from citizen_desk.pipeline.registry import run_registry
    from citizen_desk.tips.sweep import sweep

    registry = run_registry(recorded_at or now, actor, url).registry
    with session_scope(url) as session:
        report = sweep(
            session, registry, now=now, actor=actor, source=actor, recorded_at=recorded_at
        )
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
    """Task `sweep_and_enqueue`: alerts due at `as_of` (default: now) into the outbox, once
    each, enqueued at the run's own time so that delivery sends them now."""
    return run_sweep(now=resolve_now(run), actor=run.label, recorded_at=run.now)


def deliver(run: RunContext) -> dict[str, Any]:
    """Task `deliver`: the outbox sends to Slack, at the run's own time (never `as_of`: no
    future `sent_at`, no retry pushed into the future)."""
    return run_delivery(now=run.now)
