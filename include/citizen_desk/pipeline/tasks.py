"""Task bodies every DAG shares."""

from __future__ import annotations

from citizen_desk.pipeline.context import RunContext
from citizen_desk.pipeline.prepare import prepare_domain_db


def prepare(run: RunContext) -> dict[str, int]:
    """Task `prepare`: migrate the domain DB and sync the registry; returns the registry's size."""
    registry = prepare_domain_db(now=run.now, actor=run.label)
    return {"units": len(registry.units), "channels": len(registry.channels)}
