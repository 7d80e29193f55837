"""The run's registry: a broken file is alerted once per version on the admin channel of
the Slack connection (no registry needed), and publication refuses to run on a fallback."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.config.snapshot import RegistryState, registry_state
from citizen_desk.db.models import Notification
from citizen_desk.errors import ConfigError
from citizen_desk.pipeline.context import RunContext
from citizen_desk.pipeline.registry import (
    alert_key,
    alert_text,
    enqueue_alert,
    require_file_registry,
    run_registry,
)
from tests.conftest import NOW, REGISTRY_PATH

ADMIN = "C0ADMINOPS"


@pytest.fixture
def registry_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry.yaml"
    shutil.copyfile(REGISTRY_PATH, path)
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(path))
    return path


@pytest.fixture
def admin_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "slack", "password": "xoxb-test", "extra": {"admin_channel": ADMIN}}
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(conn))
    monkeypatch.delenv("CITIZEN_DESK_ADMIN_CHANNEL", raising=False)


def break_it(path: Path, extra: str = "") -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["channels"][1]["platform"] = raw["channels"][0]["platform"]
    raw["channels"][1]["platform_id"] = raw["channels"][0]["platform_id"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True) + extra, encoding="utf-8")


def alerts(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_alert_text_names_file_key_and_problem_and_withholds_personal_data() -> None:
    text = alert_text(
        [
            "/r.yaml: channels[fb-a].platform_id: duplicate channel id facebook:1",
            "/r.yaml: units[X].name: call 0912 345 678",
        ],
        NOW,
        "Asia/Ho_Chi_Minh",
    )
    assert "/r.yaml: channels[fb-a].platform_id: duplicate channel id" in text
    assert "/r.yaml: units[X].name" in text
    assert "0912" not in text
    assert "10:00 23/11/2026" in text
    assert "đăng kết quả tuần bị tạm dừng" in text


def test_alert_key_is_per_broken_version() -> None:
    assert alert_key("a" * 64) != alert_key("b" * 64)


def test_broken_registry_is_alerted_once_per_version(
    engine: Engine, registry_file: Path, admin_connection: None
) -> None:
    assert not run_registry(NOW, "dag/run-0", engine).fallback
    break_it(registry_file)
    # retries, other DAGs, runs of other logical days (a backfill; runs either side of midnight)
    for hours in (0, 1, 2, -20, 30, -24 * 14):
        state = run_registry(NOW + timedelta(hours=hours), f"dag/run-{hours}", engine)
        assert state.fallback
    assert [(n.recipient, n.kind) for n in alerts(engine)] == [(ADMIN, "admin_alert")]
    break_it(registry_file, extra="# edited again, still broken\n")
    run_registry(NOW + timedelta(hours=3), "dag/run-3", engine)
    run_registry(NOW + timedelta(days=1), "dag/run-4", engine)
    assert len(alerts(engine)) == 2  # a new broken version, once


def test_without_an_admin_channel_the_snapshots_admins_are_alerted(
    engine: Engine, registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", raising=False)
    monkeypatch.delenv("CITIZEN_DESK_ADMIN_CHANNEL", raising=False)
    with Session(engine) as session:
        count = enqueue_alert(
            session,
            problems=["/r.yaml: units: broken"],
            broken_hash="c" * 64,
            registry=registry,
            snapshot_at=NOW,
            now=NOW,
            source="t",
        )
        session.commit()
    assert count == len(registry.technical_admins) >= 1
    assert {n.recipient for n in alerts(engine)} == set(registry.technical_admins)


def test_require_file_registry(registry) -> None:
    assert require_file_registry(RegistryState(registry), "publication") is registry
    stale = RegistryState(registry, problems=("f: k: p",), broken_hash="x", snapshot_at=NOW)
    with pytest.raises(ConfigError, match="publication refuses to run on the last valid"):
        require_file_registry(stale, "publication")


def test_publication_refuses_a_fallback_registry_and_says_why(
    engine: Engine,
    registry_file: Path,
    admin_connection: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from citizen_desk.publication import tasks

    monkeypatch.setenv("CITIZEN_DESK_DB_URL", engine.url.render_as_string(False))
    with Session(engine) as session:
        registry_state(session, NOW)
        session.commit()
    break_it(registry_file)
    run = RunContext(now=NOW, label="publish_weekly_results/run-1")
    with pytest.raises(ConfigError, match="duplicate channel id") as refused:
        tasks.run_wait_for_collection(run)
    assert "publication refuses" in str(refused.value)
    assert [n.recipient for n in alerts(engine)] == [ADMIN]  # and the admins were told
