"""Keep the domain DB ready: migrations and registry sync, idempotent and cheap to repeat."""

from __future__ import annotations

import logging
from datetime import datetime

from citizen_desk.config.registry import Registry
from citizen_desk.config.sync import sync_registry
from citizen_desk.db import migrate
from citizen_desk.db.engine import get_engine, session_scope
from citizen_desk.pipeline.registry import run_registry

log = logging.getLogger(__name__)


def prepare_domain_db(now: datetime, actor: str, url: str | None = None) -> Registry:
    """Upgrade the schema to head and sync the registry; returns the run's registry.

    A broken registry file does not stop the run: the last valid snapshot stands in (logged and
    alerted by `run_registry`) and nothing is synced, the DB already holds what it describes.
    """
    engine = get_engine(url)
    migrate.upgrade(engine)
    state = run_registry(now, actor, engine)
    registry = state.registry
    if state.fallback:
        log.warning("registry not synced: the file is broken, the last valid snapshot is in use")
        return registry
    with session_scope(engine) as session:
        report = sync_registry(session, registry, now=now, actor=actor)
    log.info(
        "domain DB ready (%s units, %s channels); registry changes: %s",
        len(registry.units),
        len(registry.channels),
        report if report.changed() else "none",
    )
    return registry
