"""The one way to append to `audit_log` (append-only; the database refuses UPDATE and DELETE)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from citizen_desk.db.bulk import insert_rows
from citizen_desk.db.models import AuditLog


def record_audit(
    session: Session,
    *,
    entity_type: str,
    entity_id: int | str,
    action: str,
    actor: str,
    at: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Add one audit row (the caller commits); dates in `before`/`after` are stored as ISO text."""
    session.add(
        AuditLog(**audit_row(entity_type, entity_id, action, actor, at, before, after, note))
    )


def audit_row(
    entity_type: str,
    entity_id: int | str,
    action: str,
    actor: str,
    at: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The columns of one audit row (`record_audits` writes many at once)."""
    return {
        "at": at,
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "note": note,
    }


def record_audits(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append many audit rows (`audit_row`) set-based (`db.bulk.insert_rows`; the caller
    commits)."""
    if rows:
        columns = tuple(rows[0])
        insert_rows(session, AuditLog, columns, [tuple(row[c] for c in columns) for row in rows])


def _jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
