from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from citizen_desk.errors import ConfigError, NotFoundError
from citizen_desk.sla.calendar import default_calendar
from citizen_desk.tips.escalation import (
    DueAlert,
    LadderStep,
    TipSnapshot,
    UnitNode,
    current_level,
    due_alerts,
    parse_escalation_policy,
    recipients_for,
    resolve_unit,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)
CAL = default_calendar()
REGISTRY = Path(__file__).resolve().parents[2] / "include" / "config" / "registry.yaml"


def unit(code: str, kind: str, parent: str | None, duty: str | None, chief: str | None):
    contacts = {role: sid for role, sid in (("duty_officer", duty), ("chief", chief)) if sid}
    return UnitNode(code, kind, parent, contacts)


# Three levels (province > district/city > commune/ward), as in the registry.
UNITS = {
    u.code: u
    for u in [
        unit("TH", "province", None, "C07THDUTY01", "U07THCHIEF1"),
        unit("TH-NS", "district", "TH", "C07NSDUTY01", "U07NSCHIEF1"),
        unit("TH-NS-NGATHUY", "commune", "TH-NS", "U07NTHUYD01", "U07NTHUYC01"),
        unit("TH-NS-NGATAN", "commune", "TH-NS", "U07NTAN0D01", None),  # no chief contact
        unit("TH-SS", "city", "TH", "C07SSDUTY01", "U07SSCHIEF1"),
        unit("TH-SS-BACSON", "ward", "TH-SS", "U07BSOND001", "U07BSONC001"),
    ]
}
# Two levels: communes directly under the province.
FLAT = {
    u.code: u
    for u in [
        unit("P", "province", None, "PDUTY", "PCHIEF"),
        unit("P-C1", "commune", "P", "C1DUTY", "C1CHIEF"),
    ]
}
KINDS = {u.kind for u in UNITS.values()}

SECTION = """
clock: wall
ladder:
  - {level: 0, after: 0h,  unit: self,              role: duty_officer}
  - {level: 1, after: 24h, unit: self,              role: chief}
  - {level: 2, after: 48h, unit: ancestor:district, role: chief}
  - {level: 3, after: 96h, unit: root,              role: duty_officer}
urgent_on_arrival:
  - {unit: self,              role: chief}
  - {unit: ancestor:district, role: chief}
verification_deadline: 20d
"""
POLICY = parse_escalation_policy(yaml.safe_load(SECTION), path="registry.yaml", unit_kinds=KINDS)
RECEIVED = datetime(2026, 3, 2, 9, tzinfo=VN)  # Monday 09:00


def tip(
    unit_code: str = "TH-NS-NGATHUY",
    *,
    status: str = "new",
    urgent: bool = False,
    acknowledged: frozenset[int] = frozenset(),
    acknowledged_as: str | None = None,
    extension: timedelta = timedelta(0),
    received_at: datetime = RECEIVED,
    urgent_since: datetime | None = None,
) -> TipSnapshot:
    """`acknowledged` levels, given while the tip was with `acknowledged_as` (default: its unit)."""
    acks = frozenset((level, acknowledged_as or unit_code) for level in acknowledged)
    return TipSnapshot(7, unit_code, received_at, urgent, status, acks, extension, urgent_since)


def alerts_at(t: TipSnapshot, hours: float, *, policy=POLICY, units=UNITS) -> list[DueAlert]:
    return due_alerts(t, policy, units, CAL, t.received_at + hours * H)


def summary(alerts: list[DueAlert]) -> list[tuple]:
    return [(a.level, a.kind, a.sequence, a.unit_code, a.recipients) for a in alerts]


# --- resolve_unit / recipients_for ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "selector", "expected"),
    [
        ("TH-NS-NGATHUY", "self", "TH-NS-NGATHUY"),
        ("TH-NS-NGATHUY", "parent", "TH-NS"),
        ("TH-NS-NGATHUY", "root", "TH"),
        ("TH-NS-NGATHUY", "ancestor:district", "TH-NS"),
        ("TH-NS-NGATHUY", "ancestor:province", "TH"),
        ("TH-NS-NGATHUY", "ancestor:city", "TH-NS"),  # no city above: the parent
        ("TH-SS-BACSON", "ancestor:district", "TH-SS"),  # a city instead of a district
        ("TH-SS-BACSON", "ancestor:city", "TH-SS"),
        ("TH-NS", "ancestor:district", "TH"),  # strictly above: not itself
        ("TH", "self", "TH"),
        ("TH", "root", "TH"),
        ("TH", "parent", None),
        ("TH", "ancestor:district", None),
    ],
)
def test_resolve_unit(code, selector, expected):
    assert resolve_unit(code, selector, UNITS) == expected


def test_resolve_unit_in_a_two_level_tree():
    assert resolve_unit("P-C1", "ancestor:district", FLAT) == "P"
    assert resolve_unit("P-C1", "root", FLAT) == "P"


def test_resolve_unit_errors():
    with pytest.raises(NotFoundError):
        resolve_unit("TH-XX", "self", UNITS)
    with pytest.raises(ValueError, match="selector"):
        resolve_unit("TH-NS", "grandparent", UNITS)
    looped = {"A": UnitNode("A", "commune", "B", {}), "B": UnitNode("B", "district", "A", {})}
    with pytest.raises(ValueError, match="cycle"):
        resolve_unit("A", "root", looped)


def test_recipients_for():
    assert recipients_for("TH-NS-NGATHUY", "ancestor:district", "chief", UNITS) == ["U07NSCHIEF1"]
    assert recipients_for("TH-NS-NGATAN", "self", "chief", UNITS) == []
    assert recipients_for("TH", "parent", "chief", UNITS) == []
    shared = {"X": UnitNode("X", "province", None, {"chief": ("U1", "U2", "U1")})}
    assert recipients_for("X", "self", "chief", shared) == ["U1", "U2"]


# --- due_alerts: the normal climb ----------------------------------------------------------------


def test_normal_climb():
    t = tip()
    arrival = (0, "arrival", 0, "TH-NS-NGATHUY", ("U07NTHUYD01",))
    level1 = (1, "escalation", 0, "TH-NS-NGATHUY", ("U07NTHUYC01",))
    level2 = (2, "escalation", 0, "TH-NS", ("U07NSCHIEF1",))
    level3 = (3, "escalation", 0, "TH", ("C07THDUTY01",))
    assert summary(alerts_at(t, -1)) == []
    assert summary(alerts_at(t, 0)) == [arrival]
    assert summary(alerts_at(t, 11.9)) == [arrival]
    assert summary(alerts_at(t, 12)) == [arrival, (0, "reminder", 1, *arrival[3:])]
    assert summary(alerts_at(t, 23)) == [arrival, (0, "reminder", 1, *arrival[3:])]
    assert summary(alerts_at(t, 24)) == [arrival, level1]
    assert summary(alerts_at(t, 36)) == [arrival, level1, (1, "reminder", 1, *level1[3:])]
    assert summary(alerts_at(t, 50)) == [arrival, level1, level2]
    assert summary(alerts_at(t, 100)) == [arrival, level1, level2, level3]
    # a run after an outage gets every level, but only the latest reminder
    assert summary(alerts_at(t, 130)) == [
        arrival,
        level1,
        level2,
        level3,
        (3, "reminder", 2, *level3[3:]),
    ]


def test_alert_fields_and_keys():
    alerts = alerts_at(tip(), 100)
    assert [a.idempotency_key for a in alerts] == [
        "tip:7:L0:arrival:0",
        "tip:7:L1:escalation:0",
        "tip:7:L2:escalation:0",
        "tip:7:L3:escalation:0",
    ]
    assert [a.due_at for a in alerts] == [RECEIVED + h * H for h in (0, 24, 48, 96)]
    assert {a.tip_id for a in alerts} == {7}
    assert {a.due_at.tzinfo for a in alerts} == {UTC}
    reminder = alerts_at(tip(), 130)[-1]
    assert reminder.idempotency_key == "tip:7:L3:reminder:2"
    assert reminder.due_at == RECEIVED + 120 * H


@pytest.mark.parametrize("hours", [0, 12, 24, 50, 100, 130])
def test_current_level(hours):
    expected = {0: 0, 12: 0, 24: 1, 50: 2, 100: 3, 130: 3}[hours]
    assert current_level(tip(), POLICY, CAL, RECEIVED + hours * H) == expected
    assert current_level(tip(), POLICY, CAL, RECEIVED - H) == -1


def test_acknowledged_level_stops_its_reminders_but_not_the_climb():
    t = tip(acknowledged=frozenset({0}))
    assert [a.kind for a in alerts_at(t, 13)] == ["arrival"]
    assert [(a.level, a.kind) for a in alerts_at(t, 36)] == [
        (0, "arrival"),
        (1, "escalation"),
        (1, "reminder"),
    ]
    both = tip(acknowledged=frozenset({0, 1}))
    assert [(a.level, a.kind) for a in alerts_at(both, 47)] == [(0, "arrival"), (1, "escalation")]
    assert [a.level for a in alerts_at(both, 48)] == [0, 1, 2]


def test_acknowledgement_holds_only_while_its_level_answers_to_the_same_unit():
    # Acknowledged at levels 1 (commune chief) and 2 (district chief) while with Nga Thủy.
    same_district = tip(
        "TH-NS-NGATAN", acknowledged=frozenset({1, 2}), acknowledged_as="TH-NS-NGATHUY"
    )
    reminders = [
        (a.level, a.unit_code) for a in alerts_at(same_district, 60) if a.kind == "reminder"
    ]
    assert reminders == []  # level 2 is still Nga Sơn's chief, who acknowledged it

    # At level 1 the new commune's chief is answerable, and has acknowledged nothing.
    level_one = tip("TH-NS-NGATAN", acknowledged=frozenset({1}), acknowledged_as="TH-NS-NGATHUY")
    assert [(a.level, a.kind) for a in alerts_at(level_one, 47)][-1] == (1, "reminder")

    other_city = tip(
        "TH-SS-BACSON", acknowledged=frozenset({1, 2}), acknowledged_as="TH-NS-NGATHUY"
    )
    reminders = [(a.level, a.unit_code) for a in alerts_at(other_city, 60) if a.kind == "reminder"]
    assert reminders == [(2, "TH-SS")]


@pytest.mark.parametrize("status", ["verified", "unfounded", "forwarded"])
@pytest.mark.parametrize("hours", [0, 13, 24, 48, 96, 200])
def test_closed_tip_gets_no_alert_at_any_level(status, hours):
    assert alerts_at(tip(status=status, urgent=True), hours) == []


def test_verifying_tip_keeps_climbing():
    assert [a.level for a in alerts_at(tip(status="verifying"), 50)] == [0, 1, 2]


def test_extension_shifts_every_threshold():
    t = tip(extension=24 * H)
    assert alerts_at(t, 23) == []
    assert [(a.level, a.kind, a.sequence) for a in alerts_at(t, 36)] == [
        (0, "arrival", 0),
        (0, "reminder", 1),
    ]
    assert [(a.level, a.kind) for a in alerts_at(t, 47)] == [(0, "arrival"), (0, "reminder")]
    level1 = alerts_at(t, 48)[1]
    assert (level1.level, level1.due_at) == (1, RECEIVED + 48 * H)
    assert [a.level for a in alerts_at(t, 72)] == [0, 1, 2]
    assert current_level(t, POLICY, CAL, RECEIVED + 119 * H) == 2
    assert current_level(t, POLICY, CAL, RECEIVED + 120 * H) == 3


def test_reassigned_tip_alerts_the_new_unit_with_the_same_keys():
    before = alerts_at(tip("TH-NS-NGATHUY"), 50)
    after = alerts_at(tip("TH-SS-BACSON"), 50)
    assert [a.idempotency_key for a in after] == [a.idempotency_key for a in before]
    assert summary(after) == [
        (0, "arrival", 0, "TH-SS-BACSON", ("U07BSOND001",)),
        (1, "escalation", 0, "TH-SS-BACSON", ("U07BSONC001",)),
        (2, "escalation", 0, "TH-SS", ("U07SSCHIEF1",)),  # city instead of district
    ]


# --- urgent tips ---------------------------------------------------------------------------------


def test_urgent_tip_alerts_chiefs_on_arrival():
    alerts = alerts_at(tip(urgent=True), 0)
    assert summary(alerts) == [
        (0, "urgent", 0, "TH-NS-NGATHUY", ("U07NTHUYC01",)),
        (0, "urgent", 1, "TH-NS", ("U07NSCHIEF1",)),
        (0, "arrival", 0, "TH-NS-NGATHUY", ("U07NTHUYD01",)),
    ]
    assert [a.idempotency_key for a in alerts[:2]] == ["tip:7:L0:urgent:0", "tip:7:L0:urgent:1"]
    assert {a.due_at for a in alerts} == {RECEIVED}
    assert alerts_at(tip(urgent=True), -1) == []


def test_urgent_tip_at_a_district_goes_to_the_province():
    assert summary(alerts_at(tip("TH-NS", urgent=True), 0))[:2] == [
        (0, "urgent", 0, "TH-NS", ("U07NSCHIEF1",)),
        (0, "urgent", 1, "TH", ("U07THCHIEF1",)),
    ]


def test_urgent_tip_at_the_root_alerts_its_chief_once():
    assert summary(alerts_at(tip("TH", urgent=True), 0)) == [
        (0, "urgent", 0, "TH", ("U07THCHIEF1",)),
        (0, "arrival", 0, "TH", ("C07THDUTY01",)),
    ]


def test_a_tip_that_turns_urgent_later_alerts_the_chiefs_then():
    """Four days in (level 3 passed), the thread reports danger now: the chiefs' alerts are due
    now, so catch-up sends them at once instead of listing them as stale history."""
    later = RECEIVED + 100 * H
    turned = tip(urgent=True, urgent_since=later)
    assert [a for a in alerts_at(turned, 99) if a.kind == "urgent"] == []
    urgent = [a for a in alerts_at(turned, 100) if a.kind == "urgent"]
    assert [(a.unit_code, a.due_at) for a in urgent] == [("TH-NS-NGATHUY", later), ("TH-NS", later)]
    assert [a.idempotency_key for a in urgent] == ["tip:7:L0:urgent:0", "tip:7:L0:urgent:1"]
    ladder = [(a.kind, a.due_at) for a in alerts_at(turned, 100) if a.kind == "escalation"]
    assert ladder == [(k, a.due_at) for k, a in ((a.kind, a) for a in alerts_at(tip(), 100))
                      if k == "escalation"]  # fmt: skip
    # never before the tip came in
    early = tip(urgent=True, urgent_since=RECEIVED - 5 * H)
    assert {a.due_at for a in alerts_at(early, 0) if a.kind == "urgent"} == {RECEIVED}


def test_urgent_since_must_be_timezone_aware():
    with pytest.raises(ValueError, match="urgent_since"):
        alerts_at(tip(urgent=True, urgent_since=datetime(2026, 3, 2, 9)), 0)


def test_urgent_tip_keeps_the_normal_ladder():
    assert [(a.level, a.kind) for a in alerts_at(tip(urgent=True), 24)] == [
        (0, "urgent"),
        (0, "urgent"),
        (0, "arrival"),
        (1, "escalation"),
    ]


# --- other trees and missing contacts ------------------------------------------------------------


def test_two_level_tree():
    t = tip("P-C1")
    assert summary(alerts_at(t, 100, units=FLAT)) == [
        (0, "arrival", 0, "P-C1", ("C1DUTY",)),
        (1, "escalation", 0, "P-C1", ("C1CHIEF",)),
        (2, "escalation", 0, "P", ("PCHIEF",)),  # no district: the parent
        (3, "escalation", 0, "P", ("PDUTY",)),
    ]


def test_step_above_the_root_goes_to_the_root():
    assert summary(alerts_at(tip("TH"), 50))[2] == (2, "escalation", 0, "TH", ("U07THCHIEF1",))


def test_missing_contact_still_yields_the_alert_without_recipients():
    alerts = alerts_at(tip("TH-NS-NGATAN", urgent=True), 24)
    assert summary(alerts) == [
        (0, "urgent", 0, "TH-NS-NGATAN", ()),
        (0, "urgent", 1, "TH-NS", ("U07NSCHIEF1",)),
        (0, "arrival", 0, "TH-NS-NGATAN", ("U07NTAN0D01",)),
        (1, "escalation", 0, "TH-NS-NGATAN", ()),
    ]


def test_unknown_unit_raises():
    with pytest.raises(NotFoundError):
        alerts_at(tip("TH-XX"), 0)


def test_bad_input():
    with pytest.raises(ValueError, match="aware"):
        due_alerts(tip(), POLICY, UNITS, CAL, datetime(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="status"):
        alerts_at(tip(status="closed"), 0)
    with pytest.raises(ValueError, match="negative"):
        alerts_at(tip(extension=-H), 0)


# --- working clock -------------------------------------------------------------------------------

WORKING = parse_escalation_policy({"clock": "working"}, path="r", unit_kinds=KINDS)


def test_working_clock_ladder():
    friday = tip(received_at=datetime(2026, 3, 6, 16, tzinfo=VN))

    def at(*args):
        return due_alerts(friday, WORKING, UNITS, CAL, datetime(*args, tzinfo=VN))

    # 12 working hours: Friday 1h, Monday 7h30, Tuesday 07:30 + 3h30.
    assert [a.kind for a in at(2026, 3, 10, 10, 59)] == ["arrival"]
    reminder = at(2026, 3, 10, 11)[-1]
    assert (reminder.kind, reminder.sequence) == ("reminder", 1)
    assert reminder.due_at == datetime(2026, 3, 10, 11, tzinfo=VN)
    # 24 working hours: Friday 1h, Mon-Wed 22h30, Thursday 07:30 + 30m.
    level1 = at(2026, 3, 12, 8)[1]
    assert (level1.level, level1.due_at) == (1, datetime(2026, 3, 12, 8, tzinfo=VN))
    assert current_level(friday, WORKING, CAL, datetime(2026, 3, 12, 7, 59, tzinfo=VN)) == 0


def test_working_clock_arrival_waits_for_opening():
    saturday = tip(received_at=datetime(2026, 3, 7, 10, tzinfo=VN))
    monday = datetime(2026, 3, 9, 7, 30, tzinfo=VN)
    assert due_alerts(saturday, WORKING, UNITS, CAL, monday - H) == []
    assert [a.due_at for a in due_alerts(saturday, WORKING, UNITS, CAL, monday)] == [monday]


def test_working_clock_reminder_at_the_lunch_break():
    policy = parse_escalation_policy(
        {"clock": "working", "reminder_every": "4h"}, path="r", unit_kinds=KINDS
    )
    monday = tip(received_at=datetime(2026, 3, 2, 7, 30, tzinfo=VN))
    # 4 working hours end at the 11:30 closing, so the reminder is due at the 13:30 opening.
    noon = datetime(2026, 3, 2, 12, tzinfo=VN)
    assert [a.kind for a in due_alerts(monday, policy, UNITS, CAL, noon)] == ["arrival"]
    opening = datetime(2026, 3, 2, 13, 30, tzinfo=VN)
    assert due_alerts(monday, policy, UNITS, CAL, opening)[-1].due_at == opening


# --- parse_escalation_policy ---------------------------------------------------------------------


def test_parsed_section():
    assert POLICY.clock == "wall"
    assert POLICY.ladder[2] == LadderStep(2, 48 * H, "ancestor:district", "chief")
    assert POLICY.urgent_on_arrival == (("self", "chief"), ("ancestor:district", "chief"))
    assert POLICY.reminder_every == 12 * H
    assert POLICY.verification_deadline == timedelta(days=20)
    assert len(POLICY.version) == 12


def test_defaults_equal_the_registry_values():
    assert parse_escalation_policy(None, path="r", unit_kinds=set()) == POLICY
    assert parse_escalation_policy({}, path="r", unit_kinds=KINDS) == POLICY


def test_shipped_registry_section_parses():
    raw = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    kinds = {u["kind"] for u in raw["units"]}
    policy = parse_escalation_policy(raw.get("escalation"), path=REGISTRY, unit_kinds=kinds)
    assert policy.ladder[0].level == 0


def test_optional_settings():
    off = parse_escalation_policy({"reminder_every": None}, path="r", unit_kinds=KINDS)
    assert off.reminder_every is None
    assert off.version != POLICY.version
    assert [a.kind for a in alerts_at(tip(), 23, policy=off)] == ["arrival"]
    assert parse_escalation_policy({"reminder_every": "off"}, path="r", unit_kinds=KINDS) == off
    none = parse_escalation_policy({"urgent_on_arrival": []}, path="r", unit_kinds=KINDS)
    assert none.urgent_on_arrival == ()
    assert [a.kind for a in alerts_at(tip(urgent=True), 0, policy=none)] == ["arrival"]


def test_version_changes_with_the_ladder():
    raw = yaml.safe_load(SECTION)
    raw["ladder"][1]["after"] = "12h"
    assert parse_escalation_policy(raw, path="r", unit_kinds=KINDS).version != POLICY.version


def _ladder(*steps: tuple) -> dict:
    return {
        "ladder": [
            {"level": level, "after": after, "unit": selector, "role": role}
            for level, after, selector, role in steps
        ]
    }


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        (["self"], "escalation", "mapping"),
        ({"reminders": "12h"}, "escalation.reminders", "unknown key"),
        ({"clock": "business"}, "escalation.clock", "wall or working"),
        ({"ladder": []}, "escalation.ladder", "non-empty"),
        ({"ladder": ["self"]}, "escalation.ladder[0]", "mapping"),
        (
            {"ladder": [{"level": 0, "after": "0h", "unit": "self"}]},
            "escalation.ladder[0].role",
            "required",
        ),
        (_ladder((1, "0h", "self", "chief")), "escalation.ladder[0].level", "expected 0"),
        (_ladder((True, "0h", "self", "chief")), "escalation.ladder[0].level", "integer"),
        (
            _ladder((0, "0h", "self", "chief"), (0, "1h", "self", "chief")),
            "escalation.ladder[1].level",
            "greater than 0",
        ),
        (
            _ladder((0, "2h", "self", "chief"), (1, "1h", "self", "chief")),
            "escalation.ladder[1].after",
            "shorter",
        ),
        (
            _ladder((0, "soon", "self", "chief")),
            "escalation.ladder[0].after",
            "expected a duration",
        ),
        (
            _ladder((0, "0h", "self", "director")),
            "escalation.ladder[0].role",
            "duty_officer, chief",
        ),
        (
            _ladder((0, "0h", "grandparent", "chief")),
            "escalation.ladder[0].unit",
            "ancestor:<kind>",
        ),
        (_ladder((0, "0h", "ancestor:", "chief")), "escalation.ladder[0].unit", "no unit has kind"),
        (_ladder((0, "0h", "ancestor:county", "chief")), "escalation.ladder[0].unit", "county"),
        (
            {"ladder": [{"level": 0, "after": "0h", "unit": "self", "role": "chief", "x": 1}]},
            "escalation.ladder[0].x",
            "unknown key",
        ),
        ({"urgent_on_arrival": {"unit": "self"}}, "escalation.urgent_on_arrival", "list"),
        (
            {"urgent_on_arrival": [{"unit": "root", "role": "boss"}]},
            "escalation.urgent_on_arrival[0].role",
            "duty_officer, chief",
        ),
        (
            {"urgent_on_arrival": [{"unit": "ancestor:county", "role": "chief"}]},
            "escalation.urgent_on_arrival[0].unit",
            "county",
        ),
        (
            {"urgent_on_arrival": [{"role": "chief"}]},
            "escalation.urgent_on_arrival[0].unit",
            "required",
        ),
        ({"reminder_every": "0h"}, "escalation.reminder_every", "longer than zero"),
        ({"reminder_every": 12}, "escalation.reminder_every", "expected a duration"),
        ({"verification_deadline": "twenty days"}, "escalation.verification_deadline", "duration"),
    ],
)
def test_parse_rejects(raw, key, problem):
    with pytest.raises(ConfigError) as info:
        parse_escalation_policy(raw, path="registry.yaml", unit_kinds=KINDS)
    assert info.value.key == key
    assert problem in info.value.problem
    assert info.value.path == "registry.yaml"
