"""Fewer, fuller messages: catch-up summaries (sweeps) and delivery digests (the deliverer).

- `record_covered` (`record_covered_many`: a batch in a few statements) writes the ledger row
  of an alert that gets no message of its own (a level the item already passed, or an entry of a
  catch-up summary): status `superseded`, the reason in `last_error`. Its key is taken, so no
  later run sends it; the ledger still shows every alert.
- `render_catch_up` is one unit's catch-up summary (`templates/slack/catchup_summary.j2`): case
  references with links and counts by level or category, never free text.
- `coalesce_due` runs at the start of each delivery: when more than `digest_after` non-urgent
  notifications are due for one recipient (`citizen_desk.domain.catchup.coalesce`), it writes
  one `notify_digest` row listing them (`templates/slack/delivery_digest.j2`) and marks each
  covered row `digested` (`last_error`: `in digest <key>`) in the same transaction. The digest row
  is then delivered like any other: claimed, sent with its key in the message metadata, and
  reconciled against the conversation history after a crash, so it goes out exactly once.
  Urgent lanes (admin alerts, urgent tips) are never coalesced; the digest takes the lane of the
  most urgent row it covers, so it never goes before them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from citizen_desk.db.models import Notification
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.domain.catchup import DIGEST_MAX_ITEMS, Due, coalesce
from citizen_desk.domain.labels import notification_kind_label
from citizen_desk.domain.lanes import Lane

log = logging.getLogger(__name__)

DIGEST_KIND = "notify_digest"
CATCH_UP_KINDS = ("tip_catchup", "sla_catchup")
# Never inside a delivery digest: digests and summaries themselves.
NOT_COALESCED = frozenset({DIGEST_KIND, *CATCH_UP_KINDS, "tip_digest", "sla_digest"})
SUMMARY_MAX_ITEMS = 600
ITEMS_PER_SECTION = 15
LINES_PER_SECTION = 12
LINE_CHARS = 200


# --- alerts without a message of their own -------------------------------------------------------


def record_covered(
    session: Session,
    *,
    key: str,
    kind: str,
    recipient: str,
    reason: str,
    now: datetime,
    source: str | None,
) -> bool:
    """The ledger row of an alert that is not sent by itself; True when newly written."""
    entry = (key, kind, recipient, reason)
    return record_covered_many(session, [entry], now=now, source=source) == 1


def record_covered_many(
    session: Session,
    entries: Sequence[tuple[str, str, str, str]],
    *,
    now: datetime,
    source: str | None,
) -> int:
    """`record_covered` for many (key, kind, recipient, reason) at once, in a few multi-row
    inserts; returns how many were newly written."""
    from citizen_desk.db.bulk import insert_many_if_absent
    from citizen_desk.notify.outbox import payload_hash

    rows: dict[str, dict[str, Any]] = {}
    for key, kind, recipient, reason in entries:
        payload: dict[str, Any] = {"text": reason, "blocks": []}
        rows.setdefault(
            key,
            {
                "idempotency_key": key,
                "kind": kind,
                "recipient": recipient,
                "payload": payload,
                "payload_hash": payload_hash(payload),
                "status": "superseded",
                "attempts": 0,
                "last_error": reason,
                "created_at": now,
                "next_attempt_at": None,
                "source": source,
            },
        )
    inserted = insert_many_if_absent(
        session, Notification, list(rows.values()), ["idempotency_key"], ["id"]
    )
    return len(inserted)


@dataclass(frozen=True)
class SummaryItem:
    reference: str  # CD-000123
    label: str  # its level or category, as counted
    url: str


def render_catch_up(unit_name: str, subject: str, items: Sequence[SummaryItem]) -> Any:
    """One unit's catch-up summary: counts by label, then the references (linked)."""
    from citizen_desk.notify.blocks import render_message

    counts = Counter(item.label for item in items)
    shown = [
        {"reference": i.reference, "label": i.label, "url": i.url}
        for i in items[:SUMMARY_MAX_ITEMS]
    ]
    return render_message(
        "catchup_summary",
        unit_name=unit_name,
        subject=subject,
        count=len(items),
        groups=[{"label": label, "count": n} for label, n in sorted(counts.items())],
        chunks=_chunks(shown, ITEMS_PER_SECTION),
        more=max(len(items) - SUMMARY_MAX_ITEMS, 0),
    )


# --- delivery digests ----------------------------------------------------------------------------


def render_delivery_digest(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> Any:
    """(kind, payload) of each covered notification -> one message listing them."""
    from citizen_desk.notify.blocks import render_message

    counts = Counter(notification_kind_label(kind) for kind, _ in rows)
    lines = [_first_line(payload) for _, payload in rows]
    return render_message(
        "delivery_digest",
        count=len(rows),
        groups=[{"label": label, "count": n} for label, n in counts.most_common()],
        chunks=_chunks(lines, LINES_PER_SECTION),
    )


def digest_key(recipient: str, first_id: int) -> str:
    """A row is covered by one digest only, so its first row's id names the digest for good."""
    return f"notify-digest:{recipient}:{first_id}"


def coalesce_due(session: Session, now: datetime, *, digest_after: int) -> tuple[int, int, int]:
    """Write the digests due at `now` (module doc), in the caller's transaction.

    Rows whose subject no longer holds are marked superseded first, never listed.
    Returns (digests, rows covered, rows superseded).
    """
    from citizen_desk.notify.outbox import payload_hash
    from citizen_desk.notify.subjects import check

    rows = list(
        session.scalars(
            select(Notification)
            .where(
                ready_condition(now),
                Notification.priority > int(Lane.URGENT_TIP),
                Notification.kind.not_in(sorted(NOT_COALESCED)),
            )
            .order_by(Notification.priority, Notification.created_at, Notification.id)
            .with_for_update(skip_locked=True)
        )
    )
    counts = Counter(row.recipient for row in rows)
    candidates = [row for row in rows if counts[row.recipient] > digest_after]
    if not candidates:
        return 0, 0, 0
    superseded = 0
    live: dict[int, tuple[Notification, dict[str, Any]]] = {}
    for row in candidates:
        verdict = check(session, row)
        if verdict.superseded:
            superseded += _set(
                session,
                row,
                status="superseded",
                last_error=f"superseded: {verdict.superseded}",
                next_attempt_at=None,
            )
            continue
        live[row.id] = (row, verdict.payload or dict(row.payload))
    due = [Due(r.id, r.recipient, r.priority, r.kind) for r, _ in live.values()]
    groups = coalesce(
        due,
        digest_after=digest_after,
        min_lane=int(Lane.URGENT_TIP) + 1,
        never=NOT_COALESCED,
        max_items=DIGEST_MAX_ITEMS,
    )
    digests = covered = 0
    for recipient, ids in groups:
        members = [live[i] for i in ids]
        key = digest_key(recipient, ids[0])
        message = render_delivery_digest([(row.kind, payload) for row, payload in members])
        if _findings(message, key):  # defence in depth: each line passed the gate when enqueued
            log.warning("digest %s: listing kinds only (the PII gate refused a line)", key)
            message = render_delivery_digest([(row.kind, {"text": "—"}) for row, _ in members])
        payload = {
            "text": message.text,
            "blocks": list(message.blocks),
            "covers": [row.idempotency_key for row, _ in members],
        }
        if not insert_if_absent(
            session,
            Notification,
            {
                "idempotency_key": key,
                "kind": DIGEST_KIND,
                "recipient": recipient,
                "payload": payload,
                "payload_hash": payload_hash(payload),
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "source": "delivery",
                "priority": min(row.priority for row, _ in members),
            },
            ["idempotency_key"],
        ):
            continue
        for row, _ in members:
            covered += _set(
                session, row, status="digested", last_error=f"in digest {key}", next_attempt_at=None
            )
        digests += 1
        log.info("digest %s covers %d notifications", key, len(members))
    return digests, covered, superseded


def ready_condition(now: datetime) -> Any:
    return and_(
        Notification.status == "pending",
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )


def _set(session: Session, row: Notification, **values: Any) -> bool:
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == row.id,
            Notification.status == "pending",
            Notification.attempts == row.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _findings(message: Any, key: str) -> list[str]:
    from citizen_desk.notify.outbox import _pii_findings

    return _pii_findings({"text": message.text, "blocks": message.blocks}, (), key, ())


def _first_line(payload: Mapping[str, Any]) -> str:
    text = str(payload.get("text") or "").strip().splitlines()
    line = text[0] if text else ""
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1].rstrip() + "…"


def _chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]
