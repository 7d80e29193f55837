"""A broken registry degrades, never stops: collection runs on the last valid snapshot and the
admins are alerted once, on the Slack connection's admin channel (no registry needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Notification, RegistrySnapshot
from citizen_desk.pipeline.context import RunContext
from tests.collect.conftest import local_session
from tests.conftest import NOW

ADMIN = "C0ADMINOPS"


@pytest.fixture
def admin_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "slack", "password": "xoxb-test", "extra": {"admin_channel": ADMIN}}
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(conn))
    monkeypatch.delenv("CITIZEN_DESK_ADMIN_CHANNEL", raising=False)


def duplicate_channel_id(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    pages = [c for c in raw["channels"] if c["platform"] == "facebook"]
    pages[1]["platform_id"] = pages[0]["platform_id"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize("world", [3], indirect=True)
def test_duplicate_channel_id_collects_on_the_snapshot_and_alerts_once(
    sqlite_engine: Engine,
    small_registry: Path,
    world,
    admin_connection: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from citizen_desk.collect import tasks
    from citizen_desk.collect.run import Options, collect_channel

    monkeypatch.setenv("CITIZEN_DESK_DB_URL", sqlite_engine.url.render_as_string(False))
    run = RunContext(now=NOW, label="collect_citizen_messages/run-1", run_id="run-1")
    before = tasks.prepare(run)  # valid: synced, and kept as the snapshot
    with Session(sqlite_engine) as session:
        assert len(session.scalars(select(RegistrySnapshot)).all()) == 1

    duplicate_channel_id(small_registry)
    later = RunContext(now=NOW, label="collect_citizen_messages/run-2", run_id="run-2")
    assert tasks.prepare(later) == before  # the snapshot's channels, not a failure
    tasks.prepare(later)  # a retry the same day: no second alert

    with Session(sqlite_engine) as session:
        alerts = session.scalars(select(Notification)).all()
    assert [(n.recipient, n.kind, n.status) for n in alerts] == [(ADMIN, "admin_alert", "pending")]
    assert alerts[0].idempotency_key.startswith("registry-broken:")
    payload = json.dumps(alerts[0].payload, ensure_ascii=False)
    assert "registry.yaml: channels[" in payload
    assert ".platform_id" in payload

    key = before["facebook"][0][0]  # the first batch's first page
    options = Options(sleep=lambda _s: None, timeout=2.0, clock=world.clock, http=local_session())
    summary = collect_channel(
        key, engine=sqlite_engine, run_id="run-2", now=world.clock(), options=options
    )
    assert summary["status"] == "success"
    assert summary["messages_added"] > 0


def test_broken_registry_without_snapshot_fails_clearly_and_still_alerts(
    sqlite_engine: Engine,
    small_registry: Path,
    admin_connection: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from citizen_desk.collect import tasks
    from citizen_desk.errors import RegistryErrors

    monkeypatch.setenv("CITIZEN_DESK_DB_URL", sqlite_engine.url.render_as_string(False))
    duplicate_channel_id(small_registry)
    run = RunContext(now=NOW, label="collect_citizen_messages/run-1", run_id="run-1")
    with pytest.raises(RegistryErrors, match="duplicate channel id"):
        tasks.prepare(run)
    with Session(sqlite_engine) as session:
        alerts = session.scalars(select(Notification)).all()
    assert [(n.recipient, n.kind) for n in alerts] == [(ADMIN, "admin_alert")]
