"""Store a collected batch exactly once and derive cases, turns and tips from it.

Exactly once:
- messages: `INSERT ... ON CONFLICT (channel_id, platform_message_id) DO NOTHING`, so reruns,
  overlapping windows and concurrent runs never duplicate; citizens likewise on
  `(channel_id, platform_user_id)`, quarantine on `(channel_id, payload_hash)`.
- the source's watermark moves forward (never back) in the same transaction as the data, so a
  crash anywhere loses nothing (the next run re-reads from the old watermark) and a rerun writes
  nothing new.
- a batch with nothing new writes nothing at all (not even a lock).
- writers of one channel are serialised (PostgreSQL advisory transaction lock; SQLite's single
  writer), so two runs cannot derive a case from different snapshots.

Cases are recomputed from all stored messages of the thread in `created_at` order, so arrival
order and reruns do not change the result: a citizen message opens a turn (`awaiting_since`),
the page's next message answers it, a later citizen message opens the next turn.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from citizen_desk.collect.records import Item, SourceBatch
from citizen_desk.db.audit import record_audit
from citizen_desk.db.batching import chunks
from citizen_desk.db.models import (
    Case,
    CaseTurn,
    Channel,
    Citizen,
    CollectionWatermark,
    Message,
    Quarantine,
    Tip,
)
from citizen_desk.db.upsert import dialect_insert

log = logging.getLogger(__name__)

CHUNK = 300  # rows per multi-row INSERT / IN (...) list
LOCK_NAMESPACE = 0x43440001  # pg_advisory_xact_lock(namespace, channel_id)


@dataclass(frozen=True)
class ChannelRef:
    """What collection needs to know about a channel (no token: that lives in Airflow)."""

    id: int
    key: str
    unit_id: int
    platform: str
    platform_id: str
    connection_id: str
    active: bool = True


def channel_ref(session: Session, key: str) -> ChannelRef:
    channel = session.scalars(select(Channel).where(Channel.key == key)).one_or_none()
    if channel is None:
        from citizen_desk.errors import NotFoundError

        raise NotFoundError(f"unknown channel {key!r}")
    return ChannelRef(
        id=channel.id,
        key=channel.key,
        unit_id=channel.unit_id,
        platform=channel.platform,
        platform_id=channel.platform_id,
        connection_id=channel.connection_id,
        active=channel.active,
    )


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


# --- dialect helpers -----------------------------------------------------------------------------


def lock_channel(session: Session, channel_id: int) -> None:
    """Serialise writers of one channel until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :id)"), {"ns": LOCK_NAMESPACE, "id": channel_id}
        )
    else:
        # A statement that writes no row still takes SQLite's write lock for the transaction, and
        # every later read in it sees the latest committed data.
        session.execute(text("UPDATE collection_watermarks SET watermark = watermark WHERE 0 = 1"))


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
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)


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


def existing_ids(session: Session, channel_id: int, ids: Sequence[str]) -> set[str]:
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
    for chunk in chunks(rows, CHUNK):
        stmt = dialect_insert(session, Citizen).values(list(chunk))
        excluded = stmt.excluded
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["channel_id", "platform_user_id"],
                set_={
                    "protected_display_name": func.coalesce(
                        excluded.protected_display_name, Citizen.protected_display_name
                    ),
                    "first_seen_at": func.min(excluded.first_seen_at, Citizen.first_seen_at)
                    if session.get_bind().dialect.name == "sqlite"
                    else func.least(excluded.first_seen_at, Citizen.first_seen_at),
                },
            )
        )
    ids: dict[str, int] = {}
    for chunk in chunks(list(people), CHUNK):
        for citizen_id, user_id in session.execute(
            select(Citizen.id, Citizen.platform_user_id).where(
                Citizen.channel_id == channel_id, Citizen.platform_user_id.in_(chunk)
            )
        ):
            ids[user_id] = citizen_id
    return ids


def _triage(item: Item) -> tuple[str | None, str | None, bool]:
    if item.direction != "in":
        return None, None, False
    from citizen_desk.triage import classify

    result = classify(item.text)
    return result.category, result.topic, bool(result.urgent)


def store_batch(
    session: Session,
    channel: ChannelRef,
    batch: SourceBatch,
    *,
    run_id: str,
    now: datetime,
    advance_watermark: bool,
) -> StoreResult:
    """Write `batch` for `channel` (the caller commits): see the module docstring."""
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
    touched: set[str] = set()
    if new_items:
        citizens = _upsert_citizens(session, channel.id, new_items)
        inserted = _insert_messages(session, channel.id, new_items, citizens, run_id, now)
        for item in new_items:
            if item.platform_message_id not in inserted:
                continue  # a concurrent run stored it first
            touched.add(item.thread_key)
            result.messages_added += 1
            if item.direction == "in":
                result.citizen_messages_added += 1
                result.categories[inserted[item.platform_message_id] or "other"] += 1
            else:
                result.page_replies_added += 1
    touched.update(_record_private_replies(session, links))
    changes = recompute_cases(session, channel, touched, now=now, actor=run_id)
    result.cases_added, result.cases_updated = changes.added, changes.updated
    result.tips_added = changes.tips_added
    if moves and new_mark is not None:
        _advance_watermark(session, channel.id, batch.source, new_mark, now, run_id)
        result.watermark = new_mark
    return result


def _insert_messages(
    session: Session,
    channel_id: int,
    items: Sequence[Item],
    citizens: Mapping[str, int],
    run_id: str,
    now: datetime,
) -> dict[str, str | None]:
    """Insert; returns {platform message id: category} of the rows actually inserted."""
    rows = []
    categories: dict[str, str | None] = {}
    for item in items:
        category, topic, urgent = _triage(item)
        categories[item.platform_message_id] = category
        rows.append(
            {
                "channel_id": channel_id,
                "platform_message_id": item.platform_message_id,
                "direction": item.direction,
                "kind": item.kind,
                "thread_key": item.thread_key,
                "parent_platform_id": item.parent_platform_id,
                "citizen_id": citizens.get(item.citizen_user_id or ""),
                "text": item.text,
                "created_at": item.created_at,
                "category": category,
                "topic": topic,
                "urgent": urgent,
                "raw": dict(item.raw),
                "collection_run_id": run_id,
                "collected_at": now,
            }
        )
    inserted: dict[str, str | None] = {}
    # One compiled statement with rows as parameters: SQLAlchemy batches them into multi-row
    # VALUES ("insertmanyvalues") without rebuilding the statement for every chunk.
    stmt = (
        dialect_insert(session, Message)
        .on_conflict_do_nothing(index_elements=["channel_id", "platform_message_id"])
        .returning(Message.platform_message_id)
    )
    for chunk in chunks(rows, CHUNK):
        for message_id in session.scalars(stmt, list(chunk)):
            inserted[message_id] = categories[message_id]
    return inserted


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
            if _private_conversation(message) != conversation:
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


def _private_conversation(message: Message) -> str | None:
    value = (message.raw or {}).get("private_reply_conversation")
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


# --- case derivation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadState:
    """The SLA view of one thread, derived from its messages."""

    opened_at: datetime
    turns: tuple[tuple[datetime, datetime | None], ...]  # (started_at, responded_at)
    last_citizen_at: datetime
    first_response_at: datetime | None
    last_response_at: datetime | None

    @property
    def awaiting_since(self) -> datetime | None:
        started, responded = self.turns[-1]
        return started if responded is None else None


def thread_state(events: Iterable[tuple[datetime, str]]) -> ThreadState | None:
    """Turns from (time, direction) events; None when no citizen message is among them.

    Page messages before the first citizen message do not count; a page message at the same
    instant as a citizen message is taken as its answer.
    """
    ordered = sorted(events, key=lambda e: (e[0], 0 if e[1] == "in" else 1))
    turns: list[list[datetime | None]] = []
    last_citizen: datetime | None = None
    first_response: datetime | None = None
    last_response: datetime | None = None
    for when, direction in ordered:
        if direction == "in":
            if not turns or turns[-1][1] is not None:
                turns.append([when, None])
            last_citizen = when
        elif turns:
            if turns[-1][1] is None:
                turns[-1][1] = when
                first_response = first_response or when
            last_response = when
    if not turns or last_citizen is None:
        return None
    opened = turns[0][0]
    assert opened is not None
    return ThreadState(
        opened_at=opened,
        turns=tuple((s, r) for s, r in turns if s is not None),
        last_citizen_at=last_citizen,
        first_response_at=first_response,
        last_response_at=last_response,
    )


def _private_reply_time(session: Session, channel_id: int, top: Message | None) -> datetime | None:
    conversation = _private_conversation(top) if top is not None else None
    if top is None or conversation is None:
        return None
    return session.scalar(
        select(func.min(Message.created_at)).where(
            Message.channel_id == channel_id,
            Message.thread_key == conversation,
            Message.direction == "out",
            Message.created_at >= top.created_at,
        )
    )


@dataclass
class CaseChanges:
    added: int = 0
    updated: int = 0
    tips_added: int = 0


def recompute_case(
    session: Session, channel: ChannelRef, thread_key: str, *, now: datetime, actor: str
) -> CaseChanges:
    """Derive one thread's case from its stored messages (see `recompute_cases`)."""
    return recompute_cases(session, channel, [thread_key], now=now, actor=actor)


def recompute_cases(
    session: Session, channel: ChannelRef, thread_keys: Iterable[str], *, now: datetime, actor: str
) -> CaseChanges:
    """Derive the cases of these threads from their stored messages, a chunk of threads per query.

    Deterministic in the stored messages only, so arrival order and reruns give the same rows.
    """
    changes = CaseChanges()
    for chunk in chunks(sorted(set(thread_keys)), CHUNK):
        by_thread: dict[str, list[Message]] = {}
        for message in session.scalars(
            select(Message)
            .where(Message.channel_id == channel.id, Message.thread_key.in_(chunk))
            .order_by(Message.thread_key, Message.created_at, Message.id)
        ):
            by_thread.setdefault(message.thread_key, []).append(message)
        cases = {
            c.thread_key: c
            for c in session.scalars(
                select(Case).where(Case.channel_id == channel.id, Case.thread_key.in_(chunk))
            )
        }
        derived: list[tuple[Case, ThreadState, list[Message]]] = []
        for thread_key, messages in by_thread.items():
            outcome = _derive(session, channel, thread_key, messages, cases.get(thread_key), now)
            if outcome is None:
                continue
            case, state, added, updated = outcome
            changes.added += added
            changes.updated += updated
            derived.append((case, state, messages))
        session.flush()  # ids of new cases
        case_ids = [case.id for case, _, _ in derived]
        turns: dict[int, list[CaseTurn]] = {}
        tips: dict[int, Tip] = {}
        if case_ids:
            for turn in session.scalars(select(CaseTurn).where(CaseTurn.case_id.in_(case_ids))):
                turns.setdefault(turn.case_id, []).append(turn)
            tips = {
                t.case_id: t for t in session.scalars(select(Tip).where(Tip.case_id.in_(case_ids)))
            }
        for case, state, messages in derived:
            for message in messages:
                if message.case_id is None:
                    message.case_id = case.id
            _sync_turns(session, case.id, state, turns.get(case.id, []))
            if case.category == "tip":
                citizen = [m for m in messages if m.direction == "in"]
                changes.tips_added += _upsert_tip(
                    session, case, citizen, tips.get(case.id), now=now, actor=actor
                )
        session.flush()
    return changes


def _derive(
    session: Session,
    channel: ChannelRef,
    thread_key: str,
    messages: Sequence[Message],
    case: Case | None,
    now: datetime,
) -> tuple[Case, ThreadState, int, int] | None:
    """(case, state, added, updated) for one thread; None when no citizen message is in it."""
    events = [(m.created_at, m.direction) for m in messages]
    top = next((m for m in messages if m.platform_message_id == thread_key), None)
    if messages[0].kind == "comment":
        private = _private_reply_time(session, channel.id, top)
        if private is not None:
            events.append((private, "out"))
    state = thread_state(events)
    if state is None:
        return None
    citizen_messages = [m for m in messages if m.direction == "in"]
    from citizen_desk.triage import classify_case

    triage = classify_case([m.text for m in citizen_messages])
    values: dict[str, Any] = {
        "unit_id": channel.unit_id,
        "citizen_id": next((m.citizen_id for m in citizen_messages if m.citizen_id), None),
        "kind": messages[0].kind,
        "category": triage.category,
        "topic": triage.topic,
        "urgent": bool(triage.urgent),
        "triage_confidence": float(triage.confidence),
        "needs_human_triage": bool(triage.needs_human),
        "status": "open" if state.awaiting_since else "answered",
        "opened_at": state.opened_at,
        "turn_no": len(state.turns),
        "awaiting_since": state.awaiting_since,
        "last_citizen_at": state.last_citizen_at,
        "first_response_at": state.first_response_at,
        "last_response_at": state.last_response_at,
    }
    permalink = (top.raw or {}).get("permalink_url") if top is not None else None
    if isinstance(permalink, str):
        values["permalink"] = permalink[:512]
    if case is None:
        case = Case(channel_id=channel.id, thread_key=thread_key, updated_at=now, **values)
        session.add(case)
        return case, state, 1, 0
    if case.status == "closed" and len(state.turns) <= case.turn_no:
        values["status"] = "closed"  # closed by an officer; only a new turn reopens it
    changed = [k for k, v in values.items() if getattr(case, k) != v]
    for name in changed:
        setattr(case, name, values[name])
    if changed:
        case.updated_at = now
    return case, state, 0, int(bool(changed))


def _sync_turns(
    session: Session, case_id: int, state: ThreadState, existing_turns: Sequence[CaseTurn]
) -> None:
    existing = {t.turn_no: t for t in existing_turns}
    for number, (started, responded) in enumerate(state.turns, start=1):
        turn = existing.pop(number, None)
        if turn is None:
            session.add(
                CaseTurn(
                    case_id=case_id, turn_no=number, started_at=started, responded_at=responded
                )
            )
        elif (turn.started_at, turn.responded_at) != (started, responded):
            turn.started_at, turn.responded_at = started, responded
    for stale in existing.values():  # turns only merge if history was rewritten
        session.delete(stale)


def _upsert_tip(
    session: Session,
    case: Case,
    citizen_messages: Sequence[Message],
    tip: Tip | None,
    *,
    now: datetime,
    actor: str,
) -> bool:
    """Create the tip of a `tip` case (status new); never downgrades an existing tip's status."""
    received = next((m.created_at for m in citizen_messages if m.category == "tip"), case.opened_at)
    if tip is None:
        stmt = dialect_insert(session, Tip).values(
            case_id=case.id,
            unit_id=case.unit_id,
            status="new",
            urgent=case.urgent,
            received_at=received,
            escalation_level=-1,
            extension_seconds=0,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["case_id"])
        row = session.execute(stmt.returning(Tip.id)).first()
        if row is None:
            return False
        record_audit(
            session,
            entity_type="tip",
            entity_id=row[0],
            action="tip_received",
            actor=actor,
            at=now,
            after={"status": "new", "urgent": bool(case.urgent), "case": case.reference},
        )
        return True
    changed = False
    if case.urgent and not tip.urgent:
        tip.urgent = True  # urgency only ever goes up automatically
        changed = True
    if received < tip.received_at:
        tip.received_at = received  # an earlier tip message arrived late
        changed = True
    if changed:
        tip.updated_at = now
    return False
