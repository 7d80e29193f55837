"""Process the inbox: webhook events stored like collected messages, exactly once.

Events are claimed in id order, grouped by channel (the page or OA they belong to), turned into
the collection's `Item`s with the same natural keys (`mid`, `comment_id`, Zalo `msg_id`) and
written by the collection's own `store_batch` — cases, turns, triage and tips included — without
moving any watermark: the daily collection stays the reconciliation. The events and what they
produced commit together, so a crash leaves them pending and the next run redoes them; a replay
changes nothing. Messenger threads are keyed by conversation id, which a webhook does not carry:
it is the one of the citizen's earlier messages, else asked from the Graph API once
(`/{page-id}/conversations?user_id=`). An event that cannot be stored (no such channel, a payload
unlike the documentation) is quarantined with the reason.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from citizen_desk.collect.channels import ChannelRef
from citizen_desk.collect.records import Invalid, Item, SourceBatch, storable
from citizen_desk.collect.store import store_batch
from citizen_desk.db.engine import session_scope
from citizen_desk.db.models import Channel, Citizen, Message
from citizen_desk.db.models import InboxEvent as InboxRow
from citizen_desk.domain.vocabulary import InboxStatus, Platform

log = logging.getLogger(__name__)
BATCH = 2000
WAITING = (InboxStatus.PENDING, InboxStatus.QUEUED)
# page id, citizen PSID -> conversation id (None: the platform does not know it)
ConversationLookup = Callable[[ChannelRef, str], str | None]


@dataclass
class ProcessReport:
    stored: Counter[str] = field(default_factory=Counter)  # per channel key
    quarantined: int = 0
    skipped: int = 0  # events with nothing to store (follows)
    tips_added: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages_stored": sum(self.stored.values()),
            "channels": dict(sorted(self.stored.items())),
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "tips_added": self.tips_added,
        }


class NotStorable(Exception):
    """This event cannot become a message: it is quarantined with the reason."""


STALE_QUEUED = timedelta(minutes=10)


def claim_new(session: Session, *, now: datetime | None = None) -> int:
    """Mark the pending events queued (the watcher fires a run when this is not 0): how many.

    With `now` (the watcher's clock), events still queued `STALE_QUEUED` after they were
    claimed are claimed again: the run they were claimed for failed, or the triggerer died
    between claiming and firing. Each is re-fired once per `STALE_QUEUED`, never per poll
    (processing is idempotent).
    """
    pending = update(InboxRow).where(InboxRow.status == InboxStatus.PENDING)
    claimed = session.execute(pending.values(status=InboxStatus.QUEUED, claimed_at=now))
    count = int(getattr(claimed, "rowcount", 0) or 0)
    if now is not None:
        stale = update(InboxRow).where(
            InboxRow.status == InboxStatus.QUEUED,
            InboxRow.claimed_at.is_not(None),
            InboxRow.claimed_at < now - STALE_QUEUED,
        )
        again = session.execute(stale.values(claimed_at=now))
        count += int(getattr(again, "rowcount", 0) or 0)
    session.commit()
    return count


def process_inbox(
    engine: Engine,
    *,
    now: datetime,
    run_id: str,
    lookup: ConversationLookup,
    batch: int = BATCH,
) -> ProcessReport:
    """Store every waiting event (pending or queued), a channel at a time, until none is left."""
    report = ProcessReport()
    while True:
        with session_scope(engine) as session:
            rows = list(
                session.scalars(
                    select(InboxRow)
                    .where(InboxRow.status.in_(WAITING))
                    .order_by(InboxRow.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return report
            _process_rows(session, rows, now=now, run_id=run_id, lookup=lookup, report=report)


def _process_rows(
    session: Session,
    rows: list[InboxRow],
    *,
    now: datetime,
    run_id: str,
    lookup: ConversationLookup,
    report: ProcessReport,
) -> None:
    channels = _channels(session)
    groups: dict[tuple[ChannelRef, str], list[tuple[InboxRow, Item]]] = defaultdict(list)
    for row in rows:
        channel = channels.get((row.platform, row.account_id))
        try:
            if channel is None:
                raise NotStorable(f"no active {row.platform} channel {row.account_id!r}")
            item = to_item(session, channel, row, lookup)
        except (NotStorable, Invalid) as exc:
            _finish(row, InboxStatus.QUARANTINED, now, str(exc))
            report.quarantined += 1
            continue
        if item is None:
            _finish(row, InboxStatus.PROCESSED, now, None)
            report.skipped += 1
            continue
        source = {"comment": "comments", "zalo": "zalo"}.get(item.kind, "messenger")
        groups[(channel, source)].append((row, item))
    for (channel, source), pairs in groups.items():
        source_batch = SourceBatch(f"webhook:{source}", items=[item for _, item in pairs])
        result = store_batch(
            session, channel, source_batch, run_id=run_id, now=now, advance_watermark=False
        )
        report.stored[channel.key] += result.messages_added
        report.tips_added += result.tips_added
        for row, _ in pairs:
            _finish(row, InboxStatus.PROCESSED, now, None)


def _finish(row: InboxRow, status: str, now: datetime, reason: str | None) -> None:
    row.status, row.processed_at, row.reason = status, now, reason


def _channels(session: Session) -> dict[tuple[str, str], ChannelRef]:
    found = {}
    for channel in session.scalars(select(Channel).where(Channel.active.is_(True))):
        ref = ChannelRef(
            id=channel.id,
            key=channel.key,
            unit_id=channel.unit_id,
            platform=channel.platform,
            platform_id=channel.platform_id,
            connection_id=channel.connection_id,
        )
        found[(channel.platform, channel.platform_id)] = ref
    return found


def to_item(
    session: Session, channel: ChannelRef, row: InboxRow, lookup: ConversationLookup
) -> Item | None:
    """The collection `Item` of one inbox event (None: nothing to store, e.g. a follow)."""
    try:
        payload = json.loads(row.payload)
    except json.JSONDecodeError as exc:
        raise NotStorable(f"payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise NotStorable("payload is not an object")
    if row.platform == Platform.ZALO:
        return _zalo_item(payload, row) if row.kind in ("message", "echo") else None
    if row.kind == "comment":
        return _comment_item(payload, channel)
    return _messenger_item(session, payload, channel, row, lookup)


def _text(message: Mapping[str, Any]) -> str:
    text = message.get("text")
    return text if isinstance(text, str) else ""


def _id(payload: Mapping[str, Any], field_name: str) -> str:
    value = payload.get(field_name)
    ident = value.get("id") if isinstance(value, Mapping) else None
    if not isinstance(ident, str) or not ident:
        raise NotStorable(f"{field_name}.id missing")
    return ident


def _when(value: Any, *, scale: int = 1) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) * scale / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise NotStorable("timestamp missing or invalid") from None


def _messenger_item(
    session: Session,
    payload: Mapping[str, Any],
    channel: ChannelRef,
    row: InboxRow,
    lookup: ConversationLookup,
) -> Item:
    message = payload.get("message")
    if not isinstance(message, Mapping):
        raise NotStorable("no message")
    sender, recipient = _id(payload, "sender"), _id(payload, "recipient")
    outgoing = row.kind == "echo" or sender == channel.platform_id
    citizen = recipient if outgoing else sender
    conversation = _known_conversation(session, channel, citizen) or lookup(channel, citizen)
    if conversation is None:
        raise NotStorable("the Graph API knows no conversation with this user yet")
    item = Item(
        platform_message_id=row.event_key,
        kind="messenger",
        thread_key=conversation,
        direction="out" if outgoing else "in",
        created_at=_when(payload.get("timestamp")),
        text=_text(message),
        raw=dict(payload),
        citizen_user_id=citizen,
        citizen_name=None,  # webhooks carry no names; the daily collection fills them in
    )
    return storable(item, "message")


def _known_conversation(session: Session, channel: ChannelRef, psid: str) -> str | None:
    return session.scalar(
        select(Message.thread_key)
        .join(Citizen, Message.citizen_id == Citizen.id)
        .where(
            Message.channel_id == channel.id,
            Message.kind == "messenger",
            Citizen.platform_user_id == psid,
        )
        .limit(1)
    )


def _comment_item(change: Mapping[str, Any], channel: ChannelRef) -> Item:
    value = change.get("value")
    if not isinstance(value, Mapping):
        raise NotStorable("no value")
    comment_id, post_id = value.get("comment_id"), value.get("post_id")
    if not isinstance(comment_id, str) or not isinstance(post_id, str):
        raise NotStorable("comment_id or post_id missing")
    parent = value.get("parent_id")
    top_level = not isinstance(parent, str) or parent == post_id
    author, name = None, None
    if isinstance(value.get("from"), Mapping):
        author = value["from"].get("id") if isinstance(value["from"].get("id"), str) else None
        name = value["from"].get("name") if isinstance(value["from"].get("name"), str) else None
    from_page = author == channel.platform_id
    item = Item(
        platform_message_id=comment_id,
        kind="comment",
        thread_key=comment_id if top_level else str(parent),
        direction="out" if from_page else "in",
        created_at=_when(value.get("created_time"), scale=1000),
        text=value["message"] if isinstance(value.get("message"), str) else "",
        raw=dict(change),
        citizen_user_id=None if from_page else author,
        citizen_name=None if from_page else name,
        parent_platform_id=None if top_level else str(parent),
    )
    return storable(item, "comment")


def _zalo_item(payload: Mapping[str, Any], row: InboxRow) -> Item:
    message = payload.get("message")
    if not isinstance(message, Mapping):
        raise NotStorable("no message")
    outgoing = row.kind == "echo"
    user = _id(payload, "recipient" if outgoing else "sender")
    item = Item(
        platform_message_id=row.event_key,
        kind="zalo",
        thread_key=user,
        direction="out" if outgoing else "in",
        created_at=_when(payload.get("timestamp")),
        text=_text(message),
        raw=dict(payload),
        citizen_user_id=user,
        citizen_name=None,
    )
    return storable(item, "zalo message")
