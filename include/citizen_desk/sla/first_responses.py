"""The median time to a first reply per unit (its subtree included) and week, and its rollup.

The overview shows, per unit, the median time to a first reply over this week. Taken from the
cases it reads every reply of the week (32k at 1M cases), so the page grew with the province's
traffic. The SLA check (`sweep.run_check`, after every collection and hourly) keeps it instead in
`first_response_weeks`: a row per unit and week, computed from the cases by `medians` (the same
function the page falls back on), replaced whole each time, so a rerun or a backfill of any week
gives the same rows as the cases say (idempotent). The page then reads a row per unit.

A week is kept up to the check's `now`; the previous week is computed again for `LATE_REPLIES`
after it ends, since a reply given on Sunday night may be collected on Monday.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, cast, column, delete, func, insert, select, values
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, FirstResponseWeek, Unit

LATE_REPLIES = timedelta(days=2)

Medians = dict[int, tuple[float | None, int]]  # unit id -> (median seconds, replies)


@dataclass(frozen=True)
class KeptWeek:
    """The rollup of one week, as the SLA check last left it."""

    medians: Medians
    counted_until: datetime


def unit_chains(session: Session) -> dict[int, list[int]]:
    """Active unit id -> itself and its active ancestors (an inactive parent ends the chain), as
    the pages' unit tree (`web.units.unit_tree` and `ancestors_map`) has them."""
    rows = session.execute(select(Unit.id, Unit.parent_id).where(Unit.active.is_(True))).all()
    parent = {unit_id: parent_id for unit_id, parent_id in rows}
    chains: dict[int, list[int]] = {}
    for unit_id in parent:
        chain: list[int] = []
        current: int | None = unit_id
        while current is not None and current in parent and current not in chain:
            chain.append(current)
            current = parent[current]
        chains[unit_id] = chain
    return chains


def medians(
    session: Session, chains: Mapping[int, Sequence[int]], *, start: datetime, until: datetime
) -> Medians:
    """Per unit (its subtree included): the median seconds to a first reply given in
    [start, until], and how many there were, from the cases.

    On PostgreSQL the median is computed by the database (`percentile_cont`, the same midpoint
    as `statistics.median`) over the subtree pairs, so a busy week is not shipped row by row;
    elsewhere (SQLite) the durations are read and the median taken here.
    """
    window = (
        Case.first_response_at.is_not(None),
        Case.first_response_at >= start,
        Case.first_response_at <= until,
    )
    pairs = [(unit_id, ancestor) for unit_id, chain in chains.items() for ancestor in chain]
    if session.get_bind().dialect.name == "postgresql" and pairs:
        subtree = values(
            column("unit_id", Integer), column("ancestor_id", Integer), name="subtree"
        ).data(pairs)
        elapsed = cast(func.extract("epoch", Case.first_response_at - Case.opened_at), Float)
        seconds = func.greatest(elapsed, 0.0)  # float8, as Python's: sorting numerics is slower
        rows = session.execute(
            select(
                subtree.c.ancestor_id,
                func.percentile_cont(0.5).within_group(seconds),
                func.count(),
            )
            .join(subtree, subtree.c.unit_id == Case.unit_id)
            .where(*window)
            .group_by(subtree.c.ancestor_id)
        )
        return {ancestor: (float(median), int(count)) for ancestor, median, count in rows}
    durations: dict[int, list[float]] = defaultdict(list)
    answered = session.execute(
        select(Case.unit_id, Case.opened_at, Case.first_response_at).where(*window)
    )
    for unit_id, opened_at, first_response_at in answered:
        if first_response_at is None:  # excluded by the query; narrows the column's type
            continue
        seconds_taken = max((first_response_at - opened_at).total_seconds(), 0.0)
        for ancestor in chains.get(unit_id, ()):
            durations[ancestor].append(seconds_taken)
    return {unit: (statistics.median(found), len(found)) for unit, found in durations.items()}


def keep_week(session: Session, week_start: datetime, *, until: datetime, now: datetime) -> int:
    """Compute the week starting at `week_start` up to `until` from the cases and replace its
    rows (the caller commits); returns how many units have a row. A week already kept further
    than `until` is left alone (a rerun of a past hour does not shorten it): 0."""
    kept_until = session.scalar(
        select(func.max(FirstResponseWeek.counted_until)).where(
            FirstResponseWeek.week_start == week_start
        )
    )
    if kept_until is not None and kept_until > until:
        return 0
    chains = unit_chains(session)
    found = medians(session, chains, start=week_start, until=until)
    session.execute(delete(FirstResponseWeek).where(FirstResponseWeek.week_start == week_start))
    rows = [
        {
            "unit_id": unit_id,
            "week_start": week_start,
            "responses": found.get(unit_id, (None, 0))[1],
            "median_seconds": found.get(unit_id, (None, 0))[0],
            "counted_until": until,
            "computed_at": now,
        }
        for unit_id in sorted(chains)
    ]
    if rows:
        session.execute(insert(FirstResponseWeek), rows)
    return len(rows)


def week_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 in `zone` (the deployment's time zone) of `now`'s week."""
    local = now.astimezone(zone)
    return (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def keep_recent(session: Session, zone: ZoneInfo, now: datetime) -> list[datetime]:
    """What the SLA check keeps: this week up to `now`, and the previous week whole while its
    late replies may still be collected. Returns the weeks kept (their starts)."""
    current = week_start(now, zone)
    kept = [current]
    keep_week(session, current, until=now, now=now)
    if now - current < LATE_REPLIES:
        previous = week_start(current - timedelta(seconds=1), zone)
        keep_week(session, previous, until=current - timedelta(microseconds=1), now=now)
        kept.append(previous)
    return kept


def keep_period(
    session: Session, zone: ZoneInfo, start: datetime, end: datetime, now: datetime
) -> list[datetime]:
    """A backfill: keep every week that overlaps [start, end), each up to its end or `now`."""
    kept: list[datetime] = []
    current = week_start(start, zone)
    while current < min(end, now):
        following = week_start(current + timedelta(days=7, hours=12), zone)
        keep_week(session, current, until=min(following - timedelta(microseconds=1), now), now=now)
        kept.append(current)
        current = following
    return kept


def kept_week(session: Session, week_start: datetime) -> KeptWeek | None:
    """The rollup of the week starting at `week_start`, or None if the SLA check has not kept it."""
    rows = session.execute(
        select(
            FirstResponseWeek.unit_id,
            FirstResponseWeek.median_seconds,
            FirstResponseWeek.responses,
            FirstResponseWeek.counted_until,
        ).where(FirstResponseWeek.week_start == week_start)
    ).all()
    if not rows:
        return None
    return KeptWeek(
        medians={unit_id: (median, count) for unit_id, median, count, _ in rows if count},
        counted_until=min(until for *_, until in rows),
    )
