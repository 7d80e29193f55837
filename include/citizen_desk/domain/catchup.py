"""Catch-up and coalescing: how many Slack messages a backlog becomes (pure, `now` passed in).

When a sweep first sees history (first start, a backfill, a run after an outage), every alert of
the past is due at once. `plan_catch_up` decides, per alert, one of three fates:

- **individual**: a message of its own: an urgent alert, or an item's current alert (its highest
  new ladder level, or its reminder when no level is new), when it became due within
  `fresh_within` of `now` (a sweep period or two: in steady state every alert is fresh, so
  nothing changes);
- **summarised**: listed in one catch-up summary per unit instead: the item's current alert, or
  an urgent alert, that is stale. A chief starting on two weeks of history gets one summary
  listing the urgent tips first (sent in the urgent lane), not one ping per old urgent tip;
- **skipped**: no message at all — a lower level the item already passed, or a reminder made
  redundant by a new level alert in the same sweep. An item that skipped levels gets at most one
  message, at its current level: never "reminder 19".

`coalesce` is the delivery side: more than `digest_after` non-urgent notifications due for one
recipient go out as digests of at most `max_items` each; the urgent lanes are never coalesced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_FRESH_WITHIN = timedelta(hours=2)  # two hourly sweeps: a late run still alerts
DEFAULT_DIGEST_AFTER = 5
DIGEST_MAX_ITEMS = 100
LADDER_KINDS = frozenset({"arrival", "escalation", "warning", "breach"})


@dataclass(frozen=True)
class CatchUpPolicy:
    """The registry's `notifications:` section."""

    fresh_within: timedelta | None = DEFAULT_FRESH_WITHIN  # None: catch-up off, all individual
    digest_after: int = DEFAULT_DIGEST_AFTER


@dataclass(frozen=True)
class Candidate:
    """One alert due and never enqueued. `subject`: the item it is about (a tip, a case turn);
    `level`: its ladder level (SLA: warning 0, breach 1); `kind`: arrival | escalation | reminder
    | urgent | warning | breach."""

    key: str
    subject: Hashable
    level: int
    kind: str
    urgent: bool
    due_at: datetime


@dataclass(frozen=True)
class CatchUpPlan:
    individual: tuple[Candidate, ...] = ()
    summarised: tuple[Candidate, ...] = ()
    skipped: tuple[Candidate, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)  # key -> why summarised or skipped


def is_fresh(due_at: datetime, now: datetime, policy: CatchUpPolicy) -> bool:
    """Due within `fresh_within` before `now` (or later, which a what-if may produce); always
    when catch-up is off."""
    _aware(due_at, "due_at")
    _aware(now, "now")
    return policy.fresh_within is None or due_at >= now - policy.fresh_within


def plan_catch_up(
    candidates: Iterable[Candidate], *, now: datetime, policy: CatchUpPolicy
) -> CatchUpPlan:
    """Split new alerts into individual messages, summary entries and silent skips (module doc)."""
    _aware(now, "now")
    if policy.fresh_within is None:  # catch-up off: every alert by itself, as due
        return CatchUpPlan(individual=tuple(candidates))
    by_subject: dict[Hashable, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_subject[candidate.subject].append(candidate)
    individual: list[Candidate] = []
    summarised: list[Candidate] = []
    skipped: list[Candidate] = []
    reasons: dict[str, str] = {}
    for items in by_subject.values():
        ladder = [c for c in items if c.kind in LADDER_KINDS]
        reminders = [c for c in items if c.kind == "reminder"]
        current: Candidate | None = None
        if ladder:
            current = max(ladder, key=lambda c: (c.level, c.due_at, c.key))
            for c in ladder:
                if c is not current:
                    skipped.append(c)
                    reasons[c.key] = f"catch-up: passed, level {current.level} is current"
            for c in reminders:
                skipped.append(c)
                reasons[c.key] = f"catch-up: level {current.level} is announced instead"
        elif reminders:
            current = max(reminders, key=lambda c: (c.level, c.due_at, c.key))
            for c in reminders:
                if c is not current:
                    skipped.append(c)
                    reasons[c.key] = "catch-up: an older reminder"
        others = [c for c in items if c.kind not in LADDER_KINDS | {"reminder"}]
        for c in [*others, *([current] if current is not None else [])]:
            if is_fresh(c.due_at, now, policy):
                individual.append(c)
            else:
                summarised.append(c)
                reasons[c.key] = "catch-up: listed in the unit's catch-up summary"
    return CatchUpPlan(tuple(individual), tuple(summarised), tuple(skipped), reasons)


@dataclass(frozen=True)
class Due:
    """A notification due for delivery: its row id, recipient, lane and kind."""

    id: int
    recipient: str
    lane: int
    kind: str


def coalesce(
    rows: Sequence[Due],
    *,
    digest_after: int,
    min_lane: int,
    never: frozenset[str] = frozenset(),
    max_items: int = DIGEST_MAX_ITEMS,
) -> list[tuple[str, tuple[int, ...]]]:
    """(recipient, row ids) of each digest to send: when more than `digest_after` rows of lanes
    >= `min_lane` (not urgent) and kinds not in `never` are due for one recipient, all of them,
    in chunks of at most `max_items`, in the given order. Other rows go out one by one."""
    if digest_after < 1 or max_items < 2:
        raise ValueError("digest_after must be >= 1 and max_items >= 2")
    eligible: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.lane >= min_lane and row.kind not in never:
            eligible[row.recipient].append(row.id)
    digests: list[tuple[str, tuple[int, ...]]] = []
    for recipient, ids in eligible.items():
        if len(ids) > digest_after:
            parts = -(-len(ids) // max_items)  # as few digests as fit, sizes within one
            size, extra = divmod(len(ids), parts)
            start = 0
            for part in range(parts):
                end = start + size + (part < extra)
                digests.append((recipient, tuple(ids[start:end])))
                start = end
    return digests


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
