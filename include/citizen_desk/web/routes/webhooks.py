"""Webhook receivers: Messenger / page feed (Meta) and Zalo OA, outside the Airflow login.

The platform's own signature is the authentication. Secrets come from the Airflow connection
`citizen_desk_webhooks` (extras `app_secret`, `verify_token`, `zalo_app_id`, `zalo_oa_secret`),
read again every `SECRETS_TTL` seconds.
Unsigned, mis-signed, stale (Zalo) or oversized requests, and a source over its rate, are refused
before the database is touched; a verified body is split into inbox events and stored (exactly
once per platform event id) before the 200. Nothing else happens in the request.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from citizen_desk.realtime import events, inbox
from citizen_desk.realtime.signatures import (
    meta_signature_valid,
    zalo_signature_valid,
    zalo_timestamp_fresh,
)

log = logging.getLogger(__name__)
CONN_ID = "citizen_desk_webhooks"
MAX_BODY = 1 << 20  # Meta batches at most 1,000 updates per request
RATE_PER_SECOND = 50.0  # per platform and client address
BURST = 100.0
SECRETS_TTL = 60.0  # seconds a read of the connection is reused: a rotated secret needs no restart

router = APIRouter(prefix="/webhooks")


@dataclass(frozen=True)
class WebhookSecrets:
    app_secret: str = ""
    verify_token: str = ""
    zalo_app_id: str = ""
    zalo_oa_secret: str = ""


def secrets_from_connection() -> WebhookSecrets:
    """The secrets of the `citizen_desk_webhooks` connection (empty: that receiver is closed)."""
    from airflow.sdk import BaseHook

    try:
        extra = BaseHook.get_connection(CONN_ID).extra_dejson
    except Exception:  # Airflow's own not-found type: no connection means no webhooks
        return WebhookSecrets()
    return WebhookSecrets(
        app_secret=str(extra.get("app_secret") or ""),
        verify_token=str(extra.get("verify_token") or ""),
        zalo_app_id=str(extra.get("zalo_app_id") or ""),
        zalo_oa_secret=str(extra.get("zalo_oa_secret") or ""),
    )


class RateLimiter:
    """A token bucket per key (platform, client address), in this api-server process."""

    def __init__(self, rate: float = RATE_PER_SECOND, burst: float = BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > 10_000:  # forget idle sources
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            return allowed


class CachedSecrets:
    """The connection's secrets, read again once `ttl` seconds have passed.

    Reading a connection costs about a millisecond even from an `AIRFLOW_CONN_` variable, and a
    metadata-DB query when the connection lives there: not once per request. A rotated secret
    takes effect within `ttl` (meanwhile the platforms retry what was refused).
    """

    def __init__(
        self,
        load: Callable[[], WebhookSecrets] = secrets_from_connection,
        ttl: float = SECRETS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.load, self.ttl, self.clock = load, ttl, clock
        self._read: tuple[WebhookSecrets, float] | None = None

    def fresh(self) -> WebhookSecrets | None:
        """The secrets read less than `ttl` ago, else None (then `reload`)."""
        read = self._read
        return read[0] if read is not None and self.clock() - read[1] < self.ttl else None

    def reload(self) -> WebhookSecrets:
        secrets = self.load()
        self._read = (secrets, self.clock())
        return secrets


async def _secrets(request: Request) -> WebhookSecrets:
    factory: Callable[[], WebhookSecrets] | None = getattr(
        request.app.state, "webhook_secrets", None
    )
    if factory is not None:  # set by tests: called every time
        return factory()
    cache: CachedSecrets | None = getattr(request.app.state, "webhook_secrets_cache", None)
    if cache is None:
        cache = request.app.state.webhook_secrets_cache = CachedSecrets()
    secrets = cache.fresh()
    return secrets if secrets is not None else await run_in_threadpool(cache.reload)


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "webhook_limiter", None)
    if limiter is None:
        limiter = request.app.state.webhook_limiter = RateLimiter()
    return limiter


def _refused(status: int, reason: str, platform: str) -> Response:
    log.warning("webhook %s refused: %s", platform, reason)  # never the body
    return JSONResponse({"detail": reason}, status_code=status)


async def _body(request: Request, platform: str) -> bytes | Response:
    client = request.client.host if request.client else "?"
    if not _limiter(request).allow(f"{platform}|{client}"):
        return _refused(429, "rate limit", platform)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return _refused(413, "body too large", platform)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return _refused(413, "body too large", platform)
    return body


async def _store(request: Request, parsed: events.Parsed, now: datetime) -> Response:
    """The events into the inbox, on a worker thread: the event loop keeps serving the other
    requests while this one waits for its commit."""

    def store() -> dict[str, Any]:
        engine = request.app.state.engine_factory()
        with Session(engine) as session:  # not sessionmaker(): that builds a class per call
            accepted = inbox.accept(session, parsed.events, received_at=now, ignored=parsed.ignored)
        return accepted.as_dict()

    return JSONResponse(await run_in_threadpool(store))


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = getattr(
        request.app.state, "webhook_clock", lambda: datetime.now(UTC)
    )
    return clock()


@router.get("/facebook")
async def facebook_handshake(request: Request) -> Response:
    """Meta's verification: echo `hub.challenge` when `hub.verify_token` is ours."""
    secrets = await _secrets(request)
    params = request.query_params
    token = params.get("hub.verify_token") or ""
    if (
        params.get("hub.mode") != "subscribe"
        or not secrets.verify_token
        or not hmac.compare_digest(token.encode(), secrets.verify_token.encode())
    ):
        return _refused(403, "verification failed", "facebook")
    return PlainTextResponse(params.get("hub.challenge") or "")


@router.post("/facebook")
async def facebook_events(request: Request) -> Response:
    body = await _body(request, "facebook")
    if isinstance(body, Response):
        return body
    secrets = await _secrets(request)
    header = request.headers.get("x-hub-signature-256")
    if not meta_signature_valid(body, header, secrets.app_secret):
        return _refused(403, "bad signature", "facebook")
    return await _store(request, events.parse_meta(body), _now(request))


@router.post("/zalo")
async def zalo_events(request: Request) -> Response:
    body = await _body(request, "zalo")
    if isinstance(body, Response):
        return body
    secrets = await _secrets(request)
    try:
        document = json.loads(body)  # the timestamp and OA id are part of what is signed
    except ValueError:
        document = {}
    document = document if isinstance(document, dict) else {}
    timestamp = str(document.get("timestamp") or "")
    signed = zalo_signature_valid(
        body,
        request.headers.get("x-zevent-signature"),
        app_id=secrets.zalo_app_id,
        timestamp=timestamp,
        secret=secrets.zalo_oa_secret,
        oa_id=events.zalo_account(document),
    )
    if not signed:
        return _refused(403, "bad signature", "zalo")
    now = _now(request)
    if not zalo_timestamp_fresh(timestamp, now):
        return _refused(403, "stale or invalid timestamp", "zalo")
    return await _store(request, events.parse_zalo(body), now)
