"""Every publication task reads the week in the registry's time zone (not the default one)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace

import pytest

from citizen_desk.config.registry import load_registry
from citizen_desk.pipeline.context import run_context
from citizen_desk.publication import tasks
from tests.conftest import REGISTRY_PATH
from tests.publication.seed import NOW

ZONE = "Asia/Tokyo"  # 2 h ahead of Asia/Ho_Chi_Minh: the week's UTC bounds differ


@pytest.fixture
def tokyo(monkeypatch):
    registry = replace(load_registry(REGISTRY_PATH), timezone=ZONE)
    monkeypatch.setattr(tasks, "load_registry", lambda path=None: registry)

    @contextmanager
    def no_db(engine):
        yield SimpleNamespace()

    monkeypatch.setattr(tasks, "get_engine", lambda url=None: None)
    monkeypatch.setattr(tasks, "session_scope", no_db)
    monkeypatch.setattr(tasks, "facebook_statuses", lambda session, period: {})
    return registry


def _context() -> dict:
    run = SimpleNamespace(dag_id="publish_weekly_results", run_id="manual__x", run_after=NOW)
    return {"data_interval_end": NOW, "dag_run": run, "run_id": run.run_id, "params": {}}


def test_gate_reads_the_week_in_the_registry_zone(tokyo, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(
        tasks,
        "gate_period",
        lambda session, registry, period, **kw: seen.append(period) or [],
    )
    assert tasks.run_gate({"period": "2026-W47"}, run_context(_context())) == []
    (period,) = seen
    assert period.timezone == ZONE
    assert period.start.isoformat() == "2026-11-15T15:00:00+00:00"  # Mon 16/11 00:00 in Tokyo


def test_publish_reads_the_week_in_the_registry_zone(tokyo, monkeypatch) -> None:
    seen = []

    def publish_period(engine, period, client_for, **kwargs):
        seen.append(period)
        return SimpleNamespace(as_dict=lambda: {})

    monkeypatch.setattr(tasks, "publish_period", publish_period)

    def publish_zalo_period(engine, period, client_for, **kwargs):
        seen.append(period)
        assert kwargs["zone"] == ZONE  # the broadcast night ban is read in local time
        return SimpleNamespace(uncertain=[], as_dict=lambda: {})

    monkeypatch.setattr(tasks, "publish_zalo_period", publish_zalo_period)
    monkeypatch.setattr(tasks, "mirror_zalo", lambda session, period, **kw: seen.append(period))
    context = {**_context(), "params": {"allow_post_for_past_week": True}}
    tasks.run_publish({"period": "2026-W47"}, [], run_context(context), decisions=[])
    # Zalo mirror, Facebook posting, Zalo articles
    assert [p.timezone for p in seen] == [ZONE, ZONE, ZONE]
