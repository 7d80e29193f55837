"""Reply SLAs: the `sla:` policy and the verdict on one turn of a case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator

from citizen_desk.config.sections import (
    PositiveDuration,
    Problems,
    Section,
    fail,
    one_of,
    stable_hash,
)
from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.sla.calendar import WorkingCalendar, add_working_time, working_time_between

Clock = Literal["working", "wall"]
SlaState = Literal["on_track", "warning", "breached", "met", "met_late", "no_sla"]
CLOCKS: tuple[Clock, ...] = ("working", "wall")

DEFAULT_WARN_RATIO = 0.75
DEFAULT_REPLY_WINDOW = {"facebook": timedelta(hours=24), "zalo": timedelta(days=7)}


@dataclass(frozen=True)
class SlaTarget:
    first_response: timedelta
    next_response: timedelta
    clock: Clock


DEFAULT_TARGETS = {
    "question": SlaTarget(timedelta(hours=8), timedelta(hours=8), "working"),
    "lost_found": SlaTarget(timedelta(hours=2), timedelta(hours=2), "wall"),
    "tip": SlaTarget(timedelta(hours=4), timedelta(hours=8), "wall"),
    "feedback": SlaTarget(timedelta(hours=16), timedelta(hours=16), "working"),
}
# The deadline of a case the triage calls urgent (danger now), whatever its category: its turn
# takes the strictest of this and its category's target, so it jumps the queue. Kept even when a
# registry's `targets` replaces the defaults without naming it (safety first); a unit may
# override it like any target.
URGENT = "urgent"
DEFAULT_URGENT_TARGET = SlaTarget(timedelta(minutes=15), timedelta(minutes=15), "wall")


@dataclass(frozen=True)
class SlaPolicy:
    warn_ratio: float
    reply_window: Mapping[str, timedelta]
    targets: Mapping[str, SlaTarget]
    unit_overrides: Mapping[str, Mapping[str, SlaTarget]]
    version: str

    def target_for(self, category: str, unit_code: str) -> SlaTarget | None:
        """The unit's override if any (exact unit code), else the default; None: no SLA."""
        override = self.unit_overrides.get(unit_code, {}).get(category)
        return override or self.targets.get(category)


@dataclass(frozen=True)
class SlaTurn:
    """One SLA turn of a case: the clock starts at the first unanswered citizen message."""

    case_id: int
    turn_no: int
    category: str
    unit_code: str
    platform: str
    started_at: datetime
    last_citizen_at: datetime
    responded_at: datetime | None
    # A case waiting for a human's triage ("cần người xem") may be any of these categories: its
    # turn takes the strictest of their targets (the earliest deadline), never a looser one.
    candidates: tuple[str, ...] = ()
    # An urgent case (danger now, any category) also takes the `urgent` target.
    urgent: bool = False


@dataclass(frozen=True)
class SlaVerdict:
    case_id: int
    turn_no: int
    state: SlaState
    warn_at: datetime | None
    due_at: datetime | None
    ceiling_at: datetime | None
    overdue_by: timedelta | None
    remaining: timedelta | None
    policy_version: str


def evaluate_turn(
    turn: SlaTurn, policy: SlaPolicy, calendar: WorkingCalendar, now: datetime
) -> SlaVerdict:
    """The turn's state at `now`; the verdict's times are UTC.

    Replies after `now` are ignored, so re-running a past interval gives the same verdict.
    `overdue_by` and `remaining` use the clock of the deadline that applies: the target's clock, or
    the wall clock when the platform's reply window (a wall-clock ceiling) comes first. When the
    ceiling comes first the warning is also brought forward to warn_ratio of the shortened time.
    """
    for name in ("started_at", "last_citizen_at", "responded_at"):
        _require_aware(getattr(turn, name), name)
    _require_aware(now, "now")
    if turn.turn_no < 1:
        raise ValueError(f"turn_no starts at 1, got {turn.turn_no}")
    if turn.last_citizen_at < turn.started_at:
        raise ValueError("last_citizen_at is before started_at")
    started_at, now = turn.started_at.astimezone(UTC), now.astimezone(UTC)

    strictest = _strictest_target(turn, policy, started_at, calendar)
    if strictest is None:
        return SlaVerdict(
            turn.case_id, turn.turn_no, "no_sla", None, None, None, None, None, policy.version
        )
    target, due_at = strictest
    budget = target.first_response if turn.turn_no == 1 else target.next_response
    warn_at = _advance(started_at, budget * policy.warn_ratio, target.clock, calendar)
    clock = target.clock

    window = policy.reply_window.get(turn.platform)
    ceiling_at = turn.last_citizen_at.astimezone(UTC) + window if window is not None else None
    if ceiling_at is not None and ceiling_at < due_at:
        due_at, clock = ceiling_at, "wall"
        warn_at = min(warn_at, started_at + (ceiling_at - started_at) * policy.warn_ratio)
    warn_at = min(warn_at, due_at)

    def elapsed(a: datetime, b: datetime) -> timedelta:
        if clock == "working":
            return working_time_between(a, b, calendar)
        return max(b - a, timedelta(0))

    responded_at = turn.responded_at.astimezone(UTC) if turn.responded_at else None
    if responded_at is not None and responded_at > now:
        responded_at = None

    overdue_by = remaining = None
    if responded_at is not None:
        late = responded_at > due_at
        state: SlaState = "met_late" if late else "met"
        overdue_by = elapsed(due_at, responded_at) if late else None
    elif now >= due_at:
        state, overdue_by = "breached", elapsed(due_at, now)
    else:
        state = "warning" if now >= warn_at else "on_track"
        remaining = elapsed(now, due_at)
    return SlaVerdict(
        case_id=turn.case_id,
        turn_no=turn.turn_no,
        state=state,
        warn_at=warn_at,
        due_at=due_at,
        ceiling_at=ceiling_at,
        overdue_by=overdue_by,
        remaining=remaining,
        policy_version=policy.version,
    )


def _strictest_target(
    turn: SlaTurn, policy: SlaPolicy, started_at: datetime, calendar: WorkingCalendar
) -> tuple[SlaTarget, datetime] | None:
    """(target, due) of the turn's category, or of the candidate (or the urgent target of an
    urgent turn) due first; None: no SLA."""
    best: tuple[SlaTarget, datetime] | None = None
    for category in (turn.category, *turn.candidates, *((URGENT,) if turn.urgent else ())):
        target = policy.target_for(category, turn.unit_code)
        if target is None:
            continue
        budget = target.first_response if turn.turn_no == 1 else target.next_response
        due_at = _advance(started_at, budget, target.clock, calendar)
        if best is None or due_at < best[1]:
            best = (target, due_at)
    return best


def _advance(
    start: datetime, amount: timedelta, clock: Clock, calendar: WorkingCalendar
) -> datetime:
    if clock == "working":
        return add_working_time(start, amount, calendar)
    return start.astimezone(UTC) + amount


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got a naive datetime")


# --- parsing the `sla:` section ------------------------------------------------------------------


def _ratio(value: float) -> float:
    if not 0 < value <= 1:
        fail(f"expected 0 < warn_ratio <= 1, got {value}")
    return float(value)


class _Target(Section):
    first_response: PositiveDuration | None = None
    next_response: PositiveDuration | None = None
    clock: Annotated[Clock, one_of(CLOCKS, "expected working or wall, got {value!r}")] | None = None


class _ReplyWindow(Section):
    facebook: PositiveDuration | None = None
    zalo: PositiveDuration | None = None


class _SlaSection(Section):
    warn_ratio: Annotated[float, AfterValidator(_ratio)] = DEFAULT_WARN_RATIO
    reply_window: _ReplyWindow | None = None
    targets: dict[str, _Target] | None = None
    unit_overrides: dict[str, dict[str, _Target]] | None = None


def parse_sla_policy(raw: Mapping | None, *, path: object) -> SlaPolicy:
    """Build the policy from the registry's `sla:` section; absent keys take the defaults.

    `reply_window` merges over the platform defaults; `targets`, when given, replaces them (its
    keys: categories, and `urgent`, which keeps its default when not given).
    `unit_overrides` are partial targets merged over the category's default target.
    Raises `RegistryErrors` listing every problem of the section.
    """
    problems = Problems(path)
    section = problems.validate(_SlaSection, {} if raw is None else raw, "sla") or _SlaSection()
    reply_window = dict(DEFAULT_REPLY_WINDOW)
    if section.reply_window is not None:
        reply_window |= section.reply_window.model_dump(exclude_none=True)

    targets = dict(DEFAULT_TARGETS)
    if section.targets is not None:
        targets = {}
        for category, target in section.targets.items():
            if category != URGENT and category not in CATEGORIES:
                problems.add(
                    f"sla.targets.{category}",
                    f"unknown category; expected one of {', '.join((*CATEGORIES, URGENT))}",
                )
                continue
            key = f"sla.targets.{category}"
            for name in ("first_response", "clock"):
                if getattr(target, name) is None:
                    problems.add(f"{key}.{name}", "required")
            if target.first_response is not None:
                first = target.first_response
                targets[category] = _merge(SlaTarget(first, first, "working"), target)
    targets.setdefault(URGENT, DEFAULT_URGENT_TARGET)

    overrides: dict[str, Mapping[str, SlaTarget]] = {}
    for unit, per_unit in (section.unit_overrides or {}).items():
        merged = {}
        for category, target in per_unit.items():
            if category in targets:
                merged[category] = _merge(targets[category], target)
            elif section.targets is None or category in section.targets:
                key = f"sla.unit_overrides.{unit}.{category}"
                problems.add(key, "no default target for this category to override")
        overrides[unit] = MappingProxyType(merged)
    problems.raise_if_any()

    normalised = {
        "warn_ratio": section.warn_ratio,
        "reply_window": {name: td.total_seconds() for name, td in reply_window.items()},
        "targets": {name: _target_json(target) for name, target in targets.items()},
        "unit_overrides": {
            unit: {name: _target_json(target) for name, target in per_unit.items()}
            for unit, per_unit in overrides.items()
        },
    }
    return SlaPolicy(
        warn_ratio=section.warn_ratio,
        reply_window=MappingProxyType(reply_window),
        targets=MappingProxyType(targets),
        unit_overrides=MappingProxyType(overrides),
        version=stable_hash(normalised),
    )


def _merge(base: SlaTarget, target: _Target) -> SlaTarget:
    return replace(base, **target.model_dump(exclude_none=True))


def _target_json(target: SlaTarget) -> dict[str, object]:
    return {
        "first_response": target.first_response.total_seconds(),
        "next_response": target.next_response.total_seconds(),
        "clock": target.clock,
    }
