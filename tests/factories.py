"""Row builders shared by the test seeds: look up registry rows, add citizens, cases, messages.

Scenario seeds stay with their tests: tests/sla/factories.py, tests/tips/seed.py and
tests/web/seed.py build their rows through these helpers; tests/publication/seed.py inserts its
crafted week in bulk with explicit ids and keeps its own builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, Channel, Citizen, Message, Unit


def channel(session: Session, key: str) -> Channel:
    return session.scalars(select(Channel).where(Channel.key == key)).one()


def unit(session: Session, code: str) -> Unit:
    return session.scalars(select(Unit).where(Unit.code == code)).one()


def message_kind(ch: Channel) -> str:
    return "zalo" if ch.platform == "zalo" else "messenger"


def add_citizen(
    session: Session,
    ch: Channel,
    *,
    platform_user_id: str,
    name: str | None,
    first_seen_at: datetime,
    profile: Mapping[str, Any] | None = None,
) -> Citizen:
    citizen = Citizen(
        channel_id=ch.id,
        platform_user_id=platform_user_id,
        protected_display_name=name,
        protected_profile=dict(profile) if profile is not None else None,
        first_seen_at=first_seen_at,
    )
    session.add(citizen)
    session.flush()
    return citizen


def add_case(session: Session, ch: Channel, citizen: Citizen, **fields: Any) -> Case:
    """A case of `citizen` on `ch` (channel and unit filled in); `fields` are the Case columns."""
    case = Case(channel_id=ch.id, unit_id=ch.unit_id, citizen_id=citizen.id, **fields)
    session.add(case)
    session.flush()
    return case


def add_message(
    session: Session,
    case: Case,
    *,
    platform_message_id: str,
    direction: str,
    text: str,
    created_at: datetime,
    citizen_id: int | None = None,
    collected_at: datetime | None = None,
    kind: str | None = None,
    **fields: Any,
) -> Message:
    """A message in `case`'s thread (not flushed); `fields` are further Message columns."""
    message = Message(
        channel_id=case.channel_id,
        platform_message_id=platform_message_id,
        direction=direction,
        kind=kind or case.kind,
        thread_key=case.thread_key,
        citizen_id=citizen_id,
        case_id=case.id,
        text=text,
        created_at=created_at,
        collected_at=collected_at or created_at,
        **fields,
    )
    session.add(message)
    return message
