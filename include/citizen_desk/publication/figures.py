"""Weekly figures per unit: what the pages received and how fast and well the units answered.

Pure: `compute_week(rows, period, ...)` / `compute_results(...)` take the week's plain rows (read
by `publication.rows`, no citizen identity) and return `WeekFigures` / `WeeklyResults`. Every
place that shows a figure (Facebook post, Zalo text, admin report) reads it from these objects;
this docstring is the glossary (README, "Weekly results", points here).

Window and time zone: a week is [Monday 00:00, next Monday 00:00) in the registry's `timezone`
(`WeekPeriod`); instants are compared in UTC. "In the week" means inside that window.

* **messages** (`messages_total`): inbound messages and comments created in the week; **by
  category** (`messages`): the message's own triage, else its case's, else `other`; each message
  counts once, for its case's unit (else its channel's), so the categories add up to the total.
  The `tip` category counts *messages* (a tip may span several messages, or none): posts call
  it "tin nhắn báo tin", never "tin báo" — the number of tips is `tips.received` below.
* **questions**: SLA turns of `question` cases (one case may have several turns).
  *Received*: turn started in the week. *Answered*: reply in the week. *In scope*: turns open at
  some time in the week (started before its end, not answered before its start).
  *Due* (`questions_due`): turns whose outcome fell in the week — answered within their deadline
  with the answer in the week, or whose deadline (`sla.policy.evaluate_turn`: the category's
  target or the platform's reply window, whichever comes first) passed in the week without a
  reply by then (answered late, or still unanswered). Each turn is due in exactly one week.
  *On time* (`questions_within_sla`): due turns answered within their deadline.
  **On-time rate** (`sla_share`) = on time / due ("x/y đúng hạn" in posts); late answers and
  unanswered overdue turns count against it. *Overdue* (`questions_overdue`): unanswered at the
  week's end and past due then (also older backlog).
* **first response**: turn 1 of every case, replied in the week; measured in working time when
  the category's SLA clock is `working`, else wall time; median and 90th percentile (linear
  interpolation between closest ranks).
* **tips** (tip records, not messages): *received*: received in the week; *verified / unfounded
  / forwarded*: closed in the week with that status; *open*: received before the week's end and
  not closed by then; *in scope*: received before the week's end and not closed before its start
  (= verified + unfounded + forwarded + open); *outcomes*: the officer-written `public_outcome`
  of tips closed in the week (ids only here; the text is read at rendering time so no free text
  travels through XCom).
* **lost & found resolved**: `lost_found` cases now `closed` whose last reply fell in the week.
* **page insights** (Graph `/{page}/insights`, period `week`): impressions, reach (unique
  people), post engagements, new follows; must satisfy impressions ≥ reach ≥ engagements and
  new follows ≤ reach (`publication.checks`).

In public texts, counts from 1 to `publication.min_count - 1` read "dưới N"; the on-time rate
and response times need at least `min_count` cases. Statuses are the current ones, so a rebuilt
past week reflects what happened since (a tip verified and later forwarded counts as forwarded).
`publication.checks` verifies these relations before anything is rendered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.publication.period import WeekPeriod, parse_period
from citizen_desk.sla.calendar import WorkingCalendar, working_time_between
from citizen_desk.sla.policy import SlaPolicy, SlaTurn, SlaVerdict, evaluate_turn

PROVINCE = "*"  # unit_code of the figures for all units together


# --- rows (what `publication.rows` reads) ------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    unit_code: str
    category: str
    created_at: datetime


@dataclass(frozen=True)
class TurnRow:
    case_id: int
    unit_code: str
    category: str
    platform: str
    turn_no: int
    started_at: datetime
    last_citizen_at: datetime
    responded_at: datetime | None


@dataclass(frozen=True)
class TipRow:
    tip_id: int
    unit_code: str
    status: str
    received_at: datetime
    closed_at: datetime | None
    has_outcome: bool


@dataclass(frozen=True)
class LostFoundRow:
    case_id: int
    unit_code: str
    resolved_at: datetime


@dataclass(frozen=True)
class WeekRows:
    messages: tuple[MessageRow, ...] = ()
    turns: tuple[TurnRow, ...] = ()
    tips: tuple[TipRow, ...] = ()
    lost_found: tuple[LostFoundRow, ...] = ()


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationStats:
    """Count, median and 90th percentile of durations, in seconds (None without data)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class TipFigures:
    received: int = 0
    verified: int = 0
    unfounded: int = 0
    forwarded: int = 0
    open: int = 0
    in_scope: int = 0

    @property
    def closed(self) -> int:
        return self.verified + self.unfounded + self.forwarded


@dataclass(frozen=True)
class WeekFigures:
    period: str
    unit_code: str
    messages: Mapping[str, int]
    messages_total: int = 0
    questions_received: int = 0
    questions_answered: int = 0
    questions_within_sla: int = 0
    questions_overdue: int = 0
    questions_due: int = 0
    questions_in_scope: int = 0
    first_response: DurationStats = field(default_factory=DurationStats)
    first_response_by_category: Mapping[str, DurationStats] = field(default_factory=dict)
    tips: TipFigures = field(default_factory=TipFigures)
    lost_found_resolved: int = 0
    outcome_tip_ids: tuple[int, ...] = ()

    @property
    def sla_share(self) -> float | None:
        """The on-time rate: on-time answers / questions due in the week (None if none due)."""
        if not self.questions_due:
            return None
        return self.questions_within_sla / self.questions_due


@dataclass(frozen=True)
class PageInsights:
    """Page-level numbers from the Graph API for the week (None: metric not returned).

    `follows` are new follows in the week; `reach` the people reached (unique).
    """

    impressions: int | None = None
    engagements: int | None = None
    follows: int | None = None
    reach: int | None = None


@dataclass(frozen=True)
class UnitReport:
    """One unit's week and the week before; `insights_note` says why insights are missing."""

    unit_code: str
    unit_name: str
    current: WeekFigures
    previous: WeekFigures
    insights: PageInsights | None = None
    insights_note: str | None = None


@dataclass(frozen=True)
class WeeklyResults:
    period: str
    timezone: str
    min_count: int
    province: UnitReport
    units: tuple[UnitReport, ...]

    def unit(self, code: str) -> UnitReport:
        for report in self.units:
            if report.unit_code == code:
                return report
        raise KeyError(code)

    @property
    def week(self) -> WeekPeriod:
        return parse_period(self.period, self.timezone)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (XCom, `publications.figures`): numbers, codes and ids only."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> WeeklyResults:
        return cls(
            period=raw["period"],
            timezone=raw["timezone"],
            min_count=int(raw["min_count"]),
            province=_unit_report(raw["province"]),
            units=tuple(_unit_report(u) for u in raw["units"]),
        )


def _week_figures(raw: Mapping[str, Any]) -> WeekFigures:
    return WeekFigures(
        period=raw["period"],
        unit_code=raw["unit_code"],
        messages=dict(raw["messages"]),
        messages_total=raw.get("messages_total", sum(raw["messages"].values())),
        questions_received=raw["questions_received"],
        questions_answered=raw["questions_answered"],
        questions_within_sla=raw["questions_within_sla"],
        questions_overdue=raw["questions_overdue"],
        questions_due=raw.get("questions_due", 0),
        questions_in_scope=raw.get("questions_in_scope", 0),
        first_response=DurationStats(**raw["first_response"]),
        first_response_by_category={
            k: DurationStats(**v) for k, v in raw["first_response_by_category"].items()
        },
        tips=TipFigures(**raw["tips"]),
        lost_found_resolved=raw["lost_found_resolved"],
        outcome_tip_ids=tuple(raw["outcome_tip_ids"]),
    )


def _unit_report(raw: Mapping[str, Any]) -> UnitReport:
    insights = raw.get("insights")
    return UnitReport(
        unit_code=raw["unit_code"],
        unit_name=raw["unit_name"],
        current=_week_figures(raw["current"]),
        previous=_week_figures(raw["previous"]),
        insights=PageInsights(**insights) if insights is not None else None,
        insights_note=raw.get("insights_note"),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between closest ranks."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def duration_stats(seconds: Sequence[float]) -> DurationStats:
    return DurationStats(len(seconds), percentile(seconds, 50), percentile(seconds, 90))


def first_response_seconds(
    turn: TurnRow, policy: SlaPolicy, calendar: WorkingCalendar
) -> float | None:
    """Time to the first reply: working time when the category's SLA clock says so."""
    if turn.responded_at is None:
        return None
    target = policy.target_for(turn.category, turn.unit_code)
    if target is not None and target.clock == "working":
        elapsed = working_time_between(turn.started_at, turn.responded_at, calendar)
    else:
        elapsed = max(turn.responded_at - turn.started_at, timedelta(0))
    return elapsed.total_seconds()


def compute_week(
    rows: WeekRows,
    period: WeekPeriod,
    *,
    unit_code: str,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
) -> WeekFigures:
    """The week's figures for one unit (`PROVINCE`: all units together). Pure."""

    def mine(row_unit: str) -> bool:
        return unit_code == PROVINCE or row_unit == unit_code

    messages = dict.fromkeys(CATEGORIES, 0)
    messages_total = 0
    for message in rows.messages:
        if mine(message.unit_code) and period.contains(message.created_at):
            key = message.category if message.category in messages else "other"
            messages[key] += 1
            messages_total += 1

    received = answered = within = overdue = due = in_scope = 0
    first: dict[str, list[float]] = {}
    for turn in rows.turns:
        if not mine(turn.unit_code):
            continue
        replied_in_week = period.contains(turn.responded_at)
        if turn.category == "question":
            received += period.contains(turn.started_at)
            in_scope += turn.started_at < period.end and (
                turn.responded_at is None or turn.responded_at >= period.start
            )
            answered += replied_in_week
            if turn.started_at < period.end:
                verdict = _verdict(turn, policy, calendar, period.end)
                on_time = (
                    verdict.due_at is not None
                    and turn.responded_at is not None
                    and turn.responded_at <= verdict.due_at
                )
                if on_time and replied_in_week:
                    within += 1
                    due += 1
                elif not on_time and period.contains(verdict.due_at):
                    due += 1
                overdue += verdict.state == "breached"  # no reply by the week's end, past due
        if turn.turn_no == 1 and replied_in_week:
            seconds = first_response_seconds(turn, policy, calendar)
            if seconds is not None:
                first.setdefault(turn.category, []).append(seconds)

    tips = [t for t in rows.tips if mine(t.unit_code)]
    closed = [t for t in tips if period.contains(t.closed_at)]
    tip_figures = TipFigures(
        received=sum(period.contains(t.received_at) for t in tips),
        verified=sum(t.status == "verified" for t in closed),
        unfounded=sum(t.status == "unfounded" for t in closed),
        forwarded=sum(t.status == "forwarded" for t in closed),
        open=sum(
            t.received_at < period.end and (t.closed_at is None or t.closed_at >= period.end)
            for t in tips
        ),
        in_scope=sum(
            t.received_at < period.end and (t.closed_at is None or t.closed_at >= period.start)
            for t in tips
        ),
    )
    outcomes = tuple(
        t.tip_id for t in sorted(closed, key=lambda t: (t.closed_at, t.tip_id)) if t.has_outcome
    )
    lost_found = sum(mine(r.unit_code) and period.contains(r.resolved_at) for r in rows.lost_found)
    all_first = [s for values in first.values() for s in values]
    return WeekFigures(
        period=period.key,
        unit_code=unit_code,
        messages=messages,
        messages_total=messages_total,
        questions_received=received,
        questions_answered=answered,
        questions_within_sla=within,
        questions_overdue=overdue,
        questions_due=due,
        questions_in_scope=in_scope,
        first_response=duration_stats(all_first),
        first_response_by_category={
            category: duration_stats(first[category])
            for category in CATEGORIES
            if category in first
        },
        tips=tip_figures,
        lost_found_resolved=lost_found,
        outcome_tip_ids=outcomes,
    )


def _verdict(
    turn: TurnRow, policy: SlaPolicy, calendar: WorkingCalendar, at: datetime
) -> SlaVerdict:
    sla_turn = SlaTurn(
        case_id=turn.case_id,
        turn_no=turn.turn_no,
        category=turn.category,
        unit_code=turn.unit_code,
        platform=turn.platform,
        started_at=turn.started_at,
        last_citizen_at=turn.last_citizen_at,
        responded_at=turn.responded_at,
    )
    return evaluate_turn(sla_turn, policy, calendar, now=at)


def compute_results(
    rows: WeekRows,
    period: WeekPeriod,
    *,
    units: Sequence[tuple[str, str]],
    province_name: str,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    min_count: int,
    insights: Mapping[str, PageInsights | None] | None = None,
    insights_notes: Mapping[str, str] | None = None,
) -> WeeklyResults:
    """This week and last for every `(code, name)` in `units` and for the whole province. Pure."""
    previous = period.previous()
    insights = insights or {}
    notes = insights_notes or {}

    def report(code: str, name: str) -> UnitReport:
        return UnitReport(
            unit_code=code,
            unit_name=name,
            current=compute_week(rows, period, unit_code=code, policy=policy, calendar=calendar),
            previous=compute_week(rows, previous, unit_code=code, policy=policy, calendar=calendar),
            insights=insights.get(code),
            insights_note=notes.get(code),
        )

    return WeeklyResults(
        period=period.key,
        timezone=period.timezone,
        min_count=min_count,
        province=report(PROVINCE, province_name),
        units=tuple(report(code, name) for code, name in units),
    )
