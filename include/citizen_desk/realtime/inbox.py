"""The durable inbox: webhook events stored exactly once, before the receiver answers.

`accept` is all a receiver does with a verified body: one INSERT … ON CONFLICT DO NOTHING per
event on (platform, event_key), one commit. A platform's retry or a duplicate delivery is counted
as a duplicate and changes nothing; a quarantined body is kept with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import InboxEvent as InboxRow
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.domain.vocabulary import InboxStatus
from citizen_desk.realtime.events import InboxEvent


@dataclass(frozen=True)
class Accepted:
    stored: int
    duplicates: int
    quarantined: int
    ignored: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def accept(
    session: Session, events: Sequence[InboxEvent], *, received_at: datetime, ignored: int = 0
) -> Accepted:
    """Store the events not seen before (idempotent); the caller answers 200 after this returns."""
    stored = duplicates = quarantined = 0
    for event in events:
        status = InboxStatus.QUARANTINED if event.reason else InboxStatus.PENDING
        values = {
            "platform": event.platform,
            "event_key": event.event_key,
            "account_id": event.account_id,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "received_at": received_at,
            "payload": event.payload,
            "status": status,
            "reason": event.reason,
        }
        if insert_if_absent(session, InboxRow, values, ("platform", "event_key")):
            stored += 1
            quarantined += status == InboxStatus.QUARANTINED
        else:
            duplicates += 1
    session.commit()
    return Accepted(stored, duplicates, quarantined, ignored)


def pending_count(session: Session) -> int:
    """Events waiting for processing."""
    query = select(func.count()).select_from(InboxRow).where(InboxRow.status == InboxStatus.PENDING)
    return session.scalar(query) or 0
