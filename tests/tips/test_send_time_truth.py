"""Tip alerts are checked again just before they go out: the outbox never sends a stale alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from citizen_desk.db.models import Notification
from citizen_desk.notify import delivery
from citizen_desk.tips import workflow as tips
from citizen_desk.tips.sweep import sweep
from tests.conftest import NOW
from tests.notify.helpers import posted
from tests.tips import seed

H = timedelta(hours=1)
T0 = NOW - 200 * H


def _sweep(db, registry, hours: float) -> None:
    sweep(db, registry, now=T0 + hours * H, actor="test", digest_hour=None)
    db.commit()


def _deliver(db, slack, hours: float) -> delivery.DeliveryReport:
    db.commit()
    return delivery.deliver_pending(db.get_bind(), slack, now=T0 + hours * H)


def _rows(db) -> dict[str, Notification]:
    db.expire_all()
    return {n.idempotency_key: n for n in db.scalars(select(Notification))}


@pytest.mark.parametrize("close", ["mark_verified", "forward"])
def test_alerts_of_a_tip_closed_meanwhile_are_superseded(db, registry, sim, slack, close):
    tip = seed.add_tip(db, received_at=T0, urgent=True)
    _sweep(db, registry, 0)  # arrival + urgent alerts enqueued, not yet delivered
    kwargs = {"target": "Công an huyện Nga Sơn"} if close == "forward" else {}
    getattr(tips, close)(db, tip.id, actor="officer", now=T0 + 0.5 * H, **kwargs)

    report = _deliver(db, slack, 1)
    rows = _rows(db)
    assert report.sent == 0
    assert report.superseded == len(rows) >= 3
    status = "verified" if close == "mark_verified" else "forwarded"
    for row in rows.values():
        assert row.status == "superseded"
        assert row.last_error == f"superseded: tip #{tip.id} is {status}"
        assert (row.sent_at, row.next_attempt_at) == (None, None)
    assert posted(sim) == []


def test_a_passed_or_acknowledged_level_is_superseded(db, registry, sim, slack):
    tip = seed.add_tip(db, received_at=T0)
    _sweep(db, registry, 0)
    assert _deliver(db, slack, 0).sent == 1  # L0 arrival

    _sweep(db, registry, 12)  # the L0 reminder, held back by a backoff
    reminder = f"tip:{tip.id}:L0:reminder:1:U07NTHUYD01"
    db.execute(
        update(Notification)
        .where(Notification.idempotency_key == reminder)
        .values(next_attempt_at=T0 + 30 * H)
    )
    _sweep(db, registry, 24)  # L1 escalation to the chief goes out first
    assert _deliver(db, slack, 24).sent == 1
    report = _deliver(db, slack, 30)
    assert (report.sent, report.superseded) == (0, 1)
    row = _rows(db)[reminder]
    assert (row.status, row.last_error) == (
        "superseded",
        f"superseded: tip #{tip.id}: level 1 was already sent",
    )

    _sweep(db, registry, 36)  # the L1 reminder, acknowledged before it could go out
    tips.acknowledge(db, tip.id, actor="chief.ngathuy", now=T0 + 36.5 * H, level=1)
    report = _deliver(db, slack, 37)
    assert (report.sent, report.superseded) == (0, 1)
    row = _rows(db)[f"tip:{tip.id}:L1:reminder:1:U07NTHUYC01"]
    assert row.last_error == f"superseded: tip #{tip.id}: level 1 was acknowledged"
    sent_keys = sorted(m["metadata"]["event_payload"]["key"] for m in posted(sim))
    assert sent_keys == sorted(
        [f"tip:{tip.id}:L0:arrival:0:U07NTHUYD01", f"tip:{tip.id}:L1:escalation:0:U07NTHUYC01"]
    )


def test_the_status_line_is_the_tips_status_at_send_time(db, registry, sim, slack):
    tip = seed.add_tip(db, received_at=T0)
    _sweep(db, registry, 0)
    key = f"tip:{tip.id}:L0:arrival:0:U07NTHUYD01"
    assert "*Trạng thái:* mới" in str(_rows(db)[key].payload)
    tips.start_verification(db, tip.id, actor="officer", now=T0 + 0.5 * H)

    assert _deliver(db, slack, 1).sent == 1
    [message] = posted(sim, key)
    assert "*Trạng thái:* đang xác minh" in str(message["blocks"])
    assert "*Trạng thái:* mới" not in str(message["blocks"])
    stored = _rows(db)[key]
    assert "*Trạng thái:* đang xác minh" in str(stored.payload)  # the ledger holds what was sent


def test_a_tip_closed_while_slack_holds_its_alert_back_gets_no_alert(
    db, registry, sim, slack, monkeypatch
):
    """Slack answers 429: the deliverer waits Retry-After itself and reads the tip again before
    the next try (slack-sdk's own handler would just resend), so closing it meanwhile wins."""
    tip = seed.add_tip(db, received_at=T0, urgent=True)
    _sweep(db, registry, 0)
    sim.add_fault({"kind": "slack_429", "count": 1, "retry_after": 2})
    waits: list[float] = []

    def officer_closes_it_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        tips.mark_verified(db, tip.id, actor="officer", now=T0 + 0.5 * H)
        db.commit()

    monkeypatch.setattr(delivery.time, "sleep", officer_closes_it_meanwhile)
    report = _deliver(db, slack, 0)
    assert waits == [2.0]
    rows = _rows(db)
    held = [r for r in rows.values() if r.last_error == f"superseded: tip #{tip.id} is verified"]
    assert held  # the one Slack held back, and those claimed after the close
    assert report.sent == 0
    assert posted(sim) == []
