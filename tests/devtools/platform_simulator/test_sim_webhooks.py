"""The simulator pushes webhooks as Meta and Zalo do, and Citizen Desk's receiver takes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.realtime.signatures import meta_signature_valid
from platform_simulator.webhooks import WebhookConfig, WebhookPusher

CFG = WebhookConfig(
    facebook_url="http://desk/webhooks/facebook", zalo_url="http://desk/webhooks/zalo"
)


class Answer:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fb_msg(
    mid: str, page: str = "P1", citizen: str = "U1", from_page: bool = False
) -> dict[str, Any]:
    sender = page if from_page else citizen
    return {"id": mid, "page_id": page, "citizen_id": citizen, "from_id": sender,
            "created_ms": 1733470000000, "message": "Có trộm", "attachments": []}  # fmt: skip


def test_messenger_events_are_batched_per_page_and_signed() -> None:
    posts: list[tuple[str, bytes, dict[str, str]]] = []
    clock = FakeClock()
    pusher = WebhookPusher(
        CFG, seed=1, clock=clock,
        post=lambda url, data, headers, timeout: posts.append((url, data, headers)) or Answer(200),
    )  # fmt: skip
    for notice in (fb_msg("m1"), fb_msg("m2", citizen="U2"), fb_msg("m3", page="P2"),
                   fb_msg("m4", from_page=True)):  # fmt: skip
        pusher.notice("fb_msg", notice)
    pusher.flush_batches()
    assert posts == []  # waiting for the batch window
    assert pusher.pending() == 3
    clock.now = 2.0
    pusher.flush_batches()
    assert pusher.deliver_due() == 2
    bodies = {json.loads(body)["entry"][0]["id"]: (body, headers) for _, body, headers in posts}
    assert sorted(bodies) == ["P1", "P2"]
    body, headers = bodies["P1"]
    mids = [item["message"]["mid"] for item in json.loads(body)["entry"][0]["messaging"]]
    assert mids == ["m1", "m2"]  # the page's own reply is not pushed
    assert meta_signature_valid(body, headers["X-Hub-Signature-256"], CFG.app_secret)


def test_failures_are_retried_and_duplicates_happen() -> None:
    answers = iter([500, 200, 200, 200])
    sent: list[bytes] = []
    clock = FakeClock()
    config = WebhookConfig(zalo_url="http://desk/webhooks/zalo", duplicate_rate=1.0, retry_speed=60)
    pusher = WebhookPusher(
        config, seed=1, clock=clock,
        post=lambda url, data, headers, timeout: sent.append(data) or Answer(next(answers)),
    )  # fmt: skip
    message = {"id": "z1", "oa_id": "OA", "user_id": "U", "src": 1, "time": 1733470000000,
               "type": "text", "message": "cứu"}  # fmt: skip
    pusher.notice("zalo_msg", message)
    pusher.notice("zalo_msg", {**message, "id": "z2", "src": 0})  # the OA's own: not pushed
    assert pusher.deliver_due() == 0  # 500
    clock.now = 0.4
    assert pusher.deliver_due() == 0  # Zalo retries after 30 s (0.5 s here)
    clock.now = 0.6
    assert pusher.deliver_due() == 1
    clock.now = 10
    assert pusher.deliver_due() == 1  # the duplicate
    assert len(sent) == 3
    assert len(set(sent)) == 1
    document = json.loads(sent[0])
    timestamp = document["timestamp"]
    assert isinstance(timestamp, str)
    assert document["message"]["msg_id"] == "z1"


def test_a_delivery_that_fails_every_retry_is_given_up_and_counted() -> None:
    clock = FakeClock()
    config = WebhookConfig(facebook_url="http://desk/webhooks/facebook", retry_speed=1)
    pusher = WebhookPusher(
        config, seed=1, clock=clock, post=lambda url, data, headers, timeout: Answer(503)
    )
    pusher.notice("fb_msg", fb_msg("m1"))
    pusher.flush_batches(force=True)
    waits = []
    while pusher.pending():
        pusher.deliver_due()
        due = [d.due for d in pusher._queue]
        if due:
            waits.append(min(due) - clock.now)
            clock.now = min(due)
    assert waits == [0.0, 1.0, 5.0, 30.0, 120.0, 300.0, 900.0, 1800.0]  # Meta's, unshortened
    assert pusher.log.given_up == 1
    assert len(pusher.log.sent) == 9


@pytest.fixture
def desk(synced_engine: Engine) -> Iterator[TestClient]:
    from citizen_desk.web.app import create_app
    from citizen_desk.web.routes.webhooks import WebhookSecrets

    app = create_app(engine_factory=lambda: synced_engine)
    app.state.webhook_secrets = lambda: WebhookSecrets(
        app_secret=CFG.app_secret, verify_token="v", zalo_app_id=CFG.zalo_app_id,
        zalo_oa_secret=CFG.zalo_secret,
    )  # fmt: skip
    with TestClient(app) as client:
        yield client


def test_live_traffic_reaches_the_inbox_once_and_is_stored(make_sim, desk, synced_engine) -> None:
    from citizen_desk.db.models import InboxEvent, Message
    from citizen_desk.platforms.graph import GraphClient
    from citizen_desk.realtime.process import process_inbox

    urls = {"webhook_facebook_url": CFG.facebook_url, "webhook_zalo_url": CFG.zalo_url}
    sim, srv = make_sim(days=1, live=True, live_rate=200.0, webhook_duplicate_rate=0.3, **urls)
    pusher = sim.webhooks
    assert pusher is not None
    pusher.stop()  # driven by hand below
    desk.app.state.webhook_clock = lambda: sim.clock

    def post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> Any:
        return desk.post(url.removeprefix("http://desk"), content=data, headers=headers)

    pusher.post = post
    before = {m["id"] for m in sim.truth()["messages"]}
    sim.advance(timedelta(hours=1))
    new = [m for m in sim.truth()["messages"] if m["id"] not in before and m["direction"] == "in"]
    assert new, "live traffic was generated"
    pusher.flush_batches(force=True)
    for _ in range(5):
        pusher.deliver_due()
        pusher.clock = lambda: 10**6  # every retry and duplicate is due
    assert all(entry["status"] == 200 for entry in pusher.log.sent)
    with sessionmaker(synced_engine)() as session:
        keys = set(session.scalars(select(InboxEvent.event_key)))
    assert keys == {m["id"] for m in new}  # duplicates delivered, stored once

    def lookup(channel, psid):
        client = GraphClient(f"{srv.base_url}/v21.0", sim.page_token(channel.platform_id))
        page = client.get(f"{channel.platform_id}/conversations",
                          {"platform": "messenger", "user_id": psid, "fields": "id"})  # fmt: skip
        return page["data"][0]["id"] if page.get("data") else None

    report = process_inbox(synced_engine, now=sim.clock, run_id="live", lookup=lookup)
    assert report.quarantined == 0
    with sessionmaker(synced_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == len(new)
