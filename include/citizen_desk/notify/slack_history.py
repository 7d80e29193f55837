"""Reading Slack's conversation history to tell whether an interrupted send went out.

The history is read in bulk: one `conversations.history` walk per conversation and run
(`oldest` = the earliest interrupted row of that conversation, an hour of clock skew allowed,
`include_all_metadata`), shared by every interrupted row of the conversation, so N interrupted
keys in one channel cost one call, not N (`conversations.history` is Tier 3,
docs/research/platform-facts.md §12). A message carries its key in its metadata and a context
block. A history that is rate-limited or cannot be read blocks its conversation for the rest of
the run (`UncertainDelivery`); slack_sdk's own 429 handler is switched off for these reads so the
run never sleeps on them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import Notification
from citizen_desk.db.types import utc
from citizen_desk.notify.slack_errors import (
    TRANSIENT_ERRORS,
    error_code,
    error_text,
    http_status,
    retry_after_of,
)

if TYPE_CHECKING:
    from slack_sdk import WebClient

HISTORY_PAGES = 5
HISTORY_PAGE_SIZE = 200
HISTORY_SKEW = timedelta(hours=1)  # our clock vs Slack's, when bounding the history window


class UncertainDelivery(Exception):
    """The conversation history could not be read, so we cannot tell whether it was sent.

    `transient`: worth trying again later (rate limit, Slack or network hiccup).
    """

    def __init__(
        self, reason: str, *, transient: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(reason)
        self.transient = transient
        self.retry_after = retry_after


@dataclass
class _Walk:
    """What this run has read of one conversation's history."""

    oldest: float | None  # `oldest` sent to Slack (epoch seconds), None = no lower bound
    messages: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None
    done: bool = False  # read back to `oldest` (or to the start of the conversation)
    pages: int = 0
    blocked: UncertainDelivery | None = None  # unreadable this run: every row of it waits or fails
    calls: int = 0


class Histories:
    """Bulk reconciliation: one history walk per conversation and run, shared by its rows."""

    def __init__(self, client: WebClient, factory: sessionmaker) -> None:
        self.client = client
        self.reader = without_rate_limit_waits(client)
        self.factory = factory
        self.walks: dict[str, _Walk] = {}

    @property
    def calls(self) -> int:
        return sum(w.calls for w in self.walks.values())

    def _oldest(self, recipient: str) -> float | None:
        """The window start: the earliest interrupted (`sending`) row for this recipient."""
        from sqlalchemy import func

        with self.factory() as session:
            first = session.scalar(
                select(func.min(Notification.created_at)).where(
                    Notification.status == "sending", Notification.recipient == recipient
                )
            )
        if first is None:
            return None
        return (utc(first) - HISTORY_SKEW).timestamp()

    def find(self, channel: str, recipient: str, key: str) -> dict[str, Any] | None:
        """The message carrying `key` in `channel`'s history, None when provably absent;
        `UncertainDelivery` when the history cannot tell (this run)."""
        from citizen_desk.notify.blocks import message_has_key

        walk = self.walks.get(channel)
        if walk is None:
            walk = self.walks[channel] = _Walk(self._oldest(recipient))
        if walk.blocked is not None:
            raise walk.blocked
        for message in walk.messages:
            if message_has_key(message, key):
                return message
        while not walk.done:
            if walk.pages >= HISTORY_PAGES:
                raise UncertainDelivery(
                    f"conversations.history: key not in the last {HISTORY_PAGES} pages"
                )
            page = self._page(channel, walk)
            for message in page:
                if message_has_key(message, key):
                    return message
        return None

    def _page(self, channel: str, walk: _Walk) -> list[dict[str, Any]]:
        from slack_sdk.errors import SlackApiError

        kwargs: dict[str, Any] = {
            "channel": channel,
            "limit": HISTORY_PAGE_SIZE,
            "include_all_metadata": True,
            "cursor": walk.cursor,
        }
        if walk.oldest is not None:
            kwargs["oldest"] = f"{walk.oldest:.6f}"
        walk.calls += 1
        try:
            response = self.reader.conversations_history(**kwargs)
        except SlackApiError as exc:
            transient = error_code(exc) in TRANSIENT_ERRORS or http_status(exc) == 429
            walk.blocked = UncertainDelivery(
                error_text(exc, "conversations.history"),
                transient=transient,
                retry_after=retry_after_of(exc),
            )
            raise walk.blocked from exc
        except Exception as exc:  # timeouts, dropped connections
            walk.blocked = UncertainDelivery(
                f"conversations.history: {type(exc).__name__}", transient=True
            )
            raise walk.blocked from exc
        messages = [m for m in response.get("messages") or () if isinstance(m, Mapping)]
        walk.messages.extend(dict(m) for m in messages)
        walk.pages += 1
        walk.cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
        walk.done = not (response.get("has_more") and walk.cursor)
        return [dict(m) for m in messages]


def without_rate_limit_waits(client: Any) -> Any:
    """A shallow copy of a `WebClient` without its 429 handler (which sleeps `Retry-After`
    in-process): a rate-limited history read then skips reconciliation for this run instead of
    blocking it, and a post waits on our terms (`delivery._post_while_true`)."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry import RateLimitErrorRetryHandler

    if not isinstance(client, WebClient):
        return client  # a test double
    quiet = copy.copy(client)
    quiet.retry_handlers = [
        h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
    ]
    return quiet
