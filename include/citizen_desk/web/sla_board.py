"""The SLA board: open cases, nearest reply deadline first, with their filters, a page at a time.

Pages are keyset pages: a link carries the order key of the row it continues from (`SlaCursor`),
not an offset, so a case answered while an officer reads page 3 does not shift page 4 by a row,
and a far page costs what the first one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, true
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, Channel, Message, Unit, case_reference
from citizen_desk.domain.labels import (
    CATEGORY_LABELS,
    PLATFORM_LABELS,
    SLA_STATE_LABELS,
    category_label,
)
from citizen_desk.domain.vocabulary import CATEGORIES, SlaState, values
from citizen_desk.errors import NotFoundError
from citizen_desk.sla.alerts import excerpts_of
from citizen_desk.web.common import (
    conversation_url,
    names_by_case,
    shown_cues,
    sla_state,
)
from citizen_desk.web.units import subtree_ids, unit_tree

SLA_STATES = values(SlaState)
SLA_PER_PAGE = 100
ZERO = timedelta(0)


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
    urgency_cues: tuple[str, ...]  # why urgent: the triage's cues, redacted like the excerpt
    needs_review: bool  # the triage was unsure: "cần người xem"
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

    @property
    def overdue(self) -> bool:
        """Past its reply deadline ("quá ..."): the time left is negative."""
        return self.time_left is not None and self.time_left < ZERO

    @property
    def cursor(self) -> SlaCursor:
        return SlaCursor(self.due_at, self.waiting_since, self.case_id)


@dataclass(frozen=True)
class SlaFilters:
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    state: str | None = None
    review: str | None = None  # "1": only cases the triage was unsure of ("cần người xem")

    def query(self, **changes: str | None) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class SlaCursor:
    """A row's place in the board's order: no deadline last, then deadline, waiting since, id."""

    due_at: datetime | None
    waiting_since: datetime
    case_id: int

    def encode(self) -> str:
        due = "-" if self.due_at is None else str(_micros(self.due_at))
        return f"{due}_{_micros(self.waiting_since)}_{self.case_id}"

    @classmethod
    def decode(cls, text: str | None) -> SlaCursor | None:
        """The cursor of a page link; None for a missing or mangled one (the first page)."""
        try:
            due, since, case_id = (text or "").split("_")
            return cls(
                None if due == "-" else _from_micros(int(due)),
                _from_micros(int(since)),
                int(case_id),
            )
        except (ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class SlaPage:
    """One page of the board: its rows, where it sits among `total`, the links around it."""

    rows: list[SlaRow]
    total: int
    start: int  # rows of the filtered board before this page's first
    per_page: int
    first_query: str | None
    previous_query: str | None
    next_query: str | None

    @property
    def stop(self) -> int:
        return self.start + len(self.rows)

    # Numbered by the links, not by `start // per_page`: once cases are answered between two
    # clicks a page can start mid-page (rows 2-3 of 4 by twos), and is then page 2 of 3.
    @property
    def page(self) -> int:
        """1 + how many "previous" clicks lead back to the first page."""
        return -(-self.start // self.per_page) + 1

    @property
    def pages(self) -> int:
        """This page + how many "next" clicks lead to the last one."""
        return self.page + -(-(self.total - self.stop) // self.per_page)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _from_micros(value: int) -> datetime:
    return EPOCH + value * MICROSECOND


WAITING_SINCE = func.coalesce(Case.awaiting_since, Case.opened_at)


def _after(cursor: SlaCursor) -> ColumnElement[bool]:
    """Rows after `cursor` in the board's order (a case without deadline comes after all)."""
    due, since = Case.sla_due_at, WAITING_SINCE
    later = or_(
        since > cursor.waiting_since, and_(since == cursor.waiting_since, Case.id > cursor.case_id)
    )
    if cursor.due_at is None:
        return and_(due.is_(None), later)
    return or_(due.is_(None), due > cursor.due_at, and_(due == cursor.due_at, later))


def _before(cursor: SlaCursor) -> ColumnElement[bool]:
    due, since = Case.sla_due_at, WAITING_SINCE
    earlier = or_(
        since < cursor.waiting_since, and_(since == cursor.waiting_since, Case.id < cursor.case_id)
    )
    if cursor.due_at is None:
        return or_(due.is_not(None), earlier)
    return and_(due.is_not(None), or_(due < cursor.due_at, and_(due == cursor.due_at, earlier)))


def sla_board(
    session: Session,
    *,
    now: datetime,
    filters: SlaFilters = SlaFilters(),
    after: str | None = None,
    before: str | None = None,
    per_page: int | None = None,
) -> SlaPage:
    """Open cases, the nearest (or longest past) reply deadline first: the page after the row
    `after` names, or the one before the row `before` names, else the first page."""
    per_page = per_page or SLA_PER_PAGE
    conditions = _conditions(session, filters, now)
    after_key, before_key = SlaCursor.decode(after), SlaCursor.decode(before)
    if before_key is not None:
        rows, total, matched = _page(
            session, conditions, _before(before_key), per_page, now, backwards=True
        )
        start = matched - len(rows)
        if len(rows) < per_page:  # cases before it were answered since: the first page is fuller
            rows, total, start = _first(session, conditions, per_page, now)
    elif after_key is not None:
        rows, total, matched = _page(session, conditions, _after(after_key), per_page, now)
        start = total - matched
        if not rows:  # the cases after it were all answered: back to the first page
            rows, total, start = _first(session, conditions, per_page, now)
    else:
        rows, total, start = _first(session, conditions, per_page, now)
    more_after = start + len(rows) < total
    return SlaPage(
        rows=rows,
        total=total,
        start=start,
        per_page=per_page,
        first_query=filters.query() if start > 0 else None,
        previous_query=_previous_query(filters, rows, start, per_page),
        next_query=filters.query(after=rows[-1].cursor.encode()) if more_after and rows else None,
    )


def _previous_query(
    filters: SlaFilters, rows: list[SlaRow], start: int, per_page: int
) -> str | None:
    if start == 0 or not rows:
        return None
    if start <= per_page:  # back to the first page, whole
        return filters.query()
    return filters.query(before=rows[0].cursor.encode())


def _first(
    session: Session, conditions: list[Any], per_page: int, now: datetime
) -> tuple[list[SlaRow], int, int]:
    rows, total, _ = _page(session, conditions, true(), per_page, now)
    return rows, total, 0


def _conditions(session: Session, filters: SlaFilters, now: datetime) -> list[Any]:
    conditions: list[Any] = [Case.status == "open"]
    if filters.unit:
        conditions.append(Case.unit_id.in_(subtree_ids(unit_tree(session), filters.unit)))
    if filters.category:
        if filters.category not in CATEGORIES:
            raise NotFoundError(f"không có loại {filters.category!r}")
        conditions.append(Case.category == filters.category)
    if filters.channel:
        channel_id = select(Channel.id).where(Channel.key == filters.channel).scalar_subquery()
        conditions.append(Case.channel_id == channel_id)
    if filters.state:
        if filters.state not in SLA_STATES:
            raise NotFoundError(f"không có trạng thái {filters.state!r}")
        conditions.append(state_condition(filters.state, now))
    if filters.review:
        conditions.append(Case.needs_human_triage.is_(True))
    return conditions


def _page(
    session: Session,
    conditions: list[Any],
    in_range: ColumnElement[bool],
    per_page: int,
    now: datetime,
    *,
    backwards: bool = False,
) -> tuple[list[SlaRow], int, int]:
    """The page's rows, how many cases the filters match, how many of them are in range.

    One pass over the filtered open cases, narrow (their order key): the counts are window sums
    over it; only the page's rows are then read whole and joined to their unit and channel.
    Nothing in range reads as no case at all (0, 0): `sla_board` then shows the first page.
    """
    flag = case((in_range, 1), else_=0)
    matching = (
        select(
            Case.id,
            Case.sla_due_at,
            WAITING_SINCE.label("waiting_since"),
            flag.label("in_range"),
            func.count().over().label("total"),
            func.sum(flag).over().label("matched"),
        )
        .where(*conditions)
        .subquery()
    )
    c = matching.c
    order = [c.sla_due_at.is_(None), c.sla_due_at, c.waiting_since, c.id]
    page = (
        select(matching)
        .where(c.in_range == 1)
        .order_by(*(column.desc() for column in order) if backwards else order)
        .limit(per_page)
        .subquery()
    )
    query = (
        select(
            page.c.waiting_since,
            page.c.total,
            page.c.matched,
            Case.id,
            Case.category,
            Case.topic,
            Case.urgent,
            Case.urgency_cues,
            Case.needs_human_triage,
            Case.sla_warn_at,
            Case.sla_due_at,
            Case.sla_breached,
            Case.permalink,
            Unit.code.label("unit_code"),
            Unit.name.label("unit_name"),
            Channel.key.label("channel_key"),
            Channel.name.label("channel_name"),
            Channel.platform,
            Channel.platform_id,
            _latest_inbound_text().label("latest_text"),
        )
        .join(Case, Case.id == page.c.id)
        .join(Unit, Unit.id == Case.unit_id)
        .join(Channel, Channel.id == Case.channel_id)
        .order_by(page.c.sla_due_at.is_(None), page.c.sla_due_at, page.c.waiting_since, page.c.id)
    )
    found = session.execute(query).all()
    if not found:
        return [], 0, 0
    return _rows(session, found, now), int(found[0].total), int(found[0].matched)


def _rows(session: Session, found: Sequence[Any], now: datetime) -> list[SlaRow]:
    case_ids = [row.id for row in found]
    latest = {row.id: row.latest_text or "" for row in found if row.latest_text is not None}
    names = names_by_case(session, case_ids)
    shown = excerpts_of(session, latest, names)  # the alerts' excerpt, kept by the collection
    result = []
    for row in found:
        waiting_since = row.waiting_since
        result.append(
            SlaRow(
                case_id=row.id,
                reference=case_reference(row.id),
                unit_code=row.unit_code,
                unit_name=row.unit_name,
                channel_key=row.channel_key,
                channel_name=row.channel_name,
                platform=row.platform,
                category=row.category,
                topic=row.topic,
                urgent=row.urgent,
                urgency_cues=shown_cues(row.urgency_cues, names.get(row.id, ())),
                needs_review=bool(row.needs_human_triage),
                state=sla_state(
                    warn_at=row.sla_warn_at,
                    due_at=row.sla_due_at,
                    breached=row.sla_breached,
                    now=now,
                ),
                waiting_since=waiting_since,
                age=now - waiting_since,
                due_at=row.sla_due_at,
                time_left=None if row.sla_due_at is None else row.sla_due_at - now,
                excerpt=shown.get(row.id, ""),
                conversation_url=conversation_url(row.platform, row.platform_id, row.permalink),
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


def _latest_inbound_text() -> Any:
    """The case's last citizen message, read with the page's rows (the alerts' excerpt of it)."""
    return (
        select(Message.text)
        .where(Message.case_id == Case.id, Message.direction == "in")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


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
