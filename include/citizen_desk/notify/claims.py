"""Claiming outbox rows for delivery: a lease per row, taken by compare-and-set.

Rows are claimed one at a time, most urgent lane first (`notifications.priority`: admin alerts,
urgent tips, tip escalations, SLA breaches, warnings, digests), each claim its own committed
transaction made before the HTTP call: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so
concurrent deliverers take different rows, and a compare-and-set UPDATE (status, attempts) on
every backend, so a row is taken once even on SQLite. The claim re-reads the subject first
(tip still open, level not passed or acknowledged, case still unanswered;
`citizen_desk.notify.subjects`): a row that no longer holds becomes `superseded` with the
reason in `last_error`, and a tip alert's status line is rewritten to the tip's status at send
time. A row found in `sending` after its lease is handed back under a new lease, to be reconciled
before anything is resent (`citizen_desk.notify.delivery`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.db.models import Notification

if TYPE_CHECKING:
    from citizen_desk.notify.delivery import DeliveryReport

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Claim:
    """A row this deliverer holds until `now + CLAIM_LEASE`."""

    id: int
    key: str
    recipient: str
    status: str  # `pending` (send it) or `sending` (its lease ran out: reconcile first)
    attempts: int
    payload: dict[str, Any]
    channel: str | None


def _due(now: datetime) -> Any:
    ready = or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)
    return or_(
        and_(Notification.status == "pending", ready),
        and_(Notification.status == "sending", Notification.next_attempt_at <= now),
    )


def claim_next(
    factory: sessionmaker, now: datetime, seen: set[int], report: DeliveryReport
) -> Claim | None:
    """Take the most urgent due row, in one transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL
    (concurrent deliverers take different rows), a compare-and-set UPDATE everywhere (SQLite has
    one writer at a time; a row taken meanwhile is passed over). Superseded rows are marked here
    and skipped. None: nothing left that this run has not seen."""
    while True:
        with factory() as session, session.begin():
            query = (
                select(Notification)
                .where(_due(now))
                # Lanes: admin alerts, urgent tips, tip escalations, SLA breaches, warnings,
                # digests; a backlog of a lower lane never delays a higher one.
                .order_by(Notification.priority, Notification.created_at, Notification.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if seen:
                query = query.where(Notification.id.not_in(seen))
            row = session.scalars(query).first()
            if row is None:
                return None
            seen.add(row.id)
            guard = (
                Notification.id == row.id,
                Notification.status == row.status,
                Notification.attempts == row.attempts,
                _due(now),
            )
            if row.status == "sending":  # a lease to reconcile under; attempts unchanged
                if _set(session, guard, next_attempt_at=now + CLAIM_LEASE):
                    return _claimed(row, "sending", row.attempts)
                continue
            claim = _take(session, row, guard, now, report)
            if claim is not None:
                return claim


def _take(
    session: Session, row: Notification, guard: tuple, now: datetime, report: DeliveryReport
) -> Claim | None:
    """Send-time truth, then the claim (status `sending`, attempts + 1), in the caller's
    transaction. None: superseded, or taken meanwhile."""
    from citizen_desk.notify.outbox import payload_hash
    from citizen_desk.notify.subjects import check

    verdict = check(session, row)
    if verdict.superseded:
        _supersede(session, guard, row, verdict.superseded, report)
        return None
    attempts = row.attempts + 1  # read before the UPDATE, which refreshes `row`
    values: dict[str, Any] = {
        "status": "sending",
        "attempts": attempts,
        "next_attempt_at": now + CLAIM_LEASE,
    }
    payload = row.payload
    if verdict.payload is not None:
        payload = verdict.payload
        values.update(payload=payload, payload_hash=payload_hash(payload))
    if not _set(session, guard, **values):
        return None
    return _claimed(row, "pending", attempts, payload)


def _claimed(
    row: Notification, status: str, attempts: int, payload: dict[str, Any] | None = None
) -> Claim:
    return Claim(
        row.id,
        row.idempotency_key,
        row.recipient,
        status,
        attempts,
        dict(row.payload if payload is None else payload),
        row.provider_channel,
    )


def retake(
    factory: sessionmaker, claim: Claim, now: datetime, report: DeliveryReport
) -> Claim | None:
    """After a reconcile proved the message absent: the same truth check, then a new attempt."""
    with factory() as session, session.begin():
        row = session.scalars(
            select(Notification)
            .where(Notification.id == claim.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if row is None or (row.status, row.attempts) != ("sending", claim.attempts):
            report.skipped += 1
            return None
        guard = (
            Notification.id == row.id,
            Notification.status == "sending",
            Notification.attempts == claim.attempts,
        )
        return _take(session, row, guard, now, report)


def still_holds(factory: sessionmaker, claim: Claim, report: DeliveryReport) -> bool:
    """Between two tries of one send (Slack said 429): is the subject still true? If not, the
    held row becomes `superseded` now instead of going out after its tip was closed."""
    from citizen_desk.notify.subjects import check

    with factory() as session, session.begin():
        row = session.scalars(
            select(Notification)
            .where(Notification.id == claim.id)
            .execution_options(populate_existing=True)
        ).first()
        if row is None or (row.status, row.attempts) != ("sending", claim.attempts):
            return False
        verdict = check(session, row)
        if not verdict.superseded:
            return True
        guard = (
            Notification.id == row.id,
            Notification.status == "sending",
            Notification.attempts == claim.attempts,
        )
        _supersede(session, guard, row, verdict.superseded, report)
        return False


def _supersede(
    session: Session, guard: tuple, row: Notification, reason: str, report: DeliveryReport
) -> None:
    """The row's subject no longer holds: `superseded`, with why, never sent."""
    reason_text = f"superseded: {reason}"
    if _set(session, guard, status="superseded", last_error=reason_text, next_attempt_at=None):
        report.superseded += 1
        log.info("notification %s superseded: %s", row.idempotency_key, reason)


def _set(session: Session, guard: tuple, **values: Any) -> bool:
    statement = update(Notification).where(*guard).values(**values)
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast("CursorResult[Any]", result).rowcount == 1


def compare_and_set(
    factory: sessionmaker,
    row_id: int,
    expect_status: str,
    expect_attempts: int | None = None,
    **values: Any,
) -> bool:
    """Compare-and-set in its own committed transaction."""
    where = [Notification.id == row_id, Notification.status == expect_status]
    if expect_attempts is not None:
        where.append(Notification.attempts == expect_attempts)
    with factory() as session, session.begin():
        result = session.execute(update(Notification).where(*where).values(**values))
        return result.rowcount == 1
