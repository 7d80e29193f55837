"""No informant identity in anything the escalation sends or logs.

Canary names, PSIDs, Zalo ids, phone numbers and profile links are planted in tip texts and in the
citizens' protected columns; the sweep and the outbox then deliver to the simulator's Slack, and
neither the received payloads nor the captured logs may contain any of them.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from citizen_desk.db.models import AuditLog, Notification
from citizen_desk.notify.delivery import deliver_pending
from citizen_desk.notify.outbox import WITHHELD
from citizen_desk.notify.slack import build_client
from citizen_desk.tips import views
from citizen_desk.tips import workflow as tips
from citizen_desk.tips.sweep import sweep
from platform_simulator import Simulator, SimulatorConfig
from tests.conftest import NOW, REGISTRY_PATH
from tests.tips import seed

H = timedelta(hours=1)


@pytest.fixture
def simulator():
    sim = Simulator(
        SimulatorConfig(
            registry_path=REGISTRY_PATH,
            seed=11,
            days=1,
            now=NOW,
            slack_rate_per_second=1000.0,
            slack_burst=1000,
        )
    )
    server = sim.serve_in_thread()
    yield sim, build_client(sim.cfg.slack_token, base_url=f"{server.base_url}/api/")
    server.shutdown()


def assert_no_canary(text: str, where: str) -> None:
    folded = text.casefold()
    for canary in seed.CANARIES:
        assert canary.casefold() not in folded, f"{canary!r} leaked into {where}"
    digits = "".join(ch for ch in text if ch.isdigit())
    for number in (seed.CANARY_PHONE_DIGITS, seed.CANARY_PSID, seed.CANARY_ZALO_ID):
        assert number not in digits, f"{number} leaked into {where} (digits)"


def test_no_identity_reaches_slack_or_the_logs(db, registry, simulator, caplog):
    sim, client = simulator
    caplog.set_level(logging.DEBUG)
    fb = seed.add_canary_tip(db, received_at=NOW - 60 * H, topic="gambling")
    urgent = seed.add_canary_tip(db, received_at=NOW - 30 * H, urgent=True, topic="fight")
    zalo = seed.add_zalo_canary_tip(db, received_at=NOW - 100 * H, urgent=True, topic="weapon")
    note = f"Đã liên hệ {seed.CANARY_NAME} qua số {seed.CANARY_PHONE}"
    tips.acknowledge(db, fb.id, actor="do.ngathuy", now=NOW - 59 * H, note=note)
    tips.start_verification(db, urgent.id, actor="do.ngathuy", now=NOW - 29 * H, note=note)
    tips.reassign(db, zalo.id, actor="chief.ss", now=NOW - 99 * H, unit_code="TH-SS-BACSON")
    db.commit()

    for hours in (-72, -48, -24, -12, 0):
        now = NOW + hours * H
        ladder = seed.ladder_only(registry)
        sweep(db, ladder, now=now, actor="escalate/run", source="escalate/run", digest_hour=7)
        db.commit()
        deliver_pending(db.get_bind(), client, now=now)

    rows = db.execute(select(Notification.kind, Notification.status)).all()
    assert {kind for kind, _ in rows} >= {"tip_arrival", "tip_urgent", "tip_escalation",
                                          "tip_reminder", "tip_digest"}  # fmt: skip
    assert {status for _, status in rows} == {"sent"}  # nothing needed the gate's help
    messages = sim.slack_messages()
    assert len(messages) == len(rows) > 10
    payload = json.dumps(messages, ensure_ascii=False)
    for tip in (fb, urgent, zalo):
        assert f"CD-{tip.case_id:06d}" in payload
    assert "[SĐT]" in payload  # the excerpts were redacted, not dropped
    assert "đánh bạc" in payload
    assert_no_canary(payload, "Slack payloads")
    assert_no_canary(caplog.text, "logs")
    for tip in (fb, urgent, zalo):  # and the audit trail the UI shows
        for entry in views.tip_history(db, tip.id):
            assert_no_canary(json.dumps([entry.note, entry.before, entry.after]), "audit")


def test_identity_in_a_later_message_of_the_thread_is_masked_too(db, registry):
    tip = seed.add_tip(
        db,
        received_at=NOW - H,
        name=seed.CANARY_NAME,
        user_id=seed.CANARY_PSID,
        text="Có ổ nhóm ma túy ở xóm 4",
        extra_messages=(f"Em là {seed.CANARY_NAME.upper()}, sđt {seed.CANARY_PHONE_DIGITS}",),
    )
    excerpt = views.get_tip(db, tip.id, now=NOW).excerpt
    assert excerpt.startswith("Có ổ nhóm ma túy ở xóm 4 Em là [TÊN], sđt [SĐT]")
    assert_no_canary(excerpt, "excerpt")


def test_the_outbox_gate_withholds_what_a_redaction_bug_would_let_through(
    db, registry, simulator, monkeypatch
):
    sim, client = simulator
    tip = seed.add_canary_tip(db, received_at=NOW - 30 * H)
    monkeypatch.setattr(views, "redact_text", lambda text, names: text)  # a redaction bug
    assert seed.CANARY_NAME in views.get_tip(db, tip.id, now=NOW).excerpt
    report = sweep(db, seed.ladder_only(registry), now=NOW, actor="t", digest_hour=None)
    db.commit()
    assert (report.enqueued, report.blocked) == (2, 0)  # arrival and level 1, excerpt withheld
    rows = db.execute(select(Notification.kind, Notification.status, Notification.payload)).all()
    assert {(kind, status) for kind, status, _ in rows} == {
        ("tip_arrival", "pending"),
        ("tip_escalation", "pending"),
        ("pii_withheld", "pending"),
    }
    assert_no_canary(json.dumps([p for _, _, p in rows], ensure_ascii=False), "stored payloads")
    deliver_pending(db.get_bind(), client, now=NOW)
    messages = sim.slack_messages()
    assert len(messages) == 3  # the officers and the technical admins
    payload = json.dumps(messages, ensure_ascii=False)
    assert_no_canary(payload, "alerts")
    assert WITHHELD in payload


ODD_PHONE = "0912 345 678"


def test_a_phone_the_excerpt_lets_through_is_withheld_at_every_level(
    db, registry, simulator, monkeypatch
):
    sim, client = simulator
    monkeypatch.setattr(views, "redact_text", lambda text, names: text)  # a redaction bug
    text = f"Ở xóm 3 có đối tượng bán ma túy, cần thì gọi {ODD_PHONE} nhé"
    tip = seed.add_tip(db, received_at=NOW - 100 * H, text=text)
    db.commit()
    reference = f"CD-{tip.case_id:06d}"
    excerpt = views.get_tip(db, tip.id, now=NOW).excerpt
    assert "0912 345 678" in excerpt  # the bug lets it through: the gate must catch it

    report = sweep(db, seed.ladder_only(registry), now=NOW, actor="t", digest_hour=None)
    db.commit()
    deliver_pending(db.get_bind(), client, now=NOW)

    rows = db.scalars(select(Notification)).all()
    alerts = [r for r in rows if r.kind.startswith("tip_")]
    assert report.blocked == 0
    assert report.enqueued == len(alerts)
    levels = {r.idempotency_key.split(":")[2] for r in alerts if r.kind != "tip_reminder"}
    assert levels == {"L0", "L1", "L2", "L3"}  # every level of the ladder heard of it
    assert {r.status for r in alerts} == {"sent"}
    notices = [r for r in rows if r.kind == "pii_withheld"]
    assert [(n.recipient, n.status) for n in notices] == [("C07TECHADMIN", "sent")]
    assert "phone" in notices[0].payload["text"]
    assert reference in notices[0].payload["text"]
    assert {r.kind for r in rows} == {r.kind for r in alerts} | {"pii_withheld"}

    messages = sim.slack_messages()
    assert len(messages) == len(rows)
    for message in messages:
        body = json.dumps(message, ensure_ascii=False)
        assert "345" not in body.replace(registry.case_view_base_url, "")
    for alert in alerts:
        shown = json.dumps(alert.payload, ensure_ascii=False)
        assert WITHHELD in shown
        assert reference in shown
        assert registry.case_url(tip.case_id) in shown
        assert "xóm 3" not in shown  # the whole excerpt is withheld, not just the number

    audit = db.scalars(select(AuditLog).where(AuditLog.action == "notification_pii_withheld"))
    entries = list(audit)
    assert len(entries) == len(alerts)
    assert {json.dumps(e.after, sort_keys=True) for e in entries} == {
        '{"withheld": {"excerpt": ["phone"]}}'
    }
