"""The escalation sweep against a real database: ladder timelines, exactly-once, digests."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.engine import session_scope
from citizen_desk.db.models import AuditLog, Notification, Tip
from citizen_desk.tips import workflow as tips
from citizen_desk.tips.sweep import sweep
from tests.conftest import NOW
from tests.tips import seed

H = timedelta(hours=1)
T0 = NOW - 200 * H  # tips arrive at T0; sweeps run at T0 + n hours


ladder_only = seed.ladder_only  # these tests jump hours between sweeps: catch-up off


def run(session, registry, hours: float, *, catch_up: bool = False, **kwargs):
    kwargs.setdefault("digest_hour", None)
    registry = registry if catch_up else ladder_only(registry)
    return sweep(session, registry, now=T0 + hours * H, actor="test-sweep", **kwargs)


def sent(session) -> set[tuple[str, str]]:
    """(idempotency key without recipient, recipient) of every enqueued notification."""
    rows = session.execute(select(Notification.idempotency_key, Notification.recipient)).all()
    return {(key.removesuffix(f":{recipient}"), recipient) for key, recipient in rows}


def new_after(session, registry, hours: float, before: set) -> set[tuple[str, str]]:
    run(session, registry, hours)
    return sent(session) - before


def escalations(session, tip_id: int) -> list[tuple[int, int]]:
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.action == "tip_escalated", AuditLog.entity_id == str(tip_id))
        .order_by(AuditLog.id)
    )
    return [(r.before["escalation_level"], r.after["escalation_level"]) for r in rows]


def level(session, tip_id: int) -> int:
    session.expire_all()
    return session.get(Tip, tip_id).escalation_level


# --- the ladder in the database ------------------------------------------------------------------


def test_normal_climb_in_a_three_level_tree(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    k = f"tip:{tip.id}"
    assert new_after(db, registry, -1, set()) == set()
    assert level(db, tip.id) == -1
    steps = [
        (0, {(f"{k}:L0:arrival:0", "U07NTHUYD01")}, 0),
        (11, set(), 0),
        (12, {(f"{k}:L0:reminder:1", "U07NTHUYD01")}, 0),
        (24, {(f"{k}:L1:escalation:0", "U07NTHUYC01")}, 1),
        (36, {(f"{k}:L1:reminder:1", "U07NTHUYC01")}, 1),
        (48, {(f"{k}:L2:escalation:0", "U07NSCHIEF1")}, 2),  # the district chief
        (96, {(f"{k}:L3:escalation:0", "C07THDUTY01")}, 3),  # the province duty officer
        (108, {(f"{k}:L3:reminder:1", "C07THDUTY01")}, 3),
    ]
    seen: set = set()
    for hours, expected, expected_level in steps:
        assert new_after(db, registry, hours, seen) == expected, hours
        seen = sent(db)
        assert level(db, tip.id) == expected_level, hours
    assert escalations(db, tip.id) == [(-1, 0), (0, 1), (1, 2), (2, 3)]
    note = db.scalars(select(AuditLog.note).where(AuditLog.action == "tip_escalated")).all()
    assert note[2] == "L2 → TH-NS (chief)"


def test_a_late_run_catches_up_every_level_but_only_the_latest_reminder(db, registry):
    """Catch-up off (the registry's kill switch): the ladder as it was, every level by itself."""
    tip = seed.add_tip(db, received_at=T0)
    report = run(db, registry, 130)
    k = f"tip:{tip.id}"
    assert sent(db) == {
        (f"{k}:L0:arrival:0", "U07NTHUYD01"),
        (f"{k}:L1:escalation:0", "U07NTHUYC01"),
        (f"{k}:L2:escalation:0", "U07NSCHIEF1"),
        (f"{k}:L3:escalation:0", "C07THDUTY01"),
        (f"{k}:L3:reminder:2", "C07THDUTY01"),
    }
    assert report.escalated == 1
    assert escalations(db, tip.id) == [(-1, 3)]


def test_a_late_run_lists_a_stale_tip_once_and_skips_the_passed_levels(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    report = run(db, registry, 130, catch_up=True)
    k = f"tip:{tip.id}"
    rows = {r.idempotency_key: r for r in db.scalars(select(Notification))}
    ladder = {
        f"{k}:L0:arrival:0:U07NTHUYD01",
        f"{k}:L1:escalation:0:U07NTHUYC01",
        f"{k}:L2:escalation:0:U07NSCHIEF1",
        f"{k}:L3:escalation:0:C07THDUTY01",
        f"{k}:L3:reminder:2:C07THDUTY01",
    }
    assert ladder <= set(rows)  # every alert is in the ledger: no later run sends it
    assert {rows[key].status for key in ladder} == {"superseded"}  # none by itself
    summaries = [r for r in rows.values() if r.kind == "tip_catchup"]
    assert [(s.recipient, s.status) for s in summaries] == [("C07THDUTY01", "pending")]
    shown = json.dumps(summaries[0].payload, ensure_ascii=False)
    assert f"CD-{tip.case_id:06d}" in shown
    assert "Báo cáo cấp 3: *1*" in shown
    listed = rows[f"{k}:L3:escalation:0:C07THDUTY01"].last_error
    assert listed == f"catch-up: listed in summary {summaries[0].idempotency_key}"
    assert (report.escalated, report.caught_up, report.skipped, report.summaries) == (1, 1, 4, 1)
    assert escalations(db, tip.id) == [(-1, 3)]
    assert len(set(rows) - ladder) == 1  # the summary is the only message

    # the next reminder is the first one anybody gets: "lần 1", never the ladder's count
    run(db, registry, 132, catch_up=True)
    reminder = db.scalars(
        select(Notification).where(Notification.idempotency_key == f"{k}:L3:reminder:3:C07THDUTY01")
    ).one()
    assert reminder.status == "pending"
    assert "Nhắc lần 1:" in json.dumps(reminder.payload, ensure_ascii=False)
    run(db, registry, 144, catch_up=True)
    second = db.scalars(
        select(Notification.payload).where(
            Notification.idempotency_key == f"{k}:L3:reminder:4:C07THDUTY01"
        )
    ).one()
    assert "Nhắc lần 2:" in json.dumps(second, ensure_ascii=False)


def test_a_backlog_is_written_in_a_few_statements_not_one_per_tip(db, registry, tip_engine):
    # 12 tips of different ages found by a first sweep: stale ones summarised, passed levels
    # covered, fresh ones alerted, every level raised and audited, in a few statements each.
    tips = [seed.add_tip(db, received_at=T0 + (10 * i + 1) * H, name=None) for i in range(12)]
    db.commit()
    statements: list[str] = []

    def capture(conn, cursor, statement, params, context, executemany):
        statements.append(" ".join(statement.split()).upper())

    event.listen(tip_engine, "before_cursor_execute", capture)
    try:
        report = run(db, registry, 130.5, catch_up=True)
        db.flush()
    finally:
        event.remove(tip_engine, "before_cursor_execute", capture)
    assert report.escalated == 12
    assert min(report.enqueued, report.summaries, report.skipped) > 0
    assert all(escalations(db, tip.id) for tip in tips)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
    levels = {level(db, tip.id) for tip in tips}
    assert len([s for s in writes if s.startswith("UPDATE TIPS")]) == len(levels)
    assert len([s for s in writes if s.startswith("INSERT INTO AUDIT_LOG")]) == 1
    # the alerts, the summaries, the alerts they list, the passed ones: a statement each
    assert len([s for s in writes if s.startswith("INSERT INTO NOTIFICATIONS")]) == 4
    assert len(statements) < 30


def test_acknowledgement_stops_reminders_at_its_level_only(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    run(db, registry, 0)
    tips.acknowledge(db, tip.id, actor="do.ngathuy", now=T0 + H)
    before = sent(db)
    assert new_after(db, registry, 23, before) == set()  # no L0 reminder at 12 h
    after = new_after(db, registry, 36, before)
    assert after == {
        (f"tip:{tip.id}:L1:escalation:0", "U07NTHUYC01"),
        (f"tip:{tip.id}:L1:reminder:1", "U07NTHUYC01"),
    }
    tips.acknowledge(db, tip.id, actor="chief.ngathuy", now=T0 + 37 * H)  # default: level 1
    before = sent(db)
    assert new_after(db, registry, 47, before) == set()
    assert {key for key, _ in new_after(db, registry, 60, before)} == {
        f"tip:{tip.id}:L2:escalation:0",
        f"tip:{tip.id}:L2:reminder:1",
    }


def test_after_a_reassignment_only_the_unchanged_chain_stays_acknowledged(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    run(db, registry, 50)  # level 2: the district chief
    tips.acknowledge(db, tip.id, actor="chief.ngason", now=T0 + 50 * H)
    k = f"tip:{tip.id}"

    # Another commune of the same district: Nga Sơn's chief has already acknowledged level 2.
    tips.reassign(db, tip.id, actor="chief.ngason", now=T0 + 51 * H, unit_code="TH-NS-NGATAN")
    before = sent(db)
    assert new_after(db, registry, 62, before) == {
        (f"{k}:L0:arrival:0", "U07NTAN0D01"),
        (f"{k}:L1:escalation:0", "U07NTAN0C01"),
    }  # and no level 2 reminder

    # A ward of Sầm Sơn city: its chief is answerable at level 2 now and is reminded.
    tips.reassign(db, tip.id, actor="chief.ngason", now=T0 + 63 * H, unit_code="TH-SS-BACSON")
    before = sent(db)
    assert new_after(db, registry, 73, before) == {
        (f"{k}:L0:arrival:0", "U07BSOND001"),
        (f"{k}:L1:escalation:0", "U07BSONC001"),
        (f"{k}:L2:escalation:0", "U07SSCHIEF1"),
        (f"{k}:L2:reminder:2", "U07SSCHIEF1"),
    }
    tips.acknowledge(db, tip.id, actor="chief.samson", now=T0 + 74 * H)
    assert new_after(db, registry, 90, sent(db)) == set()


@pytest.mark.parametrize("closed_at_level", [0, 1, 2, 3])
@pytest.mark.parametrize("close", ["verified", "unfounded", "forwarded"])
def test_closing_a_tip_stops_the_ladder_at_any_level(db, registry, closed_at_level, close):
    tip = seed.add_tip(db, received_at=T0, urgent=closed_at_level == 0)
    hours = {0: 1, 1: 25, 2: 49, 3: 97}[closed_at_level]
    run(db, registry, hours)
    assert level(db, tip.id) == closed_at_level
    now = T0 + (hours + 0.5) * H
    if close == "verified":
        tips.mark_verified(db, tip.id, actor="x", now=now)
    elif close == "unfounded":
        tips.mark_unfounded(db, tip.id, actor="x", now=now)
    else:
        tips.forward(db, tip.id, actor="x", now=now, target="VKSND tỉnh")
    before = sent(db)
    for later in (hours + 1, hours + 12, hours + 48, 400):
        assert new_after(db, registry, later, before) == set()
    assert level(db, tip.id) == closed_at_level


def test_verifying_keeps_climbing(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    tips.start_verification(db, tip.id, actor="do", now=T0 + H)
    run(db, registry, 50)
    assert level(db, tip.id) == 2


def test_an_extension_shifts_the_thresholds(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    run(db, registry, 12)
    tips.extend(db, tip.id, actor="chief", now=T0 + 13 * H, by=24 * H, reason="giám định")
    before = sent(db)
    assert new_after(db, registry, 47, before) == set()  # L1 is now due at 48 h
    assert new_after(db, registry, 48, before) == {(f"tip:{tip.id}:L1:escalation:0", "U07NTHUYC01")}
    assert level(db, tip.id) == 1


def test_a_reassigned_tip_alerts_the_new_chain_once(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    run(db, registry, 50)
    assert level(db, tip.id) == 2
    tips.reassign(db, tip.id, actor="chief.ns", now=T0 + 51 * H, unit_code="TH-SS-BACSON")
    before = sent(db)
    k = f"tip:{tip.id}"
    assert new_after(db, registry, 52, before) == {
        (f"{k}:L0:arrival:0", "U07BSOND001"),
        (f"{k}:L1:escalation:0", "U07BSONC001"),
        (f"{k}:L2:escalation:0", "U07SSCHIEF1"),  # a city instead of a district
    }
    assert new_after(db, registry, 53, sent(db)) == set()
    assert level(db, tip.id) == 2
    assert escalations(db, tip.id) == [(-1, 2)]


def test_urgent_tip_goes_straight_to_the_chiefs(db, registry):
    tip = seed.add_tip(db, received_at=T0, urgent=True, topic="fight")
    report = run(db, registry, 0)
    k = f"tip:{tip.id}"
    assert sent(db) == {
        (f"{k}:L0:urgent:0", "U07NTHUYC01"),
        (f"{k}:L0:urgent:1", "U07NSCHIEF1"),
        (f"{k}:L0:arrival:0", "U07NTHUYD01"),
    }
    assert (report.enqueued + report.blocked, report.escalated) == (3, 1)
    kinds = db.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert sorted(kinds) == ["tip_arrival", "tip_urgent", "tip_urgent"]


def test_a_tip_that_turns_urgent_days_later_pings_the_chiefs_at_once(db, registry):
    """Catch-up on: a four-day-old tip (level 3) whose thread now reports danger gets its urgent
    chief alerts by themselves, not listed as stale history in a catch-up summary."""
    tip = seed.add_tip(db, received_at=T0)
    run(db, registry, 100, catch_up=True)
    assert level(db, tip.id) == 3
    tip.urgent, tip.urgent_since = True, T0 + 130 * H
    db.flush()
    report = run(db, registry, 130.1, catch_up=True)
    k = f"tip:{tip.id}"
    rows = {r.idempotency_key: r for r in db.scalars(select(Notification))}
    urgent = {key: rows[key].status for key in rows if key.startswith(f"{k}:L0:urgent:")}
    assert urgent == {
        f"{k}:L0:urgent:0:U07NTHUYC01": "pending",
        f"{k}:L0:urgent:1:U07NSCHIEF1": "pending",
    }  # sent by themselves, not "superseded" by a summary
    assert report.enqueued == 2


def test_district_tip_escalates_to_the_province(db, registry):
    tip = seed.add_tip(db, channel_key="fb-th-ns", received_at=T0)
    run(db, registry, 50)
    assert (f"tip:{tip.id}:L2:escalation:0", "U07THCHIEF1") in sent(db)


def test_two_level_tree_and_a_missing_contact(engine, tmp_path):
    registry = seed.two_level_registry(tmp_path / "two.yaml")
    with sessionmaker(engine, expire_on_commit=False)() as db:
        seed.sync(db, registry)
        a = seed.add_tip(db, channel_key="fb-p-a", received_at=T0)
        b = seed.add_tip(db, channel_key="fb-p-b", received_at=T0)
        report = sweep(db, ladder_only(registry), now=T0 + 100 * H, actor="t", digest_hour=None)
        rows = sent(db)
        assert {r for r in rows if r[0].startswith(f"tip:{a.id}:")} == {
            (f"tip:{a.id}:L0:arrival:0", "U07PADUTY01"),
            (f"tip:{a.id}:L1:escalation:0", "U07PACHIEF1"),
            (f"tip:{a.id}:L2:escalation:0", "U07PCHIEF01"),  # no district: the parent
            (f"tip:{a.id}:L3:escalation:0", "C07PDUTY001"),
        }
        # P-B has no chief: its level-1 alert goes to the technical admin, flagged
        assert (f"tip:{b.id}:L1:escalation:0", "C07TECHADMIN") in rows
        assert report.unrouted == 1
        payload = db.scalars(
            select(Notification.payload).where(
                Notification.idempotency_key == f"tip:{b.id}:L1:escalation:0:C07TECHADMIN"
            )
        ).one()
        assert "chưa có liên hệ lãnh đạo" in payload["text"] + str(payload["blocks"])
        assert db.get(Tip, a.id).escalation_level == 3


# --- exactly once --------------------------------------------------------------------------------


def test_rerun_at_the_same_time_adds_nothing(db, registry):
    seed.add_tip(db, received_at=T0, urgent=True)
    seed.add_tip(db, received_at=T0 + 10 * H)
    first = run(db, registry, 60)
    count = db.scalar(select(func.count()).select_from(Notification))
    audits = db.scalar(select(func.count()).select_from(AuditLog))
    second = run(db, registry, 60)
    assert first.enqueued + first.blocked == count > 0
    assert (second.enqueued, second.blocked, second.escalated) == (0, 0, 0)
    assert second.already_enqueued == second.alerts_due == first.alerts_due
    assert db.scalar(select(func.count()).select_from(Notification)) == count
    assert db.scalar(select(func.count()).select_from(AuditLog)) == audits


def test_overlapping_runs_in_two_sessions_enqueue_each_alert_once(tip_engine, registry):
    with session_scope(tip_engine) as setup:
        ids = [seed.add_tip(setup, received_at=T0 + i * H, urgent=i % 3 == 0).id for i in range(6)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with session_scope(tip_engine) as session:
                sweep(session, registry, now=T0 + 60 * H, actor="overlap", digest_hour=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(tip_engine) as check:
        keys = check.scalars(select(Notification.idempotency_key)).all()
        assert len(keys) == len(set(keys)) > 0
        with session_scope(tip_engine) as again:
            report = sweep(again, registry, now=T0 + 60 * H, actor="again", digest_hour=7)
        assert report.enqueued == report.digests == 0
        for tip_id in ids:
            assert len(escalations(check, tip_id)) == 1
            assert check.get(Tip, tip_id).escalation_level == 2


# --- digests -------------------------------------------------------------------------------------


def test_daily_digest_to_each_alerted_chief(db, registry):
    # NOW is Monday 10:00 local
    urgent = seed.add_tip(db, received_at=NOW - 2 * H, urgent=True, topic="fight")
    old = seed.add_tip(db, received_at=NOW - 50 * H)
    fresh = seed.add_tip(db, channel_key="fb-th-ss-bacson", received_at=NOW - 3 * H)
    report = sweep(db, registry, now=NOW, actor="t", digest_hour=7)
    digests = dict(
        db.execute(
            select(Notification.recipient, Notification.payload).where(
                Notification.kind == "tip_digest"
            )
        ).all()
    )
    assert report.digests == len(digests) == 2
    assert set(digests) == {"U07NTHUYC01", "U07NSCHIEF1"}  # nobody else was alerted as chief
    for payload in digests.values():
        text = payload["text"] + str(payload["blocks"])
        assert f"CD-{urgent.case_id:06d}" in text
        assert f"CD-{old.case_id:06d}" in text
        assert f"CD-{fresh.case_id:06d}" not in text  # only its duty officer was alerted
        # the level reached in this very sweep, named: level 2 is the district chief
        assert "đã báo cáo lãnh đạo Công an huyện Nga Sơn" in text
        assert "23/11/2026" in payload["text"]
    keys = db.scalars(select(Notification.idempotency_key).where(Notification.kind == "tip_digest"))
    assert set(keys) == {"tip-digest:U07NTHUYC01:2026-11-23", "tip-digest:U07NSCHIEF1:2026-11-23"}
    assert sweep(db, registry, now=NOW + 5 * H, actor="t", digest_hour=7).digests == 0
    # a day later the Bắc Sơn tip has reached its chief too
    assert sweep(db, registry, now=NOW + 24 * H, actor="t", digest_hour=7).digests == 3
    assert (
        db.scalar(
            select(Notification.id).where(
                Notification.idempotency_key == "tip-digest:U07BSONC001:2026-11-24"
            )
        )
        is not None
    )


def test_no_digest_before_the_digest_hour(db, registry):
    seed.add_tip(db, received_at=NOW - 50 * H)
    early = NOW - 4 * H  # 06:00 local
    assert sweep(db, registry, now=early, actor="t", digest_hour=7).digests == 0
    assert sweep(db, registry, now=NOW, actor="t", digest_hour=7).digests == 2


# --- what an alert says --------------------------------------------------------------------------


def test_alert_content(db, registry):
    tip = seed.add_tip(
        db, received_at=T0, urgent=True, topic="weapon", text="Có người cầm dao ở xóm 2"
    )
    tips.start_verification(db, tip.id, actor="do.ngathuy", now=T0 + H)
    run(db, registry, 26)
    payload = db.scalars(
        select(Notification.payload).where(
            Notification.idempotency_key == f"tip:{tip.id}:L1:escalation:0:U07NTHUYC01"
        )
    ).one()
    text = payload["text"]
    blocks = str(payload["blocks"])
    ref = f"CD-{tip.case_id:06d}"
    assert ref in text
    assert "Công an xã Nga Thủy" in text
    assert "[Báo cáo " in text
    assert "[Cấp" not in text
    assert "cấp 1" not in blocks
    assert "1 ngày 2 giờ" in text
    for expected in (
        f": tin báo {ref} chưa xác minh",
        "vũ khí",
        "KHẨN",
        "đang xác minh",
        "bắt đầu xác minh",
        "Có người cầm dao ở xóm 2",
        f"http://localhost:8080/citizen-desk/cases/{tip.case_id}",
        "Bấm *Đã nhận*",
        "*Đã báo cáo đến:* lãnh đạo",
    ):
        assert expected in blocks, expected
    assert payload["blocks"][0]["type"] == "header"


def test_a_what_if_sweep_evaluates_ahead_but_writes_at_the_run_time(db, registry):
    tip = seed.add_tip(db, received_at=T0)
    report = sweep(
        db, registry, now=T0 + 48 * H, actor="what-if", digest_hour=None, recorded_at=T0 + H
    )
    assert report.escalated == 1
    assert level(db, tip.id) == 2
    rows = list(db.scalars(select(Notification)))
    pending = [n for n in rows if n.status == "pending"]
    # catch-up: the level the what-if reaches is announced, the passed ones only recorded
    assert {n.idempotency_key.rsplit(":", 1)[0] for n in pending} == {
        f"tip:{tip.id}:L2:escalation:0"
    }
    assert {n.status for n in rows} == {"pending", "superseded"}
    assert {(n.created_at, n.next_attempt_at) for n in pending} == {(T0 + H, T0 + H)}
    assert {n.created_at for n in rows} == {T0 + H}
    audit = db.scalars(select(AuditLog).where(AuditLog.action == "tip_escalated")).one()
    assert audit.at == T0 + H
