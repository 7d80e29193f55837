"""The case view and the protected identity view with its audit log.

Everything here is redacted except `case_identity` (and `case_view(redacted=False)`), which
only the identity view calls, after `log_identity_view`. Opening the identity takes a POSTed form
with a reason (`check_reason`), which `log_identity_view` redacts and records in the audit row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import AuditLog, Case, Channel, Citizen, Message, Tip, Unit
from citizen_desk.domain.labels import SLA_STATE_LABELS, category_label
from citizen_desk.errors import NotFoundError
from citizen_desk.web.common import (
    conversation_url,
    names_by_case,
    redact_text,
    shown_cues,
    sla_state,
)

IDENTITY_VIEWED = "identity_viewed"
REASON_FIELD = "reason"
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class MessageView:
    at: datetime
    direction: str
    kind: str
    sender: int | None  # 1, 2...: the case's citizens in order of first message; None: the page
    text: str


@dataclass(frozen=True)
class CaseView:
    case_id: int
    reference: str
    unit_code: str
    unit_name: str
    channel_key: str
    channel_name: str
    platform: str
    kind: str
    category: str
    topic: str | None
    urgent: bool
    urgency_cues: tuple[str, ...]  # why the triage called it urgent (redacted unless protected)
    needs_human_triage: bool  # the triage was unsure: "cần người xem"
    status: str
    opened_at: datetime
    waiting_since: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None
    state: str
    turn_no: int
    conversation_url: str | None
    tip_id: int | None
    messages: tuple[MessageView, ...]
    redacted: bool

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def state_label(self) -> str:
        return SLA_STATE_LABELS[self.state]


@dataclass(frozen=True)
class CitizenIdentity:
    sender: int
    display_name: str | None
    platform_user_id: str
    profile: tuple[tuple[str, str], ...]


def case_view(session: Session, case_id: int, *, now: datetime, redacted: bool = True) -> CaseView:
    """The case and its messages; texts redacted unless `redacted=False` (identity view only)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    unit = session.get(Unit, case.unit_id)
    channel = session.get(Channel, case.channel_id)
    if unit is None or channel is None:  # pragma: no cover - foreign keys forbid it
        raise NotFoundError(f"hồ sơ số {case_id} thiếu đơn vị hoặc kênh")
    messages = session.execute(
        select(
            Message.created_at, Message.direction, Message.kind, Message.citizen_id, Message.text
        )
        .where(Message.case_id == case.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    order = _sender_order(case.citizen_id, [m.citizen_id for m in messages])
    names = names_by_case(session, [case.id]).get(case.id, ()) if redacted else ()
    views = tuple(
        MessageView(
            at=m.created_at,
            direction=m.direction,
            kind=m.kind,
            sender=order.get(m.citizen_id) if m.direction == "in" else None,
            text=redact_text(m.text, names) if redacted else (m.text or ""),
        )
        for m in messages
    )
    tip_id = session.scalar(select(Tip.id).where(Tip.case_id == case.id))
    return CaseView(
        case_id=case.id,
        reference=case.reference,
        unit_code=unit.code,
        unit_name=unit.name,
        channel_key=channel.key,
        channel_name=channel.name,
        platform=channel.platform,
        kind=case.kind,
        category=case.category,
        topic=case.topic,
        urgent=case.urgent,
        urgency_cues=shown_cues(case.urgency_cues, names)
        if redacted
        else tuple(case.urgency_cues or ()),
        needs_human_triage=bool(case.needs_human_triage),
        status=case.status,
        opened_at=case.opened_at,
        waiting_since=case.awaiting_since,
        first_response_at=case.first_response_at,
        due_at=case.sla_due_at,
        state=sla_state(
            warn_at=case.sla_warn_at, due_at=case.sla_due_at, breached=case.sla_breached, now=now
        )
        if case.status == "open"
        else "none",
        turn_no=case.turn_no,
        conversation_url=conversation_url(channel.platform, channel.platform_id, case.permalink),
        tip_id=tip_id,
        messages=views,
        redacted=redacted,
    )


def _sender_order(owner: int | None, writers: Iterable[int | None]) -> dict[int, int]:
    order: dict[int, int] = {}
    for citizen_id in [owner, *writers]:
        if citizen_id is not None and citizen_id not in order:
            order[citizen_id] = len(order) + 1
    return order


def case_identity(session: Session, case_id: int) -> list[CitizenIdentity]:
    """PROTECTED: who wrote in the case. Only for the identity view, after `log_identity_view`."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    writers = session.scalars(
        select(Message.citizen_id)
        .where(Message.case_id == case.id, Message.citizen_id.is_not(None))
        .order_by(Message.created_at, Message.id)
    ).all()
    order = _sender_order(case.citizen_id, writers)
    if not order:
        return []
    citizens = {c.id: c for c in session.scalars(select(Citizen).where(Citizen.id.in_(order)))}
    return [
        CitizenIdentity(
            sender=number,
            display_name=citizens[citizen_id].protected_display_name,
            platform_user_id=citizens[citizen_id].platform_user_id,
            profile=_flatten(citizens[citizen_id].protected_profile),
        )
        for citizen_id, number in order.items()
        if citizen_id in citizens
    ]


def _flatten(value: object, prefix: str = "") -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        items: list[tuple[str, str]] = []
        for key, item in value.items():
            items.extend(_flatten(item, f"{prefix}{key}."))
        return tuple(items)
    if isinstance(value, list):
        return tuple(
            pair for i, item in enumerate(value) for pair in _flatten(item, f"{prefix}{i}.")
        )
    if value is None:
        return ()
    return ((prefix.rstrip("."), str(value)),)


def check_reason(raw: str) -> str | None:
    """Why the reason for an identity view is refused (Vietnamese), or None if it is accepted."""
    reason = raw.strip()
    if not reason:
        return "Hãy ghi lý do xem danh tính người gửi."
    if len(reason) > MAX_REASON_CHARS:
        return f"Lý do dài quá {MAX_REASON_CHARS} ký tự; hãy ghi ngắn gọn hơn."
    return None


def log_identity_view(
    session: Session, case_id: int, *, actor: str, now: datetime, reason: str
) -> None:
    """Append the `identity_viewed` audit row with the reason, redacted (the caller commits
    before showing anything). `reason` must have passed `check_reason`."""
    if check_reason(reason) is not None:
        raise ValueError("an identity view needs a reason of 1 to 500 characters")
    names = names_by_case(session, [case_id]).get(case_id, ())
    record_audit(
        session,
        entity_type="case",
        entity_id=case_id,
        action=IDENTITY_VIEWED,
        actor=actor,
        at=now,
        note=redact_text(reason.strip(), names),
    )
    session.flush()


def identity_view_log(
    session: Session, case_id: int, limit: int = 20
) -> list[tuple[datetime, str, str | None]]:
    """Who opened the identity of this case and why (redacted), newest first."""
    rows = session.execute(
        select(AuditLog.at, AuditLog.actor, AuditLog.note)
        .where(
            AuditLog.entity_type == "case",
            AuditLog.entity_id == str(case_id),
            AuditLog.action == IDENTITY_VIEWED,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [(at, actor, note) for at, actor, note in rows]
