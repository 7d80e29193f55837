"""Graph paging: opaque cursors, `limit`, slices of ordered lists and the `paging` links."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from platform_simulator.graph.errors import bad_param
from platform_simulator.graph.request import Ctx


def encode_cursor(key: str) -> str:
    return base64.b64encode(f"sim1:{key}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.b64decode(cursor.encode(), validate=False).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_param("(#100) The parameter cursor is not a valid cursor") from exc
    if not text.startswith("sim1:"):
        raise bad_param("(#100) The parameter cursor is not a valid cursor")
    return text[5:]


def parse_bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("false", "0", "no", "off")


def parse_limit(value: Any, default: int = 25) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(str(value))
    except ValueError as exc:
        raise bad_param("(#100) Param limit must be a number") from exc
    return max(0, min(100, limit))


@dataclass
class Slice:
    items: list[Any]
    before: str | None
    after: str | None
    has_next: bool
    has_prev: bool


def cursor_slice(
    items: list[Any], key: Callable[[Any], str], limit: int, after: str | None, before: str | None
) -> Slice:
    """Graph cursor paging over an already ordered list."""
    keys = [key(i) for i in items]
    start, end = 0, min(limit, len(items))
    if after:
        k = decode_cursor(after)
        start = keys.index(k) + 1 if k in keys else len(items)
        end = min(start + limit, len(items))
    elif before:
        k = decode_cursor(before)
        end = keys.index(k) if k in keys else 0
        start = max(0, end - limit)
    chunk = items[start:end]
    return Slice(
        items=chunk,
        before=encode_cursor(keys[start]) if chunk else None,
        after=encode_cursor(keys[end - 1]) if chunk else None,
        has_next=end < len(items),
        has_prev=start > 0,
    )


def page_url(ctx: Ctx, path: str, items: list[tuple[str, str]]) -> str:
    """An absolute link on this server (paging.next / previous)."""
    query = urlencode(items, quote_via=quote, safe="")
    return f"http://{ctx.req.host}{path}?{query}"


def base_items(ctx: Ctx, drop: tuple[str, ...]) -> list[tuple[str, str]]:
    """The request's query without `drop`, with the access token first when it came otherwise."""
    items = [(k, v) for k, v in ctx.req.query_items if k not in drop]
    if not any(k == "access_token" for k, _ in items):
        items.insert(0, ("access_token", ctx.token))
    return items


def cursor_paging(
    ctx: Ctx,
    sl: Slice,
    path: str | None = None,
    items: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """`paging` of a cursor slice: the cursors, and `previous` / `next` where there are more."""
    paging: dict[str, Any] = {"cursors": {"before": sl.before, "after": sl.after}}
    path = path or ctx.req.path
    base = items if items is not None else base_items(ctx, ("after", "before"))
    if sl.has_prev:
        paging["previous"] = page_url(ctx, path, [*base, ("before", sl.before or "")])
    if sl.has_next:
        paging["next"] = page_url(ctx, path, [*base, ("after", sl.after or "")])
    return paging
