"""The reply-SLA sweep: evaluate every open case's current turn, record outcomes, raise alerts.

- `sweep()` (hourly and after each collection) reads only open cases awaiting a reply (partial
  index `ix_cases_open_awaiting`), refreshes `cases.sla_warn_at/sla_due_at/sla_breached` for the
  current turn, records `sla_events` (warning | breach, unique per case, turn, kind and policy
  version; insert-if-absent) and announces each outcome the first time it is recorded:
  warnings to the unit's duty officer, breaches to the duty officer and the chief, plus one digest
  per unit and local day listing its open cases that are late or close to it.
  Catch-up: an outcome that happened more than the registry's
  `notifications.catch_up_fresh_within` before `now` (a first start, a backfill, an outage) is
  recorded as usual but not alerted by itself: it is listed in one catch-up summary per unit and
  recipient (`sla-catchup:{unit}:{recipient}:{run time}`), its alert keys recorded `superseded`.
- `recompute()` re-evaluates the turns that started in a period (after a calendar or policy change)
  and records them under the current policy version without announcing anything by default.

Set-based: a sweep writes its outcomes, the cases' SLA columns and the outbox rows in a few
multi-row statements (insert-if-absent on the same natural keys), so a cold sweep over 10k late
cases costs as many statements as one over ten.

The alerts themselves (recipients, excerpt, rendering) are `citizen_desk.sla.alerts`; the command
line is `citizen_desk.sla.cli`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from citizen_desk.db.batching import chunks
from citizen_desk.db.bulk import insert_many_if_absent, update_by_id
from citizen_desk.db.models import Case, CaseTurn, Channel, Message, SlaEvent, Unit
from citizen_desk.db.types import utc
from citizen_desk.domain.catchup import is_fresh
from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.sla import first_responses
from citizen_desk.sla.alerts import announce, event_time, send_catch_up, send_digests, unit_infos
from citizen_desk.sla.policy import SlaTurn, SlaVerdict, evaluate_turn

if TYPE_CHECKING:
    from citizen_desk.config.registry import Registry

log = logging.getLogger(__name__)

DIGEST_AT = time(7, 0)  # local time from which the day's digest goes out
EVENT_KIND = {"warning": "warning", "breached": "breach", "met_late": "breach"}


@dataclass
class SweepReport:
    mode: str
    policy_version: str
    now: str
    evaluated: int = 0
    states: dict[str, int] = field(default_factory=dict)
    warnings_recorded: int = 0
    breaches_recorded: int = 0
    notifications: int = 0
    digests: int = 0
    caught_up: int = 0  # outcomes found long past: listed in a catch-up summary instead
    summaries: int = 0
    first_response_weeks: list[str] = field(default_factory=list)  # the overview's rollup kept
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TurnRow:
    """One turn to evaluate, with what the alert needs (no identity in it)."""

    case: Case
    turn: SlaTurn
    current: bool  # the case's current turn and the case is open


# --- loading turns -------------------------------------------------------------------------------


def open_turns_query() -> Select:
    """Open cases awaiting a reply, with their unit code and platform.

    The literal `status = 'open'` (not a bound parameter) lets SQLite and PostgreSQL use the
    partial index `ix_cases_open_awaiting`, so the sweep costs the same however long the
    history grows.
    """
    return (
        select(Case, Unit.code, Channel.platform)
        .join(Unit, Unit.id == Case.unit_id)
        .join(Channel, Channel.id == Case.channel_id)
        .where(sql("cases.status = 'open'"), Case.awaiting_since.is_not(None))
        .order_by(Case.awaiting_since, Case.id)
    )


def review_candidates(case: Case) -> tuple[str, ...]:
    """The categories whose SLA a case waiting for a human's triage ("cần người xem") must keep.

    The triage's own candidates are not stored with the case, so such a case may be any
    category: it takes the strictest target of all, never a looser one than its candidates'.
    """
    return CATEGORIES if case.needs_human_triage else ()


def load_open_turns(session: Session) -> list[TurnRow]:
    """The current turn of every open case awaiting a reply."""
    rows = session.execute(open_turns_query()).all()
    result = []
    for case, unit_code, platform in rows:
        started = case.awaiting_since
        last = case.last_citizen_at or started
        turn = SlaTurn(
            case_id=case.id,
            turn_no=case.turn_no,
            category=case.category,
            unit_code=unit_code,
            platform=platform,
            started_at=started,
            last_citizen_at=max(last, started),
            responded_at=None,
            candidates=review_candidates(case),
            urgent=bool(case.urgent),
        )
        result.append(TurnRow(case, turn, current=True))
    return result


def load_turns_started_between(session: Session, start: datetime, end: datetime) -> list[TurnRow]:
    """Every turn that started in [start, end), with its last citizen message before the reply."""
    last_in = (
        select(func.max(Message.created_at))
        .where(
            Message.case_id == CaseTurn.case_id,
            Message.direction == "in",
            Message.created_at >= CaseTurn.started_at,
            or_(CaseTurn.responded_at.is_(None), Message.created_at < CaseTurn.responded_at),
        )
        .correlate(CaseTurn)
        .scalar_subquery()
    )
    rows = session.execute(
        select(CaseTurn, Case, Unit.code, Channel.platform, last_in.label("last_in"))
        .join(Case, Case.id == CaseTurn.case_id)
        .join(Unit, Unit.id == Case.unit_id)
        .join(Channel, Channel.id == Case.channel_id)
        .where(CaseTurn.started_at >= start, CaseTurn.started_at < end)
        .order_by(CaseTurn.started_at, CaseTurn.case_id, CaseTurn.turn_no)
    ).all()
    result = []
    for turn_row, case, unit_code, platform, last_in_at in rows:
        started = turn_row.started_at
        last = utc(last_in_at) if last_in_at is not None else started
        turn = SlaTurn(
            case_id=case.id,
            turn_no=turn_row.turn_no,
            category=case.category,
            unit_code=unit_code,
            platform=platform,
            started_at=started,
            last_citizen_at=max(last, started),
            responded_at=turn_row.responded_at,
            candidates=review_candidates(case),
            urgent=bool(case.urgent),
        )
        current = case.status == "open" and case.turn_no == turn_row.turn_no
        result.append(TurnRow(case, turn, current=current and turn_row.responded_at is None))
    return result


# --- sweep and recompute -------------------------------------------------------------------------


def sweep(
    session: Session,
    registry: Registry,
    *,
    now: datetime,
    run_id: str | None = None,
    notify: bool = True,
    digest_at: time = DIGEST_AT,
) -> SweepReport:
    """Evaluate open cases at `now`; record and announce new outcomes (the caller commits)."""
    now = utc(now)
    report = SweepReport("sweep", policy_version(registry), now.isoformat())
    late = _evaluate(session, registry, load_open_turns(session), now, run_id, notify, report)
    if notify and now.astimezone(_tz(registry)).time() >= digest_at:
        report.digests = send_digests(session, registry, late, now, run_id)
        report.notifications += report.digests
    weeks = first_responses.keep_recent(session, _tz(registry), now)
    report.first_response_weeks = [w.date().isoformat() for w in weeks]
    log.info("SLA sweep at %s: %s", now.isoformat(), report.as_dict())
    return report


def recompute(
    session: Session,
    registry: Registry,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    run_id: str | None = None,
    notify: bool = False,
) -> SweepReport:
    """Re-evaluate turns that started in [start, end) under the current calendar and policy.

    Outcomes are recorded under the current policy version; alerts are not sent unless `notify`.
    """
    now, start, end = utc(now), utc(start), utc(end)
    if end <= start:
        raise ValueError("recompute period is empty: end must be after start")
    report = SweepReport("recompute", policy_version(registry), now.isoformat())
    rows = load_turns_started_between(session, start, min(end, now))
    _evaluate(session, registry, rows, now, run_id, notify, report)
    weeks = first_responses.keep_period(session, _tz(registry), start, end, now)
    report.first_response_weeks = [w.date().isoformat() for w in weeks]
    log.info("SLA recompute %s..%s: %s", start.isoformat(), end.isoformat(), report.as_dict())
    return report


def _evaluate(
    session: Session,
    registry: Registry,
    rows: Sequence[TurnRow],
    now: datetime,
    run_id: str | None,
    notify: bool,
    report: SweepReport,
) -> list[tuple[TurnRow, SlaVerdict]]:
    states: Counter[str] = Counter()
    late: list[tuple[TurnRow, SlaVerdict]] = []
    units = unit_infos(session)
    recorded_before = _recorded_events(
        session, [row.turn.case_id for row in rows], report.policy_version
    )
    outcomes: list[tuple[TurnRow, SlaVerdict, str]] = []
    refreshed: list[dict[str, Any]] = []
    for row in rows:
        verdict = evaluate_turn(row.turn, registry.sla, registry.calendar, now)
        states[verdict.state] += 1
        if row.current:
            if (changed := _refresh_case(row.case, verdict, now)) is not None:
                refreshed.append(changed)
            if verdict.state in ("warning", "breached"):
                late.append((row, verdict))
        kind = EVENT_KIND.get(verdict.state)
        if kind is None or verdict.due_at is None:
            continue
        if (row.turn.case_id, row.turn.turn_no, kind) in recorded_before:
            continue  # the common case on an hourly sweep: read once per chunk, not one INSERT each
        outcomes.append((row, verdict, kind))
    update_by_id(session, Case, refreshed, REFRESHED)
    recorded = _record_events(session, outcomes, now, report.policy_version, run_id)
    fresh: list[tuple[TurnRow, SlaVerdict]] = []
    stale: list[tuple[TurnRow, SlaVerdict]] = []
    for row, verdict, kind in outcomes:
        if (row.turn.case_id, row.turn.turn_no, kind) not in recorded:
            continue  # recorded meanwhile by an overlapping run, which announces it
        if kind == "warning":
            report.warnings_recorded += 1
        else:
            report.breaches_recorded += 1
        if notify and verdict.state in ("warning", "breached"):
            happened = event_time(verdict) or now
            if is_fresh(happened, now, registry.notifications):
                fresh.append((row, verdict))
            else:
                stale.append((row, verdict))
    if fresh:
        report.notifications += announce(session, registry, units, fresh, now, run_id)
    if stale:
        report.caught_up = len(stale)
        report.summaries = send_catch_up(session, registry, units, stale, now, run_id)
        report.notifications += report.summaries
    report.evaluated = len(rows)
    report.states = dict(sorted(states.items()))
    return late


def _record_events(
    session: Session,
    outcomes: Sequence[tuple[TurnRow, SlaVerdict, str]],
    now: datetime,
    policy_version: str,
    run_id: str | None,
) -> set[tuple[int, int, str]]:
    """Insert these outcomes' `sla_events` (insert-if-absent, a few multi-row statements);
    returns the (case, turn, kind) this call recorded."""
    rows = [
        {
            "case_id": row.turn.case_id,
            "turn_no": row.turn.turn_no,
            "kind": kind,
            "due_at": verdict.due_at,
            "evaluated_at": now,
            "policy_version": policy_version,
            "run_id": run_id,
        }
        for row, verdict, kind in outcomes
    ]
    unique = ["case_id", "turn_no", "kind", "policy_version"]
    returned = insert_many_if_absent(
        session, SlaEvent, rows, unique, ["case_id", "turn_no", "kind"]
    )
    return {(case_id, turn_no, kind) for case_id, turn_no, kind in returned}


def _recorded_events(
    session: Session, case_ids: Sequence[int], policy_version: str
) -> set[tuple[int, int, str]]:
    """(case, turn, kind) already recorded under `policy_version` for these cases."""
    found: set[tuple[int, int, str]] = set()
    for chunk in chunks(sorted(set(case_ids))):
        found.update(
            (case_id, turn_no, kind)
            for case_id, turn_no, kind in session.execute(
                select(SlaEvent.case_id, SlaEvent.turn_no, SlaEvent.kind).where(
                    SlaEvent.policy_version == policy_version, SlaEvent.case_id.in_(chunk)
                )
            )
        )
    return found


REFRESHED = ("sla_warn_at", "sla_due_at", "sla_breached", "updated_at")


def _refresh_case(case: Case, verdict: SlaVerdict, now: datetime) -> dict[str, Any] | None:
    """The case's new SLA columns for the current turn (None: unchanged), already set on the
    loaded object as committed values: the caller writes them set-based (`update_by_id`)."""
    values = {
        "sla_warn_at": verdict.warn_at,
        "sla_due_at": verdict.due_at,
        "sla_breached": verdict.state == "breached",
    }
    if all(getattr(case, name) == value for name, value in values.items()):
        return None
    values["updated_at"] = now
    for name, value in values.items():
        set_committed_value(case, name, value)
    return {"id": case.id, **values}


def policy_version(registry: Registry) -> str:
    """The SLA policy's version plus a fingerprint of the working calendar.

    A calendar change (a new day off or make-up day) changes due times as much as a policy
    change does, so outcomes recomputed after it are recorded under a new version too.
    """
    calendar = registry.calendar
    fingerprint = json.dumps(
        {
            "timezone": calendar.timezone,
            "weekly": {
                str(day): [[w.start.isoformat(), w.end.isoformat()] for w in windows]
                for day, windows in sorted(calendar.weekly.items())
            },
            "off": sorted(d.isoformat() for d in calendar.extra_days_off),
            "makeup": sorted(d.isoformat() for d in calendar.makeup_working_days),
        },
        sort_keys=True,
    )
    return f"{registry.sla.version}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:8]}"


def _tz(registry: Registry) -> ZoneInfo:
    return ZoneInfo(registry.timezone)


# --- entry points for the DAG and the CLI ---------------------------------------------------------


def local_period(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """[first 00:00, last + 1 day 00:00) local, as UTC instants."""
    if last < first:
        raise ValueError(f"recompute_to {last} is before recompute_from {first}")
    tz = ZoneInfo(timezone)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def run_check(
    now: datetime,
    run_id: str,
    *,
    recompute_from: object = None,
    recompute_to: object = None,
    dry_run: bool = False,
    url: str | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """One SLA check (the DAG's evaluate task): a sweep, or a recompute when a period is given.

    `dry_run` evaluates and reports but rolls everything back (nothing recorded or enqueued).
    """
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.engine import get_engine
    from citizen_desk.pipeline.registry import run_registry

    registry = registry or run_registry(now, f"check_reply_sla/{run_id}", url).registry
    first, last = _date(recompute_from), _date(recompute_to)
    first, last = first or last, last or first  # one bound alone is a one-day period
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        if first is not None and last is not None:
            start, end = local_period(first, last, registry.timezone)
            report = recompute(session, registry, start=start, end=end, now=now, run_id=run_id)
        else:
            report = sweep(session, registry, now=now, run_id=run_id)
        report.dry_run = dry_run
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return report.as_dict()
