"""The overview page: per unit, figures including every unit below it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import deployment_zone
from citizen_desk.db.models import Case, Tip
from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, SlaState
from citizen_desk.web.sla_board import state_condition
from citizen_desk.web.units import ancestors_map, unit_tree


def week_start(now: datetime) -> datetime:
    """Monday 00:00, in the deployment's time zone (the registry's), of `now`'s week."""
    from citizen_desk.sla.first_responses import week_start as monday

    return monday(now, deployment_zone())


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


@dataclass(frozen=True)
class Overview:
    """The page: a summary per unit, and when its first-reply medians were counted up to (the
    SLA check's last rollup of the week, or `now` when they were counted for this request)."""

    units: list[UnitSummary]
    responses_counted_until: datetime


def overview(session: Session, *, now: datetime) -> Overview:
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

    responses, counted_until = first_responses(session, chains, start=week_start(now), now=now)
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
    return Overview(units=summaries, responses_counted_until=counted_until)


def first_responses(
    session: Session, chains: Mapping[int, Sequence[int]], *, start: datetime, now: datetime
) -> tuple[dict[int, tuple[float | None, int]], datetime]:
    """Per unit (its subtree included): the median seconds to a first reply given in
    [start, now], and how many there were; and the moment they were counted up to.

    Read from the week's rollup the SLA check keeps (`sla.first_responses`: a row per unit, as
    of its last run, at most an hour old and renewed after every collection); computed from the
    cases only when the week has not been kept yet (or was kept past `now`: a page of the past).
    """
    from citizen_desk.sla import first_responses as rollup

    kept = rollup.kept_week(session, start)
    if kept is not None and kept.counted_until <= now:
        return kept.medians, kept.counted_until
    return rollup.medians(session, chains, start=start, until=now), now
