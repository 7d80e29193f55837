"""The overview page: per unit, figures including every unit below it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, case, cast, column, func, select, values
from sqlalchemy.orm import Session

from citizen_desk.config.registry import deployment_zone
from citizen_desk.db.models import Case, Tip
from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, SlaState
from citizen_desk.web.sla_board import state_condition
from citizen_desk.web.units import ancestors_map, unit_tree


def week_start(now: datetime) -> datetime:
    """Monday 00:00, in the deployment's time zone (the registry's), of `now`'s week."""
    local = now.astimezone(deployment_zone())
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday


@dataclass(frozen=True)
class UnitSummary:
    """Figures of a unit including every unit below it."""

    code: str
    name: str
    kind: str
    depth: int
    open_questions: int
    sla_warnings: int
    sla_breaches: int
    open_tips: int
    tips_by_level: Mapping[int, int]
    median_first_response: timedelta | None
    first_responses: int

    def as_json(self) -> dict[str, Any]:
        median = self.median_first_response
        return {
            "unit": self.code,
            "name": self.name,
            "kind": self.kind,
            "depth": self.depth,
            "open_questions": self.open_questions,
            "sla_warnings": self.sla_warnings,
            "sla_breaches": self.sla_breaches,
            "open_tips": self.open_tips,
            "open_tips_by_level": {str(k): v for k, v in sorted(self.tips_by_level.items())},
            "median_first_response_seconds": None if median is None else median.total_seconds(),
            "first_responses_this_week": self.first_responses,
        }


def overview(session: Session, *, now: datetime) -> list[UnitSummary]:
    """Per unit (tree order, each figure including the units below): the overview page.

    Counted in SQL (one grouped query per figure), then added up the unit tree here: the page
    reads a row per unit, not a row per case.
    """
    units = unit_tree(session)
    chains = ancestors_map(units)
    questions: dict[int, int] = defaultdict(int)
    warnings: dict[int, int] = defaultdict(int)
    breaches: dict[int, int] = defaultdict(int)
    tips: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(unit_id: int, target: dict[int, Any], value: Any) -> None:
        for ancestor in chains.get(unit_id, ()):
            if isinstance(value, dict):
                for key, count in value.items():
                    target[ancestor][key] += count
            else:
                target[ancestor] += value

    def count_if(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    open_cases = session.execute(
        select(
            Case.unit_id,
            count_if(Case.category == "question"),
            count_if(state_condition(SlaState.WARNING, now)),
            count_if(state_condition(SlaState.BREACH, now)),
        )
        .where(Case.status == "open")
        .group_by(Case.unit_id)
    )
    for unit_id, open_questions, warned, breached in open_cases:
        add(unit_id, questions, int(open_questions))
        add(unit_id, warnings, int(warned))
        add(unit_id, breaches, int(breached))

    tip_rows = session.execute(
        select(Tip.unit_id, Tip.escalation_level, func.count())
        .where(Tip.status.in_(sorted(OPEN_TIP_STATUSES)))
        .group_by(Tip.unit_id, Tip.escalation_level)
    )
    for unit_id, level, count in tip_rows:
        add(unit_id, tips, {level: count})

    responses = first_responses(session, chains, start=week_start(now), now=now)
    summaries = []
    for unit in units:
        median, count = responses.get(unit.id, (None, 0))
        by_level = dict(tips.get(unit.id, {}))
        summaries.append(
            UnitSummary(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                depth=unit.depth,
                open_questions=questions.get(unit.id, 0),
                sla_warnings=warnings.get(unit.id, 0),
                sla_breaches=breaches.get(unit.id, 0),
                open_tips=sum(by_level.values()),
                tips_by_level=by_level,
                median_first_response=None if median is None else timedelta(seconds=median),
                first_responses=count,
            )
        )
    return summaries


def first_responses(
    session: Session, chains: Mapping[int, Sequence[int]], *, start: datetime, now: datetime
) -> dict[int, tuple[float | None, int]]:
    """Per unit (its subtree included): the median seconds to a first response given in
    [start, now], and how many there were.

    On PostgreSQL the median is computed by the database (`percentile_cont`, the same midpoint
    as `statistics.median`) over the subtree pairs, so a busy week is not shipped row by row;
    elsewhere (SQLite) the durations are read and the median taken here.
    """
    window = (
        Case.first_response_at.is_not(None),
        Case.first_response_at >= start,
        Case.first_response_at <= now,
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
