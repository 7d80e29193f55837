"""Registry validation (one test per error kind, asserting the message) and sync to the DB."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import load_registry, parse_registry, sync_registry
from citizen_desk.db.models import AuditLog, Channel, Unit
from citizen_desk.errors import ConfigError
from tests.conftest import NOW, REGISTRY_PATH

SAMPLE = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
PATH = Path("registry.yaml")


def _broken(mutate) -> dict:
    raw = copy.deepcopy(SAMPLE)
    mutate(raw)
    return raw


def test_sample_registry_is_valid() -> None:
    registry = load_registry(REGISTRY_PATH)
    assert registry.unit("TH-NS").parent == "TH"
    assert {c.platform for c in registry.channels} == {"facebook", "zalo"}
    assert len(registry.active_channels()) == len(registry.channels) >= 15
    assert registry.timezone == "Asia/Ho_Chi_Minh"
    assert registry.case_url(12) == "http://localhost:8080/citizen-desk/cases/12"


def _set(path: str, value):
    def mutate(raw):
        target = raw
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


CASES = [
    (
        "duplicate channel key",
        _set("channels.1.key", "fb-th"),
        "channels[fb-th].key: duplicate channel key 'fb-th'",
    ),
    (
        "duplicate channel id",
        _set("channels.1.platform_id", "100064512300001"),
        "channels[fb-th-ns].platform_id: duplicate channel id facebook:100064512300001",
    ),
    (
        "unknown parent",
        _set("units.1.parent", "NOWHERE"),
        "units[TH-NS].parent: unknown parent 'NOWHERE'",
    ),
    ("cycle", lambda raw: _set("units.0.parent", "TH-NS")(raw), "cycle through"),
    (
        "malformed slack id",
        _set("units.0.contacts.chief", "bob"),
        "units[TH].contacts.chief: malformed Slack id 'bob'",
    ),
    (
        "missing connection id",
        lambda raw: raw["channels"][2].pop("connection_id"),
        "channels[fb-th-ns-ttns].connection_id: missing connection id",
    ),
    ("unknown top-level key", _set("channel", []), "channel: unknown key"),
    ("unknown unit key", _set("units.2.chef", "x"), "units[TH-NS-TTNS].chef: unknown key"),
    (
        "unknown channel unit",
        _set("channels.0.unit", "TH-XX"),
        "channels[fb-th].unit: unknown unit 'TH-XX'",
    ),
    (
        "unknown platform",
        _set("channels.0.platform", "tiktok"),
        "channels[fb-th].platform: unknown platform 'tiktok'",
    ),
    ("unknown unit kind", _set("units.0.kind", "village"), "units[TH].kind: unknown kind"),
    ("duplicate unit code", _set("units.1.code", "TH"), "units[TH].code: duplicate unit code"),
    ("bad timezone", _set("timezone", "Mars/Olympus"), "timezone: unknown time zone"),
    (
        "bad sla duration",
        _set("sla.targets.question.first_response", "eight hours"),
        "sla.targets.question.first_response",
    ),
    (
        "unknown override unit",
        _set("sla.unit_overrides", {"TH-XX": {}}),
        "sla.unit_overrides.TH-XX: unknown unit",
    ),
    ("bad admin id", _set("technical_admins", ["nope"]), "technical_admins[0]: malformed"),
]


@pytest.mark.parametrize(("name", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_error_names_file_key_and_problem(name, mutate, message) -> None:
    with pytest.raises(ConfigError) as error:
        parse_registry(_broken(mutate), PATH)
    assert str(error.value).startswith("registry.yaml: ")
    assert message in str(error.value)


def test_unreadable_and_invalid_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read registry"):
        load_registry(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("units: [\n  - code: TH\n  name", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+: invalid YAML"):
        load_registry(bad)


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
