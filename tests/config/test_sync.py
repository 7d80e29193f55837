"""Registry sync to the domain DB: adds, renames, deactivates, never deletes."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import parse_registry
from citizen_desk.config.sync import sync_registry
from citizen_desk.db.models import AuditLog, Channel, Unit
from tests.conftest import NOW, REGISTRY_PATH

SAMPLE = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
PATH = Path("registry.yaml")


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Unit)),
        session.scalar(select(func.count()).select_from(Channel)),
        session.scalar(select(func.count()).select_from(AuditLog)),
    )


def test_sync_adds_renames_deactivates_and_never_deletes(session: Session, registry) -> None:
    first = sync_registry(session, registry, now=NOW)
    session.commit()
    assert first.units_added == len(registry.units)
    assert first.channels_added == len(registry.channels)
    units, channels, audits = _counts(session)

    again = sync_registry(session, registry, now=NOW)
    assert not again.changed()
    assert _counts(session) == (units, channels, audits)

    raw = copy.deepcopy(SAMPLE)
    raw["units"][1]["name"] = "Công an huyện Nga Sơn (mới)"
    raw["channels"] = [c for c in raw["channels"] if c["key"] != "fb-th-ns-ngabach"]
    changed = sync_registry(session, parse_registry(raw, PATH), now=NOW)
    session.commit()
    assert changed.units_updated == 1
    assert changed.channels_deactivated == 1
    assert _counts(session)[:2] == (units, channels)  # nothing deleted
    gone = session.scalar(select(Channel).where(Channel.key == "fb-th-ns-ngabach"))
    assert gone.active is False
    renamed = session.scalar(select(Unit).where(Unit.code == "TH-NS"))
    assert renamed.name.endswith("(mới)")
    actions = set(session.scalars(select(AuditLog.action)))
    assert {"unit_added", "channel_added", "unit_updated", "channel_deactivated"} <= actions


def test_sync_links_the_tree(session: Session, registry) -> None:
    sync_registry(session, registry, now=NOW)
    commune = session.scalar(select(Unit).where(Unit.code == "TH-NS-NGATHUY"))
    assert commune.parent.code == "TH-NS"
    assert commune.parent.parent.code == "TH"
    assert commune.duty_officer_slack == "U07NTHUYD01"
