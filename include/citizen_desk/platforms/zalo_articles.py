"""Zalo OA Article API (create, verify, list) and the article broadcast, on `ZaloClient`.

Sources (docs/research/platform-facts.md §10, §8):
- `POST v2.0/article/create` (JSON body, `access_token` header) answers `{"data": {"token"}}`:
  an asynchronous job, nothing is published yet. Request shape: the official Java SDK
  (zaloplatform/zalo-java-sdk `CreateNormalArticle.java`): `type:"normal"`, `title`, `author`,
  `cover{cover_type:"photo", photo_url, status}`, `description`, `body[{type:"text", content}]`,
  `status` (defaults to `hide`: we send `show`), `comment`.
- Limits: title ≤ 150, author ≤ 50, description ≤ 300 (community spec §8); a live log shows
  Zalo refusing a title of exactly 150 ("title allow 1 to 150 characters"), so both are kept
  strictly below. A normal article without a cover is refused (`-201 cover value is invalid`).
- `POST v2.0/article/verify {"token"}` → `{"data": {"id"}}` (one client reads `article_id`);
  `-214` "Article is being processed" = ask again later (retried here with backoff).
- `GET v2.0/article/getslice?offset&limit&type=normal` (plain query parameters, official Java SDK
  `GetListArticle.java`); `limit` > 10 is refused with -201; the list is `data.medias` (live
  client) — `data.articles` in another client, both accepted.
- Broadcast: `POST v2.0/oa/message` with `recipient.target` and a `template`/`media` attachment
  whose element is `{media_type:"article", attachment_id:<article id>}` (Java SDK
  `v3/SendBroadcastMessage.java`); `-234` = promotional sends are blocked 22:00–05:59.

Writes are never repeated blindly (a create that timed out may have created an article): only a
`-32` refusal or a token refresh repeats one; the publication ledger reconciles the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from citizen_desk.errors import PlatformError
from citizen_desk.platforms.retries import call_with_retries
from citizen_desk.platforms.zalo import PLATFORM, RATE_LIMIT_CODES, ZaloClient

log = logging.getLogger(__name__)

ARTICLE_CREATE = "v2.0/article/create"
ARTICLE_VERIFY = "v2.0/article/verify"
ARTICLE_LIST = "v2.0/article/getslice"
OA_MESSAGE = "v2.0/oa/message"
PROCESSING = -214  # "Article is being processed"
NIGHT_BAN = -234  # promotional sends blocked 22:00–05:59
TITLE_LIMIT = 150  # lengths stay strictly below these
AUTHOR_LIMIT = 50
DESCRIPTION_LIMIT = 300
LIST_LIMIT = 10
BAN_START, BAN_END = time(22, 0), time(6, 0)


def broadcast_banned(local: time) -> bool:
    """True in Zalo's promotional night ban (22:00–05:59 local time)."""
    return local >= BAN_START or local < BAN_END


def clip(text: str, limit: int) -> str:
    """`text` on one line and strictly shorter than `limit`, cut at a word with `…`."""
    text = " ".join(text.split())
    if len(text) < limit:
        return text
    cut = text[: limit - 2]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


@dataclass(frozen=True)
class Article:
    """A `type: normal` article: text blocks only, a photo cover, shown at once."""

    title: str
    author: str
    description: str
    paragraphs: Sequence[str]
    cover_url: str

    def payload(self) -> dict[str, Any]:
        problems = []
        if not 0 < len(self.title) < TITLE_LIMIT:
            problems.append("title")
        if not 0 < len(self.author) < AUTHOR_LIMIT:
            problems.append("author")
        if not 0 < len(self.description) < DESCRIPTION_LIMIT:
            problems.append("description")
        if not self.paragraphs or not all(p.strip() for p in self.paragraphs):
            problems.append("body")
        if not self.cover_url.startswith(("https://", "http://")):
            problems.append("cover")
        if problems:
            raise ValueError(f"Zalo article: invalid {', '.join(problems)}")
        return {
            "type": "normal",
            "title": self.title,
            "author": self.author,
            "cover": {"cover_type": "photo", "photo_url": self.cover_url, "status": "show"},
            "description": self.description,
            "body": [{"type": "text", "content": p} for p in self.paragraphs],
            "status": "show",
            "comment": "show",
        }


def _data(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlatformError(
            f"Zalo {what}: 'data' is not an object", platform=PLATFORM, retryable=False
        )
    return value


class ArticleClient:
    """The Article API of one OA through its `ZaloClient` (token, refresh, retries, errors)."""

    def __init__(
        self,
        client: ZaloClient,
        *,
        verify_attempts: int = 6,
        verify_backoff: float = 4.0,
        verify_max_wait: float = 60.0,
    ) -> None:
        self.client = client
        self.verify_attempts = verify_attempts
        self.verify_backoff = verify_backoff
        self.verify_max_wait = verify_max_wait

    def create(self, article: Article) -> str:
        """Start the creation job; returns its token (the article has no id yet)."""
        data = _data(self.client.post(ARTICLE_CREATE, article.payload()), "article/create")
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise PlatformError(
                "Zalo article/create: accepted without a token", platform=PLATFORM, retryable=True
            )
        return token

    def verify(self, token: str) -> str:
        """The article id of a creation job; `-214` (still processing) is asked again with
        backoff, and raised retryable when it outlasts `verify_attempts`."""

        def attempt() -> str:
            try:
                data = self.client.post(ARTICLE_VERIFY, {"token": token})
            except PlatformError as exc:
                if exc.code == PROCESSING:
                    raise PlatformError(
                        "Zalo article/verify: error -214: article is being processed",
                        platform=PLATFORM,
                        code=PROCESSING,
                        retryable=True,
                    ) from None
                raise
            data = _data(data, "article/verify")
            article_id = data.get("id") or data.get("article_id")
            if not article_id:
                raise PlatformError(
                    "Zalo article/verify: no article id", platform=PLATFORM, retryable=True
                )
            return str(article_id)

        return call_with_retries(
            attempt,
            name="Zalo POST /v2.0/article/verify",
            stats=self.client.stats,
            sleep=self.client.sleep,
            max_attempts=self.verify_attempts,
            max_wait=self.verify_max_wait,
            backoff=self.verify_backoff,
            rate_limit_codes=RATE_LIMIT_CODES,
            may_retry=lambda e: e.code in (PROCESSING, *RATE_LIMIT_CODES),
            code_word="error",
        )

    def list_page(self, offset: int, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
        """One page of the OA's normal articles, newest first."""
        data = self.client.get(
            ARTICLE_LIST, {"offset": offset, "limit": limit, "type": "normal"}, plain=True
        )
        if data is None:
            return []
        if isinstance(data, list):
            items: Any = data
        else:
            items = _data(data, "article/getslice").get("medias")
            if items is None:
                items = data.get("articles")
        if items is None:
            return []
        if not isinstance(items, list):
            raise PlatformError(
                "Zalo article/getslice: the list is not a list", platform=PLATFORM, retryable=False
            )
        return [item for item in items if isinstance(item, dict)]

    def recent(self, scan: int) -> Iterator[dict[str, Any]]:
        """Up to `scan` newest articles (pages of 10; a short page is the end)."""
        offset = 0
        while offset < scan:
            page = self.list_page(offset, LIST_LIMIT)
            yield from page[: scan - offset]
            if len(page) < LIST_LIMIT:
                return
            offset += LIST_LIMIT

    def broadcast(self, article_id: str) -> str:
        """Send the article to the OA's followers (no target filter); returns the message id.

        Never repeated blindly: a lost answer would risk a second broadcast."""
        body = {
            "recipient": {"target": {}},
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "media",
                        "elements": [{"media_type": "article", "attachment_id": article_id}],
                    },
                }
            },
        }
        data = _data(self.client.post(OA_MESSAGE, body), "oa/message")
        message_id = data.get("message_id")
        return str(message_id) if message_id else ""
