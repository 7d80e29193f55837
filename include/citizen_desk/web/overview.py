"""The overview page: per unit, figures including every unit below it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import deployment_zone
from citizen_desk.db.models import Case, Tip
from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES
from citizen_desk.web.common import sla_state
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
    """Per unit (tree order, each figure including the units below): the overview page."""
    units = unit_tree(session)
    chains = ancestors_map(units)
    questions: dict[int, int] = defaultdict(int)
    warnings: dict[int, int] = defaultdict(int)
    breaches: dict[int, int] = defaultdict(int)
    tips: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    responses: dict[int, list[float]] = defaultdict(list)

    def add(unit_id: int, target: dict[int, Any], value: Any = 1) -> None:
        for ancestor in chains.get(unit_id, ()):
            if isinstance(value, dict):
                for key, count in value.items():
                    target[ancestor][key] += count
            elif isinstance(value, float):
                target[ancestor].append(value)
            else:
                target[ancestor] += value

    open_cases = session.execute(
        select(
            Case.unit_id, Case.category, Case.sla_warn_at, Case.sla_due_at, Case.sla_breached
        ).where(Case.status == "open")
    )
    for unit_id, category, warn_at, due_at, breached in open_cases:
        if category == "question":
            add(unit_id, questions)
        state = sla_state(warn_at=warn_at, due_at=due_at, breached=breached, now=now)
        if state == "breach":
            add(unit_id, breaches)
        elif state == "warning":
            add(unit_id, warnings)

    tip_rows = session.execute(
        select(Tip.unit_id, Tip.escalation_level, func.count())
        .where(Tip.status.in_(sorted(OPEN_TIP_STATUSES)))
        .group_by(Tip.unit_id, Tip.escalation_level)
    )
    for unit_id, level, count in tip_rows:
        add(unit_id, tips, {level: count})

    start = week_start(now)
    answered = session.execute(
        select(Case.unit_id, Case.opened_at, Case.first_response_at).where(
            Case.first_response_at.is_not(None),
            Case.first_response_at >= start,
            Case.first_response_at <= now,
        )
    )
    for unit_id, opened_at, first_response_at in answered:
        if first_response_at is None:  # excluded by the query; narrows the column's type
            continue
        add(unit_id, responses, max((first_response_at - opened_at).total_seconds(), 0.0))

    summaries = []
    for unit in units:
        durations = responses.get(unit.id, [])
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
                median_first_response=(
                    timedelta(seconds=statistics.median(durations)) if durations else None
                ),
                first_responses=len(durations),
            )
        )
    return summaries
