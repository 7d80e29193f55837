"""Read a page's Messenger inbox incrementally.

`/{page-id}/conversations` is newest `updated_time` first and has no `since` filter, so the reader
pages through it and stops at the first conversation older than `bounds.since` (the watermark
minus a safety overlap). Each changed conversation arrives with its newest messages expanded
(`messages.limit(100){...}`); `/{conversation-id}/messages` is paged only when that expanded page
does not reach back to `bounds.since`. A quiet page therefore costs one request. Pages are the
largest Graph serves (`limit` 100): a first collection reads 100 conversations a call, not 25
(should Graph refuse the amount, the client halves the request, `platforms.graph`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from citizen_desk.collect.records import (
    Bounds,
    Invalid,
    Item,
    SourceBatch,
    graph_time,
    optional_text,
    person,
    require_str,
    storable,
)
from citizen_desk.platforms.graph import MAX_LIMIT, MalformedPage

SOURCE = "messenger"
MESSAGE_FIELDS = "id,message,from,to,created_time,attachments"


class Pager(Protocol):
    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Any: ...

    def follow(self, page: dict[str, Any]) -> Any: ...


def conversation_fields(messages_per_page: int) -> str:
    return f"id,updated_time,messages.limit({messages_per_page}){{{MESSAGE_FIELDS}}}"


def message_item(payload: Mapping[str, Any], page_id: str, conversation_id: str) -> Item:
    """A Messenger message as an `Item`; the page's own (`from.id == page id`) are `out`."""
    message_id = require_str(payload, "id", "message")
    created = graph_time(payload, "created_time", "message")
    sender_id, sender_name = person(payload, "from", "message")
    text = optional_text(payload, "message", "message")
    if sender_id == page_id:
        citizen_id, citizen_name = _recipient(payload, page_id)
        direction = "out"
    else:
        citizen_id, citizen_name, direction = sender_id, sender_name, "in"
    item = Item(
        platform_message_id=message_id,
        kind="messenger",
        thread_key=conversation_id,
        direction=direction,
        created_at=created,
        text=text,
        raw=dict(payload),
        citizen_user_id=citizen_id,
        citizen_name=citizen_name,
    )
    return storable(item, "message")


def _recipient(payload: Mapping[str, Any], page_id: str) -> tuple[str | None, str | None]:
    to = payload.get("to")
    data = to.get("data") if isinstance(to, Mapping) else None
    if not isinstance(data, list):
        return None, None
    for entry in data:
        ident = entry.get("id") if isinstance(entry, Mapping) else None
        if isinstance(ident, str) and ident != page_id:
            name = entry.get("name")
            return ident, name if isinstance(name, str) and name else None
    return None, None


def read_messenger(
    client: Pager,
    page_id: str,
    bounds: Bounds,
    *,
    page_size: int = MAX_LIMIT,
    messages_per_page: int = MAX_LIMIT,
    on_item: Callable[[Item], None] | None = None,
) -> SourceBatch:
    """Every message of every conversation changed since `bounds.since` (all when None);
    `on_item` is told of each item as it is read (`SourceBatch.on_item`)."""
    batch = SourceBatch(SOURCE, on_item=on_item)
    params = {
        "platform": "messenger",
        "fields": conversation_fields(messages_per_page),
        "limit": page_size,
    }
    for conversation in client.paginate(f"{page_id}/conversations", params):
        if not isinstance(conversation, dict):
            batch.reject("conversation: not an object", conversation)
            continue
        try:
            conversation_id = require_str(conversation, "id", "conversation")
            updated = graph_time(conversation, "updated_time", "conversation")
        except Invalid as exc:
            batch.reject(str(exc), conversation)
            continue
        if bounds.too_old(updated):
            break  # newest first: every further conversation is older still
        batch.see(updated)
        expanded = conversation.get("messages")
        if expanded is None:
            continue
        if not isinstance(expanded, dict):
            batch.reject("conversation: messages is not an object", conversation)
            continue
        if not isinstance(expanded.get("data"), list):
            batch.reject("conversation: messages.data is not a list", conversation)
            continue
        try:
            _read_messages(client, expanded, page_id, conversation_id, bounds, batch)
        except MalformedPage:
            # a later page of this conversation; what was read before it is kept
            batch.reject("conversation: a messages page's data is not a list", conversation)
    return batch


def _read_messages(
    client: Pager,
    expanded: dict[str, Any],
    page_id: str,
    conversation_id: str,
    bounds: Bounds,
    batch: SourceBatch,
) -> None:
    # `follow` requests the next page only when the loop runs past the expanded one.
    for payload in client.follow(expanded):
        if not isinstance(payload, dict):
            batch.reject("message: not an object", payload)
            continue
        try:
            item = message_item(payload, page_id, conversation_id)
        except Invalid as exc:
            batch.reject(str(exc), payload)
            continue
        if bounds.too_old(item.created_at):
            return  # newest first
        if bounds.too_new(item.created_at):
            continue
        batch.add(item)
