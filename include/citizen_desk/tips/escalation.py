"""The escalation ladder for unverified tips: who must be alerted, and when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo

from citizen_desk.config.sections import (
    Duration,
    PositiveDuration,
    Problems,
    Section,
    fail,
    one_of,
    stable_hash,
)
from citizen_desk.domain.vocabulary import CLOSED_TIP_STATUSES, OPEN_TIP_STATUSES
from citizen_desk.errors import NotFoundError
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


DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep(0, timedelta(0), "self", "duty_officer"),
    LadderStep(1, timedelta(hours=24), "self", "chief"),
    LadderStep(2, timedelta(hours=48), "ancestor:district", "chief"),
    LadderStep(3, timedelta(hours=96), "root", "duty_officer"),
)
DEFAULT_URGENT: tuple[tuple[str, str], ...] = (("self", "chief"), ("ancestor:district", "chief"))


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
    # when the tip became urgent; None: when it came in. Its urgent alerts are due then, so a
    # tip that turns urgent days later pings the chiefs now, not as a stale catch-up
    urgent_since: datetime | None = None


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
    if selector == "root":
        return _root(unit_code, units)
    chain = _ancestors(node, units)
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


def _root(unit_code: str, units: Mapping[str, UnitNode]) -> str:
    node = _node(unit_code, units)
    chain = _ancestors(node, units)
    return chain[-1].code if chain else node.code


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
    `urgent_on_arrival` alerts, due when the tip became urgent (`urgent_since`, at the earliest
    received_at). The current level, unless acknowledged by the unit
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
    urgent_at = max(received_at, (tip.urgent_since or received_at).astimezone(UTC))
    alerts: list[DueAlert] = []
    if tip.urgent and urgent_at <= now:
        targets: set[tuple[str, str]] = set()
        for index, (selector, role) in enumerate(policy.urgent_on_arrival):
            unit = _escalation_unit(tip.unit_code, selector, units)
            if (unit, role) not in targets:
                targets.add((unit, role))
                alerts.append(alert(0, "urgent", index, urgent_at, unit, role))

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
    return resolved if resolved is not None else _root(unit_code, units)


def answerable_unit(
    unit_code: str, level: int, policy: EscalationPolicy, units: Mapping[str, UnitNode]
) -> tuple[str, str] | None:
    """(unit, role) answerable at ladder `level` for a tip of `unit_code`; None: no such level."""
    step = next((s for s in policy.ladder if s.level == level), None)
    if step is None:
        return None
    return _escalation_unit(unit_code, step.unit, units), step.role


def _advance(
    start: datetime, amount: timedelta, clock: Clock, calendar: WorkingCalendar
) -> datetime:
    if clock == "working":
        return add_working_time(start, amount, calendar)
    return start.astimezone(UTC) + amount


def _check_tip(tip: TipSnapshot, now: datetime) -> None:
    for name, value in (
        ("received_at", tip.received_at),
        ("urgent_since", tip.urgent_since or tip.received_at),
        ("now", now),
    ):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got a naive datetime")
    if tip.status not in OPEN_STATUSES | CLOSED_STATUSES:
        raise ValueError(f"unknown tip status {tip.status!r}")
    if tip.extension < timedelta(0):
        raise ValueError("extension cannot be negative")


# --- parsing the `escalation:` section -----------------------------------------------------------


def _selector(value: object, info: ValidationInfo) -> str:
    if value in ("self", "parent", "root"):
        return str(value)
    if isinstance(value, str) and value.startswith("ancestor:"):
        if info.context is None:
            raise ValueError("escalation selectors are validated with the registry's unit kinds")
        kind, unit_kinds = value.removeprefix("ancestor:"), info.context["unit_kinds"]
        if kind not in unit_kinds:
            known = ", ".join(sorted(unit_kinds)) or "none"
            fail(f"no unit has kind {kind!r} (kinds: {known})")
        return value
    fail(f"expected self, parent, root or ancestor:<kind>, got {value!r}")


def _optional_positive(value: object) -> object:
    """None, "off" or false disable the setting."""
    return None if value is None or value is False or value == "off" else value


Selector = Annotated[str, BeforeValidator(_selector)]
Role = Annotated[str, one_of(ROLES, "expected one of {allowed}, got {value!r}")]


class _Step(Section):
    level: int
    after: Duration
    unit: Selector
    role: Role


class _Urgent(Section):
    unit: Selector
    role: Role


class _EscalationSection(Section):
    clock: Annotated[
        Clock, one_of(("wall", "working"), "expected wall or working, got {value!r}")
    ] = "wall"
    ladder: Annotated[list[_Step], Field(min_length=1)] | None = None
    urgent_on_arrival: list[_Urgent] | None = None
    reminder_every: Annotated[PositiveDuration | None, BeforeValidator(_optional_positive)] = (
        DEFAULT_REMINDER_EVERY
    )
    verification_deadline: PositiveDuration | None = None


def parse_escalation_policy(
    raw: Mapping | None, *, path: object, unit_kinds: set[str]
) -> EscalationPolicy:
    """Build the policy from the registry's `escalation:` section; absent keys take the defaults.

    Raises `RegistryErrors` listing every problem of the section.
    """
    problems = Problems(path)
    context = {"unit_kinds": unit_kinds}
    raw = {} if raw is None else raw
    section = problems.validate(_EscalationSection, raw, "escalation", context)
    section = section or _EscalationSection()

    ladder = DEFAULT_LADDER
    if section.ladder is not None:
        ladder = tuple(LadderStep(s.level, s.after, s.unit, s.role) for s in section.ladder)
    for index, step in enumerate(ladder):
        key, previous = f"escalation.ladder[{index}]", ladder[index - 1] if index else None
        if previous is None and step.level != 0:
            problems.add(f"{key}.level", f"expected 0, got {step.level}")
        elif previous is not None and step.level <= previous.level:
            problems.add(
                f"{key}.level", f"expected greater than {previous.level}, got {step.level}"
            )
        if previous is not None and step.after < previous.after:
            problem = f"must not be shorter than the previous step's ({previous.after})"
            problems.add(f"{key}.after", problem)
    problems.raise_if_any()

    urgent = DEFAULT_URGENT
    if "urgent_on_arrival" in section.model_fields_set:
        urgent = tuple((u.unit, u.role) for u in section.urgent_on_arrival or ())
    deadline = section.verification_deadline or DEFAULT_VERIFICATION_DEADLINE
    normalised = {
        "clock": section.clock,
        "ladder": [[s.level, s.after.total_seconds(), s.unit, s.role] for s in ladder],
        "urgent_on_arrival": [list(pair) for pair in urgent],
        "reminder_every": section.reminder_every.total_seconds()
        if section.reminder_every
        else None,
        "verification_deadline": deadline.total_seconds(),
    }
    return EscalationPolicy(
        clock=section.clock,
        ladder=ladder,
        urgent_on_arrival=urgent,
        reminder_every=section.reminder_every,
        verification_deadline=deadline,
        version=stable_hash(normalised),
    )
