"""The SLA board: open cases, nearest reply deadline first, with their filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, Channel, Message, Unit
from citizen_desk.domain.labels import (
    CATEGORY_LABELS,
    PLATFORM_LABELS,
    SLA_STATE_LABELS,
    category_label,
)
from citizen_desk.domain.vocabulary import CATEGORIES, SlaState, values
from citizen_desk.errors import NotFoundError
from citizen_desk.web.common import conversation_url, excerpt, names_by_case, sla_state
from citizen_desk.web.units import subtree_ids, unit_tree

SLA_STATES = values(SlaState)
SLA_BOARD_ROWS = 500  # the nearest deadlines; filters narrow the rest down


@dataclass(frozen=True)
class SlaRow:
    case_id: int
    reference: str
    unit_code: str
    unit_name: str
    channel_key: str
    channel_name: str
    platform: str
    category: str
    topic: str | None
    urgent: bool
    state: str
    waiting_since: datetime
    age: timedelta
    due_at: datetime | None
    time_left: timedelta | None
    excerpt: str
    conversation_url: str | None

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def state_label(self) -> str:
        return SLA_STATE_LABELS[self.state]


@dataclass(frozen=True)
class SlaFilters:
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    state: str | None = None

    def query(self, **changes: str | None) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v})


def sla_board(
    session: Session, *, now: datetime, filters: SlaFilters = SlaFilters(), limit: int = 500
) -> list[SlaRow]:
    """Open cases, the nearest (or longest past) reply deadline first."""
    query = (
        select(Case, Unit.code, Unit.name, Channel.key, Channel.name, Channel.platform)
        .join(Unit, Case.unit_id == Unit.id)
        .join(Channel, Case.channel_id == Channel.id)
        .where(Case.status == "open")
    )
    if filters.unit:
        query = query.where(Case.unit_id.in_(subtree_ids(unit_tree(session), filters.unit)))
    if filters.category:
        if filters.category not in CATEGORIES:
            raise NotFoundError(f"không có loại {filters.category!r}")
        query = query.where(Case.category == filters.category)
    if filters.channel:
        query = query.where(Channel.key == filters.channel)
    if filters.state:
        if filters.state not in SLA_STATES:
            raise NotFoundError(f"không có trạng thái {filters.state!r}")
        query = query.where(state_condition(filters.state, now))
    query = query.order_by(Case.sla_due_at.is_(None), Case.sla_due_at, Case.awaiting_since, Case.id)
    rows = []
    for case, unit_code, unit_name, channel_key, channel_name, platform in session.execute(
        query.limit(limit)
    ):
        state = sla_state(
            warn_at=case.sla_warn_at, due_at=case.sla_due_at, breached=case.sla_breached, now=now
        )
        rows.append((case, unit_code, unit_name, channel_key, channel_name, platform, state))
    case_ids = [row[0].id for row in rows]
    latest = _latest_inbound(session, case_ids)
    names = names_by_case(session, case_ids)
    page_ids = dict(session.execute(select(Channel.key, Channel.platform_id)).all())
    result = []
    for case, unit_code, unit_name, channel_key, channel_name, platform, state in rows:
        waiting_since = case.awaiting_since or case.opened_at
        result.append(
            SlaRow(
                case_id=case.id,
                reference=case.reference,
                unit_code=unit_code,
                unit_name=unit_name,
                channel_key=channel_key,
                channel_name=channel_name,
                platform=platform,
                category=case.category,
                topic=case.topic,
                urgent=case.urgent,
                state=state,
                waiting_since=waiting_since,
                age=now - waiting_since,
                due_at=case.sla_due_at,
                time_left=None if case.sla_due_at is None else case.sla_due_at - now,
                excerpt=excerpt(latest.get(case.id, ""), names.get(case.id, ())),
                conversation_url=conversation_url(
                    platform, page_ids.get(channel_key, ""), case.permalink
                ),
            )
        )
    return result


def state_condition(state: str, now: datetime) -> ColumnElement[bool]:
    """`web.common.sla_state(...) == state` as SQL, so the filter and the limit run in the DB."""
    due, warn = Case.sla_due_at, Case.sla_warn_at
    breach = or_(Case.sla_breached.is_(True), and_(due.is_not(None), due <= now))
    if state == SlaState.BREACH:
        return breach
    if state == SlaState.NONE:
        return and_(not_(breach), due.is_(None))
    warning = and_(warn.is_not(None), warn <= now)
    if state == SlaState.WARNING:
        return and_(not_(breach), due.is_not(None), warning)
    return and_(not_(breach), due.is_not(None), not_(warning))


def _latest_inbound(session: Session, case_ids: Sequence[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    latest: dict[int, str] = {}
    rows = session.execute(
        select(Message.case_id, Message.text)
        .where(Message.case_id.in_(case_ids), Message.direction == "in")
        .order_by(Message.case_id, Message.created_at.desc(), Message.id.desc())
    )
    for case_id, text in rows:
        if case_id is not None:
            latest.setdefault(case_id, text or "")
    return latest


def filter_options(session: Session) -> dict[str, Any]:
    channels = session.execute(
        select(Channel.key, Channel.name, Channel.platform)
        .where(Channel.active.is_(True))
        .order_by(Channel.key)
    ).all()
    return {
        "units": unit_tree(session),
        "categories": [(c, CATEGORY_LABELS.get(c, c)) for c in CATEGORIES],
        "channels": [(key, f"{name} ({PLATFORM_LABELS.get(p, p)})") for key, name, p in channels],
        "states": list(SLA_STATE_LABELS.items()),
    }
