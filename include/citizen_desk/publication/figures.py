"""Weekly figures per unit: what the pages received and how fast and well the units answered.

Three layers, so the arithmetic is tested without a database or a network:

* the period: `week_ending_before(now)` is the ISO week (Monday–Sunday, Asia/Ho_Chi_Minh) that
  ended last before `now`;
* the query layer: `load_week_rows(session, period)` returns plain rows (no ORM objects, no
  citizen identity: ids, units, categories and timestamps only);
* the computation: `compute_week(rows, period, ...)` is pure and returns `WeekFigures`.

Definitions (all instants are compared in UTC; a week is [Monday 00:00, next Monday 00:00) local):

* messages: inbound messages created in the week, by category (the message's own triage, else
  its case's, else `other`), counted for the case's unit (else the channel's unit);
* questions: SLA turns of `question` cases. *Received*: started in the week. *Answered*: reply in
  the week. *Within SLA*: answered turns whose `evaluate_turn` verdict is `met`. *Overdue*: no
  reply by the week's end and past due then;
* first response: turn 1 of every case, replied in the week; measured in working time when the
  category's SLA clock is `working`, else wall time; median and 90th percentile (linear
  interpolation between closest ranks);
* tips: received (received in the week); verified / unfounded / forwarded (closed in the week
  with that status); open (received before the week's end and not closed by then); outcomes: the
  officer-written `public_outcome` of tips closed in the week (ids only here; the text is read at
  rendering time so no free text travels through XCom);
* lost & found resolved: `lost_found` cases now `closed` whose last reply fell in the week.

Statuses are the current ones, so a rebuilt past week reflects what happened since (a tip
verified and later forwarded counts as forwarded).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.sla.calendar import WorkingCalendar, working_time_between
from citizen_desk.sla.policy import SlaPolicy, SlaTurn, evaluate_turn

PROVINCE = "*"  # unit_code of the figures for all units together


# --- the period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPeriod:
    """One ISO week in the local time zone; `start`/`end` are aware UTC instants, end exclusive."""

    year: int
    week: int
    timezone: str  # the registry's zone: weeks run Monday-Sunday local time

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def key(self) -> str:
        """The ledger's period key, e.g. `2026-W47`."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        next_monday = self.first_day + timedelta(days=7)
        return datetime.combine(next_monday, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def label_vi(self) -> str:
        """`Tuần 47 (16/11–22/11/2026)`; the year is repeated when the week spans two years."""
        first, last = self.first_day, self.last_day
        head = f"{first:%d/%m}" if first.year == last.year else f"{first:%d/%m/%Y}"
        return f"Tuần {self.week} ({head}–{last:%d/%m/%Y})"

    @property
    def tag(self) -> str:
        """The hashtag that marks this week's post on a page, e.g. `#Tuan47_2026`."""
        return f"#Tuan{self.week}_{self.year}"

    def previous(self) -> WeekPeriod:
        return week_containing(self.first_day - timedelta(days=7), self.timezone)

    def contains(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end


def week_containing(day: date, timezone: str) -> WeekPeriod:
    iso = day.isocalendar()
    return WeekPeriod(iso.year, iso.week, timezone)


def week_ending_before(now: datetime, timezone: str) -> WeekPeriod:
    """The last ISO week that has fully ended at `now` (local Monday–Sunday)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local_day = now.astimezone(ZoneInfo(timezone)).date()
    return week_containing(local_day - timedelta(days=7), timezone)


def parse_period(key: str, timezone: str) -> WeekPeriod:
    """`2026-W47` -> WeekPeriod (ValueError on anything else)."""
    try:
        year_text, week_text = key.split("-W")
        period = WeekPeriod(int(year_text), int(week_text), timezone)
        period.first_day  # noqa: B018 - validates the week number
    except ValueError as exc:
        raise ValueError(f"not an ISO week key like 2026-W47: {key!r}") from exc
    return period


# --- rows (the query layer's output) ---------------------------------------------------------


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


def load_week_rows(session: Any, period: WeekPeriod, *, weeks: int = 2) -> WeekRows:
    """Rows needed for `period` and the `weeks - 1` weeks before it (identity columns excluded)."""
    from sqlalchemy import func, or_, select
    from sqlalchemy.orm import aliased

    from citizen_desk.db.models import Case, CaseTurn, Channel, Message, Tip, Unit

    since = period.start - timedelta(days=7 * (weeks - 1))
    until = period.end
    case_unit, channel_unit = aliased(Unit), aliased(Unit)

    message_rows = session.execute(
        select(
            func.coalesce(case_unit.code, channel_unit.code),
            func.coalesce(Message.category, Case.category, "other"),
            Message.created_at,
        )
        .select_from(Message)
        .join(Channel, Message.channel_id == Channel.id)
        .join(channel_unit, Channel.unit_id == channel_unit.id)
        .outerjoin(Case, Message.case_id == Case.id)
        .outerjoin(case_unit, Case.unit_id == case_unit.id)
        .where(Message.direction == "in", Message.created_at >= since, Message.created_at < until)
    ).all()
    messages = tuple(MessageRow(code, category, at) for code, category, at in message_rows)

    turn_rows = session.execute(
        select(
            CaseTurn.case_id,
            Unit.code,
            Case.category,
            Channel.platform,
            CaseTurn.turn_no,
            CaseTurn.started_at,
            CaseTurn.responded_at,
            Case.turn_no,
            Case.last_citizen_at,
        )
        .join(Case, CaseTurn.case_id == Case.id)
        .join(Unit, Case.unit_id == Unit.id)
        .join(Channel, Case.channel_id == Channel.id)
        .where(
            CaseTurn.started_at < until,
            or_(CaseTurn.responded_at.is_(None), CaseTurn.responded_at >= since),
        )
    ).all()
    turns = tuple(
        TurnRow(
            case_id=case_id,
            unit_code=code,
            category=category,
            platform=platform,
            turn_no=turn_no,
            started_at=started,
            last_citizen_at=_last_citizen_at(started, responded, turn_no, case_turn, last_cit),
            responded_at=responded,
        )
        for case_id, code, category, platform, turn_no, started, responded, case_turn, last_cit in (
            turn_rows
        )
    )

    tip_rows = session.execute(
        select(
            Tip.id,
            Unit.code,
            Tip.status,
            Tip.received_at,
            Tip.closed_at,
            Tip.public_outcome.is_not(None) & Tip.public_outcome_by.is_not(None),
        )
        .join(Unit, Tip.unit_id == Unit.id)
        .where(Tip.received_at < until, or_(Tip.closed_at.is_(None), Tip.closed_at >= since))
    ).all()
    tips = tuple(
        TipRow(tip_id, code, status, received, closed, bool(outcome))
        for tip_id, code, status, received, closed, outcome in tip_rows
    )

    resolved_at = func.coalesce(Case.last_response_at, Case.updated_at)
    lost_rows = session.execute(
        select(Case.id, Unit.code, resolved_at)
        .join(Unit, Case.unit_id == Unit.id)
        .where(
            Case.category == "lost_found",
            Case.status == "closed",
            resolved_at >= since,
            resolved_at < until,
        )
    ).all()
    lost_found = tuple(LostFoundRow(case_id, code, at) for case_id, code, at in lost_rows)
    return WeekRows(messages=messages, turns=turns, tips=tips, lost_found=lost_found)


def _last_citizen_at(
    started: datetime,
    responded: datetime | None,
    turn_no: int,
    case_turn_no: int,
    case_last_citizen_at: datetime | None,
) -> datetime:
    """The case keeps `last_citizen_at` for its current turn only; older turns use their start."""
    if turn_no != case_turn_no or case_last_citizen_at is None:
        return started
    if case_last_citizen_at < started or (responded and case_last_citizen_at > responded):
        return started
    return case_last_citizen_at


def load_outcomes(session: Any, tip_ids: Iterable[int]) -> dict[int, str]:
    """Officer-approved public outcome sentences, by tip id (only tips that have one)."""
    from sqlalchemy import select

    from citizen_desk.db.models import Tip

    ids = sorted(set(tip_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Tip.id, Tip.public_outcome).where(
            Tip.id.in_(ids), Tip.public_outcome.is_not(None), Tip.public_outcome_by.is_not(None)
        )
    ).all()
    return {tip_id: text for tip_id, text in rows}


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


@dataclass(frozen=True)
class WeekFigures:
    period: str
    unit_code: str
    messages: Mapping[str, int]
    questions_received: int = 0
    questions_answered: int = 0
    questions_within_sla: int = 0
    questions_overdue: int = 0
    first_response: DurationStats = field(default_factory=DurationStats)
    first_response_by_category: Mapping[str, DurationStats] = field(default_factory=dict)
    tips: TipFigures = field(default_factory=TipFigures)
    lost_found_resolved: int = 0
    outcome_tip_ids: tuple[int, ...] = ()

    @property
    def messages_total(self) -> int:
        return sum(self.messages.values())

    @property
    def sla_share(self) -> float | None:
        """Share of answered questions answered within the SLA (None if none answered)."""
        if not self.questions_answered:
            return None
        return self.questions_within_sla / self.questions_answered


@dataclass(frozen=True)
class PageInsights:
    """Page-level numbers from the Graph API for the week (None: metric not returned)."""

    impressions: int | None = None
    engagements: int | None = None
    follows: int | None = None


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
        questions_received=raw["questions_received"],
        questions_answered=raw["questions_answered"],
        questions_within_sla=raw["questions_within_sla"],
        questions_overdue=raw["questions_overdue"],
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
    for message in rows.messages:
        if mine(message.unit_code) and period.contains(message.created_at):
            key = message.category if message.category in messages else "other"
            messages[key] += 1

    received = answered = within = overdue = 0
    first: dict[str, list[float]] = {}
    for turn in rows.turns:
        if not mine(turn.unit_code):
            continue
        replied_in_week = period.contains(turn.responded_at)
        if turn.category == "question":
            received += period.contains(turn.started_at)
            if replied_in_week:
                answered += 1
                within += _verdict(turn, policy, calendar, period.end) == "met"
            elif turn.started_at < period.end and (
                turn.responded_at is None or turn.responded_at >= period.end
            ):
                overdue += _verdict(turn, policy, calendar, period.end) == "breached"
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
        questions_received=received,
        questions_answered=answered,
        questions_within_sla=within,
        questions_overdue=overdue,
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


def _verdict(turn: TurnRow, policy: SlaPolicy, calendar: WorkingCalendar, at: datetime) -> str:
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
    return evaluate_turn(sla_turn, policy, calendar, now=at).state


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
        kwargs = {"unit_code": code, "policy": policy, "calendar": calendar}
        return UnitReport(
            unit_code=code,
            unit_name=name,
            current=compute_week(rows, period, **kwargs),
            previous=compute_week(rows, previous, **kwargs),
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


# --- page insights (Graph API) ---------------------------------------------------------------

INSIGHT_METRICS = {
    "page_impressions": "impressions",
    "page_post_engagements": "engagements",
    "page_follows": "follows",
}


def parse_insights(payload: Mapping[str, Any]) -> PageInsights:
    """`GET /{page-id}/insights` → the latest weekly value of each metric."""
    values: dict[str, int | None] = {}
    for item in payload.get("data") or []:
        name = INSIGHT_METRICS.get(str(item.get("name")))
        points = [p for p in item.get("values") or [] if isinstance(p, Mapping)]
        if name is None or not points:
            continue
        latest = max(points, key=lambda p: str(p.get("end_time", "")))
        value = latest.get("value")
        values[name] = int(value) if isinstance(value, int | float) else None
    return PageInsights(**values)


def fetch_page_insights(client: Any, page_id: str, period: WeekPeriod) -> PageInsights:
    """The page's reach, engagement and followers for the week (raises the client's errors)."""
    payload = client.get(
        f"{page_id}/insights",
        {
            "metric": ",".join(INSIGHT_METRICS),
            "period": "week",
            "since": int(period.start.timestamp()),
            "until": int(period.end.timestamp()),
        },
    )
    return parse_insights(payload)
