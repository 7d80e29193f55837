"""The escalation ladder for unverified tips: who must be alerted, and when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from citizen_desk.config.durations import parse_duration
from citizen_desk.config.sections import reject_unknown, stable_hash
from citizen_desk.domain.vocabulary import CLOSED_TIP_STATUSES, OPEN_TIP_STATUSES
from citizen_desk.errors import ConfigError, NotFoundError
from citizen_desk.sla.calendar import WorkingCalendar, add_working_time, working_time_between

Clock = Literal["wall", "working"]
AlertKind = Literal["arrival", "urgent", "escalation", "reminder"]
ROLES = ("duty_officer", "chief")
OPEN_STATUSES = OPEN_TIP_STATUSES
CLOSED_STATUSES = CLOSED_TIP_STATUSES
DEFAULT_REMINDER_EVERY = timedelta(hours=12)
DEFAULT_VERIFICATION_DEADLINE = timedelta(days=20)  # legal time limit to verify a crime report


@dataclass(frozen=True)
class UnitNode:
    code: str
    kind: str
    parent: str | None
    contacts: Mapping[str, str]  # role -> Slack id


@dataclass(frozen=True)
class LadderStep:
    level: int
    after: timedelta
    unit: str  # self | parent | root | ancestor:<kind>
    role: str


@dataclass(frozen=True)
class EscalationPolicy:
    clock: Clock
    ladder: tuple[LadderStep, ...]
    urgent_on_arrival: tuple[tuple[str, str], ...]  # (unit selector, role)
    reminder_every: timedelta | None
    verification_deadline: timedelta
    version: str


DEFAULT_LADDER = (
    LadderStep(0, timedelta(0), "self", "duty_officer"),
    LadderStep(1, timedelta(hours=24), "self", "chief"),
    LadderStep(2, timedelta(hours=48), "ancestor:district", "chief"),
    LadderStep(3, timedelta(hours=96), "root", "duty_officer"),
)
DEFAULT_URGENT = (("self", "chief"), ("ancestor:district", "chief"))


@dataclass(frozen=True)
class TipSnapshot:
    tip_id: int
    unit_code: str
    received_at: datetime
    urgent: bool
    status: str  # new | verifying | verified | unfounded | forwarded
    # (level, the tip's unit when acknowledged): an acknowledgement holds while the unit answerable
    # at its level is the same, so a reassignment to another chain restarts that level's reminders
    acknowledged: frozenset[tuple[int, str]]
    extension: timedelta  # total recorded deadline extensions: shifts every threshold


@dataclass(frozen=True)
class DueAlert:
    tip_id: int
    level: int
    kind: AlertKind
    sequence: (
        int  # 0: first alert at the level (urgent: index in urgent_on_arrival); 1..: reminders
    )
    due_at: datetime
    recipients: tuple[str, ...]  # empty: the unit has no contact for the role
    unit_code: str  # the unit whose contact receives it
    idempotency_key: str


# --- the unit tree -------------------------------------------------------------------------------


def resolve_unit(unit_code: str, selector: str, units: Mapping[str, UnitNode]) -> str | None:
    """The unit `selector` designates from `unit_code`; None when that is above the root.

    `ancestor:<kind>` is the nearest unit of that kind strictly above, else the parent.
    """
    node = _node(unit_code, units)
    if selector == "self":
        return node.code
    if selector == "parent":
        return node.parent
    chain = _ancestors(node, units)
    if selector == "root":
        return chain[-1].code if chain else node.code
    if selector.startswith("ancestor:") and selector != "ancestor:":
        kind = selector.removeprefix("ancestor:")
        return next((unit.code for unit in chain if unit.kind == kind), node.parent)
    raise ValueError(f"unknown unit selector {selector!r}")


def recipients_for(
    unit_code: str, selector: str, role: str, units: Mapping[str, UnitNode]
) -> list[str]:
    """Slack ids of `role` at the selected unit, deduplicated; [] when there is none."""
    resolved = resolve_unit(unit_code, selector, units)
    if resolved is None:
        return []
    contact = units[resolved].contacts.get(role)
    ids = [contact] if isinstance(contact, str) else list(contact or ())
    return list(dict.fromkeys(item for item in ids if item))


def _node(code: str, units: Mapping[str, UnitNode]) -> UnitNode:
    try:
        return units[code]
    except KeyError:
        raise NotFoundError(f"unknown unit {code!r}") from None


def _ancestors(node: UnitNode, units: Mapping[str, UnitNode]) -> list[UnitNode]:
    """Parent first, root last."""
    chain: list[UnitNode] = []
    seen = {node.code}
    while node.parent is not None:
        if node.parent in seen:
            raise ValueError(f"the unit tree has a cycle through {node.parent!r}")
        node = _node(node.parent, units)
        seen.add(node.code)
        chain.append(node)
    return chain


# --- alerts --------------------------------------------------------------------------------------


def threshold_at(
    tip: TipSnapshot, step: LadderStep, policy: EscalationPolicy, calendar: WorkingCalendar
) -> datetime:
    """When the step is due (UTC): received_at + after + extension, in the policy clock."""
    return _advance(tip.received_at, step.after + tip.extension, policy.clock, calendar)


def current_level(
    tip: TipSnapshot, policy: EscalationPolicy, calendar: WorkingCalendar, now: datetime
) -> int:
    """The highest level whose threshold has passed at `now` (-1 if none), whatever the status."""
    _check_tip(tip, now)
    passed = [s.level for s in policy.ladder if threshold_at(tip, s, policy, calendar) <= now]
    return max(passed, default=-1)


def due_alerts(
    tip: TipSnapshot,
    policy: EscalationPolicy,
    units: Mapping[str, UnitNode],
    calendar: WorkingCalendar,
    now: datetime,
) -> list[DueAlert]:
    """Every alert due at `now` for an open tip; the caller sends only keys it has not sent yet.

    Each passed level yields its first alert (a late run catches up); urgent tips also get the
    `urgent_on_arrival` alerts at received_at. The current level, unless acknowledged by the unit
    answerable at that level now, yields only its latest reminder, so a run after an outage does
    not send a burst of stale reminders.
    A selector above the root falls back to the root; recipients are those of the tip's unit now.
    Times are UTC.
    """
    _check_tip(tip, now)
    if tip.status in CLOSED_STATUSES:
        return []

    def alert(
        level: int, kind: AlertKind, sequence: int, due_at: datetime, unit: str, role: str
    ) -> DueAlert:
        recipients = tuple(recipients_for(unit, "self", role, units))
        key = f"tip:{tip.tip_id}:L{level}:{kind}:{sequence}"
        return DueAlert(tip.tip_id, level, kind, sequence, due_at, recipients, unit, key)

    received_at, now = tip.received_at.astimezone(UTC), now.astimezone(UTC)
    alerts: list[DueAlert] = []
    if tip.urgent and received_at <= now:
        targets: set[tuple[str, str]] = set()
        for index, (selector, role) in enumerate(policy.urgent_on_arrival):
            unit = _escalation_unit(tip.unit_code, selector, units)
            if (unit, role) not in targets:
                targets.add((unit, role))
                alerts.append(alert(0, "urgent", index, received_at, unit, role))

    current: tuple[LadderStep, datetime] | None = None
    for step in policy.ladder:
        due_at = threshold_at(tip, step, policy, calendar)
        if due_at > now:
            break
        current = (step, due_at)
        unit = _escalation_unit(tip.unit_code, step.unit, units)
        kind: AlertKind = "arrival" if step.level == 0 else "escalation"
        alerts.append(alert(step.level, kind, 0, due_at, unit, step.role))

    if current is not None and policy.reminder_every is not None:
        step, reached_at = current
        unit = _escalation_unit(tip.unit_code, step.unit, units)
        acknowledged_by = {
            _escalation_unit(code, step.unit, units)
            for level, code in tip.acknowledged
            if level == step.level
        }
        if unit not in acknowledged_by:
            every = policy.reminder_every
            reminder = _latest_reminder(reached_at, every, policy.clock, calendar, now)
            if reminder is not None:
                sequence, due_at = reminder
                alerts.append(alert(step.level, "reminder", sequence, due_at, unit, step.role))
    return alerts


def _latest_reminder(
    reached_at: datetime, every: timedelta, clock: Clock, calendar: WorkingCalendar, now: datetime
) -> tuple[int, datetime] | None:
    """The last reminder (sequence, due_at) at or before `now`, every `every` from `reached_at`."""
    if clock == "wall":
        count = (now - reached_at) // every
        return (count, reached_at + every * count) if count > 0 else None
    count = working_time_between(reached_at, now, calendar) // every
    due_at = add_working_time(reached_at, every * count, calendar)
    if due_at > now:  # the count ran out exactly at a closing time: it is due at the next opening
        count -= 1
        due_at = add_working_time(reached_at, every * count, calendar)
    return (count, due_at) if count > 0 else None


def _escalation_unit(unit_code: str, selector: str, units: Mapping[str, UnitNode]) -> str:
    resolved = resolve_unit(unit_code, selector, units)
    return resolved if resolved is not None else resolve_unit(unit_code, "root", units)


def _advance(
    start: datetime, amount: timedelta, clock: Clock, calendar: WorkingCalendar
) -> datetime:
    if clock == "working":
        return add_working_time(start, amount, calendar)
    return start.astimezone(UTC) + amount


def _check_tip(tip: TipSnapshot, now: datetime) -> None:
    for name, value in (("received_at", tip.received_at), ("now", now)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got a naive datetime")
    if tip.status not in OPEN_STATUSES | CLOSED_STATUSES:
        raise ValueError(f"unknown tip status {tip.status!r}")
    if tip.extension < timedelta(0):
        raise ValueError("extension cannot be negative")


# --- parsing the `escalation:` section -----------------------------------------------------------


def parse_escalation_policy(
    raw: Mapping | None, *, path: object, unit_kinds: set[str]
) -> EscalationPolicy:
    """Build the policy from the registry's `escalation:` section; absent keys take the defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "escalation", "expected a mapping")
    allowed = ("clock", "ladder", "urgent_on_arrival", "reminder_every", "verification_deadline")
    reject_unknown(raw, allowed, path, "escalation")

    clock = raw.get("clock", "wall")
    if clock not in ("wall", "working"):
        raise ConfigError(path, "escalation.clock", f"expected wall or working, got {clock!r}")

    ladder = DEFAULT_LADDER
    if raw.get("ladder") is not None:
        ladder = _parse_ladder(raw["ladder"], path, unit_kinds)
    urgent = DEFAULT_URGENT
    if "urgent_on_arrival" in raw:
        urgent = _parse_urgent(raw["urgent_on_arrival"], path, unit_kinds)

    reminder_every: timedelta | None = DEFAULT_REMINDER_EVERY
    if "reminder_every" in raw:
        reminder_every = _optional_positive(
            raw["reminder_every"], path, "escalation.reminder_every"
        )
    deadline = DEFAULT_VERIFICATION_DEADLINE
    if raw.get("verification_deadline") is not None:
        deadline = _positive(raw["verification_deadline"], path, "escalation.verification_deadline")

    normalised = {
        "clock": clock,
        "ladder": [[s.level, s.after.total_seconds(), s.unit, s.role] for s in ladder],
        "urgent_on_arrival": [list(pair) for pair in urgent],
        "reminder_every": reminder_every.total_seconds() if reminder_every else None,
        "verification_deadline": deadline.total_seconds(),
    }
    return EscalationPolicy(
        clock=clock,
        ladder=ladder,
        urgent_on_arrival=urgent,
        reminder_every=reminder_every,
        verification_deadline=deadline,
        version=stable_hash(normalised),
    )


def _parse_ladder(raw: object, path: object, unit_kinds: set[str]) -> tuple[LadderStep, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(path, "escalation.ladder", "expected a non-empty list of steps")
    steps: list[LadderStep] = []
    for index, item in enumerate(raw):
        key = f"escalation.ladder[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(path, key, "expected a mapping with level, after, unit and role")
        reject_unknown(item, ("level", "after", "unit", "role"), path, key)
        for name in ("level", "after", "unit", "role"):
            if item.get(name) is None:
                raise ConfigError(path, f"{key}.{name}", "required")
        level = item["level"]
        if isinstance(level, bool) or not isinstance(level, int):
            raise ConfigError(path, f"{key}.level", f"expected an integer, got {level!r}")
        expected = "0" if not steps else f"greater than {steps[-1].level}"
        if (not steps and level != 0) or (steps and level <= steps[-1].level):
            raise ConfigError(path, f"{key}.level", f"expected {expected}, got {level}")
        after = parse_duration(item["after"], path=path, key=f"{key}.after")
        if steps and after < steps[-1].after:
            raise ConfigError(
                path,
                f"{key}.after",
                f"must not be shorter than the previous step's ({steps[-1].after})",
            )
        unit = _selector(item["unit"], path, f"{key}.unit", unit_kinds)
        role = _role(item["role"], path, f"{key}.role")
        steps.append(LadderStep(level, after, unit, role))
    return tuple(steps)


def _parse_urgent(raw: object, path: object, unit_kinds: set[str]) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(path, "escalation.urgent_on_arrival", "expected a list of {unit, role}")
    pairs = []
    for index, item in enumerate(raw):
        key = f"escalation.urgent_on_arrival[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(path, key, "expected a mapping with unit and role")
        reject_unknown(item, ("unit", "role"), path, key)
        for name in ("unit", "role"):
            if item.get(name) is None:
                raise ConfigError(path, f"{key}.{name}", "required")
        unit = _selector(item["unit"], path, f"{key}.unit", unit_kinds)
        pairs.append((unit, _role(item["role"], path, f"{key}.role")))
    return tuple(pairs)


def _selector(value: object, path: object, key: str, unit_kinds: set[str]) -> str:
    if value in ("self", "parent", "root"):
        return str(value)
    if isinstance(value, str) and value.startswith("ancestor:"):
        kind = value.removeprefix("ancestor:")
        if kind in unit_kinds:
            return value
        known = ", ".join(sorted(unit_kinds)) or "none"
        raise ConfigError(path, key, f"no unit has kind {kind!r} (kinds: {known})")
    raise ConfigError(path, key, f"expected self, parent, root or ancestor:<kind>, got {value!r}")


def _role(value: object, path: object, key: str) -> str:
    if value not in ROLES:
        raise ConfigError(path, key, f"expected one of {', '.join(ROLES)}, got {value!r}")
    return str(value)


def _positive(value: object, path: object, key: str) -> timedelta:
    duration = parse_duration(value, path=path, key=key)
    if duration <= timedelta(0):
        raise ConfigError(path, key, "must be longer than zero")
    return duration


def _optional_positive(value: object, path: object, key: str) -> timedelta | None:
    """None, "off" or false disable the setting."""
    if value is None or value is False or value == "off":
        return None
    return _positive(value, path, key)
