"""Slack messages: Block Kit from templates, and the outbox key each message carries.

Templates live in `templates/slack/*.j2`. A template is plain Jinja2 text cut into parts by marker
lines: `::text` (the plain fallback shown in notifications), `::header`, `::section`,
`::context` and `::divider`. Every `{{ expression }}` is escaped for Slack mrkdwn (`&`, `<`, `>`)
unless it comes from the `link` filter, so data can never inject mentions or links. The Block Kit
JSON is built here in Python, never by the template.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from citizen_desk.config import settings

if TYPE_CHECKING:
    from jinja2 import Environment

METADATA_EVENT_TYPE = "citizen_desk_notification"
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_TEXT_CHARS = 4000
PART_KINDS = ("text", "header", "section", "context", "divider")
_PART_MARKER = re.compile(r"^::(\w+)\s*$")


# --- the outbox key in a message -----------------------------------------------------------------


def message_metadata(key: str) -> dict[str, Any]:
    """Slack message metadata carrying the outbox key (read back when reconciling)."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": key}}


def message_has_key(message: Mapping[str, Any], key: str) -> bool:
    """Whether a message from `conversations.history` is the one sent for `key`.

    Looks at the metadata first, then at the key's context block (metadata can be missing when
    the app lacks the metadata scope).
    """
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("key") == key:
        return True
    marker = key_marker(key)
    for block in message.get("blocks") or ():
        if block.get("block_id") == key_block_id(key):
            return True
        for element in block.get("elements") or ():
            if isinstance(element, Mapping) and element.get("text") == marker:
                return True
    return False


def key_marker(key: str) -> str:
    return f"Mã thông báo: `{escape_mrkdwn(key)}`"


def key_block_id(key: str) -> str:
    """A block_id for the key's context block (block ids are limited to 255 characters)."""
    return "cd-" + hashlib.sha256(key.encode()).hexdigest()[:32]


KEY_BLOCK_TEXT = "Gửi từ Citizen Desk"


def with_key_block(blocks: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """`blocks` plus a small context block whose `block_id` is derived from the key.

    The key itself is internal: it travels in the message metadata and in this hidden block id
    (reconciliation reads either), never in the text a chief reads. Messages sent before this
    carried it visibly (`key_marker`), which `message_has_key` still recognises.
    """
    block = {
        "type": "context",
        "block_id": key_block_id(key),
        "elements": [{"type": "mrkdwn", "text": KEY_BLOCK_TEXT}],
    }
    return [*blocks[: MAX_BLOCKS - 1], block]


# --- rendering -----------------------------------------------------------------------------------


class SlackSafe(str):
    """Mrkdwn that is already escaped (made by the `link` filter); not escaped again."""

    __slots__ = ()


def escape_mrkdwn(value: object) -> str:
    """Escape Slack's control characters so data shows as text, never as a link or mention."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _finalize(value: object) -> object:
    if isinstance(value, SlackSafe):
        return value
    return escape_mrkdwn(value)


def link(url: str, label: str | None = None) -> SlackSafe:
    """`<url|label>`; both parts escaped (`|` cannot appear in a label)."""
    target = escape_mrkdwn(url).replace("|", "%7C")
    if label is None:
        return SlackSafe(f"<{target}>")
    return SlackSafe(f"<{target}|{escape_mrkdwn(label).replace('|', '¦')}>")


def _duration_vi(value: timedelta | None) -> str:
    from citizen_desk.config.durations import format_duration_vi

    return format_duration_vi(value) if value is not None else ""


def our_values(*values: object, zone: ZoneInfo | None = None) -> tuple[str, ...]:
    """Our own values as a template shows them (text as is, times and durations through the
    same filters, in `zone`, by default the deployment's), for the PII gate to set apart
    (`citizen_desk.notify.gate`)."""
    from citizen_desk.config.registry import deployment_zone
    from citizen_desk.rendering import format_local

    shown: list[str] = []
    for value in values:
        if isinstance(value, str):
            shown.append(value)
        elif isinstance(value, datetime):
            zone = zone or deployment_zone()
            shown.append(format_local(value, zone))
        elif isinstance(value, timedelta):
            shown.append(_duration_vi(value))
    return tuple(shown)


@lru_cache(maxsize=4)
def environment(templates_dir: str | None = None) -> Environment:
    """The Slack template environment (own `finalize`, separate from `citizen_desk.rendering`)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from citizen_desk.rendering import local_time, number_vi

    env = Environment(
        loader=FileSystemLoader(templates_dir or str(settings.templates_dir())),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        local_time=local_time, number_vi=number_vi, link=link, duration_vi=_duration_vi
    )
    return env


@dataclass(frozen=True)
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def render_message(
    template: str, *, templates_dir: str | None = None, **context: Any
) -> SlackMessage:
    """Render `templates/slack/<template>.j2` into a fallback text and Block Kit blocks."""
    name = template if template.endswith(".j2") else f"slack/{template}.j2"
    rendered = environment(templates_dir).get_template(name).render(**context)
    return parts_to_message(_split_parts(rendered, name))


def _split_parts(rendered: str, name: str) -> list[tuple[str, str]]:
    parts: list[tuple[str, list[str]]] = []
    for line in rendered.splitlines():
        marker = _PART_MARKER.match(line)
        if marker:
            kind = marker.group(1)
            if kind not in PART_KINDS:
                raise ValueError(f"{name}: unknown part ::{kind}")
            parts.append((kind, []))
        elif parts:
            parts[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"{name}: text before the first ::part marker")
    return [(kind, "\n".join(lines).strip()) for kind, lines in parts]


def parts_to_message(parts: list[tuple[str, str]]) -> SlackMessage:
    blocks: list[dict[str, Any]] = []
    text = ""
    for kind, body in parts:
        if kind == "divider":
            blocks.append({"type": "divider"})
        elif not body:
            continue
        elif kind == "text":
            text = body
        elif kind == "header":
            plain = " ".join(_unescape(body).split())
            blocks.append(
                {
                    "type": "header",
                    "text": {"type": "plain_text", "text": _cut(plain, MAX_HEADER_CHARS)},
                }
            )
        elif kind == "section":
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": _cut(body, MAX_SECTION_CHARS)},
                }
            )
        else:
            element = {"type": "mrkdwn", "text": _cut(body, MAX_SECTION_CHARS)}
            blocks.append({"type": "context", "elements": [element]})
    if not text:
        text = next((b["text"]["text"] for b in blocks if b["type"] in ("header", "section")), "")
    return SlackMessage(text=_cut(text, MAX_TEXT_CHARS), blocks=blocks[: MAX_BLOCKS - 1])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
