"""Issue 17, "a flood at first start": a fresh database with 14 days of history, then the first
escalation sweep, the first SLA sweep and one delivery, against the simulator's Slack.

Each recipient gets a handful of messages: a fresh urgent tip by itself and first, fresh items
one by one, the stale backlog in one catch-up summary per unit (old urgent tips listed first,
marked, in the urgent lane), and any crowd left in one digest. No
message counts reminders nobody received, and every alert still has its row in the ledger.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import Notification
from citizen_desk.domain.catchup import CatchUpPolicy
from citizen_desk.notify.delivery import deliver_pending
from citizen_desk.sla import sweep as sla
from citizen_desk.tips.sweep import sweep as tip_sweep
from tests.conftest import NOW
from tests.sla.factories import CANARY_NAME, CANARY_PHONE, make_case
from tests.tips import seed

H = timedelta(hours=1)
CHANNELS = (
    "fb-th-ns-ngathuy",
    "zalo-th-ns-ngathuy",
    "fb-th-ns-ngatan",
    "fb-th-ss-bacson",
    "fb-th-ss-truongson",
    "fb-th-ns-ttns",
)
ADMIN_KINDS = {"admin_alert", "pii_blocked", "pii_withheld"}
GROUPED_KINDS = {"tip_catchup", "sla_catchup", "notify_digest", "tip_digest", "sla_digest"}
REMINDER_COUNT = re.compile(r"Nhắc lần (\d+)")


def _history(db) -> dict[str, list]:
    tips = [
        seed.add_tip(
            db,
            channel_key=CHANNELS[i % len(CHANNELS)],
            received_at=NOW - timedelta(days=14) + i * 4 * H,
            urgent=i % 17 == 0,
        )
        for i in range(84)  # six a day for 14 days
    ]
    fresh = seed.add_tip(db, channel_key="fb-th-ss-bacson", received_at=NOW - 0.5 * H)
    fresh_urgent = seed.add_tip(
        db, channel_key="fb-th-ns-ngathuy", received_at=NOW - 0.25 * H, urgent=True
    )
    cases = [
        make_case(
            db,
            channel_key=CHANNELS[i % len(CHANNELS)],
            category=("question", "lost_found", "feedback")[i % 3],
            turns=[(NOW - (8 * i + 1) * H, None)],
        )
        for i in range(42)  # unanswered questions over 14 days
    ]
    db.commit()
    return {"tips": tips, "fresh": [fresh], "fresh_urgent": [fresh_urgent], "cases": cases}


def _first_start(db, registry, slack=None) -> list[Notification]:
    tip_sweep(db, registry, now=NOW, actor="first", source="first")
    sla.sweep(db, registry, now=NOW, run_id="first")
    db.commit()
    if slack is None:
        return list(db.scalars(select(Notification).order_by(Notification.id)))
    factory = sessionmaker(db.get_bind(), expire_on_commit=False)
    digest_after = registry.notifications.digest_after
    deliver_pending(factory, slack, now=NOW, limit=2000, digest_after=digest_after)
    db.expire_all()
    return list(db.scalars(select(Notification).order_by(Notification.id)))


def test_first_start_over_14_days_is_a_handful_per_recipient(db, registry, sim, slack) -> None:
    history = _history(db)
    rows = _first_start(db, registry, slack)
    sent = [r for r in rows if r.status == "sent"]
    messages = sim.slack_messages()
    assert len(messages) == len(sent)
    per_recipient = defaultdict(Counter)
    for row in sent:
        per_recipient[row.recipient][row.kind] += 1
    for recipient, kinds in per_recipient.items():
        alone = sum(n for k, n in kinds.items() if k not in ADMIN_KINDS | GROUPED_KINDS)
        assert alone <= registry.notifications.digest_after, (recipient, kinds)
        grouped = sum(n for k, n in kinds.items() if k in GROUPED_KINDS)
        assert grouped <= 6, (recipient, kinds)  # summaries per unit + daily digests + digest

    # the backlog is all there, in the ledger: a summary lists what no message carries alone
    tip_rows = [r for r in rows if r.idempotency_key.startswith("tip:")]
    listed = [r for r in tip_rows if (r.last_error or "").startswith("catch-up: listed")]
    assert len(listed) > 50
    summaries = {r.idempotency_key: r for r in rows if r.kind in ("tip_catchup", "sla_catchup")}
    assert {r.status for r in summaries.values()} == {"sent"}
    for row in listed:
        assert row.last_error.removeprefix("catch-up: listed in summary ") in summaries
    shown = json.dumps([summaries[k].payload for k in summaries], ensure_ascii=False)
    for tip in history["tips"]:
        assert f"CD-{tip.case_id:06d}" in shown
    assert "Trích nội dung" not in shown  # references and counts, never free text

    # the old tip of the issue: five messages in one second are now none of its own
    oldest = history["tips"][1]
    own = [r for r in tip_rows if r.idempotency_key.startswith(f"tip:{oldest.id}:")]
    assert {r.status for r in own} == {"superseded"}
    assert len(own) >= 5

    # the tip that arrived half an hour ago is announced by itself (or in its officer's digest)
    fresh = history["fresh"][0]
    arrival = next(r for r in rows if r.idempotency_key.startswith(f"tip:{fresh.id}:L0:arrival"))
    assert arrival.status in ("sent", "digested")

    # urgent tips: the fresh one by itself; the old ones listed, marked, in summaries that go
    # out in the urgent lane, before any other summary or digest
    fresh_urgent = history["fresh_urgent"][0]
    urgent = [r for r in rows if r.kind == "tip_urgent"]
    own = [r for r in urgent if r.idempotency_key.startswith(f"tip:{fresh_urgent.id}:")]
    assert own
    assert {r.status for r in own} == {"sent"}
    old = [r for r in urgent if r not in own]
    assert old
    assert {r.status for r in old} == {"superseded"}
    assert "KHẨN · " in shown
    order = [m["metadata"]["event_payload"]["key"] for m in messages]
    marked = [
        k for k, r in summaries.items() if "KHẨN" in json.dumps(r.payload, ensure_ascii=False)
    ]
    assert marked
    other = [
        r.idempotency_key
        for r in sent
        if r.kind in GROUPED_KINDS and r.idempotency_key not in marked
    ]
    last_urgent = max(order.index(k) for k in [*marked, *(r.idempotency_key for r in own)])
    assert last_urgent < min(order.index(k) for k in other)

    # no reminder count nobody received, no identity anywhere
    payload = json.dumps(messages, ensure_ascii=False)
    assert REMINDER_COUNT.findall(payload) == []
    assert CANARY_NAME not in payload
    assert CANARY_PHONE not in payload


def test_the_same_history_without_catch_up_was_the_flood(db, registry) -> None:
    """The baseline the issue saw: catch-up off, scores of messages queued per recipient, and
    reminders whose ladder count ran far ahead (shown as the count actually sent: "lần 1")."""
    _history(db)
    off = replace(registry, notifications=CatchUpPolicy(fresh_within=None))
    rows = _first_start(db, off)
    queued = Counter(r.recipient for r in rows if r.status == "pending")
    assert max(queued.values()) > 40
    sequences = [int(r.idempotency_key.split(":")[4]) for r in rows if r.kind == "tip_reminder"]
    assert max(sequences) > 10
    payload = json.dumps([r.payload for r in rows], ensure_ascii=False)
    assert {int(n) for n in REMINDER_COUNT.findall(payload)} == {1}


def test_the_hour_after_first_start_is_quiet_and_individual(db, registry, sim, slack) -> None:
    history = _history(db)
    _first_start(db, registry, slack)
    before = len(sim.slack_messages())
    later = seed.add_tip(db, channel_key="fb-th-ns-ngatan", received_at=NOW + 0.5 * H)
    db.commit()
    report = tip_sweep(db, registry, now=NOW + H, actor="next", digest_hour=None)
    assert (report.summaries, report.caught_up) == (0, 0)
    db.commit()
    factory = sessionmaker(db.get_bind(), expire_on_commit=False)
    deliver_pending(factory, slack, now=NOW + H, digest_after=5)
    new = sim.slack_messages()[before:]
    keys = [m["metadata"]["event_payload"]["key"] for m in new]
    assert f"tip:{later.id}:L0:arrival:0:" in " ".join(keys)
    assert not any(k.startswith(("tip-catchup", "sla-catchup")) for k in keys)
    assert len(new) <= 5
    assert history["tips"]
