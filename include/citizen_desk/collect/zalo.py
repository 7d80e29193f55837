"""Read a Zalo OA's conversations incrementally.

`listrecentchat` is a message-level list: the OA's latest MESSAGES across all users, newest first,
one row per message (a user who wrote three times has three rows), `count` ≤ 10, paged by offset
(docs/research/platform-facts.md §7, Z1). So in the default mode (`messages`) the walk itself is
the ingest: every row newer than `bounds.since` is an item, users are deduplicated, and the walk
stops at the first row older than `since` or at an empty page. A quiet OA costs one request, N
new messages ceil((N + 1) / 10); a walk that reaches the end of the list (a first collection)
ceil(rows / 10) + 1.

A short page (fewer rows than `count`) is NOT the end: the reference says to page "by raising
`offset` until an empty `data`" (platform-apis.md §7), and Zalo documents no promise that only the
last page is short. Stopping there would lose for good every older row: the watermark moves to
the newest row read and later walks stop above it. The offset grows by the rows received, so a
short page mid-list at worst re-reads a row (kept once), never skips one (platform-facts.md Z5).

Mode `latest_per_user` (connection extra `listrecentchat`) is for an OA whose list turns out to
show one latest row per user (the older reading of the endpoint, still unverified on a live OA):
the walk then only names the changed users, and `conversation` is paged per user, newest first,
until a message is older than `since` or a page is empty.

Direction: `src` 1 = the user wrote, 0 = the OA. A row without `src` takes its direction from the
ids (`from_id` == the OA's id: the OA wrote; `to_id` == the OA's id: the user wrote); only a row
where neither (or both) is the OA is quarantined (platform-facts.md Z2).

A page whose `data` is not a list, and each unusable row, is quarantined with its reason; the rest
is kept and the watermark moves to the newest row seen.

Paging to an empty page must end: a server that ignored `offset` would answer the same rows
forever. So a walk that gets `STALLED_PAGES` pages in a row without a row id it had not seen
fails with a retryable `PlatformError` (nothing stored moves the watermark; the retry reads
again). One such page is normal: messages arriving at the head of the list shift it by as many
rows between two calls.
"""

from __future__ import annotations

import json
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
from citizen_desk.errors import ConfigError, PlatformError

SOURCE = "zalo"
PAGE_SIZE = 10  # Zalo's maximum `count` (a larger one is refused with -210, not clamped)
MESSAGES = "messages"
LATEST_PER_USER = "latest_per_user"
RECENT_MODES = (MESSAGES, LATEST_PER_USER)
STALLED_PAGES = 3  # pages in a row with no row id new to the walk: the server is not paging


def _row_key(row: Any) -> str:
    """A row's message id; a row without one (to be quarantined) counts by its content."""
    ident = row.get("message_id") if isinstance(row, dict) else None
    if isinstance(ident, str) and ident:
        return ident
    return "~" + json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)


class _Progress:
    """The row ids a walk has read; fails it when pages stop bringing new ones."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.ids: set[str] = set()
        self.stalled = 0

    def check(self, page: list[Any], offset: int) -> None:
        ids = {_row_key(row) for row in page}
        if ids - self.ids:
            self.ids |= ids
            self.stalled = 0
            return
        self.stalled += 1
        if self.stalled >= STALLED_PAGES:
            raise PlatformError(
                f"zalo {self.what}: {STALLED_PAGES} pages in a row up to offset {offset} brought"
                " no row not already read (the API is not paging); nothing past them was kept",
                platform="zalo",
                retryable=True,
            )


class ZaloReader(Protocol):
    def list_recent_chat(self, offset: int, count: int = PAGE_SIZE) -> Any: ...

    def conversation(self, user_id: str, offset: int, count: int = PAGE_SIZE) -> Any: ...


def recent_mode(extra: Mapping[str, Any], where: str = "zalo connection") -> str:
    """The `listrecentchat` reading of a connection (extra `listrecentchat`, default messages)."""
    value = extra.get("listrecentchat") or MESSAGES
    if value not in RECENT_MODES:
        choices = ", ".join(RECENT_MODES)
        raise ConfigError(where, "extra.listrecentchat", f"must be one of {choices}")
    return str(value)


def _direction(payload: Mapping[str, Any], oa_id: str | None) -> int:
    """`src` (1 = the user wrote, 0 = the OA), or, when it is absent, what the ids say."""
    src = payload.get("src")
    if src is not None:
        if isinstance(src, bool) or src not in (0, 1):
            raise Invalid("zalo message: src is not 0 or 1")
        return int(src)
    if not oa_id:
        raise Invalid("zalo message: missing src")
    from_oa, to_oa = payload.get("from_id") == oa_id, payload.get("to_id") == oa_id
    if from_oa == to_oa:
        raise Invalid("zalo message: missing src and the ids do not tell the direction")
    return 0 if from_oa else 1


def zalo_item(payload: Mapping[str, Any], oa_id: str | None = None) -> Item:
    """A Zalo message as an `Item`; the thread is the user (the non-OA side)."""
    message_id = require_str(payload, "message_id", "zalo message")
    created = epoch_ms(payload, "time", "zalo message")
    from_id = require_str(payload, "from_id", "zalo message")
    to_id = require_str(payload, "to_id", "zalo message")
    src = _direction(payload, oa_id)
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


def _thread_user(payload: Mapping[str, Any], oa_id: str | None) -> str | None:
    """The user of a message that failed validation, when its direction and ids still tell."""
    try:
        src = _direction(payload, oa_id)
    except Invalid:
        return None
    user = payload.get("from_id") if src == 1 else payload.get("to_id")
    if not isinstance(user, str) or not user:
        return None
    try:
        storable(Item(user, "zalo", user, "in", MIN_TIME, "", {}, user), "zalo message")
    except Invalid:
        return None
    return user


class _Batch:
    """The batch plus the message ids already in it (a row seen twice is stored once)."""

    def __init__(self, bounds: Bounds, on_item: Callable[[Item], None] | None = None) -> None:
        self.batch = SourceBatch(SOURCE, on_item=on_item)
        self.bounds = bounds
        self.ids: set[str] = set()

    def add(self, item: Item) -> None:
        if item.platform_message_id in self.ids or self.bounds.too_new(item.created_at):
            return
        self.ids.add(item.platform_message_id)
        self.batch.add(item)


def read_zalo(
    client: ZaloReader,
    bounds: Bounds,
    *,
    known: Callable[[Sequence[str]], set[str]] | None = None,
    page_size: int = PAGE_SIZE,
    oa_id: str | None = None,
    recent_mode: str = MESSAGES,
    on_item: Callable[[Item], None] | None = None,
) -> SourceBatch:
    """Every message changed since `bounds.since` (all when None); see the module docstring.

    Rows in the safety overlap (not after the watermark) that are already stored
    (`known(ids)` -> the stored ones) are skipped, and in `latest_per_user` mode so are their
    users' threads: a quiet OA costs one request. `on_item` is told of each item as it is read
    (`SourceBatch.on_item`).
    """
    if recent_mode not in RECENT_MODES:
        raise ValueError(f"unknown listrecentchat mode {recent_mode!r}")
    out = _Batch(bounds, on_item)
    batch = out.batch
    users: dict[str, None] = {}  # users whose thread is read with `conversation`
    offset = 0
    progress = _Progress("listrecentchat")
    while True:
        page = client.list_recent_chat(offset, page_size)
        if not isinstance(page, list):
            batch.reject("zalo recent chat: data is not a list", page)
            break
        if not page:
            break
        progress.check(page, offset)
        offset += len(page)
        fresh: list[Item] = []
        older_reached = False
        for payload in page:
            if not isinstance(payload, dict):
                batch.reject("zalo recent chat: not an object", payload)
                continue
            try:
                item = zalo_item(payload, oa_id)
            except Invalid as exc:
                batch.reject(str(exc), payload)
                user = _thread_user(payload, oa_id)
                if user is not None and recent_mode == LATEST_PER_USER:
                    users.setdefault(user)  # its other messages may be fine: read the thread
                continue
            if bounds.too_old(item.created_at):
                older_reached = True
                break
            batch.see(item.created_at)
            fresh.append(item)
        overlap = [i.platform_message_id for i in fresh if bounds.in_overlap(i.created_at)]
        seen = known(overlap) if known and overlap else set()
        for item in fresh:
            if item.platform_message_id in seen:
                continue
            if recent_mode == MESSAGES:
                out.add(item)
            else:
                users.setdefault(item.thread_key)
        if older_reached:
            break  # newest first: every further row is older still
        # a short page is not the end (module docstring): only an empty one is
    for user_id in users:
        _read_thread(client, user_id, out, page_size, oa_id)
    return batch


def _read_thread(
    client: ZaloReader, user_id: str, out: _Batch, page_size: int, oa_id: str | None
) -> None:
    batch, bounds = out.batch, out.bounds
    offset = 0
    progress = _Progress("conversation")
    while True:
        messages = client.conversation(user_id, offset, page_size)
        if not isinstance(messages, list):
            batch.reject("zalo conversation: data is not a list", messages)
            return
        if not messages:
            return
        progress.check(messages, offset)
        offset += len(messages)
        for payload in messages:
            if not isinstance(payload, dict):
                batch.reject("zalo message: not an object", payload)
                continue
            try:
                item = zalo_item(payload, oa_id)
            except Invalid as exc:
                batch.reject(str(exc), payload)
                continue
            if bounds.too_old(item.created_at):
                return  # newest first
            out.add(item)
        # a short page is not the last one: only an empty `data` is (platform-apis.md §7)
