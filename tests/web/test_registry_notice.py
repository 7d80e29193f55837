"""A broken registry file does not take the desk down: every page says so (and since when) and
the tips board and its actions keep working on the last valid snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import load_registry
from citizen_desk.config.snapshot import RegistryState, remember
from citizen_desk.db.models import Tip
from citizen_desk.web.notice import NO_SNAPSHOT, notice_text
from tests.conftest import NOW, REGISTRY_PATH
from tests.web.conftest import csrf_token

HTML = {"Accept": "text/html"}
SAME_ORIGIN = {"Origin": "http://testserver"}
BANNER = "Cấu hình registry có lỗi — đang dùng bản hợp lệ gần nhất (lúc 10:00 23/11/2026)."


@pytest.fixture
def broken_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synced_engine: Engine) -> Path:
    path = tmp_path / "registry.yaml"
    shutil.copyfile(REGISTRY_PATH, path)
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(path))
    with Session(synced_engine) as session:
        remember(session, load_registry(path), NOW)  # what a run stored while the file was valid
        session.commit()
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["channels"][1]["platform_id"] = raw["channels"][0]["platform_id"]
    raw["channels"][1]["platform"] = raw["channels"][0]["platform"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_every_page_shows_the_banner_and_the_tips_board_works(officer, seeded, broken_registry):
    for page in ("/", "/sla", "/tips", "/publications", "/collection"):
        response = officer.get(page, headers=HTML)
        assert response.status_code == 200, page
        assert BANNER in response.text, page
    tips = officer.get("/tips", headers=HTML).text
    assert f'/tips/{seeded.tips["new"]}/actions/start"' in tips
    assert "Cấp 2" in tips  # the escalation ladder, from the snapshot


def test_tip_actions_work_on_the_snapshot(officer, seeded, broken_registry, synced_engine):
    tip_id = seeded.tips["new"]
    confirm = officer.get(f"/tips/{tip_id}/actions/start")
    assert BANNER in confirm.text
    response = officer.post(
        f"/tips/{tip_id}/actions/start",
        data={"csrf_token": csrf_token(confirm.text), "confirm": "yes", "note": "đi xác minh"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 303
    with Session(synced_engine) as session:
        assert session.scalar(select(Tip.status).where(Tip.id == tip_id)) == "verifying"


def test_a_valid_registry_shows_no_banner(officer, seeded):
    assert "Cấu hình registry có lỗi" not in officer.get("/tips", headers=HTML).text


def test_notice_text(registry) -> None:
    assert notice_text(RegistryState(registry)) is None
    fallback = RegistryState(registry, problems=("f: k: p",), broken_hash="x", snapshot_at=NOW)
    assert notice_text(fallback) == BANNER
    assert notice_text(RegistryState(registry, problems=("f: k: p",))) == NO_SNAPSHOT
