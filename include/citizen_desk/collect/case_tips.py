"""The tip of a `tip` case, as the case derivation (`collect.cases`) writes it: created once
(status new, audited), its urgency and arrival only ever moved forward / back by later messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from citizen_desk.collect.records import StoredMessage
from citizen_desk.db.audit import audit_row, record_audits
from citizen_desk.db.bulk import insert_rows
from citizen_desk.db.models import Tip
from citizen_desk.db.models.cases import case_reference

TIP_COLUMNS = (
    "case_id",
    "unit_id",
    "status",
    "urgent",
    "received_at",
    "urgent_since",
    "escalation_level",
    "extension_seconds",
    "updated_at",
)


@dataclass(frozen=True)
class NewTip:
    """A `tip` case without a tip yet."""

    case_id: int
    unit_id: int
    urgent: bool
    received: datetime
    messages: Sequence[StoredMessage]


def tip_received(opened_at: datetime, messages: Sequence[StoredMessage]) -> datetime:
    """When the tip came in: its first citizen message triaged as a tip, else the case's start."""
    return next(
        (m.created_at for m in messages if m.direction == "in" and m.category == "tip"),
        opened_at,
    )


def insert_tips(session: Session, new_tips: Sequence[NewTip], *, now: datetime, actor: str) -> int:
    """Create the tips (status new) and their audit rows, a statement each; returns how many this
    call created (a concurrent run may have created some first)."""
    if not new_tips:
        return 0
    rows = [
        (
            tip.case_id,
            tip.unit_id,
            "new",
            tip.urgent,
            tip.received,
            urgent_since(tip.messages, tip.received) if tip.urgent else None,
            -1,
            0,
            now,
        )
        for tip in new_tips
    ]
    returned = insert_rows(
        session, Tip, TIP_COLUMNS, rows, unique=("case_id",), returning=("id", "case_id")
    )
    created: dict[int, int] = dict(returned)
    urgent = {tip.case_id: tip.urgent for tip in new_tips}
    record_audits(
        session,
        [
            audit_row(
                "tip",
                tip_id,
                "tip_received",
                actor,
                now,
                after={"status": "new", "urgent": urgent[case_id], "case": case_reference(case_id)},
            )
            for tip_id, case_id in sorted(created.items())
        ],
    )
    return len(created)


def urgent_since(messages: Sequence[StoredMessage], received: datetime) -> datetime:
    """When a tip became urgent: its first citizen message triaged urgent, else (the thread read
    as a whole is urgent) its latest citizen message; never before the tip came in."""
    citizen = [m for m in messages if m.direction == "in"]
    first_urgent = next((m.created_at for m in citizen if m.urgent), None)
    since = first_urgent or max((m.created_at for m in citizen), default=received)
    return max(since, received)


def update_tip(
    tip: Tip, urgent: bool, received: datetime, messages: Sequence[StoredMessage], now: datetime
) -> None:
    """Never downgrades: urgency only ever goes up automatically (and records since when); an
    earlier tip message that arrived late moves `received_at` back."""
    changed = False
    if urgent and not tip.urgent:
        tip.urgent = True
        tip.urgent_since = urgent_since(messages, received)
        changed = True
    if received < tip.received_at:
        tip.received_at = received
        changed = True
    if changed:
        tip.updated_at = now
