"""Zalo OA Article API (`/v2.0/article/create|verify|getslice`) and the article broadcast
(`POST /v2.0/oa/message`), as documented in docs/research/platform-facts.md §10.

- ``create`` validates a ``type: normal`` article (title and description strictly below 150 / 300
  characters, author below 50, a photo cover, text/image body blocks) and answers a job token;
  nothing is listed yet.
- The job is processed asynchronously: it is done once ``processing_polls`` verify calls have
  answered ``-214`` "Article is being processed", or once ``processing_seconds`` of simulated time
  have passed since the create. From then on ``verify`` answers its id (again and again: verify is
  idempotent) and ``getslice`` lists the article, newest first, in ``data.medias``.
- ``getslice`` takes plain query parameters ``offset``, ``limit`` (1..10) and ``type``
  (``normal`` / ``video``).
- A broadcast must name a listed article; inside 22:00–05:59 Vietnam time it is refused with
  ``-234``.

Tests read what was published with ``Simulator.zalo.articles.published()`` (or
``GET /_sim/zalo/articles``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from platform_simulator.config import Channel
    from platform_simulator.simulator import Simulator

STATE_KEY = "zalo_articles"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE_LIMIT, AUTHOR_LIMIT, DESCRIPTION_LIMIT = 150, 50, 300
ENDPOINTS = {
    "article/create": "zalo.article.create",
    "article/verify": "zalo.article.verify",
    "article/getslice": "zalo.article.getslice",
    "oa/message": "zalo.broadcast",
}


class ArticleError(Exception):
    """An OA API error with its own message (the shared table has no article codes)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _ok(data: Any) -> dict[str, Any]:
    return {"data": data, "error": 0, "message": "Success"}


def endpoint(path: str) -> str | None:
    """The endpoint key of an article/broadcast path, or None."""
    for tail, key in ENDPOINTS.items():
        if path.rstrip("/").endswith("/v2.0/" + tail):
            return key
    return None


class ZaloArticles:
    def __init__(
        self, sim: Simulator, *, processing_polls: int = 1, processing_seconds: float = 30.0
    ) -> None:
        self.sim = sim
        self.processing_polls = processing_polls
        self.processing_seconds = processing_seconds

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> dict[str, Any]:
        return self.sim.world.state.setdefault(
            STATE_KEY, {"n": 0, "jobs": {}, "articles": {}, "broadcasts": []}
        )

    def published(self, oa_id: str | None = None) -> list[dict[str, Any]]:
        """Articles that exist on the OAs (processed jobs), oldest first."""
        self._settle()
        return [
            dict(a) for a in self.state["articles"].values() if oa_id is None or a["oa_id"] == oa_id
        ]

    def broadcasts(self) -> list[dict[str, Any]]:
        return [dict(b) for b in self.state["broadcasts"]]

    def jobs(self) -> list[dict[str, Any]]:
        return [dict(j) for j in self.state["jobs"].values()]

    # ------------------------------------------------------------------ dispatch

    def handle(self, channel: Channel, key: str, method: str, req: Any) -> dict[str, Any]:
        if key == "zalo.article.create" and method == "POST":
            return self.create(channel, req.json_body())
        if key == "zalo.article.verify" and method == "POST":
            return self.verify(channel, req.json_body())
        if key == "zalo.article.getslice" and method == "GET":
            return self.getslice(channel, dict(req.query))
        if key == "zalo.broadcast" and method == "POST":
            return self.broadcast(channel, req.json_body())
        return {"error": -209, "message": "Not supported this api"}

    # ------------------------------------------------------------------ article/create

    def create(self, channel: Channel, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ArticleError(-201, "body is invalid!")
        if body.get("type") != "normal":
            raise ArticleError(-201, "type is invalid!")
        title, author, description = (body.get(k) for k in ("title", "author", "description"))
        if not isinstance(title, str) or not 0 < len(title.strip()) < TITLE_LIMIT:
            raise ArticleError(-201, "title allow 1 to 150 characters")
        if not isinstance(author, str) or not 0 < len(author.strip()) < AUTHOR_LIMIT:
            raise ArticleError(-201, "author allow 1 to 50 characters")
        if not isinstance(description, str) or not 0 < len(description.strip()) < DESCRIPTION_LIMIT:
            raise ArticleError(-201, "description allow 1 to 300 characters")
        cover = body.get("cover")
        if (
            not isinstance(cover, dict)
            or cover.get("cover_type") != "photo"
            or not str(cover.get("photo_url") or "").startswith(("http://", "https://"))
            or cover.get("status") not in ("show", "hide")
        ):
            raise ArticleError(-201, "cover value is invalid")
        blocks = body.get("body")
        if not isinstance(blocks, list) or not blocks:
            raise ArticleError(-201, "body is invalid!")
        for block in blocks:
            if not isinstance(block, dict) or block.get("type") not in ("text", "image"):
                raise ArticleError(-201, "body is invalid!")
            if block["type"] == "text" and not str(block.get("content") or "").strip():
                raise ArticleError(-201, "body is invalid!")
        status = body.get("status", "hide")
        if status not in ("show", "hide"):
            raise ArticleError(-201, "status is invalid!")
        state = self.state
        state["n"] += 1
        n = state["n"]
        digest = hashlib.sha256(f"{self.sim.cfg.seed}|{channel.platform_id}|{n}".encode())
        token = digest.hexdigest()[:40]
        state["jobs"][token] = {
            "token": token,
            "oa_id": channel.platform_id,
            "n": n,
            "created_ms": self.sim.now_ms(),
            "polls": 0,
            "article_id": None,
            "article": {
                "title": title,
                "author": author,
                "description": description,
                "cover": dict(cover),
                "body": [dict(b) for b in blocks],
                "status": status,
                "comment": body.get("comment", "show"),
            },
        }
        self.sim.mark_dirty()
        return _ok({"token": token})

    # ------------------------------------------------------------------ processing

    def _done(self, job: dict[str, Any]) -> bool:
        elapsed = (self.sim.now_ms() - job["created_ms"]) / 1000
        return job["polls"] >= self.processing_polls or elapsed >= self.processing_seconds

    def _finish(self, job: dict[str, Any]) -> str:
        if job["article_id"] is None:
            article_id = hashlib.sha256(f"article|{job['token']}".encode()).hexdigest()[:20]
            job["article_id"] = article_id
            self.state["articles"][article_id] = {
                "id": article_id,
                "oa_id": job["oa_id"],
                "token": job["token"],
                "create_date": job["created_ms"],
                **job["article"],
            }
            self.sim.mark_dirty()
        return str(job["article_id"])

    def _settle(self) -> None:
        for job in self.state["jobs"].values():
            if job["article_id"] is None and self._done(job):
                self._finish(job)

    # ------------------------------------------------------------------ article/verify

    def verify(self, channel: Channel, body: Any) -> dict[str, Any]:
        token = body.get("token") if isinstance(body, dict) else None
        job = self.state["jobs"].get(str(token or ""))
        if job is None or job["oa_id"] != channel.platform_id:
            raise ArticleError(-201, "token is invalid!")
        if job["article_id"] is None and not self._done(job):
            job["polls"] += 1
            self.sim.mark_dirty()
            raise ArticleError(-214, "Article is being processed")
        return _ok({"id": self._finish(job)})

    # ------------------------------------------------------------------ article/getslice

    def getslice(self, channel: Channel, query: dict[str, str]) -> dict[str, Any]:
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", "10"))
        except ValueError:
            raise ArticleError(-201, "offset or limit is invalid!") from None
        if offset < 0:
            raise ArticleError(-201, "offset is invalid!")
        if not 1 <= limit <= 10:
            raise ArticleError(-201, "maximum limit is 10")
        kind = query.get("type")
        if kind not in ("normal", "video"):
            raise ArticleError(-201, "type accept only 2 value normal and video.")
        self._settle()
        mine = [
            a
            for a in self.state["articles"].values()
            if a["oa_id"] == channel.platform_id and kind == "normal"
        ]
        mine.sort(key=lambda a: a["create_date"], reverse=True)
        medias = [
            {
                "id": a["id"],
                "type": "normal",
                "title": a["title"],
                "status": a["status"],
                "thumb": a["cover"]["photo_url"],
                "create_date": a["create_date"],
                "link": f"https://zalo.me/sim/article/{a['id']}",
            }
            for a in mine[offset : offset + limit]
        ]
        return _ok({"medias": medias, "total": len(mine)})

    # ------------------------------------------------------------------ oa/message (broadcast)

    def broadcast(self, channel: Channel, body: Any) -> dict[str, Any]:
        recipient = body.get("recipient") if isinstance(body, dict) else None
        if not isinstance(recipient, dict) or not isinstance(recipient.get("target"), dict):
            raise ArticleError(-201, "recipient is invalid!")
        try:
            attachment = body["message"]["attachment"]
            payload = attachment["payload"]
            elements = payload["elements"]
        except (KeyError, TypeError):
            raise ArticleError(-201, "message is invalid!") from None
        if attachment.get("type") != "template" or payload.get("template_type") != "media":
            raise ArticleError(-201, "attachment is invalid!")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 5:
            raise ArticleError(-201, "elements is invalid!")
        self._settle()
        ids = []
        for element in elements:
            article = self.state["articles"].get(str(element.get("attachment_id") or ""))
            if (
                element.get("media_type") != "article"
                or article is None
                or article["oa_id"] != channel.platform_id
            ):
                raise ArticleError(-201, "attachment_id is invalid!")
            ids.append(article["id"])
        local = datetime.fromtimestamp(self.sim.now_ms() / 1000, UTC).astimezone(VIETNAM).time()
        if local >= time(22, 0) or local < time(6, 0):
            raise ArticleError(-234, "Cannot send promotion message from 22h to 6h")
        broadcasts = self.state["broadcasts"]
        message_id = hashlib.sha256(f"broadcast|{channel.platform_id}|{len(broadcasts)}".encode())
        record = {
            "message_id": message_id.hexdigest()[:32],
            "oa_id": channel.platform_id,
            "articles": ids,
            "target": dict(recipient["target"]),
            "sent_ms": self.sim.now_ms(),
        }
        broadcasts.append(record)
        self.sim.mark_dirty()
        return _ok({"message_id": record["message_id"]})
