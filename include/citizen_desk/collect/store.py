"""Store a collected batch exactly once, with the cases of the threads it touches.

Exactly once:
- messages: `INSERT ... ON CONFLICT (channel_id, platform_message_id) DO NOTHING`, so reruns,
  overlapping windows and concurrent runs never duplicate (the known ids are read before and
  again under the channel's lock); citizens likewise on `(channel_id, platform_user_id)`,
  quarantine on `(channel_id, payload_hash)`.
- the source's watermark moves forward (never back) in the same transaction as the data, so a
  crash anywhere loses nothing (the next run re-reads from the old watermark) and a rerun writes
  nothing new.
- a batch with nothing new writes nothing at all (not even a lock).
- writers of one channel are serialised (`channels.lock_channel`), so two runs cannot derive a
  case from different snapshots.

Each new citizen message is triaged once (each distinct text of a batch: `collect.pretriage`,
which also triages while a source is read); the cases of the touched threads are then derived from
their stored messages and the new ones together (`citizen_desk.collect.cases`), and the new
messages are inserted with their case id (`citizen_desk.collect.new_messages`: COPY on
PostgreSQL), so no second pass updates them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from citizen_desk.collect.cases import private_conversation, recompute_cases
from citizen_desk.collect.channels import CHUNK, ChannelRef, lock_channel
from citizen_desk.collect.new_messages import NewMessages
from citizen_desk.collect.pretriage import Triaged
from citizen_desk.collect.records import Item, SourceBatch
from citizen_desk.db.batching import chunks
from citizen_desk.db.bulk import copy_possible, upsert_rows
from citizen_desk.db.models import Citizen, CollectionWatermark, Message, Quarantine
from citizen_desk.db.upsert import dialect_insert
from citizen_desk.learning.champion import triage_model_for

log = logging.getLogger(__name__)


@dataclass
class StoreResult:
    """What storing one batch changed (counts only: safe for logs and XCom)."""

    source: str
    messages_added: int = 0
    citizen_messages_added: int = 0
    page_replies_added: int = 0
    cases_added: int = 0
    cases_updated: int = 0
    tips_added: int = 0
    quarantined: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    watermark: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages_added": self.messages_added,
            "citizen_messages_added": self.citizen_messages_added,
            "page_replies_added": self.page_replies_added,
            "cases_added": self.cases_added,
            "cases_updated": self.cases_updated,
            "tips_added": self.tips_added,
            "quarantined": self.quarantined,
            "categories": dict(sorted(self.categories.items())),
            "watermark": self.watermark.isoformat() if self.watermark else None,
        }


# --- watermarks ----------------------------------------------------------------------------------


def load_watermark(session: Session, channel_id: int, source: str) -> datetime | None:
    return session.scalar(
        select(CollectionWatermark.watermark).where(
            CollectionWatermark.channel_id == channel_id, CollectionWatermark.source == source
        )
    )


def _advance_watermark(
    session: Session, channel_id: int, source: str, value: datetime, now: datetime, run_id: str
) -> None:
    stmt = dialect_insert(session, CollectionWatermark).values(
        channel_id=channel_id, source=source, watermark=value, updated_at=now, run_id=run_id
    )
    excluded = stmt.excluded
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["channel_id", "source"],
            set_={
                "watermark": excluded.watermark,
                "updated_at": excluded.updated_at,
                "run_id": excluded.run_id,
            },
            where=CollectionWatermark.watermark < excluded.watermark,  # never backwards
        )
    )


# --- quarantine ----------------------------------------------------------------------------------


def payload_text(payload: Any) -> str:
    """The payload as JSON text the database can hold (an unpaired surrogate stays escaped)."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, sort_keys=True, default=str)
    return text


def _quarantine(
    session: Session, channel_id: int, batch: SourceBatch, run_id: str, now: datetime
) -> int:
    rows: dict[str, dict[str, Any]] = {}
    for rejected in batch.rejected:
        body = payload_text(rejected.payload)
        digest = hashlib.sha256(body.encode()).hexdigest()
        rows.setdefault(
            digest,
            {
                "channel_id": channel_id,
                "source": rejected.source,
                "reason": rejected.reason,
                "payload": body,
                "payload_hash": digest,
                "run_id": run_id,
                "created_at": now,
            },
        )
    if not rows:
        return 0
    known = set(
        session.scalars(
            select(Quarantine.payload_hash).where(
                Quarantine.channel_id == channel_id, Quarantine.payload_hash.in_(list(rows))
            )
        )
    )
    fresh = [row for digest, row in rows.items() if digest not in known]
    added = 0
    for chunk in chunks(fresh, CHUNK):
        stmt = dialect_insert(session, Quarantine).values(list(chunk))
        stmt = stmt.on_conflict_do_nothing(index_elements=["channel_id", "payload_hash"])
        added += len(session.execute(stmt.returning(Quarantine.id)).all())
    if added:
        log.warning("%s: %d payload(s) quarantined", batch.source, added)
    return added


# --- storing a batch -----------------------------------------------------------------------------

_KNOWN_ANY = select(Message.platform_message_id).where(
    Message.channel_id == bindparam("channel_id"),
    Message.platform_message_id == any_(bindparam("ids", type_=ARRAY(String))),
)


def existing_ids(session: Session, channel_id: int, ids: Sequence[str]) -> set[str]:
    """The platform message ids among `ids` already stored for the channel. PostgreSQL: one
    statement with the ids as one array parameter (`= ANY(:ids)`: compiled once, whatever their
    number); SQLite: `IN` lists of `CHUNK` ids."""
    if not ids:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return set(session.scalars(_KNOWN_ANY, {"channel_id": channel_id, "ids": list(ids)}))
    found: set[str] = set()
    for chunk in chunks(ids, CHUNK):
        found.update(
            session.scalars(
                select(Message.platform_message_id).where(
                    Message.channel_id == channel_id, Message.platform_message_id.in_(chunk)
                )
            )
        )
    return found


CITIZEN_COLUMNS = ("channel_id", "platform_user_id", "protected_display_name", "first_seen_at")


def _upsert_citizens(session: Session, channel_id: int, items: Sequence[Item]) -> dict[str, int]:
    """Citizen ids by platform user id; the display name goes to `protected_display_name` only."""
    people: dict[str, dict[str, Any]] = {}
    for item in sorted(items, key=lambda i: i.created_at):
        if not item.citizen_user_id:
            continue
        row = people.setdefault(
            item.citizen_user_id,
            {
                "channel_id": channel_id,
                "platform_user_id": item.citizen_user_id,
                "protected_display_name": None,
                "first_seen_at": item.created_at,
            },
        )
        if item.citizen_name:
            row["protected_display_name"] = item.citizen_name  # the latest name wins
    if not people:
        return {}
    rows = list(people.values())
    table = Citizen.__table__
    stmt = dialect_insert(session, table)
    # the latest name given wins, a missing one keeps the stored; the earliest first sight stays
    earliest = func.min if session.get_bind().dialect.name == "sqlite" else func.least
    updates = {
        "protected_display_name": func.coalesce(
            stmt.excluded.protected_display_name, table.c.protected_display_name
        ),
        "first_seen_at": earliest(stmt.excluded.first_seen_at, table.c.first_seen_at),
    }
    if copy_possible(session, rows):  # a first collection's thousands: COPY, one INSERT
        dialect = session.get_bind().dialect
        returned = upsert_rows(
            session,
            Citizen,
            CITIZEN_COLUMNS,
            [tuple(row[c] for c in CITIZEN_COLUMNS) for row in rows],
            unique=("channel_id", "platform_user_id"),
            set_sql={name: str(expr.compile(dialect=dialect)) for name, expr in updates.items()},
            returning=("id", "platform_user_id"),
        )
        return {user_id: citizen_id for citizen_id, user_id in returned}
    # One compiled statement, the rows as its parameters (multi-row VALUES of up to 1,000 rows):
    # a statement built with the rows in it would be compiled again for every batch. Against
    # the table: the ORM's bulk insert would split the rows where a name is missing.
    upsert = stmt.on_conflict_do_update(
        index_elements=["channel_id", "platform_user_id"], set_=updates
    ).returning(table.c.id, table.c.platform_user_id)
    # every row is inserted or updated, so RETURNING gives every id (no second query)
    return {user_id: citizen_id for citizen_id, user_id in session.execute(upsert, rows)}


def store_batch(
    session: Session,
    channel: ChannelRef,
    batch: SourceBatch,
    *,
    run_id: str,
    now: datetime,
    advance_watermark: bool,
    triaged: Triaged | None = None,
) -> StoreResult:
    """Write `batch` for `channel` (the caller commits): see the module docstring. `triaged`:
    the batch's citizen messages triaged while it was read (`collect.pretriage`), used when made
    with the model this store triages with."""
    result = StoreResult(batch.source)
    old_mark = load_watermark(session, channel.id, batch.source)
    result.watermark = old_mark
    unique: dict[str, Item] = {}
    for item in batch.items:
        unique.setdefault(item.platform_message_id, item)
    existing = existing_ids(session, channel.id, list(unique))
    new_items = [i for i in unique.values() if i.platform_message_id not in existing]
    new_mark = batch.newest if advance_watermark else None
    moves = new_mark is not None and (old_mark is None or new_mark > old_mark)
    links = _new_private_reply_links(session, channel.id, batch.private_replies)
    if not (new_items or batch.rejected or moves or links):
        return result

    lock_channel(session, channel.id)
    result.quarantined = _quarantine(session, channel.id, batch, run_id, now)
    model = triage_model_for(session)  # the champion of `triage_models`, else the shipped one
    if triaged is None or triaged.model is not model:
        triaged = Triaged(model)  # once per distinct text
    pending: NewMessages | None = None
    touched: set[str] = set()
    if new_items:  # again under the lock: the messages are inserted with cases derived from them
        taken = existing_ids(session, channel.id, [i.platform_message_id for i in new_items])
        new_items = [i for i in new_items if i.platform_message_id not in taken]
    if new_items:
        citizens = _upsert_citizens(session, channel.id, new_items)
        by_id = {item.platform_message_id: triaged(item) for item in new_items}
        pending = NewMessages.of(channel.id, new_items, citizens, by_id, run_id=run_id, now=now)
        touched = pending.threads()
    touched.update(_record_private_replies(session, links))
    # the new messages are inserted with their cases (`collect.cases`, `collect.new_messages`)
    changes = recompute_cases(
        session, channel, touched, now=now, actor=run_id, model=model, pending=pending
    )
    for triage in (pending.inserted if pending is not None else {}).values():
        result.messages_added += 1
        if triage is not None:
            result.citizen_messages_added += 1
            result.categories[triage.category or "other"] += 1
        else:
            result.page_replies_added += 1
    result.cases_added, result.cases_updated = changes.added, changes.updated
    result.tips_added = changes.tips_added
    if moves and new_mark is not None:
        _advance_watermark(session, channel.id, batch.source, new_mark, now, run_id)
        result.watermark = new_mark
    return result


# --- private replies (comment answered through Messenger) ---------------------------------------


def _new_private_reply_links(
    session: Session, channel_id: int, links: Mapping[str, str]
) -> list[tuple[Message, str]]:
    """Stored top-level comments whose private reply is not recorded yet."""
    if not links:
        return []
    out = []
    for chunk in chunks(list(links), CHUNK):
        for message in session.scalars(
            select(Message).where(
                Message.channel_id == channel_id,
                Message.kind == "comment",
                Message.platform_message_id.in_(chunk),
            )
        ):
            conversation = links[message.platform_message_id]
            if private_conversation(message) != conversation:
                out.append((message, conversation))
    return out


def _record_private_replies(session: Session, links: Sequence[tuple[Message, str]]) -> set[str]:
    touched = set()
    for message, conversation in links:
        raw = dict(message.raw or {})
        raw["private_reply_conversation"] = {"id": conversation}
        message.raw = raw
        touched.add(message.thread_key)
    session.flush()
    return touched
