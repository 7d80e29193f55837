"""The database reads behind the weekly figures: plain rows, ids and codes, no citizen identity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from citizen_desk.db.models import Case, CaseTurn, Channel, CollectionRun, Message, Tip, Unit
from citizen_desk.publication.figures import LostFoundRow, MessageRow, TipRow, TurnRow, WeekRows
from citizen_desk.publication.period import WeekPeriod


def load_week_rows(session: Session, period: WeekPeriod, *, weeks: int = 2) -> WeekRows:
    """Rows needed for `period` and the `weeks - 1` weeks before it (identity columns excluded)."""
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


def load_outcomes(session: Session, tip_ids: Iterable[int]) -> dict[int, str]:
    """Officer-approved public outcome sentences, by tip id (only tips that have one)."""
    ids = sorted(set(tip_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Tip.id, Tip.public_outcome).where(
            Tip.id.in_(ids), Tip.public_outcome.is_not(None), Tip.public_outcome_by.is_not(None)
        )
    ).all()
    return {tip_id: text for tip_id, text in rows if text is not None}


def channels_not_collected_since(session: Session, since: datetime) -> list[str]:
    """Active channels with no collection attempt that finished at or after `since`.

    The week's figures wait for these: a channel whose latest attempt failed counts as attempted
    (its admins were alerted), so one broken page cannot hold every post back.
    """
    latest = (
        select(CollectionRun.channel_id, func.max(CollectionRun.finished_at).label("finished"))
        .group_by(CollectionRun.channel_id)
        .subquery()
    )
    rows = session.execute(
        select(Channel.key, latest.c.finished)
        .outerjoin(latest, latest.c.channel_id == Channel.id)
        .where(Channel.active.is_(True))
        .order_by(Channel.key)
    )
    return [key for key, finished in rows if finished is None or finished < since]
