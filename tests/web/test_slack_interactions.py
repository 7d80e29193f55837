"""Acknowledge from Slack, end to end: sweep -> outbox -> Slack (simulator) -> a user clicks
"Đã nhận" -> the signed request reaches the Citizen Desk route -> the level is acknowledged and
its queued reminders are superseded at the next delivery. Refusals touch nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import AuditLog, Notification, SlackInteraction, TipAcknowledgement
from citizen_desk.notify import delivery
from citizen_desk.notify.interactions import ACK_ACTION, MAX_BODY, OPEN_ACTION
from citizen_desk.tips.sweep import sweep
from platform_simulator.slack import ClickError, SignedRequest
from tests.conftest import NOW
from tests.tips import seed

H = timedelta(hours=1)
T0 = NOW - 13 * H  # the tip arrives; its L0 reminder is due at T0 + 12h, before NOW
ROUTE = "http://testserver/slack/interactions"
NGATHUY_DUTY = "U07NTHUYD01"  # duty officer of the commune (a person)
NGATHUY_CHIEF = "U07NTHUYC01"
NS_DUTY_CHANNEL = "C07NSDUTY01"  # the district's duty officer is a channel
NS_CHIEF = "U07NSCHIEF1"


@pytest.fixture
def factory(synced_engine):
    return sessionmaker(synced_engine, expire_on_commit=False)


@pytest.fixture
def client(synced_engine, registry, sim) -> Iterator[TestClient]:
    from citizen_desk.web.app import create_app
    from citizen_desk.web.deps import request_now

    app = create_app(
        engine_factory=lambda: synced_engine,
        slack_signing_secret=lambda: sim.cfg.slack_signing_secret,
        registry_factory=lambda: registry,
    )
    app.dependency_overrides[request_now] = lambda: sim.clock  # Slack's clock is the world's
    with TestClient(app, follow_redirects=False) as test_client:  # no Airflow login at all
        yield test_client


def _alerted_tip(factory, registry, slack, *, channel_key: str = "fb-th-ns-ngathuy") -> int:
    """A tip that arrived at T0: its arrival alert is delivered, its L0 reminder queued."""
    with factory() as db:
        tip_id = seed.add_tip(db, channel_key=channel_key, received_at=T0).id
        sweep(db, registry, now=T0, actor="test", digest_hour=None)
        db.commit()
    assert delivery.deliver_pending(factory, slack, now=T0).sent == 1
    with factory() as db:
        sweep(db, registry, now=T0 + 12 * H, actor="test", digest_hour=None)
        db.commit()
    return tip_id


def _send(client: TestClient, request: SignedRequest):
    return client.post(request.url, content=request.body, headers=request.headers)


def _count(factory, model, *where) -> int:
    with factory() as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _click(sim, key: str, user: str, **kwargs) -> SignedRequest:
    return sim.slack_click(key=key, user=user, action_id=ACK_ACTION, url=ROUTE, **kwargs)


def test_the_alert_carries_the_buttons_and_no_identity(factory, registry, sim, slack):
    tip_id = _alerted_tip(factory, registry, slack)
    key = f"tip:{tip_id}:L0:arrival:0"
    message = sim.slack.find_message(key=f"{key}:{NGATHUY_DUTY}")
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    ack, link = actions["elements"]
    assert (ack["action_id"], ack["value"], ack["text"]["text"]) == (ACK_ACTION, key, "Đã nhận")
    assert (link["action_id"], link["text"]["text"]) == (OPEN_ACTION, "Mở hồ sơ")
    assert link["url"] == f"{registry.case_view_base_url}/tips/{tip_id}"
    assert key not in message["text"]
    assert "Bấm *Đã nhận* để xác nhận" in str(message["blocks"])
    for canary in (*seed.CANARIES, "Lê Văn Tám"):
        assert canary not in str(actions)


def test_acknowledge_from_slack_supersedes_the_queued_reminder(
    factory, registry, sim, slack, client
):
    tip_id = _alerted_tip(factory, registry, slack)
    reminder = f"tip:{tip_id}:L0:reminder:1:{NGATHUY_DUTY}"
    assert _count(factory, Notification, Notification.idempotency_key == reminder) == 1

    request = _click(sim, f"tip:{tip_id}:L0:arrival:0:{NGATHUY_DUTY}", NGATHUY_DUTY)
    response = _send(client, request)
    assert (response.status_code, response.json()) == (200, {"ok": True, "outcome": "acknowledged"})
    with factory() as db:
        [ack] = db.scalars(select(TipAcknowledgement).where(TipAcknowledgement.tip_id == tip_id))
        assert (ack.level, ack.by) == (0, f"slack:{NGATHUY_DUTY}")
        [audit] = db.scalars(select(AuditLog).where(AuditLog.action == "tip_acknowledged"))
        assert (audit.entity_id, audit.actor, audit.after) == (
            str(tip_id),
            f"slack:{NGATHUY_DUTY}",
            {"level": 0},
        )
        [ledger] = db.scalars(select(SlackInteraction))
        assert (ledger.slack_user, ledger.value, ledger.outcome) == (
            NGATHUY_DUTY,
            f"tip:{tip_id}:L0:arrival:0",
            "acknowledged",
        )

    # the same request again (a replay within the five minutes): refused, nothing applied twice
    again = _send(client, request)
    assert (again.status_code, again.json()["outcome"]) == (409, "replayed")
    assert _count(factory, AuditLog, AuditLog.action == "tip_acknowledged") == 1
    assert _count(factory, SlackInteraction) == 1

    # a second, genuine click: fine, nothing new
    second = _send(client, _click(sim, f"tip:{tip_id}:L0:arrival:0:{NGATHUY_DUTY}", NGATHUY_DUTY))
    assert (second.status_code, second.json()["outcome"]) == (200, "already_acknowledged")
    assert _count(factory, TipAcknowledgement) == 1

    report = delivery.deliver_pending(factory, slack, now=NOW)
    assert (report.sent, report.superseded) == (0, 1)
    with factory() as db:
        row = db.scalars(select(Notification).where(Notification.idempotency_key == reminder)).one()
    assert (row.status, row.last_error) == (
        "superseded",
        f"superseded: tip #{tip_id}: level 0 was acknowledged",
    )
    assert [m for m in sim.slack_messages() if reminder in str(m.get("metadata"))] == []


def _nothing_written(factory) -> None:
    assert _count(factory, SlackInteraction) == 0
    assert _count(factory, TipAcknowledgement) == 0
    assert _count(factory, AuditLog, AuditLog.action.like("tip_ack%")) == 0


@pytest.mark.parametrize(
    ("forge", "status"),
    [
        ({"secret": "not-the-signing-secret"}, 401),
        ({"timestamp_skew": -301}, 401),
        ({"timestamp_skew": 301}, 401),
        ({"headers": {"X-Slack-Signature": "v0=" + "0" * 64}}, 401),
        ({"headers": {"X-Slack-Signature": ""}}, 401),
        ({"body_suffix": b"&x=1"}, 401),
    ],
)
def test_forged_and_stale_requests_are_refused_without_touching_the_db(
    factory, registry, sim, slack, client, forge, status
):
    tip_id = _alerted_tip(factory, registry, slack)
    kwargs = {}
    if "secret" in forge:
        kwargs["secret"] = forge["secret"]
    if "timestamp_skew" in forge:
        kwargs["timestamp"] = int(sim.clock.timestamp()) + forge["timestamp_skew"]
    request = _click(sim, f"tip:{tip_id}:L0:arrival:0:{NGATHUY_DUTY}", NGATHUY_DUTY, **kwargs)
    if "headers" in forge:
        request = request.replayed(**forge["headers"])
    if "body_suffix" in forge:
        request = SignedRequest(request.url, request.body + forge["body_suffix"], request.headers)
    response = _send(client, request)
    assert response.status_code == status
    assert response.json()["ok"] is False
    _nothing_written(factory)


def test_oversized_bodies_are_refused_before_reading_them_all(factory, client):
    body = b"payload=" + b"x" * MAX_BODY
    response = client.post(
        "/slack/interactions",
        content=body,
        headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64},
    )
    assert response.status_code == 413
    _nothing_written(factory)


def test_the_route_needs_no_airflow_login_but_a_signature(client):
    from citizen_desk.web.auth import require_user

    [route] = [r for r in client.app.routes if getattr(r, "path", "") == "/slack/interactions"]
    assert not any(dep.call is require_user for dep in route.dependant.dependencies)
    response = client.post("/slack/interactions", data={"payload": "{}"})
    assert response.status_code == 401  # our refusal, not Airflow's login
    assert response.json() == {
        "ok": False,
        "outcome": "missing or malformed Slack signature headers",
    }
    assert client.get("/slack/interactions").status_code == 405


def test_users_who_may_not_acknowledge_are_refused_and_audited(
    factory, registry, sim, slack, client
):
    # a tip of the district: its L0 arrival goes to the district's duty channel, where anyone
    # in the channel can click
    tip_id = _alerted_tip(factory, registry, slack, channel_key="fb-th-ns")
    key = f"tip:{tip_id}:L0:arrival:0:{NS_DUTY_CHANNEL}"
    for user, outcome in (
        ("U07NOBODY01", "refused_unknown_user"),  # not in the registry
        (NGATHUY_DUTY, "refused_other_unit"),  # a contact, of a commune below
    ):
        response = _send(client, _click(sim, key, user))
        assert (response.status_code, response.json()["outcome"]) == (403, outcome)
    assert _count(factory, TipAcknowledgement) == 0
    with factory() as db:
        refusals = db.scalars(
            select(AuditLog).where(AuditLog.action == "tip_ack_refused").order_by(AuditLog.id)
        ).all()
        assert [(a.actor, a.after["reason"]) for a in refusals] == [
            ("slack:U07NOBODY01", "refused_unknown_user"),
            (f"slack:{NGATHUY_DUTY}", "refused_other_unit"),
        ]
        outcomes = db.scalars(select(SlackInteraction.outcome).order_by(SlackInteraction.id))
        assert list(outcomes) == ["refused_unknown_user", "refused_other_unit"]

    # the district chief is named in the registry for that unit: allowed
    response = _send(client, _click(sim, key, NS_CHIEF))
    assert (response.status_code, response.json()["outcome"]) == (200, "acknowledged")
    assert _count(factory, TipAcknowledgement) == 1


def test_a_duty_officer_cannot_acknowledge_the_chiefs_level(factory, registry, sim, slack, client):
    with factory() as db:
        tip_id = seed.add_tip(db, received_at=NOW - 25 * H).id
        sweep(db, registry, now=NOW, actor="test", digest_hour=None)
        db.commit()
    delivery.deliver_pending(factory, slack, now=NOW)
    level1 = f"tip:{tip_id}:L1:escalation:0:{NGATHUY_CHIEF}"
    # only the chief sees that DM; the duty officer cannot even click it in Slack ...
    with pytest.raises(ClickError, match="cannot see"):
        _click(sim, level1, NGATHUY_DUTY)
    # ... and a request forged for him (validly signed, e.g. a leaked secret) is still refused
    request = _click(sim, level1, NGATHUY_CHIEF)
    body = request.body.replace(NGATHUY_CHIEF.encode(), NGATHUY_DUTY.encode())
    from platform_simulator.slack import slack_signature

    stamp = request.headers["X-Slack-Request-Timestamp"]
    resigned = SignedRequest(
        request.url,
        body,
        {**request.headers,
         "X-Slack-Signature": slack_signature(sim.cfg.slack_signing_secret, stamp, body)},
    )  # fmt: skip
    response = _send(client, resigned)
    assert (response.status_code, response.json()["outcome"]) == (403, "refused_other_unit")
    response = _send(client, request)
    assert (response.status_code, response.json()["outcome"]) == (200, "acknowledged")
    with factory() as db:
        [ack] = db.scalars(select(TipAcknowledgement))
    assert (ack.level, ack.by) == (1, f"slack:{NGATHUY_CHIEF}")


def test_urgent_alerts_have_only_the_link_and_link_clicks_are_ignored(
    factory, registry, sim, slack, client
):
    with factory() as db:
        tip_id = seed.add_tip(db, received_at=NOW - H, urgent=True).id
        sweep(db, registry, now=NOW, actor="test", digest_hour=None)
        db.commit()
    delivery.deliver_pending(factory, slack, now=NOW)
    urgent = f"tip:{tip_id}:L0:urgent:0:{NGATHUY_CHIEF}"
    with pytest.raises(ClickError, match="no button"):
        _click(sim, urgent, NGATHUY_CHIEF)
    assert "Đã nhận" not in str(sim.slack.find_message(key=urgent)["blocks"])
    link = sim.slack_click(key=urgent, user=NGATHUY_CHIEF, action_id=OPEN_ACTION, url=ROUTE)
    response = _send(client, link)
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    assert _count(factory, SlackInteraction) == 0


def test_a_closed_tip_is_not_acknowledged(factory, registry, sim, slack, client):
    from citizen_desk.tips import workflow

    tip_id = _alerted_tip(factory, registry, slack)
    with factory() as db:
        workflow.mark_verified(db, tip_id, actor="officer", now=NOW - H)
        db.commit()
    response = _send(client, _click(sim, f"tip:{tip_id}:L0:arrival:0:{NGATHUY_DUTY}", NGATHUY_DUTY))
    assert (response.status_code, response.json()["outcome"]) == (200, "tip_closed")
    assert _count(factory, TipAcknowledgement) == 0


def test_the_simulator_posts_clicks_over_http_to_the_running_app(
    factory, registry, sim, slack, synced_engine
):
    """The real wire: the simulator's /_sim/slack/click POSTs to the app served by uvicorn."""
    import json
    import socket
    import urllib.request

    import uvicorn

    from citizen_desk.web.app import create_app

    app = create_app(
        engine_factory=lambda: synced_engine,
        slack_signing_secret=lambda: sim.cfg.slack_signing_secret,
        registry_factory=lambda: registry,
    )
    # the app reads the wall clock (request_now): the world's clock must be near it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        tip_id = _alerted_tip(factory, registry, slack)
        key = f"tip:{tip_id}:L0:arrival:0:{NGATHUY_DUTY}"
        from datetime import UTC, datetime

        wall = int(datetime.now(UTC).timestamp())
        for _ in range(100):
            if server.started:
                break
            threading.Event().wait(0.05)
        request = urllib.request.Request(
            f"{sim.base_url}/_sim/slack/click",
            data=json.dumps(
                {
                    "key": key,
                    "user": NGATHUY_DUTY,
                    "action_id": ACK_ACTION,
                    "url": f"http://127.0.0.1:{port}/slack/interactions",
                    "timestamp": wall,
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=20) as resp:
            answer = json.loads(resp.read())
        assert answer["status"] == 200, answer
        assert json.loads(answer["body"]) == {"ok": True, "outcome": "acknowledged"}
        assert _count(factory, TipAcknowledgement) == 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_without_a_signing_secret_every_click_is_refused(
    factory, registry, sim, slack, synced_engine
):
    from citizen_desk.errors import ConfigError
    from citizen_desk.web.app import create_app
    from citizen_desk.web.deps import request_now

    def missing() -> str:
        raise ConfigError("connection citizen_desk_slack", "extra.signing_secret", "missing")

    app = create_app(engine_factory=lambda: synced_engine, slack_signing_secret=missing,
                     registry_factory=lambda: registry)  # fmt: skip
    app.dependency_overrides[request_now] = lambda: sim.clock
    tip_id = _alerted_tip(factory, registry, slack)
    with TestClient(app) as unconfigured:
        response = _send(
            unconfigured, _click(sim, f"tip:{tip_id}:L0:arrival:0:{NGATHUY_DUTY}", NGATHUY_DUTY)
        )
    assert response.status_code == 503
    assert "signing" not in response.text  # the configuration problem goes to the log only
    _nothing_written(factory)
