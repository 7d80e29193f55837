"""Reply SLAs: the `sla:` policy and the verdict on one turn of a case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal

from citizen_desk.config.durations import parse_duration
from citizen_desk.config.sections import mapping_or_empty, reject_unknown, stable_hash
from citizen_desk.errors import ConfigError
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

    target = policy.target_for(turn.category, turn.unit_code)
    if target is None:
        return SlaVerdict(
            turn.case_id, turn.turn_no, "no_sla", None, None, None, None, None, policy.version
        )

    budget = target.first_response if turn.turn_no == 1 else target.next_response
    due_at = _advance(started_at, budget, target.clock, calendar)
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


def parse_sla_policy(raw: Mapping | None, *, path: object) -> SlaPolicy:
    """Build the policy from the registry's `sla:` section; absent keys take the defaults.

    `reply_window` merges over the platform defaults; `targets`, when given, replaces them.
    `unit_overrides` are partial targets merged over the category's default target.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "sla", "expected a mapping")
    reject_unknown(raw, ("warn_ratio", "reply_window", "targets", "unit_overrides"), path, "sla")

    warn_ratio = raw.get("warn_ratio", DEFAULT_WARN_RATIO)
    if isinstance(warn_ratio, bool) or not isinstance(warn_ratio, int | float):
        raise ConfigError(path, "sla.warn_ratio", f"expected a number, got {warn_ratio!r}")
    if not 0 < warn_ratio <= 1:
        raise ConfigError(path, "sla.warn_ratio", f"expected 0 < warn_ratio <= 1, got {warn_ratio}")

    reply_window = dict(DEFAULT_REPLY_WINDOW)
    raw_window = mapping_or_empty(raw.get("reply_window"), path, "sla.reply_window")
    reject_unknown(raw_window, tuple(DEFAULT_REPLY_WINDOW), path, "sla.reply_window")
    for platform, value in raw_window.items():
        reply_window[platform] = _positive(value, path, f"sla.reply_window.{platform}")

    if raw.get("targets") is None:
        targets = dict(DEFAULT_TARGETS)
    else:
        targets = {}
        for category, value in mapping_or_empty(raw["targets"], path, "sla.targets").items():
            targets[str(category)] = _parse_target(value, None, path, f"sla.targets.{category}")

    overrides: dict[str, Mapping[str, SlaTarget]] = {}
    for unit, per_unit in mapping_or_empty(
        raw.get("unit_overrides"), path, "sla.unit_overrides"
    ).items():
        key = f"sla.unit_overrides.{unit}"
        merged = {}
        for category, value in mapping_or_empty(per_unit, path, key).items():
            if category not in targets:
                raise ConfigError(
                    path, f"{key}.{category}", "no default target for this category to override"
                )
            merged[category] = _parse_target(value, targets[category], path, f"{key}.{category}")
        overrides[str(unit)] = MappingProxyType(merged)

    normalised = {
        "warn_ratio": float(warn_ratio),
        "reply_window": {name: td.total_seconds() for name, td in reply_window.items()},
        "targets": {name: _target_json(target) for name, target in targets.items()},
        "unit_overrides": {
            unit: {name: _target_json(target) for name, target in per_unit.items()}
            for unit, per_unit in overrides.items()
        },
    }
    return SlaPolicy(
        warn_ratio=float(warn_ratio),
        reply_window=MappingProxyType(reply_window),
        targets=MappingProxyType(targets),
        unit_overrides=MappingProxyType(overrides),
        version=stable_hash(normalised),
    )


def _parse_target(raw: object, base: SlaTarget | None, path: object, key: str) -> SlaTarget:
    """A full target (`base` None) or a partial one merged over `base`.

    A full target needs first_response and clock; next_response defaults to first_response.
    """
    raw = mapping_or_empty(raw, path, key)
    reject_unknown(raw, ("first_response", "next_response", "clock"), path, key)
    if base is None:
        for name in ("first_response", "clock"):
            if raw.get(name) is None:
                raise ConfigError(path, f"{key}.{name}", "required")
        first = _positive(raw["first_response"], path, f"{key}.first_response")
        base = SlaTarget(first, first, "working")
    target = replace(
        base,
        **{
            name: _positive(raw[name], path, f"{key}.{name}")
            for name in ("first_response", "next_response")
            if raw.get(name) is not None
        },
    )
    if "clock" in raw:
        if raw["clock"] not in CLOCKS:
            raise ConfigError(
                path, f"{key}.clock", f"expected working or wall, got {raw['clock']!r}"
            )
        target = replace(target, clock=raw["clock"])
    return target


def _target_json(target: SlaTarget) -> dict[str, object]:
    return {
        "first_response": target.first_response.total_seconds(),
        "next_response": target.next_response.total_seconds(),
        "clock": target.clock,
    }


def _positive(value: object, path: object, key: str) -> timedelta:
    duration = parse_duration(value, path=path, key=key)
    if duration <= timedelta(0):
        raise ConfigError(path, key, "must be longer than zero")
    return duration
