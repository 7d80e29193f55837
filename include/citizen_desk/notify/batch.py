"""The outbox for a sweep's batch: `enqueue_many`, the same rows as `outbox.enqueue` item after
item, in a few statements.

One read of the keys that exist, the rows inserted by `db.bulk.insert_rows` (on PostgreSQL a
COPY into a staging table, then one `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING` on the
idempotency key: exactly-once as before, a key another run took meanwhile adds nothing), and the
PII gate run once per distinct string of the batch (`gate.Memo`): the block types, the labels
and a message sent to several recipients are checked once. What follows a refused payload
(the audit row and the admins' notice of a withheld excerpt, the alert of a blocked one) is the
outbox's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.batching import chunks
from citizen_desk.db.bulk import JsonValue, insert_rows
from citizen_desk.db.models import Notification
from citizen_desk.db.types import utc
from citizen_desk.notify.gate import Memo
from citizen_desk.notify.outbox import (
    GateMemo,
    Outgoing,
    _prepare,
    _Prepared,
    _safe_prefixes,
    _settle,
    default_registry,
)

if TYPE_CHECKING:
    from citizen_desk.config.registry import Registry

__all__ = ["Enqueued", "Outgoing", "enqueue_many", "existing_keys"]


@dataclass(frozen=True)
class Enqueued:
    """A notification row an enqueue added."""

    id: int
    key: str
    kind: str
    status: str


def enqueue_many(
    session: Session,
    items: Sequence[Outgoing],
    *,
    now: datetime,
    source: str | None = None,
    registry: Registry | None = None,
    safe_links: Sequence[str] | None = None,
) -> dict[str, Enqueued]:
    """`enqueue` for a batch, set-based: one read of the keys that exist per 500 keys and one
    `insert_rows` (`… ON CONFLICT DO NOTHING RETURNING`), the PII gate run once per distinct
    string of the batch. The same rows, statuses and admin alerts as `enqueue`
    called item after item; returns key -> row for the rows this call added (an existing key,
    or a repeated one, adds nothing). The caller commits."""
    now = utc(now)
    if registry is None and safe_links is None:
        registry = default_registry()
    safe = _safe_prefixes(registry, safe_links)
    existing = existing_keys(session, [item.key for item in items])
    memo: GateMemo = Memo()
    wanted: dict[str, _Prepared] = {}
    for item in items:
        if item.key not in existing and item.key not in wanted:
            wanted[item.key] = _prepare(item, now, source, safe, memo)
    prepared = list(wanted.values())
    columns = list(prepared[0].values) if prepared else []
    returned = insert_rows(
        session,
        Notification,
        columns,
        [_row(p, columns) for p in prepared],
        unique=["idempotency_key"],
        returning=["idempotency_key", "id"],
    )
    added: dict[str, Enqueued] = {}
    for key, row_id in returned:
        values = wanted[key].values
        added[key] = Enqueued(row_id, key, values["kind"], values["status"])
    for p in prepared:
        if p.item.key in added and (p.findings or p.withheld):
            _settle(session, registry, p, added[p.item.key].id, now)
    return {p.item.key: added[p.item.key] for p in prepared if p.item.key in added}


def _row(prepared: _Prepared, columns: Sequence[str]) -> tuple[Any, ...]:
    """The row's values; the payload with the JSON text its hash was made of (serialised once)."""
    values = prepared.values
    return tuple(
        JsonValue(values[c], prepared.payload_json) if c == "payload" else values[c]
        for c in columns
    )


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Those of `keys` already in the ledger (one query per 500 keys)."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(keys))):
        found.update(
            session.scalars(
                select(Notification.idempotency_key).where(Notification.idempotency_key.in_(chunk))
            )
        )
    return found
