"""Webhooks pushed the way Meta and Zalo push them: signed, batched, retried, sometimes twice.

In live mode, once the simulator has started, every new citizen message (Messenger, Zalo) and
comment that appears in the world is also pushed to the configured receiver URLs:

- Meta: `{"object":"page","entry":[{"id":PAGE,"time":…,"messaging":[…]}]}` (comments as `feed`
  changes), batched per page over `batch_seconds`, signed `X-Hub-Signature-256: sha256=<HMAC-SHA256
  of the body with the app secret>`.
- Zalo: one `user_send_text` body per message, `X-ZEvent-Signature: mac=<sha256(app_id + body +
  timestamp + OA secret key)>`, ids and timestamp as strings.

A non-200 answer (or no answer) is retried with the platform's ladder, shortened: Meta retries at
once then with growing waits, Zalo after 30 s, 5 min… (divided by `retry_speed`). With
`duplicate_rate`, a delivered body is delivered again later (both platforms document duplicates),
and batches may go out of order. Pushing never blocks the API: a daemon thread drains an outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

# seconds before each retry: Meta retries "immediately", then less and less often for up to
# 36 hours; the ladder stops after about an hour here
META_LADDER = (0.0, 1.0, 5.0, 30.0, 120.0, 300.0, 900.0, 1800.0)
ZALO_LADDER = (30.0, 300.0, 900.0, 1800.0, 3600.0)


@dataclass
class WebhookConfig:
    facebook_url: str | None = None
    zalo_url: str | None = None
    app_secret: str = "sim-meta-app-secret"
    zalo_app_id: str = "sim-zalo-app"
    zalo_secret: str = "sim-zalo-oa-secret"
    batch_seconds: float = 1.0
    duplicate_rate: float = 0.0
    retry_speed: float = 60.0  # retry waits divided by this (a 30 s Zalo retry waits 0.5 s)


@dataclass
class Delivery:
    platform: str
    url: str
    body: bytes
    headers: dict[str, str]
    attempt: int = 0
    due: float = 0.0


@dataclass
class PushLog:
    """What was pushed (for tests and the e2e): per delivery, the status of every attempt."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    given_up: int = 0  # deliveries whose last retry failed too (the platform drops them)


def meta_body(page_id: str, messaging: list[dict[str, Any]], changes: list[dict[str, Any]],
              time_ms: int) -> bytes:  # fmt: skip
    entry: dict[str, Any] = {"id": page_id, "time": time_ms}
    if messaging:
        entry["messaging"] = messaging
    if changes:
        entry["changes"] = changes
    return json.dumps({"object": "page", "entry": [entry]}, ensure_ascii=False).encode()


def meta_headers(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


def zalo_headers(body: bytes, app_id: str, timestamp: str, secret: str) -> dict[str, str]:
    mac = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()
    return {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}


def messenger_item(msg: dict[str, Any]) -> dict[str, Any] | None:
    """A world Messenger message as a webhook `messaging` item (citizen → page only)."""
    if msg["from_id"] == msg["page_id"]:
        return None  # the page's own replies would come as echoes; the receiver ignores them
    message: dict[str, Any] = {"mid": msg["id"], "text": msg["message"]}
    if msg.get("attachments"):
        message["attachments"] = [
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/sim"}}
        ]
    return {"sender": {"id": msg["citizen_id"]}, "recipient": {"id": msg["page_id"]},
            "timestamp": msg["created_ms"], "message": message}  # fmt: skip


def feed_change(comment: dict[str, Any], page_id: str) -> dict[str, Any] | None:
    """A world comment as a page `feed` change (the page's own replies are skipped)."""
    author = comment.get("from_id")
    if author == page_id:
        return None
    value = {
        "item": "comment", "verb": "add", "comment_id": comment["id"],
        "post_id": comment["post_id"],
        "parent_id": comment.get("parent_id") or comment["post_id"],
        "from": {"id": author, "name": comment.get("from_name") or ""},
        "message": comment.get("message") or "", "created_time": int(comment["created_ms"]) // 1000,
    }  # fmt: skip
    return {"field": "feed", "value": value}


def zalo_body(msg: dict[str, Any], app_id: str) -> tuple[bytes, str] | None:
    if msg.get("src") != 1:
        return None
    timestamp = str(msg["time"])
    document = {
        "app_id": app_id, "sender": {"id": msg["user_id"]}, "recipient": {"id": msg["oa_id"]},
        "event_name": "user_send_text" if msg.get("type") == "text" else "user_send_image",
        "message": {"text": msg["message"], "msg_id": msg["id"]}, "timestamp": timestamp,
    }  # fmt: skip
    return json.dumps(document, ensure_ascii=False).encode(), timestamp


class WebhookPusher:
    """Collects world events (`notice`) and pushes them from a daemon thread."""

    def __init__(self, config: WebhookConfig, seed: int,
                 post: Callable[..., Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.cfg = config
        self.rng = random.Random(f"{seed}|webhooks")
        self.clock = clock
        self.post = post or requests.Session().post
        self.log = PushLog()
        self._lock = threading.Lock()
        self._messaging: dict[str, list[dict[str, Any]]] = {}
        self._changes: dict[str, list[dict[str, Any]]] = {}
        self._first_at: float | None = None
        self._queue: list[Delivery] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notice(self, op: str, data: dict[str, Any]) -> None:
        """A world event was applied (called under the simulator's lock)."""
        with self._lock:
            if op == "fb_msg" and self.cfg.facebook_url:
                item = messenger_item(data)
                if item is not None:
                    self._messaging.setdefault(data["page_id"], []).append(item)
                    self._first_at = self._first_at or self.clock()
            elif op == "fb_comment" and self.cfg.facebook_url:
                change = feed_change(data, data.get("page_id", ""))
                if change is not None and data.get("page_id"):
                    self._changes.setdefault(data["page_id"], []).append(change)
                    self._first_at = self._first_at or self.clock()
            elif op == "zalo_msg" and self.cfg.zalo_url:
                made = zalo_body(data, self.cfg.zalo_app_id)
                if made is not None:
                    body, timestamp = made
                    headers = zalo_headers(
                        body, self.cfg.zalo_app_id, timestamp, self.cfg.zalo_secret
                    )
                    self._queue.append(
                        Delivery("zalo", self.cfg.zalo_url, body, headers, due=self.clock())
                    )

    def flush_batches(self, force: bool = False) -> None:
        """Turn the Messenger/feed items gathered for `batch_seconds` into signed bodies."""
        with self._lock:
            if self._first_at is None:
                return
            if not force and self.clock() - self._first_at < self.cfg.batch_seconds:
                return
            pages = sorted(set(self._messaging) | set(self._changes))
            for page in pages:
                body = meta_body(page, self._messaging.pop(page, []), self._changes.pop(page, []),
                                 int(time.time() * 1000))  # fmt: skip
                headers = meta_headers(body, self.cfg.app_secret)
                assert self.cfg.facebook_url
                self._queue.append(Delivery("facebook", self.cfg.facebook_url, body, headers,
                                            due=self.clock()))  # fmt: skip
            self._first_at = None
            if len(self._queue) > 1 and self.rng.random() < 0.2:  # batches may arrive out of order
                self.rng.shuffle(self._queue)

    def deliver_due(self) -> int:
        """Send every delivery that is due; retry failures on the platform's ladder."""
        with self._lock:
            now = self.clock()
            due = [d for d in self._queue if d.due <= now]
            self._queue = [d for d in self._queue if d.due > now]
        sent = 0
        for delivery in due:
            try:
                status = self.post(delivery.url, data=delivery.body, headers=delivery.headers,
                                   timeout=10).status_code  # fmt: skip
            except requests.RequestException:
                status = 0
            self.log.sent.append({"platform": delivery.platform, "attempt": delivery.attempt,
                                  "status": status, "bytes": len(delivery.body)})  # fmt: skip
            ladder = META_LADDER if delivery.platform == "facebook" else ZALO_LADDER
            with self._lock:
                if status != 200 and delivery.attempt < len(ladder):
                    delivery.due = self.clock() + ladder[delivery.attempt] / self.cfg.retry_speed
                    delivery.attempt += 1
                    self._queue.append(delivery)
                elif status != 200:
                    self.log.given_up += 1
                elif self.rng.random() < self.cfg.duplicate_rate:
                    again = Delivery(delivery.platform, delivery.url, delivery.body,
                                     delivery.headers, attempt=len(ladder),
                                     due=self.clock() + self.rng.uniform(0.5, 3.0))  # fmt: skip
                    self._queue.append(again)
            sent += status == 200
        return sent

    def pending(self) -> int:
        with self._lock:
            return (
                len(self._queue)
                + sum(map(len, self._messaging.values()))
                + sum(map(len, self._changes.values()))
            )

    def start(self, tick: Callable[[], None], every: float = 0.5) -> None:
        """Push from a daemon thread; `tick` lets the world catch up with its clock first."""

        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    tick()
                    self.flush_batches()
                    self.deliver_due()
                except Exception:  # the pusher must never take the simulator down
                    continue

        self._thread = threading.Thread(target=loop, name="webhook-pusher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
