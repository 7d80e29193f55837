"""Read a Zalo OA's conversations incrementally.

`listrecentchat` (newest first, one latest message per user, count ≤ 10) is paged by offset until
an item is older than `bounds.since` (or the list ends); then `conversation` is paged per changed
user, newest first, until a message is older than `bounds.since` or the data is empty.
`src` 1 = the user wrote, 0 = the OA. A quiet OA costs one request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from citizen_desk.collect.records import (
    MIN_TIME,
    Bounds,
    Invalid,
    Item,
    SourceBatch,
    epoch_ms,
    optional_text,
    require_str,
    storable,
)

SOURCE = "zalo"
PAGE_SIZE = 10  # Zalo's maximum `count`


class ZaloReader(Protocol):
    def list_recent_chat(self, offset: int, count: int = PAGE_SIZE) -> list[dict[str, Any]]: ...

    def conversation(
        self, user_id: str, offset: int, count: int = PAGE_SIZE
    ) -> list[dict[str, Any]]: ...


def zalo_item(payload: Mapping[str, Any]) -> Item:
    """A Zalo message as an `Item`; the thread is the user (the non-OA side)."""
    message_id = require_str(payload, "message_id", "zalo message")
    created = epoch_ms(payload, "time", "zalo message")
    src = payload.get("src")
    if isinstance(src, bool) or src not in (0, 1):
        raise Invalid("zalo message: src is not 0 or 1")
    from_id = require_str(payload, "from_id", "zalo message")
    to_id = require_str(payload, "to_id", "zalo message")
    text = optional_text(payload, "message", "zalo message")
    user_id = from_id if src == 1 else to_id
    name_key = "from_display_name" if src == 1 else "to_display_name"
    name = payload.get(name_key)
    item = Item(
        platform_message_id=message_id,
        kind="zalo",
        thread_key=user_id,
        direction="in" if src == 1 else "out",
        created_at=created,
        text=text,
        raw=dict(payload),
        citizen_user_id=user_id,
        citizen_name=name if isinstance(name, str) and name else None,
    )
    return storable(item, "zalo message")


def _thread_user(payload: Mapping[str, Any]) -> str | None:
    """The user of a message that failed validation, when its `src` and ids still tell."""
    src = payload.get("src")
    user = payload.get("from_id") if src == 1 else payload.get("to_id") if src == 0 else None
    if isinstance(src, bool) or not isinstance(user, str) or not user:
        return None
    try:
        storable(Item(user, "zalo", user, "in", MIN_TIME, "", {}, user), "zalo message")
    except Invalid:
        return None
    return user


def read_zalo(
    client: ZaloReader,
    bounds: Bounds,
    *,
    known: Callable[[Sequence[str]], set[str]] | None = None,
    page_size: int = PAGE_SIZE,
) -> SourceBatch:
    """Every message of every user thread changed since `bounds.since` (all when None).

    A user whose latest message lies in the safety overlap (not after the watermark) and is
    already stored (`known(ids)` -> the stored ones) is skipped: a quiet OA costs one request.
    """
    batch = SourceBatch(SOURCE)
    users: dict[str, None] = {}
    offset = 0
    older_reached = False
    while not older_reached:
        recent = client.list_recent_chat(offset, page_size)
        if not recent:
            break
        offset += len(recent)
        latest_items: list[Item] = []
        for payload in recent:
            if not isinstance(payload, dict):
                batch.reject("zalo recent chat: not an object", payload)
                continue
            try:
                latest = zalo_item(payload)
            except Invalid as exc:
                batch.reject(str(exc), payload)
                user = _thread_user(payload)
                if user is not None:
                    users.setdefault(user)  # its other messages may be fine: read the thread
                continue
            if bounds.too_old(latest.created_at):
                older_reached = True
                break
            batch.see(latest.created_at)
            latest_items.append(latest)
        overlap = [i.platform_message_id for i in latest_items if bounds.in_overlap(i.created_at)]
        seen = known(overlap) if known and overlap else set()
        for latest in latest_items:
            if latest.platform_message_id not in seen:
                users.setdefault(latest.thread_key)
    for user_id in users:
        _read_thread(client, user_id, bounds, batch, page_size)
    return batch


def _read_thread(
    client: ZaloReader, user_id: str, bounds: Bounds, batch: SourceBatch, page_size: int
) -> None:
    offset = 0
    while True:
        messages = client.conversation(user_id, offset, page_size)
        if not messages:
            return
        offset += len(messages)
        for payload in messages:
            if not isinstance(payload, dict):
                batch.reject("zalo message: not an object", payload)
                continue
            try:
                item = zalo_item(payload)
            except Invalid as exc:
                batch.reject(str(exc), payload)
                continue
            if bounds.too_old(item.created_at):
                return  # newest first
            if not bounds.too_new(item.created_at):
                batch.items.append(item)
