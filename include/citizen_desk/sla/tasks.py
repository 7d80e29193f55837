"""Task bodies of `check_reply_sla` (the DAG file only wires these)."""

from __future__ import annotations

import logging
from typing import Any

from citizen_desk.pipeline.context import RunContext

log = logging.getLogger(__name__)


def evaluate(run: RunContext) -> dict[str, Any]:
    """Task `evaluate`: record warnings/breaches and enqueue alerts (or recompute a period)."""
    from citizen_desk.sla.sweep import run_check

    return run_check(
        run.now,
        run.label,
        recompute_from=run.params.get("recompute_from"),
        recompute_to=run.params.get("recompute_to"),
        dry_run=bool(run.params.get("dry_run")),
    )


def deliver(run: RunContext, evaluated: dict[str, Any]) -> dict[str, Any]:
    """Task `deliver`: send the outbox (nothing on a dry run)."""
    from citizen_desk.notify.delivery import run_delivery

    if evaluated.get("dry_run"):
        return {"skipped": "dry_run"}
    report = run_delivery(run.now)
    if report.get("fatal"):
        raise RuntimeError(f"Slack refused the bot token: {report['fatal']}")
    return report


def summary(evaluated: dict[str, Any], delivered: dict[str, Any]) -> None:
    """Task `summary`: one log line with the counts."""
    log.info("SLA check: %s | delivery: %s", evaluated, delivered)
