"""Delivery against the simulator's Slack: exactly-once, retries, DMs, reconcile after a crash."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from citizen_desk.db.models import AuditLog
from citizen_desk.notify import blocks, claims, delivery, operations, outbox
from citizen_desk.notify.slack import build_client
from tests.conftest import NOW, SIM_TOKEN
from tests.notify.helpers import CHIEF, DUTY, add, posted, stored


class Crash(BaseException):
    """The worker dies (SIGKILL, OOM): nothing after this point runs."""


class HistoryClient:
    """The simulator's Slack client, counting `conversations.history` calls."""

    def __init__(self, client, sim) -> None:
        self._client, self._sim = client, sim
        self.history_calls = 0

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
        self.history_calls += 1
        return self._client.conversations_history(**kwargs)


def test_delivers_once_with_metadata_and_key_block(factory, registry, sim, slack) -> None:
    add(factory, registry, "k-once")
    first = delivery.deliver_pending(factory, slack, now=NOW)
    second = delivery.deliver_pending(factory, slack, now=NOW + timedelta(hours=1))
    assert (first.sent, second.sent) == (1, 0)
    [message] = posted(sim)
    assert message["channel"] == DUTY
    assert message["metadata"] == {
        "event_type": "citizen_desk_notification",
        "event_payload": {"key": "k-once"},
    }
    # the key is internal: in the metadata and a hidden block id, never in the text shown
    assert message["blocks"][-1]["block_id"] == blocks.key_block_id("k-once")
    assert "k-once" not in json.dumps(message["blocks"]) + message["text"]
    row = stored(factory)["k-once"]
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, message["ts"])
    assert row.provider_channel == DUTY
    assert row.sent_at == NOW


def test_dm_to_a_user_goes_through_conversations_open(factory, registry, sim, slack) -> None:
    add(factory, registry, "dm", recipient=CHIEF)
    assert delivery.deliver_pending(factory, slack, now=NOW).sent == 1
    [message] = posted(sim)
    assert message["channel"].startswith("D")
    assert sim.stats.snapshot()["endpoints"]["slack.conversations.open"] == 1
    row = stored(factory)["dm"]
    assert row.provider_channel == message["channel"]


def test_not_in_channel_retries_with_backoff(factory, registry, sim, slack) -> None:
    sim.add_fault({"kind": "not_in_channel", "channel": DUTY})
    add(factory, registry, "retry-me")
    report = delivery.deliver_pending(factory, slack, now=NOW)
    assert (report.sent, report.retrying) == (0, 1)
    row = stored(factory)["retry-me"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "slack: not_in_channel"
    assert row.next_attempt_at == NOW + delivery.backoff(1)

    # Not due yet: nothing is attempted.
    assert delivery.deliver_pending(factory, slack, now=NOW + timedelta(minutes=1)).as_dict() == (
        delivery.DeliveryReport().as_dict()
    )
    assert stored(factory)["retry-me"].attempts == 1

    sim.clear_faults()
    later = NOW + delivery.backoff(1)
    assert delivery.deliver_pending(factory, slack, now=later).sent == 1
    row = stored(factory)["retry-me"]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(posted(sim, "retry-me")) == 1


def test_rate_limited_waits_for_retry_after(factory, registry, sim, slack) -> None:
    sim.add_fault({"kind": "slack_429", "channel": DUTY, "count": 1, "retry_after": 600})
    add(factory, registry, "busy")
    report = delivery.deliver_pending(factory, slack, now=NOW)
    assert report.retrying == 1
    row = stored(factory)["busy"]
    assert row.last_error == "slack: ratelimited"
    assert row.next_attempt_at == NOW + timedelta(seconds=600)  # Retry-After beats the backoff
    assert delivery.deliver_pending(factory, slack, now=NOW + timedelta(seconds=600)).sent == 1


def test_gives_up_after_max_attempts_and_retry_command_requeues(
    factory, registry, sim, slack
) -> None:
    sim.add_fault({"kind": "not_in_channel", "channel": DUTY})
    add(factory, registry, "doomed")
    at = NOW
    for _ in range(3):
        delivery.deliver_pending(factory, slack, now=at, max_attempts=3)
        at += delivery.BACKOFF_CAP
    row = stored(factory)["doomed"]
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    with factory() as session:
        listed = operations.list_notifications(session, statuses=["failed"])
    assert [r.idempotency_key for r in listed] == ["doomed"]

    sim.clear_faults()
    with factory() as session, session.begin():
        assert operations.retry(session, keys=["doomed"], now=at, actor="tester") == 1
    with factory() as session:
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "notification_retry")
        ).one()
        assert audit.actor == "tester"
    assert delivery.deliver_pending(factory, slack, now=at).sent == 1
    assert stored(factory)["doomed"].status == "sent"


def test_permanent_error_fails_at_once(factory, registry, slack) -> None:
    add(factory, registry, "nowhere", recipient="C07NOSUCHCH")
    report = delivery.deliver_pending(factory, slack, now=NOW)
    assert report.failed == 1
    row = stored(factory)["nowhere"]
    assert (row.status, row.last_error) == ("failed", "slack: channel_not_found")


def test_bad_token_stops_the_batch(factory, registry, sim) -> None:
    add(factory, registry, "a")
    add(factory, registry, "b")
    bad = build_client("xoxb-wrong", base_url=sim.base_url + "/api/", rate_limit_retries=0)
    report = delivery.deliver_pending(factory, bad, now=NOW)
    assert report.fatal == "slack: invalid_auth"
    assert report.sent == 0
    rows = stored(factory)
    assert rows["a"].status == "pending"
    assert rows["b"].attempts == 0


def _crash_after_send(monkeypatch) -> None:
    def die(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(delivery, "_mark_sent", die)


def test_crash_between_send_and_mark_is_reconciled_not_resent(
    factory, registry, sim, slack, monkeypatch
) -> None:
    add(factory, registry, "fragile")
    with monkeypatch.context() as patch:
        _crash_after_send(patch)
        with pytest.raises(Crash):
            delivery.deliver_pending(factory, slack, now=NOW)
    assert len(posted(sim, "fragile")) == 1
    row = stored(factory)["fragile"]
    assert (row.status, row.attempts) == ("sending", 1)

    # Within the claim lease another deliverer leaves it alone.
    client = HistoryClient(slack, sim)
    assert delivery.deliver_pending(factory, client, now=NOW + timedelta(minutes=1)).skipped == 0
    assert client.history_calls == 0

    report = delivery.deliver_pending(factory, client, now=NOW + claims.CLAIM_LEASE)
    assert (report.reconciled, report.sent) == (1, 0)
    [message] = posted(sim, "fragile")
    row = stored(factory)["fragile"]
    assert (row.status, row.provider_message_id, row.attempts) == ("sent", message["ts"], 1)
    assert row.last_error.startswith("reconciled")


def test_crash_before_send_is_resent_once(factory, registry, sim, slack, monkeypatch) -> None:
    add(factory, registry, "early", recipient=CHIEF)

    def die(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(delivery, "_post", die)
        with pytest.raises(Crash):
            delivery.deliver_pending(factory, slack, now=NOW)
    assert posted(sim, "early") == []
    report = delivery.deliver_pending(
        factory, HistoryClient(slack, sim), now=NOW + timedelta(hours=1)
    )
    assert (report.reconciled, report.sent) == (0, 1)
    assert len(posted(sim, "early")) == 1
    assert stored(factory)["early"].attempts == 2


def test_without_history_an_interrupted_send_is_never_resent(
    factory, registry, sim, slack, monkeypatch
) -> None:
    """Without conversations.history (e.g. a missing scope), uncertain rows fail, never resend."""
    from slack_sdk.errors import SlackApiError

    add(factory, registry, "unsure")
    with monkeypatch.context() as patch:
        _crash_after_send(patch)
        with pytest.raises(Crash):
            delivery.deliver_pending(factory, slack, now=NOW)

    class NoHistory(HistoryClient):
        def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
            raise SlackApiError("no", {"ok": False, "error": "unknown_method"})

    report = delivery.deliver_pending(factory, NoHistory(slack, sim), now=NOW + timedelta(hours=1))
    assert (report.sent, report.failed) == (0, 1)
    row = stored(factory)["unsure"]
    assert row.status == "failed"
    assert row.last_error.startswith("delivery uncertain (conversations.history: unknown_method)")
    assert len(posted(sim, "unsure")) == 1


def test_rate_limited_history_postpones_the_reconcile(
    factory, registry, sim, slack, monkeypatch
) -> None:
    from slack_sdk.errors import SlackApiError

    add(factory, registry, "later")
    with monkeypatch.context() as patch:
        _crash_after_send(patch)
        with pytest.raises(Crash):
            delivery.deliver_pending(factory, slack, now=NOW)

    class Busy(HistoryClient):
        def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
            raise SlackApiError("busy", {"ok": False, "error": "ratelimited"})

    at = NOW + timedelta(hours=1)
    report = delivery.deliver_pending(factory, Busy(slack, sim), now=at)
    assert (report.uncertain, report.sent, report.failed) == (1, 0, 0)
    row = stored(factory)["later"]
    assert row.status == "sending"
    assert row.next_attempt_at == at + delivery.backoff(1)
    assert row.last_error == "reconcile postponed (conversations.history: ratelimited)"
    report = delivery.deliver_pending(factory, HistoryClient(slack, sim), now=row.next_attempt_at)
    assert report.reconciled == 1
    assert len(posted(sim, "later")) == 1


def test_admin_alerts_are_delivered_before_a_backlog(factory, registry, sim, slack) -> None:
    for i in range(3):
        add(factory, registry, f"backlog-{i}")
    with factory() as session, session.begin():
        outbox.notify_admins(
            session, registry, key="token-expired:fb-th", text="Trang fb-th: token hết hạn", now=NOW
        )
    report = delivery.deliver_pending(factory, slack, now=NOW, limit=1)
    assert report.sent == 1
    sent = [key for key, row in stored(factory).items() if row.status == "sent"]
    assert sent == [f"token-expired:fb-th:{registry.technical_admins[0]}"]


LANE_ORDER = ("tip_urgent", "tip_escalation", "sla_breach", "sla_warning", "tip_digest")


def test_lanes_urgent_first_within_the_batch_limit(factory, registry, sim, slack) -> None:
    for kind in reversed(LANE_ORDER):  # the least urgent was enqueued first
        add(factory, registry, f"lane-{kind}", kind=kind)
    with factory() as session, session.begin():
        outbox.notify_admins(session, registry, key="admin", text="Trang fb-th lỗi", now=NOW)
    admin = f"admin:{registry.technical_admins[0]}"

    report = delivery.deliver_pending(factory, slack, now=NOW, limit=2)
    assert report.sent == 2
    assert [m["metadata"]["event_payload"]["key"] for m in posted(sim)] == [
        admin,
        "lane-tip_urgent",
    ]
    while delivery.deliver_pending(factory, slack, now=NOW, limit=1).sent:
        pass
    keys = [m["metadata"]["event_payload"]["key"] for m in posted(sim)]
    assert keys == [admin, *(f"lane-{kind}" for kind in LANE_ORDER)]
    assert stored(factory)["lane-tip_urgent"].priority < stored(factory)["lane-sla_breach"].priority


def test_three_concurrent_deliverers_send_each_key_once_despite_429_and_5xx(
    engine, registry, sim
) -> None:
    """Three deliverers in threads, each with its own sessions and Slack client, while Slack
    answers 429 and 500 now and then: every key reaches Slack exactly once, none is lost, and
    no deliverer wastes a pass on a row another one holds."""
    import threading
    from collections import Counter

    from sqlalchemy.orm import sessionmaker

    keys = [f"c-{i:03d}" for i in range(45)]
    setup = sessionmaker(engine, expire_on_commit=False)
    for i, key in enumerate(keys):
        add(setup, registry, key, kind=LANE_ORDER[i % len(LANE_ORDER)])
    sim.add_fault({"kind": "slack_429", "count": 6, "retry_after": 1})
    sim.add_fault(
        {"kind": "error_rate", "target": "slack.chat.postMessage", "rate": 0.25, "count": 8}
    )
    deliverers = [
        (
            sessionmaker(engine, expire_on_commit=False),
            build_client(SIM_TOKEN, base_url=sim.base_url + "/api/", rate_limit_retries=0),
        )
        for _ in range(3)
    ]
    reports: list[delivery.DeliveryReport] = []
    errors: list[BaseException] = []
    at = NOW
    for _ in range(10):
        barrier = threading.Barrier(len(deliverers))

        def run(factory, client, at=at, barrier=barrier) -> None:
            try:
                barrier.wait(timeout=30)
                reports.append(delivery.deliver_pending(factory, client, now=at, limit=8))
            except BaseException as exc:  # surfaced below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=d) for d in deliverers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        if {row.status for row in stored(setup).values()} == {"sent"}:
            break
        at += delivery.BACKOFF_CAP
    counts = Counter(m["metadata"]["event_payload"]["key"] for m in posted(sim))
    assert counts == Counter(keys)  # 0 duplicates, 0 lost
    assert {row.status for row in stored(setup).values()} == {"sent"}
    assert sum(r.sent for r in reports) == len(keys)
    assert sum(r.retrying for r in reports) > 0  # the faults did fire
    assert sum(r.skipped for r in reports) == 0


def _interrupt(factory, registry, slack, monkeypatch, keys: list[str]) -> None:
    """Each key: sent to Slack, then the worker dies before marking it sent."""
    for key in keys:
        add(factory, registry, key)
        with monkeypatch.context() as patch:
            _crash_after_send(patch)
            with pytest.raises(Crash):
                delivery.deliver_pending(factory, slack, now=NOW)
    assert [stored(factory)[k].status for k in keys] == ["sending"] * len(keys)


def test_interrupted_rows_of_one_channel_are_reconciled_with_one_history_call(
    factory, registry, sim, slack, monkeypatch
) -> None:
    keys = ["bulk-1", "bulk-2", "bulk-3"]
    _interrupt(factory, registry, slack, monkeypatch, keys)
    client = HistoryClient(slack, sim)
    report = delivery.deliver_pending(factory, client, now=NOW + claims.CLAIM_LEASE)
    assert (report.reconciled, report.sent) == (3, 0)
    assert client.history_calls == report.history_calls == 1  # one walk covers every key
    for key in keys:
        assert len(posted(sim, key)) == 1
        assert stored(factory)[key].status == "sent"


def test_a_rate_limited_history_skips_reconciliation_for_the_run_and_resends_nothing(
    factory, registry, sim, slack, monkeypatch
) -> None:
    keys = ["busy-1", "busy-2", "busy-3"]
    _interrupt(factory, registry, slack, monkeypatch, keys)
    # Slack's Tier 3 limit on conversations.history: HTTP 429 + Retry-After (simulated faithfully)
    sim.add_fault(
        {"kind": "slack_429", "method": "conversations.history", "count": 1, "retry_after": 600}
    )
    client = HistoryClient(slack, sim)
    at = NOW + claims.CLAIM_LEASE
    report = delivery.deliver_pending(factory, client, now=at)
    assert (report.uncertain, report.sent, report.reconciled, report.failed) == (3, 0, 0, 0)
    assert client.history_calls == 1  # the channel is skipped after the first 429
    for key in keys:
        row = stored(factory)[key]
        assert row.status == "sending"  # marked for later, never resent
        assert row.next_attempt_at == at + timedelta(seconds=600)  # Retry-After > backoff
        assert row.last_error == "reconcile postponed (conversations.history: ratelimited)"
        assert len(posted(sim, key)) == 1
    later = delivery.deliver_pending(factory, client, now=at + timedelta(seconds=600))
    assert (later.reconciled, later.sent) == (3, 0)
    assert client.history_calls == 2


def test_the_production_client_does_not_sleep_on_a_rate_limited_history(
    factory, registry, sim, slack, monkeypatch
) -> None:
    """slack_sdk's RateLimitErrorRetryHandler would sleep Retry-After in-process; reconciling
    switches it off for history reads (and only for them)."""
    import time

    from slack_sdk.http_retry import RateLimitErrorRetryHandler

    _interrupt(factory, registry, slack, monkeypatch, ["patient"])
    production = build_client(SIM_TOKEN, base_url=sim.base_url + "/api/")  # 3 429 retries
    before = list(production.retry_handlers)
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in before)
    sim.add_fault(
        {"kind": "slack_429", "method": "conversations.history", "count": 1, "retry_after": 900}
    )

    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    report = delivery.deliver_pending(factory, production, now=NOW + claims.CLAIM_LEASE)
    assert slept == []  # with the handler on, it would sleep ~900 s and then find the key
    assert (report.uncertain, report.reconciled, report.sent) == (1, 0, 0)
    assert production.retry_handlers == before  # restored for chat.postMessage
