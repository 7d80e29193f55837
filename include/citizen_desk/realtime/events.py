"""A verified webhook body, split into inbox events keyed by the platform's own ids.

Messenger (`object: page`): every `entry[].messaging[]` (and `standby[]`) item with a `message`
is one event keyed by `message.mid` — the id the Conversations API returns for the same message,
so the daily collection and the webhook store it once; `is_echo` marks the page's own sends.
Page `feed` changes for comments are keyed by `comment_id`. Zalo OA: one event per body, keyed by
`message.msg_id` (the documented idempotency key) or, for events without a message (follow), by
event name, user and timestamp. Anything else the platforms send (deliveries, reads, reactions)
is counted as ignored, not stored. A body that is not what the documentation describes becomes
one `quarantined` event (keyed by its hash) with the reason: nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from citizen_desk.domain.vocabulary import Platform

MAX_KEY = 255


@dataclass(frozen=True)
class InboxEvent:
    platform: str
    event_key: str
    account_id: str  # the page or OA the event belongs to
    kind: str  # message | echo | comment | follow | user_event | quarantined
    occurred_at: datetime | None
    payload: str  # the event's own JSON (one messaging item, one change, one Zalo body)
    reason: str | None = None  # why it was quarantined


@dataclass(frozen=True)
class Parsed:
    events: list[InboxEvent]
    ignored: int


def _quarantined(platform: str, body: bytes, reason: str) -> Parsed:
    digest = hashlib.sha256(body).hexdigest()
    text = body.decode("utf-8", errors="replace")
    event = InboxEvent(platform, f"body:{digest}", "", "quarantined", None, text, reason)
    return Parsed([event], 0)


def _epoch_ms(value: Any) -> datetime | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if not 0 < number < 10**14:
        return None
    return datetime.fromtimestamp(number / 1000, tz=UTC)


def _key(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_KEY else None


def _dump(item: Mapping[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def parse_meta(body: bytes) -> Parsed:
    """Inbox events of a Messenger / page-feed webhook body."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _quarantined(Platform.FACEBOOK, body, f"not JSON: {exc}")
    if not isinstance(document, dict) or document.get("object") != "page":
        return _quarantined(Platform.FACEBOOK, body, "object is not 'page'")
    entries = document.get("entry")
    if not isinstance(entries, list):
        return _quarantined(Platform.FACEBOOK, body, "entry is not a list")
    events: list[InboxEvent] = []
    ignored = 0
    for entry in entries:
        if not isinstance(entry, dict) or not _key(entry.get("id")):
            return _quarantined(Platform.FACEBOOK, body, "an entry without a page id")
        page_id = entry["id"]
        for item in _items(entry, "messaging") + _items(entry, "standby"):
            event = _messaging_event(page_id, item)
            if event is None:
                ignored += 1
            else:
                events.append(event)
        for change in _items(entry, "changes"):
            event = _feed_event(page_id, change)
            if event is None:
                ignored += 1
            else:
                events.append(event)
    return Parsed(events, ignored)


def _items(entry: Mapping[str, Any], field: str) -> list[Any]:
    value = entry.get(field)
    return value if isinstance(value, list) else []


def _messaging_event(page_id: str, item: Any) -> InboxEvent | None:
    if not isinstance(item, dict) or not isinstance(item.get("message"), dict):
        return None  # delivery, read, reaction, postback: nothing to store
    mid = _key(item["message"].get("mid"))
    if mid is None:
        return InboxEvent(Platform.FACEBOOK, f"invalid:{_digest(item)}", page_id, "quarantined",
                          None, _dump(item), "message without a valid mid")  # fmt: skip
    kind = "echo" if item["message"].get("is_echo") else "message"
    return InboxEvent(
        Platform.FACEBOOK, mid, page_id, kind, _epoch_ms(item.get("timestamp")), _dump(item)
    )


def _feed_event(page_id: str, change: Any) -> InboxEvent | None:
    if not isinstance(change, dict) or change.get("field") != "feed":
        return None
    value = change.get("value")
    if not isinstance(value, dict) or value.get("item") != "comment":
        return None
    comment_id = _key(value.get("comment_id"))
    if comment_id is None:
        return InboxEvent(Platform.FACEBOOK, f"invalid:{_digest(change)}", page_id, "quarantined",
                          None, _dump(change), "comment without a valid comment_id")  # fmt: skip
    verb = value.get("verb") if isinstance(value.get("verb"), str) else "add"
    key = comment_id if verb == "add" else f"{comment_id}:{verb}:{value.get('created_time')}"
    created = value.get("created_time")
    occurred = _epoch_ms(created * 1000) if isinstance(created, int) else None
    return InboxEvent(Platform.FACEBOOK, key[:MAX_KEY], page_id, "comment", occurred, _dump(change))


def _digest(item: Any) -> str:
    return hashlib.sha256(_dump(item).encode()).hexdigest()


def parse_zalo(body: bytes) -> Parsed:
    """The inbox event of a Zalo OA webhook body (one event per request)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _quarantined(Platform.ZALO, body, f"not JSON: {exc}")
    if not isinstance(document, dict) or not isinstance(document.get("event_name"), str):
        return _quarantined(Platform.ZALO, body, "no event_name")
    name: str = document["event_name"]
    occurred = _epoch_ms(document.get("timestamp"))
    account = zalo_account(document) or ""
    message = document.get("message")
    if name.startswith(("user_send_", "oa_send_")):
        mid = _key(message.get("msg_id")) if isinstance(message, dict) else None
        if mid is None:
            return _quarantined(Platform.ZALO, body, f"{name} without a valid message.msg_id")
        kind = "echo" if name.startswith("oa_send_") else "message"
        return Parsed([InboxEvent(Platform.ZALO, mid, account, kind, occurred, _dump(document))], 0)
    if name in ("follow", "unfollow"):
        user = _nested_id(document, "follower")
        key = f"{name}:{user}:{document.get('timestamp')}"
        event = InboxEvent(
            Platform.ZALO, key[:MAX_KEY], account, "follow", occurred, _dump(document)
        )
        return Parsed([event], 0)
    return Parsed([], 1)  # seen, reactions, consent...: nothing to store


def zalo_account(document: Mapping[str, Any]) -> str | None:
    """The OA of a Zalo event: `oa_id`, else the recipient of a message (the sender of an echo)."""
    if isinstance(document.get("oa_id"), str):
        return document["oa_id"]
    name = document.get("event_name")
    side = "sender" if isinstance(name, str) and name.startswith("oa_send_") else "recipient"
    return _nested_id(document, side)


def _nested_id(document: Mapping[str, Any], field: str) -> str | None:
    value = document.get(field)
    return _key(value.get("id")) if isinstance(value, dict) else None
