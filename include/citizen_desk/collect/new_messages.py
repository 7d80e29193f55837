"""A batch's new messages on their way in: triaged once, shown to the case derivation beside the
thread's stored messages, then inserted with their case id (no second pass to link them).

Written a chunk of threads at a time, in the batch's order (so their ids follow it, and a thread
read back from the database is in the order the derivation saw), with
`INSERT … ON CONFLICT (channel_id, platform_message_id) DO NOTHING`: COPY through a staging table
on PostgreSQL, multi-row VALUES on SQLite (`db.bulk.insert_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from citizen_desk.collect.records import Item, StoredMessage
from citizen_desk.db.bulk import insert_rows
from citizen_desk.db.models import Message

if TYPE_CHECKING:
    from citizen_desk.triage.classify import Triage

COLUMNS = (
    "channel_id",
    "platform_message_id",
    "direction",
    "kind",
    "thread_key",
    "parent_platform_id",
    "citizen_id",
    "case_id",
    "text",
    "created_at",
    "category",
    "topic",
    "urgent",
    "raw",
    "collection_run_id",
    "collected_at",
)


@dataclass
class NewMessages:
    """New messages of one channel by thread, each with its triage (None: a page message)."""

    channel_id: int
    run_id: str
    now: datetime
    citizens: Mapping[str, int]  # citizen id by platform user id
    triaged: Mapping[str, Triage | None]  # by platform message id
    # (position in the batch, item) by thread key
    by_thread: dict[str, list[tuple[int, Item]]] = field(default_factory=dict)
    # what this batch inserted (a concurrent run may have stored some first)
    inserted: dict[str, Triage | None] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        channel_id: int,
        items: Iterable[Item],
        citizens: Mapping[str, int],
        triaged: Mapping[str, Triage | None],
        *,
        run_id: str,
        now: datetime,
    ) -> NewMessages:
        new = cls(channel_id, run_id, now, citizens, triaged)
        for position, item in enumerate(items):
            new.by_thread.setdefault(item.thread_key, []).append((position, item))
        return new

    def threads(self) -> set[str]:
        return set(self.by_thread)

    def take(self, thread_key: str, stored: Iterable[str]) -> list[StoredMessage]:
        """The thread's new messages as the derivation reads stored ones; those already stored
        (by a concurrent run, before this one took the channel's lock) are dropped."""
        entries = self.by_thread.get(thread_key)
        if not entries:
            return []
        known = set(stored)
        if known:
            entries = self.by_thread[thread_key] = [
                e for e in entries if e[1].platform_message_id not in known
            ]
        return [self._view(item) for _, item in entries]

    def _view(self, item: Item) -> StoredMessage:
        triage = self.triaged.get(item.platform_message_id)
        return StoredMessage(
            0,  # no id yet: the derivation never reads it
            item.platform_message_id,
            item.thread_key,
            item.kind,
            item.direction,
            item.created_at,
            item.text,
            item.raw,
            triage.category if triage else None,
            bool(triage.urgent) if triage else False,
            self.citizens.get(item.citizen_user_id or ""),
            None,
            self.now,
        )

    def first_reply(self, thread_key: str, since: datetime) -> datetime | None:
        """The earliest new page message of a thread at or after `since` (a private reply)."""
        times = [
            i.created_at
            for _, i in self.by_thread.get(thread_key, ())
            if i.direction == "out" and i.created_at >= since
        ]
        return min(times, default=None)

    def write(
        self, session: Session, thread_keys: Sequence[str], case_ids: Mapping[str, int]
    ) -> set[str]:
        """Insert the new messages of these threads with their case ids; returns the threads of
        messages that were not inserted (their key was taken meanwhile)."""
        entries = sorted(entry for key in thread_keys for entry in self.by_thread.pop(key, ()))
        items = [item for _, item in entries]
        if not items:
            return set()
        rows = [self._row(item, case_ids.get(item.thread_key)) for item in items]
        returned = insert_rows(
            session,
            Message,
            COLUMNS,
            rows,
            unique=("channel_id", "platform_message_id"),
            returning=("platform_message_id",),
        )
        for (message_id,) in returned:
            self.inserted[message_id] = self.triaged.get(message_id)
        return {i.thread_key for i in items if i.platform_message_id not in self.inserted}

    def _row(self, item: Item, case_id: int | None) -> tuple[object, ...]:
        triage = self.triaged.get(item.platform_message_id)
        return (
            self.channel_id,
            item.platform_message_id,
            item.direction,
            item.kind,
            item.thread_key,
            item.parent_platform_id,
            self.citizens.get(item.citizen_user_id or ""),
            case_id,
            item.text,
            item.created_at,
            triage.category if triage else None,
            triage.topic if triage else None,
            bool(triage.urgent) if triage else False,
            dict(item.raw),
            self.run_id,
            self.now,
        )
