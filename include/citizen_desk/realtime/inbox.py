"""The durable inbox: webhook events stored exactly once, before the receiver answers.

`accept` is all a receiver does with a verified body: INSERT … ON CONFLICT DO NOTHING on
(platform, event_key) for its events, one commit. A platform's retry or a duplicate delivery is
counted as a duplicate and changes nothing; a quarantined body is kept with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import InboxEvent as InboxRow
from citizen_desk.db.upsert import dialect_insert
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
    """Store the events not seen before (idempotent); the caller answers 200 after this returns.

    One INSERT … ON CONFLICT DO NOTHING RETURNING for all the events (the driver sends the rows
    in batches, one round trip each; the statement is compiled once per process): what comes
    back is what was stored.
    """
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for event in events:  # the same id twice in one body is a duplicate too
        rows.setdefault((event.platform, event.event_key), row(event, received_at))
    stored: set[tuple[str, str]] = set()
    if rows:
        table = InboxRow.__table__
        stmt = dialect_insert(session, table).on_conflict_do_nothing(
            index_elements=["platform", "event_key"]
        )
        returning = stmt.returning(table.c.platform, table.c.event_key)
        result = session.execute(returning, list(rows.values()))
        stored.update((platform, key) for platform, key in result)
    session.commit()
    quarantined = sum(rows[key]["status"] == InboxStatus.QUARANTINED for key in stored)
    return Accepted(len(stored), len(events) - len(stored), quarantined, ignored)


def row(event: InboxEvent, received_at: datetime) -> dict[str, object]:
    """The `inbox_events` row of an event (column: value)."""
    return {
        "platform": event.platform,
        "event_key": event.event_key,
        "account_id": event.account_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "payload": event.payload,
        "status": InboxStatus.QUARANTINED if event.reason else InboxStatus.PENDING,
        "reason": event.reason,
    }


def pending_count(session: Session) -> int:
    """Events waiting for processing."""
    query = select(func.count()).select_from(InboxRow).where(InboxRow.status == InboxStatus.PENDING)
    return session.scalar(query) or 0
