"""Webhook receivers: signed bodies land in the inbox exactly once; nothing else gets in."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import InboxEvent
from tests.conftest import NOW

SECRETS = SimpleNamespace(  # the receivers' WebhookSecrets (built in `client`)
    app_secret="meta-app-secret",
    verify_token="verify-me",
    zalo_app_id="3608465",
    zalo_oa_secret="zalo-oa-secret",
)
PAGE = "100064512300011"
OA = "388613280878808645"


@pytest.fixture
def client(synced_engine: Engine) -> Iterator[TestClient]:
    from citizen_desk.web.app import create_app
    from citizen_desk.web.routes.webhooks import WebhookSecrets

    secrets = WebhookSecrets(**vars(SECRETS))
    app = create_app(engine_factory=lambda: synced_engine)
    app.state.webhook_secrets = lambda: secrets
    app.state.webhook_clock = lambda: NOW
    with TestClient(app) as test_client:
        yield test_client


def rows(engine: Engine) -> list[tuple[str, str, str]]:
    with sessionmaker(engine)() as session:
        query = select(InboxEvent.platform, InboxEvent.event_key, InboxEvent.status)
        return list(session.execute(query.order_by(InboxEvent.id)).tuples())


def meta_body(*mids: str) -> bytes:
    messaging = [
        {"sender": {"id": "6100000001"}, "recipient": {"id": PAGE}, "timestamp": 1733470000000,
         "message": {"mid": mid, "text": "Có người bán ma túy ở đầu ngõ"}}
        for mid in mids
    ]  # fmt: skip
    return json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": messaging}]}
    ).encode()


def meta_headers(body: bytes, secret: str = SECRETS.app_secret) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def zalo_body(msg_id: str, at=NOW) -> tuple[bytes, str]:
    timestamp = str(int(at.timestamp() * 1000))
    document = {"app_id": SECRETS.zalo_app_id, "sender": {"id": "2468"}, "recipient": {"id": OA},
                "event_name": "user_send_text", "message": {"text": "cứu với", "msg_id": msg_id},
                "timestamp": timestamp}  # fmt: skip
    return json.dumps(document, ensure_ascii=False).encode(), timestamp


def zalo_headers(
    body: bytes, timestamp: str, secret: str = SECRETS.zalo_oa_secret
) -> dict[str, str]:
    mac = hashlib.sha256(SECRETS.zalo_app_id.encode() + body + timestamp.encode() + secret.encode())
    return {"X-ZEvent-Signature": f"mac={mac.hexdigest()}", "Content-Type": "application/json"}


def test_the_meta_handshake(client: TestClient) -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    answer = client.get("/webhooks/facebook", params=ok)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    for bad in ({**ok, "hub.verify_token": "nope"}, {**ok, "hub.mode": "unsubscribe"}, {}):
        assert client.get("/webhooks/facebook", params=bad).status_code == 403


def test_signed_messenger_events_are_stored_once(client: TestClient, synced_engine: Engine) -> None:
    body = meta_body("m_1", "m_2")
    first = client.post("/webhooks/facebook", content=body, headers=meta_headers(body))
    assert first.status_code == 200
    assert first.json() == {"stored": 2, "duplicates": 0, "quarantined": 0, "ignored": 0}
    # Meta retries, and sends overlapping batches: nothing doubles
    again = meta_body("m_2", "m_3")
    second = client.post("/webhooks/facebook", content=again, headers=meta_headers(again))
    assert second.json() == {"stored": 1, "duplicates": 1, "quarantined": 0, "ignored": 0}
    assert rows(synced_engine) == [("facebook", f"m_{n}", "pending") for n in (1, 2, 3)]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "sha1=abc"},
        "other secret",
        "other body",
    ],
)
def test_forged_meta_requests_touch_nothing(
    client: TestClient, synced_engine: Engine, headers
) -> None:
    body = meta_body("m_forged")
    if headers == "other secret":
        headers = meta_headers(body, "guessed")
    elif headers == "other body":
        headers = meta_headers(meta_body("m_other"))
    answer = client.post("/webhooks/facebook", content=body, headers=headers)
    assert answer.status_code == 403
    assert rows(synced_engine) == []


def chunked(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body streamed without a Content-Length (Transfer-Encoding: chunked)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("platform", ["facebook", "zalo"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_oversized_bodies_are_refused(
    client: TestClient, synced_engine: Engine, platform: str, framing: str
) -> None:
    from citizen_desk.web.routes.webhooks import MAX_BODY

    # correctly signed: the size alone is refused, whether declared or only streamed
    if platform == "facebook":
        body = meta_body("m_big") + b" " * MAX_BODY
        headers = meta_headers(body)
    else:
        small, timestamp = zalo_body("z-big")
        body = small + b" " * MAX_BODY
        headers = zalo_headers(body, timestamp)
    content = body if framing == "content-length" else chunked(body)
    answer = client.post(f"/webhooks/{platform}", content=content, headers=headers)
    assert answer.status_code == 413
    assert rows(synced_engine) == []


def test_a_replayed_meta_delivery_stores_nothing(client: TestClient, synced_engine: Engine) -> None:
    # Meta's signature has no timestamp and Meta retries byte for byte: a replay cannot be told
    # from a retry, so it is answered and stores nothing (the ids are already in the inbox)
    body = meta_body("m_1", "m_2")
    headers = meta_headers(body)
    assert client.post("/webhooks/facebook", content=body, headers=headers).json()["stored"] == 2
    client.app.state.webhook_clock = lambda: NOW + timedelta(days=3)
    replay = client.post("/webhooks/facebook", content=body, headers=headers)
    assert replay.json() == {"stored": 0, "duplicates": 2, "quarantined": 0, "ignored": 0}
    with sessionmaker(synced_engine)() as session:
        received = session.scalars(select(InboxEvent.received_at)).all()
    assert [r.replace(tzinfo=None) for r in received] == [NOW.replace(tzinfo=None)] * 2


def test_a_source_over_its_rate_is_refused(client: TestClient, synced_engine: Engine) -> None:
    from citizen_desk.web.routes.webhooks import RateLimiter

    ticks = iter(range(10**6))
    client.app.state.webhook_limiter = RateLimiter(
        rate=1, burst=2, clock=lambda: next(ticks) * 0.001
    )
    body = meta_body("m_rate")
    codes = [client.post("/webhooks/facebook", content=body, headers=meta_headers(body)).status_code
             for _ in range(4)]  # fmt: skip
    assert codes[:2] == [200, 200]
    assert 429 in codes[2:]
    assert rows(synced_engine) == [("facebook", "m_rate", "pending")]


def test_a_signed_malformed_body_is_quarantined_not_lost(
    client: TestClient, synced_engine: Engine
) -> None:
    body = b'{"object":"page","entry":{"id":"x"}}'
    answer = client.post("/webhooks/facebook", content=body, headers=meta_headers(body))
    assert answer.json()["quarantined"] == 1
    ((platform, key, status),) = rows(synced_engine)
    assert (platform, status) == ("facebook", "quarantined")
    assert key.startswith("body:")


def test_zalo_events_signed_fresh_and_once(client: TestClient, synced_engine: Engine) -> None:
    body, timestamp = zalo_body("96d3cdf3af150460909")
    for _ in range(2):  # Zalo's retry ladder resends the same body
        answer = client.post("/webhooks/zalo", content=body, headers=zalo_headers(body, timestamp))
        assert answer.status_code == 200
    assert rows(synced_engine) == [("zalo", "96d3cdf3af150460909", "pending")]


def test_forged_stale_or_replayed_zalo_requests_touch_nothing(
    client: TestClient, synced_engine: Engine
) -> None:
    body, timestamp = zalo_body("m-forged")
    assert client.post("/webhooks/zalo", content=body, headers={}).status_code == 403
    wrong = zalo_headers(body, timestamp, secret="guessed")
    assert client.post("/webhooks/zalo", content=body, headers=wrong).status_code == 403
    other, _ = zalo_body("m-other")
    signed_for_other = zalo_headers(other, timestamp)
    assert client.post("/webhooks/zalo", content=body, headers=signed_for_other).status_code == 403
    stale, old = zalo_body("m-stale", at=NOW - timedelta(hours=5))
    assert (
        client.post("/webhooks/zalo", content=stale, headers=zalo_headers(stale, old)).status_code
        == 403
    )
    # the stale body replayed with a fresh timestamp: the timestamp is signed, so it is forged
    fresh = stale.replace(old.encode(), timestamp.encode())
    replayed = client.post("/webhooks/zalo", content=fresh, headers=zalo_headers(stale, old))
    assert replayed.status_code == 403
    ahead, later = zalo_body("m-ahead", at=NOW + timedelta(hours=1))
    assert (
        client.post("/webhooks/zalo", content=ahead, headers=zalo_headers(ahead, later)).status_code
        == 403
    )
    assert rows(synced_engine) == []


def test_the_secrets_are_read_once_a_minute_not_per_request(
    client: TestClient, synced_engine: Engine
) -> None:
    from citizen_desk.web.routes.webhooks import CachedSecrets, WebhookSecrets

    reads: list[float] = []
    clock = [0.0]

    def load() -> WebhookSecrets:
        reads.append(clock[0])
        return WebhookSecrets(**vars(SECRETS))

    del client.app.state.webhook_secrets  # the production path: the connection, cached
    client.app.state.webhook_secrets_cache = CachedSecrets(load, ttl=60, clock=lambda: clock[0])
    for n, at in enumerate((0.0, 30.0, 59.0, 61.0)):
        clock[0] = at
        body = meta_body(f"m_{n}")
        assert (
            client.post("/webhooks/facebook", content=body, headers=meta_headers(body)).json()[
                "stored"
            ]
            == 1
        )
    assert reads == [0.0, 61.0]
    assert len(rows(synced_engine)) == 4


def test_webhook_answers_carry_the_security_headers_and_skip_the_registry_notice(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, auth_manager
) -> None:
    from citizen_desk.web import notice

    calls: list[object] = []
    monkeypatch.setattr(notice, "registry_notice", lambda engine: calls.append(engine))
    body = meta_body("m_1")
    answer = client.post("/webhooks/facebook", content=body, headers=meta_headers(body))
    assert answer.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert calls == []  # a webhook renders no page: no registry read before the INSERT
    page = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303  # to the login; the notice was read before the route anyway
    assert len(calls) == 1


def test_without_the_connection_the_receivers_are_closed(synced_engine: Engine) -> None:
    from citizen_desk.web.app import create_app
    from citizen_desk.web.routes.webhooks import WebhookSecrets

    app = create_app(engine_factory=lambda: synced_engine)
    app.state.webhook_secrets = WebhookSecrets
    with TestClient(app) as closed:
        body = meta_body("m_1")
        assert (
            closed.post(
                "/webhooks/facebook", content=body, headers=meta_headers(body, "")
            ).status_code
            == 403
        )
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert closed.get("/webhooks/facebook", params=params).status_code == 403
    with sessionmaker(synced_engine)() as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 0
