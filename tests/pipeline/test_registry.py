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


# --- a file rewritten while runs read it (the e2e's restore, an editor saving in place) ---------

E2E_BREAK = "\nnot_a_section: 1  # an unknown key makes the file invalid\n"


def _rewritten_during_validation(monkeypatch: pytest.MonkeyPatch, rewrite) -> None:
    """The next validation of the file reads it, then `rewrite` runs before it returns: another
    process rewrites the file while this run is still validating what it read."""
    from citizen_desk.config import registry as registry_module

    real = registry_module.load_registry
    pending = [rewrite]

    def load(path=None):
        try:
            return real(path)
        finally:
            while pending:
                pending.pop()()

    monkeypatch.setattr(registry_module, "load_registry", load)


def test_a_file_restored_while_a_run_validates_it_is_not_a_second_broken_version(
    engine: Engine, registry_file: Path, admin_connection: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The e2e's BrokenRegistry: the collection alerted; the SLA run the collection's asset
    started validates the broken file just as the file is restored. The one broken version is
    alerted once, never again under the hash of the restored (valid) file."""
    original = registry_file.read_text(encoding="utf-8")
    assert not run_registry(NOW, "collect/run-0", engine).fallback
    registry_file.write_text(original + E2E_BREAK, encoding="utf-8")
    assert run_registry(NOW, "collect/run-1", engine).fallback
    _rewritten_during_validation(
        monkeypatch, lambda: registry_file.write_text(original, encoding="utf-8")
    )
    run_registry(NOW, "check_reply_sla/run-1", engine)
    assert [(n.recipient, n.kind) for n in alerts(engine)] == [(ADMIN, "admin_alert")]


def test_a_run_reading_a_file_caught_mid_save_does_not_alert_a_version_that_never_was(
    engine: Engine, registry_file: Path, admin_connection: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving in place truncates the file, then writes it: a run reading in between sees an
    empty (or partial) file, which is no version of the registry anybody wrote."""
    original = registry_file.read_text(encoding="utf-8")
    assert not run_registry(NOW, "collect/run-0", engine).fallback
    registry_file.write_text(original + E2E_BREAK, encoding="utf-8")
    assert run_registry(NOW, "collect/run-1", engine).fallback
    registry_file.write_text("", encoding="utf-8")  # the restore has truncated the file ...
    _rewritten_during_validation(  # ... and writes it while the run validates the empty one
        monkeypatch, lambda: registry_file.write_text(original, encoding="utf-8")
    )
    state = run_registry(NOW, "check_reply_sla/run-1", engine)
    assert not state.fallback  # the file as saved
    assert [(n.recipient, n.kind) for n in alerts(engine)] == [(ADMIN, "admin_alert")]


def test_a_failure_of_a_file_just_written_counts_once_the_file_has_settled(
    engine: Engine, registry_file: Path, admin_connection: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow writer: the file is still empty before and after the run validates it. The run
    waits until the file is SETTLE_SECONDS old; the writer finishes meanwhile."""
    from citizen_desk.config import snapshot

    original = registry_file.read_text(encoding="utf-8")
    assert not run_registry(NOW, "collect/run-0", engine).fallback
    registry_file.write_text("", encoding="utf-8")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        registry_file.write_text(original, encoding="utf-8")

    monkeypatch.setattr(snapshot, "_sleep", sleep)
    assert not run_registry(NOW, "check_reply_sla/run-1", engine).fallback
    assert len(waits) == 1
    assert 0 < waits[0] <= snapshot.SETTLE_SECONDS
    assert alerts(engine) == []


def test_a_settled_broken_file_is_alerted_under_its_own_hash(
    engine: Engine, registry_file: Path, admin_connection: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citizen_desk.config import snapshot

    assert not run_registry(NOW, "collect/run-0", engine).fallback
    broken = registry_file.read_text(encoding="utf-8") + E2E_BREAK
    registry_file.write_text(broken, encoding="utf-8")
    monkeypatch.setattr(snapshot, "_sleep", lambda _s: None)  # nobody writes: it has settled
    state = run_registry(NOW, "collect/run-1", engine)
    assert state.broken_hash == snapshot.content_hash(broken)
    assert [n.idempotency_key for n in alerts(engine)] == [
        f"{alert_key(snapshot.content_hash(broken))}:{ADMIN}"
    ]


def test_a_broken_file_dated_in_the_future_is_waited_for_once(
    engine: Engine, registry_file: Path, admin_connection: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clock skew (a file written on another host): its failure counts after one wait."""
    import os
    import time

    from citizen_desk.config import snapshot

    assert not run_registry(NOW, "collect/run-0", engine).fallback
    registry_file.write_text(registry_file.read_text(encoding="utf-8") + E2E_BREAK, "utf-8")
    future = time.time() + 3600
    os.utime(registry_file, (future, future))
    waits: list[float] = []
    monkeypatch.setattr(snapshot, "_sleep", waits.append)
    assert run_registry(NOW, "collect/run-1", engine).fallback
    assert waits == [snapshot.SETTLE_SECONDS]
    assert len(alerts(engine)) == 1
