"""Normalised collected records and the validation of raw platform payloads.

A source reader turns each raw message/comment into an `Item` or, when the payload is unusable
(missing id or time, unparsable timestamp, wrong types), a `Rejected` entry that goes to the
quarantine table with its reason. Reasons name the problem, never a value from the payload.

`storable` is the last check of every item: what the database cannot hold (a NUL character or an
unpaired surrogate anywhere in the payload, an id or a name longer than its column, a non-finite
number) is rejected here, per item, so one bad message never fails the channel's whole batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from citizen_desk.db.models import Citizen, Message

KINDS = ("messenger", "comment", "zalo")
# Timestamps outside this range are treated as corrupt (epoch zero, seconds-vs-ms mix-ups).
MIN_TIME = datetime(2005, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2100, 1, 1, tzinfo=UTC)
# Column sizes the store writes into (PostgreSQL refuses longer values; SQLite would not notice).


def _length(column: Any) -> int:
    return int(column.type.length)


ID_MAX = _length(Message.__table__.c.platform_message_id)
USER_ID_MAX = _length(Citizen.__table__.c.platform_user_id)
NAME_MAX = _length(Citizen.__table__.c.protected_display_name)


class Invalid(ValueError):
    """A payload failed validation; the message is the quarantine reason (no payload values)."""


@dataclass(frozen=True)
class Item:
    """One message or comment, citizen → page (`in`) or page → citizen (`out`)."""

    platform_message_id: str
    kind: str
    thread_key: str
    direction: str
    created_at: datetime
    text: str
    raw: Mapping[str, Any]
    citizen_user_id: str | None = None  # the citizen who sent it (in) or receives it (out)
    citizen_name: str | None = None
    parent_platform_id: str | None = None


class StoredMessage(NamedTuple):
    """The columns of a stored message that the derivation of its case reads (a plain row: no
    ORM object per message)."""

    id: int
    platform_message_id: str
    thread_key: str
    kind: str
    direction: str
    created_at: datetime
    text: str
    raw: Mapping[str, Any] | None
    category: str | None
    urgent: bool
    citizen_id: int | None
    case_id: int | None
    collected_at: datetime


STORED_COLUMNS = tuple(getattr(Message, name) for name in StoredMessage._fields)


@dataclass(frozen=True)
class Rejected:
    source: str
    reason: str
    payload: Any


@dataclass
class SourceBatch:
    """What one source read for a channel: items, rejects and how far it got."""

    source: str
    items: list[Item] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # Newest platform time seen (conversation updated_time, comment or message time): the next
    # watermark. None when nothing was seen (the watermark stays).
    newest: datetime | None = None
    # Comment threads answered by a private reply: top-level comment id -> conversation id.
    private_replies: dict[str, str] = field(default_factory=dict)
    # Told of each item as it is added (from the reading thread): `collect.pretriage` triages
    # the citizen messages while the rest of the source is still being read.
    on_item: Callable[[Item], None] | None = field(default=None, repr=False, compare=False)

    def add(self, item: Item) -> None:
        self.items.append(item)
        if self.on_item is not None:
            self.on_item(item)

    def see(self, when: datetime) -> None:
        if self.newest is None or when > self.newest:
            self.newest = when

    def reject(self, reason: str, payload: Any) -> None:
        self.rejected.append(Rejected(self.source, reason, payload))


@dataclass(frozen=True)
class Bounds:
    """The time window a source reads: stop below `since`, ignore items after `until`.

    `mark` is the watermark itself (`since` = mark - safety overlap): items between `since` and
    `mark` were probably seen already, so a reader may skip them when they are known.
    """

    since: datetime | None = None
    until: datetime | None = None
    mark: datetime | None = None

    def in_overlap(self, when: datetime) -> bool:
        return self.mark is not None and when <= self.mark

    def too_old(self, when: datetime) -> bool:
        return self.since is not None and when < self.since

    def too_new(self, when: datetime) -> bool:
        return self.until is not None and when > self.until


def _string_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate"
    return None


def _payload_problem(payload: Any) -> str | None:
    """What in a JSON payload the database cannot store (iterative: payloads may nest deeply)."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            problem = _string_problem(value)
        elif isinstance(value, float):
            problem = None if math.isfinite(value) else "holds a non-finite number"
        elif isinstance(value, Mapping):
            problem = None
            for key, inner in value.items():
                if isinstance(key, str) and (problem := _string_problem(key)):
                    break
                stack.append(inner)
        elif isinstance(value, list | tuple):
            problem = None
            stack.extend(value)
        else:
            problem = None
        if problem:
            return problem
    return None


def storable(item: Item, what: str) -> Item:
    """`item` when the store can write it as it is; else `Invalid` (see the module docstring)."""
    limits = (
        ("id", item.platform_message_id, ID_MAX),
        ("thread id", item.thread_key, ID_MAX),
        ("parent id", item.parent_platform_id, ID_MAX),
        ("user id", item.citizen_user_id, USER_ID_MAX),
        ("display name", item.citizen_name, NAME_MAX),
    )
    for name, value, limit in limits:
        if value is not None and len(value) > limit:
            raise Invalid(f"{what}: {name} longer than {limit} characters")
    problem = _payload_problem(item.raw)
    if problem:
        raise Invalid(f"{what}: {problem}")
    return item


def require_str(payload: Mapping[str, Any], key: str, what: str) -> str:
    value = payload.get(key)
    if value is None or value == "":
        raise Invalid(f"{what}: missing {key}")
    if not isinstance(value, str):
        raise Invalid(f"{what}: {key} is not a string")
    return value


def optional_text(payload: Mapping[str, Any], key: str, what: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{what}: {key} is not text")
    return value


def _in_range(value: datetime, what: str, key: str) -> datetime:
    if not MIN_TIME <= value < MAX_TIME:
        raise Invalid(f"{what}: {key} out of range")
    return value


def graph_time(payload: Mapping[str, Any], key: str, what: str) -> datetime:
    """A Graph timestamp (`2026-11-20T09:28:50+0000`, ISO 8601) as aware UTC.

    UNIX seconds are accepted too: the Conversations API examples show `"UNIX-TIMESTAMP"` and the
    Page Post reference types `updated_time` as a float.
    """
    value = payload.get(key)
    if value is None or value == "":
        raise Invalid(f"{what}: missing {key}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or not 0 <= value < MAX_TIME.timestamp():
            raise Invalid(f"{what}: {key} out of range")
        return _in_range(datetime.fromtimestamp(value, UTC), what, key)
    if not isinstance(value, str):
        raise Invalid(f"{what}: {key} is not a string")
    try:
        # Graph's form (`+0000` offset) is ISO 8601, which `fromisoformat` reads since Python
        # 3.11, about a hundred times faster than `strptime` (a first collection parses one a
        # message, in the reader thread that shares the interpreter lock with the writer).
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:  # what `strptime` alone accepts (unpadded fields: "2026-1-2T3:4:5+0000")
            parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            raise Invalid(f"{what}: {key} is not a valid timestamp") from None
    if parsed.tzinfo is None:
        raise Invalid(f"{what}: {key} has no time zone")
    return _in_range(parsed.astimezone(UTC), what, key)


def epoch_ms(payload: Mapping[str, Any], key: str, what: str) -> datetime:
    """A Zalo epoch-milliseconds timestamp (int, or a string of digits) as aware UTC."""
    value = payload.get(key)
    if value is None or value == "":
        raise Invalid(f"{what}: missing {key}")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{what}: {key} is not epoch milliseconds")
    try:
        parsed = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except OverflowError:
        raise Invalid(f"{what}: {key} out of range") from None
    return _in_range(parsed, what, key)


def person(payload: Mapping[str, Any], key: str, what: str) -> tuple[str, str | None]:
    """(id, name) of a Graph `from`-style object."""
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise Invalid(f"{what}: missing {key}")
    ident = value.get("id")
    if not isinstance(ident, str) or not ident:
        raise Invalid(f"{what}: {key}.id missing or not a string")
    name = value.get("name")
    return ident, name if isinstance(name, str) and name else None
