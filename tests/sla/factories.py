"""Seed cases, turns, messages and citizens straight into the domain DB (no collection DAG)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, CaseTurn
from tests import factories

ICT = ZoneInfo("Asia/Ho_Chi_Minh")
CANARY_NAME = "Trịnh Thị Canary"
CANARY_PHONE = "0912 345 678"
CANARY_PSID = "100099990000777"
_seq = itertools.count(1)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local (Asia/Ho_Chi_Minh) wall time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ICT)


def make_case(
    session: Session,
    *,
    channel_key: str,
    category: str,
    turns: Sequence[tuple[datetime, datetime | None]],
    text: str = "Cho tôi hỏi thủ tục đăng ký tạm trú cần giấy tờ gì ạ?",
    citizen_name: str | None = CANARY_NAME,
    extra_citizen_messages: Sequence[datetime] = (),
) -> Case:
    """A case with one citizen message per turn start (+ extras) and a page reply per answer."""
    n = next(_seq)
    channel = factories.channel(session, channel_key)
    first = turns[0][0]
    citizen = factories.add_citizen(
        session,
        channel,
        platform_user_id=f"{CANARY_PSID}{n}",
        name=citizen_name,
        profile={"phone": CANARY_PHONE, "name": citizen_name},
        first_seen_at=first,
    )
    last_started, last_responded = turns[-1]
    citizen_times = sorted([t for t, _ in turns] + list(extra_citizen_messages))
    responses = [r for _, r in turns if r is not None]
    case = factories.add_case(
        session,
        channel,
        citizen,
        thread_key=f"t_sla_{n}",  # apart from tests/tips/seed.py threads (same tests)
        kind=factories.message_kind(channel),
        category=category,
        status="answered" if last_responded is not None else "open",
        opened_at=first,
        turn_no=len(turns),
        awaiting_since=None if last_responded is not None else last_started,
        last_citizen_at=citizen_times[-1],
        first_response_at=responses[0] if responses else None,
        last_response_at=responses[-1] if responses else None,
        updated_at=first,
    )
    for number, (started, responded) in enumerate(turns, start=1):
        session.add(
            CaseTurn(case_id=case.id, turn_no=number, started_at=started, responded_at=responded)
        )
    for index, at in enumerate(citizen_times):
        _message(session, case, citizen.id, "in", at, f"{text} ({index + 1})", f"in{index}")
    for index, at in enumerate(responses):
        _message(session, case, None, "out", at, "Công an xã đã tiếp nhận.", f"out{index}")
    session.flush()
    return case


def answer(session: Session, case: Case, at: datetime) -> None:
    """The page replied at `at`: the current turn closes and the case is answered."""
    turn = session.scalars(
        select(CaseTurn).where(CaseTurn.case_id == case.id, CaseTurn.turn_no == case.turn_no)
    ).one()
    turn.responded_at = at
    case.status, case.awaiting_since, case.last_response_at = "answered", None, at
    _message(session, case, None, "out", at, "Đã trả lời.", f"reply{case.turn_no}")
    session.flush()


def _message(
    session: Session,
    case: Case,
    citizen_id: int | None,
    direction: str,
    at: datetime,
    text: str,
    suffix: str,
) -> None:
    factories.add_message(
        session,
        case,
        platform_message_id=f"m_{case.thread_key}_{suffix}",
        direction=direction,
        text=text,
        created_at=at,
        citizen_id=citizen_id,
    )
