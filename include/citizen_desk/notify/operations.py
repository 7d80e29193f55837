"""The outbox's operations behind `citizen-desk outbox` (`citizen_desk.notify.cli`): list the
notifications, put failed ones back to pending."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Notification
from citizen_desk.db.types import utc


def list_notifications(
    session: Session, *, statuses: Sequence[str] = (), limit: int = 50
) -> list[Notification]:
    """Newest first; never includes the payload in what callers should print."""
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if statuses:
        query = query.where(Notification.status.in_(statuses))
    return list(session.scalars(query.limit(limit)))


def retry(
    session: Session,
    *,
    keys: Sequence[str] = (),
    all_failed: bool = False,
    now: datetime,
    actor: str = "cli",
) -> int:
    """Put failed notifications back to pending with a fresh attempt budget (audited).

    Blocked ones are never retried: fix the content and enqueue under a new key.
    """
    now = utc(now)
    query = select(Notification).where(Notification.status == "failed")
    if keys:
        query = query.where(Notification.idempotency_key.in_(keys))
    elif not all_failed:
        return 0
    count = 0
    for row in session.scalars(query):
        before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        record_audit(
            session,
            entity_type="notification",
            entity_id=row.id,
            action="notification_retry",
            actor=actor,
            at=now,
            before=before,
            after={"status": "pending", "attempts": 0},
        )
        count += 1
    session.flush()
    return count
