"""Task bodies every DAG shares, and the setup DAG's."""

from __future__ import annotations

from typing import Any

from citizen_desk.pipeline.context import RunContext
from citizen_desk.pipeline.prepare import prepare_domain_db


def prepare(run: RunContext) -> dict[str, int]:
    """Task `prepare`: migrate the domain DB and sync the registry; returns the registry's size."""
    registry = prepare_domain_db(now=run.now, actor=run.label)
    return {"units": len(registry.units), "channels": len(registry.channels)}


def sync_pools(run: RunContext) -> dict[str, Any]:
    """Task `sync_pools` of `citizen_desk_setup`: Airflow's pools as the run's registry asks
    (`citizen_desk.pipeline.pools`); without the API connection, a warning and what to do."""
    from citizen_desk.config.collection import pools_for
    from citizen_desk.db.engine import get_engine
    from citizen_desk.pipeline.pools import apply_pools
    from citizen_desk.pipeline.registry import run_registry

    registry = run_registry(run.now, run.label, get_engine()).registry
    return apply_pools(pools_for(registry))
