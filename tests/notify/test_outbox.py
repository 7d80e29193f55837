"""The outbox against the simulator's Slack: exactly-once, PII gate, retries, DMs, reconcile."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import AuditLog, Notification
from citizen_desk.notify import outbox
from citizen_desk.notify.slack import build_client, render_message
from tests.conftest import NOW, SIM_TOKEN

DUTY = "C07NSDUTY01"
CHIEF = "U07NSCHIEF1"
ADMIN = "C07TECHADMIN"


class Crash(BaseException):
    """The worker dies (SIGKILL, OOM): nothing after this point runs."""


@pytest.fixture
def factory(engine):
    return sessionmaker(engine, expire_on_commit=False)


def _enqueue(
    factory, registry, key: str, *, recipient: str = DUTY, text: str = "Xin chào", names=()
) -> Notification | None:
    message = render_message("admin_alert", title="Kiểm tra", body=text)
    with factory() as session, session.begin():
        return outbox.enqueue(
            session,
            key=key,
            kind="test",
            recipient=recipient,
            text=message.text,
            blocks=message.blocks,
            now=NOW,
            source="tests",
            pii_names=names,
            registry=registry,
        )


def _rows(factory) -> dict[str, Notification]:
    with factory() as session:
        return {r.idempotency_key: r for r in session.scalars(select(Notification))}


def _posted(sim, key: str | None = None) -> list[dict[str, Any]]:
    messages = sim.slack_messages()
    if key is None:
        return messages
    return [
        m for m in messages if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
    ]


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


def test_same_key_twice_gives_one_row(factory, registry) -> None:
    assert _enqueue(factory, registry, "k1") is not None
    assert _enqueue(factory, registry, "k1", text="autre") is None
    rows = _rows(factory)
    assert list(rows) == ["k1"]
    assert rows["k1"].status == "pending"
    assert rows["k1"].payload["text"].endswith("Xin chào")


def test_delivers_once_with_metadata_and_key_block(factory, registry, sim, slack) -> None:
    _enqueue(factory, registry, "k-once")
    first = outbox.deliver_pending(factory, slack, now=NOW)
    second = outbox.deliver_pending(factory, slack, now=NOW + timedelta(hours=1))
    assert (first.sent, second.sent) == (1, 0)
    [message] = _posted(sim)
    assert message["channel"] == DUTY
    assert message["metadata"] == {
        "event_type": "citizen_desk_notification",
        "event_payload": {"key": "k-once"},
    }
    assert message["blocks"][-1]["elements"][0]["text"] == "Mã thông báo: `k-once`"
    row = _rows(factory)["k-once"]
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, message["ts"])
    assert row.provider_channel == DUTY
    assert row.sent_at == NOW


def test_pii_in_text_is_blocked_and_admins_alerted(factory, registry, sim, slack) -> None:
    row = _enqueue(factory, registry, "leaky", text="Gọi lại cho chị Hoa số 0912 345 678 nhé")
    assert row is not None
    assert row.status == "blocked"
    rows = _rows(factory)
    blocked = rows["leaky"]
    assert blocked.last_error == "blocked by the PII gate: phone"
    assert "0912" not in str(blocked.payload)  # stored redacted
    [alert] = [r for r in rows.values() if r.kind == "pii_blocked"]
    assert alert.recipient == ADMIN
    assert alert.status == "pending"
    assert alert.idempotency_key == f"pii-blocked:leaky:{ADMIN}"

    report = outbox.deliver_pending(factory, slack, now=NOW)
    assert report.sent == 1
    [message] = _posted(sim)
    assert message["channel"] == ADMIN
    assert "leaky" in message["text"]
    assert "phone" in message["text"]
    assert "0912" not in str(message)
    assert "345 678" not in str(message)
    assert _rows(factory)["leaky"].status == "blocked"


def test_protected_name_is_blocked(factory, registry) -> None:
    row = _enqueue(factory, registry, "named", text="Chị Lò Thị Mẩy đã báo", names=["Lò Thị Mẩy"])
    assert row is not None
    assert row.status == "blocked"
    assert "name" in row.last_error
    assert "Mẩy" not in str(row.payload)


def test_case_view_links_pass_the_gate_other_links_do_not(factory, registry) -> None:
    url = registry.case_url(12)
    ok = render_message("admin_alert", title="t", body="xem hồ sơ")
    with factory() as session, session.begin():
        clean = outbox.enqueue(
            session,
            key="link-ok",
            kind="t",
            recipient=DUTY,
            now=NOW,
            registry=registry,
            text=f"{ok.text} {url}",
            blocks=[
                *ok.blocks,
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"<{url}|Mở hồ sơ CD-000012>"}],
                },
            ],
        )
        dirty = outbox.enqueue(
            session,
            key="link-bad",
            kind="t",
            recipient=DUTY,
            now=NOW,
            registry=registry,
            text="xem facebook.com/profile.php?id=100099990000777",
        )
    assert clean.status == "pending"
    assert dirty.status == "blocked"
    assert dirty.last_error.endswith("url")


def test_dm_to_a_user_goes_through_conversations_open(factory, registry, sim, slack) -> None:
    _enqueue(factory, registry, "dm", recipient=CHIEF)
    assert outbox.deliver_pending(factory, slack, now=NOW).sent == 1
    [message] = _posted(sim)
    assert message["channel"].startswith("D")
    assert sim.stats.snapshot()["endpoints"]["slack.conversations.open"] == 1
    row = _rows(factory)["dm"]
    assert row.provider_channel == message["channel"]


def test_not_in_channel_retries_with_backoff(factory, registry, sim, slack) -> None:
    sim.add_fault({"kind": "not_in_channel", "channel": DUTY})
    _enqueue(factory, registry, "retry-me")
    report = outbox.deliver_pending(factory, slack, now=NOW)
    assert (report.sent, report.retrying) == (0, 1)
    row = _rows(factory)["retry-me"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "slack: not_in_channel"
    assert row.next_attempt_at == NOW + outbox.backoff(1)

    # Not due yet: nothing is attempted.
    assert outbox.deliver_pending(factory, slack, now=NOW + timedelta(minutes=1)).as_dict() == (
        outbox.DeliveryReport().as_dict()
    )
    assert _rows(factory)["retry-me"].attempts == 1

    sim.clear_faults()
    later = NOW + outbox.backoff(1)
    assert outbox.deliver_pending(factory, slack, now=later).sent == 1
    row = _rows(factory)["retry-me"]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(_posted(sim, "retry-me")) == 1


def test_rate_limited_waits_for_retry_after(factory, registry, sim, slack) -> None:
    sim.add_fault({"kind": "slack_429", "channel": DUTY, "count": 1, "retry_after": 600})
    _enqueue(factory, registry, "busy")
    report = outbox.deliver_pending(factory, slack, now=NOW)
    assert report.retrying == 1
    row = _rows(factory)["busy"]
    assert row.last_error == "slack: ratelimited"
    assert row.next_attempt_at == NOW + timedelta(seconds=600)  # Retry-After beats the backoff
    assert outbox.deliver_pending(factory, slack, now=NOW + timedelta(seconds=600)).sent == 1


def test_gives_up_after_max_attempts_and_retry_command_requeues(
    factory, registry, sim, slack
) -> None:
    sim.add_fault({"kind": "not_in_channel", "channel": DUTY})
    _enqueue(factory, registry, "doomed")
    at = NOW
    for _ in range(3):
        outbox.deliver_pending(factory, slack, now=at, max_attempts=3)
        at += outbox.BACKOFF_CAP
    row = _rows(factory)["doomed"]
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    with factory() as session:
        listed = outbox.list_notifications(session, statuses=["failed"])
    assert [r.idempotency_key for r in listed] == ["doomed"]

    sim.clear_faults()
    with factory() as session, session.begin():
        assert outbox.retry(session, keys=["doomed"], now=at, actor="tester") == 1
    with factory() as session:
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "notification_retry")
        ).one()
        assert audit.actor == "tester"
    assert outbox.deliver_pending(factory, slack, now=at).sent == 1
    assert _rows(factory)["doomed"].status == "sent"


def test_permanent_error_fails_at_once(factory, registry, slack) -> None:
    _enqueue(factory, registry, "nowhere", recipient="C07NOSUCHCH")
    report = outbox.deliver_pending(factory, slack, now=NOW)
    assert report.failed == 1
    row = _rows(factory)["nowhere"]
    assert (row.status, row.last_error) == ("failed", "slack: channel_not_found")


def test_bad_token_stops_the_batch(factory, registry, sim) -> None:
    _enqueue(factory, registry, "a")
    _enqueue(factory, registry, "b")
    bad = build_client("xoxb-wrong", base_url=sim.base_url + "/api/", rate_limit_retries=0)
    report = outbox.deliver_pending(factory, bad, now=NOW)
    assert report.fatal == "slack: invalid_auth"
    assert report.sent == 0
    rows = _rows(factory)
    assert rows["a"].status == "pending"
    assert rows["b"].attempts == 0


def _crash_after_send(monkeypatch) -> None:
    def die(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(outbox, "_mark_sent", die)


def test_crash_between_send_and_mark_is_reconciled_not_resent(
    factory, registry, sim, slack, monkeypatch
) -> None:
    _enqueue(factory, registry, "fragile")
    with monkeypatch.context() as patch:
        _crash_after_send(patch)
        with pytest.raises(Crash):
            outbox.deliver_pending(factory, slack, now=NOW)
    assert len(_posted(sim, "fragile")) == 1
    row = _rows(factory)["fragile"]
    assert (row.status, row.attempts) == ("sending", 1)

    # Within the claim lease another deliverer leaves it alone.
    client = HistoryClient(slack, sim)
    assert outbox.deliver_pending(factory, client, now=NOW + timedelta(minutes=1)).skipped == 0
    assert client.history_calls == 0

    report = outbox.deliver_pending(factory, client, now=NOW + outbox.CLAIM_LEASE)
    assert (report.reconciled, report.sent) == (1, 0)
    [message] = _posted(sim, "fragile")
    row = _rows(factory)["fragile"]
    assert (row.status, row.provider_message_id, row.attempts) == ("sent", message["ts"], 1)
    assert row.last_error.startswith("reconciled")


def test_crash_before_send_is_resent_once(factory, registry, sim, slack, monkeypatch) -> None:
    _enqueue(factory, registry, "early", recipient=CHIEF)

    def die(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(outbox, "_post", die)
        with pytest.raises(Crash):
            outbox.deliver_pending(factory, slack, now=NOW)
    assert _posted(sim, "early") == []
    report = outbox.deliver_pending(
        factory, HistoryClient(slack, sim), now=NOW + timedelta(hours=1)
    )
    assert (report.reconciled, report.sent) == (0, 1)
    assert len(_posted(sim, "early")) == 1
    assert _rows(factory)["early"].attempts == 2


def test_without_history_an_interrupted_send_is_never_resent(
    factory, registry, sim, slack, monkeypatch
) -> None:
    """Without conversations.history (e.g. a missing scope), uncertain rows fail, never resend."""
    from slack_sdk.errors import SlackApiError

    _enqueue(factory, registry, "unsure")
    with monkeypatch.context() as patch:
        _crash_after_send(patch)
        with pytest.raises(Crash):
            outbox.deliver_pending(factory, slack, now=NOW)

    class NoHistory(HistoryClient):
        def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
            raise SlackApiError("no", {"ok": False, "error": "unknown_method"})

    report = outbox.deliver_pending(factory, NoHistory(slack, sim), now=NOW + timedelta(hours=1))
    assert (report.sent, report.failed) == (0, 1)
    row = _rows(factory)["unsure"]
    assert row.status == "failed"
    assert row.last_error.startswith("delivery uncertain (conversations.history: unknown_method)")
    assert len(_posted(sim, "unsure")) == 1


def test_notify_admins_one_row_per_admin(factory, registry) -> None:
    with factory() as session, session.begin():
        assert (
            outbox.notify_admins(
                session,
                registry,
                key="token-expired:zalo",
                text="Hết hạn <x>",
                now=NOW,
                source="tests",
            )
            == 1
        )
        assert (
            outbox.notify_admins(session, registry, key="token-expired:zalo", text="again", now=NOW)
            == 0
        )
    [row] = _rows(factory).values()
    assert row.idempotency_key == f"token-expired:zalo:{ADMIN}"
    assert row.kind == "admin_alert"
    assert "Hết hạn &lt;x&gt;" in row.payload["text"]
    assert outbox.admin_recipients(registry) == [ADMIN]


def test_build_client_ignores_env_proxy_for_loopback(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert build_client(SIM_TOKEN, base_url="http://127.0.0.1:9/api/").proxy is None
    assert build_client(SIM_TOKEN, base_url="https://slack.com/api/").proxy == (
        "http://proxy.invalid:3128"
    )
    monkeypatch.setenv("NO_PROXY", "slack.internal")
    assert build_client(SIM_TOKEN, base_url="https://slack.internal/api/").proxy is None


def test_rate_limited_history_postpones_the_reconcile(
    factory, registry, sim, slack, monkeypatch
) -> None:
    from slack_sdk.errors import SlackApiError

    _enqueue(factory, registry, "later")
    with monkeypatch.context() as patch:
        _crash_after_send(patch)
        with pytest.raises(Crash):
            outbox.deliver_pending(factory, slack, now=NOW)

    class Busy(HistoryClient):
        def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
            raise SlackApiError("busy", {"ok": False, "error": "ratelimited"})

    at = NOW + timedelta(hours=1)
    report = outbox.deliver_pending(factory, Busy(slack, sim), now=at)
    assert (report.uncertain, report.sent, report.failed) == (1, 0, 0)
    row = _rows(factory)["later"]
    assert row.status == "sending"
    assert row.next_attempt_at == at + outbox.backoff(1)
    assert row.last_error == "reconcile postponed (conversations.history: ratelimited)"
    report = outbox.deliver_pending(factory, HistoryClient(slack, sim), now=row.next_attempt_at)
    assert report.reconciled == 1
    assert len(_posted(sim, "later")) == 1


def test_admin_alerts_are_delivered_before_a_backlog(factory, registry, sim, slack) -> None:
    for i in range(3):
        _enqueue(factory, registry, f"backlog-{i}")
    with factory() as session, session.begin():
        outbox.notify_admins(
            session, registry, key="token-expired:fb-th", text="Trang fb-th: token hết hạn", now=NOW
        )
    report = outbox.deliver_pending(factory, slack, now=NOW, limit=1)
    assert report.sent == 1
    sent = [key for key, row in _rows(factory).items() if row.status == "sent"]
    assert sent == [f"token-expired:fb-th:{registry.technical_admins[0]}"]
