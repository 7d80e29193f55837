"""The officer actions (citizen_desk.tips.workflow) against a real, migrated database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.db.models import AuditLog, Tip, TipAcknowledgement
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.tips import views
from citizen_desk.tips import workflow as tips
from tests.conftest import NOW
from tests.tips import seed

H = timedelta(hours=1)
D = timedelta(days=1)


def audit_rows(session: Session, tip_id: int) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "tip", AuditLog.entity_id == str(tip_id))
            .order_by(AuditLog.id)
        )
    )


UNKNOWN_ID_CALLS = [
    (tips.acknowledge, {}),
    (tips.start_verification, {}),
    (tips.mark_verified, {}),
    (tips.mark_unfounded, {}),
    (tips.forward, {"target": "VKSND huyện"}),
    (tips.extend, {"by": D, "reason": "cần thêm thời gian"}),
    (tips.reassign, {"unit_code": "TH-NS"}),
    (tips.set_public_outcome, {"text": "Đã xử lý."}),
]


def test_unknown_tip_raises_not_found(db):
    for function, kwargs in UNKNOWN_ID_CALLS:
        with pytest.raises(NotFoundError, match="unknown tip 999"):
            function(db, 999, actor="officer", now=NOW, **kwargs)


# --- transitions ---------------------------------------------------------------------------------


def test_start_then_verify_records_everything(db):
    tip = seed.add_tip(db, received_at=NOW - 5 * H)
    view = tips.start_verification(db, tip.id, actor="do.ngathuy", now=NOW, note="Đã cử tổ")
    assert (view.status, view.last_action, view.last_action_at) == (
        "verifying",
        "verification_started",
        NOW,
    )
    later = NOW + 3 * H
    view = tips.mark_verified(db, tip.id, actor="chief.ngathuy", now=later)
    assert (view.status, view.last_action, view.last_action_at) == ("verified", "verified", later)
    db.refresh(tip)
    assert (tip.verified_at, tip.verified_by, tip.closed_at) == (later, "chief.ngathuy", later)
    history = views.tip_history(db, tip.id)
    assert [(e.action, e.actor) for e in history] == [
        ("tip_verification_started", "do.ngathuy"),
        ("tip_verified", "chief.ngathuy"),
    ]
    assert history[0].before == {"status": "new"}
    assert history[0].after == {"status": "verifying"}
    assert history[0].note == "Đã cử tổ"
    assert history[1].before["status"] == "verifying"
    assert history[1].after["status"] == "verified"
    assert history[1].at == later


@pytest.mark.parametrize("start", ["new", "verifying"])
def test_unfounded_and_forward_close_the_tip(db, start):
    a = seed.add_tip(db, status=start)
    b = seed.add_tip(db, status=start)
    assert tips.mark_unfounded(db, a.id, actor="x", now=NOW).status == "unfounded"
    view = tips.forward(db, b.id, actor="x", now=NOW, target="  Cơ quan CSĐT   Công an tỉnh ")
    assert view.status == "forwarded"
    db.refresh(b)
    assert (b.forwarded_to, b.closed_at) == ("Cơ quan CSĐT Công an tỉnh", NOW)


def test_forward_needs_a_target(db):
    tip = seed.add_tip(db)
    for target in ("", "   "):
        with pytest.raises(WorkflowError, match="target"):
            tips.forward(db, tip.id, actor="x", now=NOW, target=target)
    assert db.get(Tip, tip.id).status == "new"


def test_forward_target_with_personal_data_is_refused(db):
    tip = seed.add_canary_tip(db)
    with pytest.raises(WorkflowError, match="personal data") as info:
        tips.forward(db, tip.id, actor="x", now=NOW, target=f"gọi {seed.CANARY_PHONE}")
    assert seed.CANARY_PHONE not in str(info.value)


CLOSING = {
    "verified": tips.mark_verified,
    "unfounded": tips.mark_unfounded,
    "forwarded": lambda s, i, **kw: tips.forward(s, i, target="VKSND tỉnh", **kw),
}
ACTIONS = {
    "start": lambda s, i, **kw: tips.start_verification(s, i, **kw),
    "verify": tips.mark_verified,
    "unfounded": tips.mark_unfounded,
    "forward": lambda s, i, **kw: tips.forward(s, i, target="Đồn biên phòng", **kw),
    "ack": tips.acknowledge,
    "extend": lambda s, i, **kw: tips.extend(s, i, by=D, reason="cần thêm", **kw),
    "reassign": lambda s, i, **kw: tips.reassign(s, i, unit_code="TH-NS", **kw),
}


@pytest.mark.parametrize("closed_as", sorted(CLOSING))
def test_closed_tips_refuse_every_transition(db, closed_as):
    for action in sorted(ACTIONS):
        tip = seed.add_tip(db)
        CLOSING[closed_as](db, tip.id, actor="first", now=NOW)
        before = len(audit_rows(db, tip.id))
        with pytest.raises(WorkflowError, match=f"already {closed_as}") as info:
            ACTIONS[action](db, tip.id, actor="second", now=NOW + H)
        assert "đã kết thúc" in str(info.value), action  # the Vietnamese half
        assert db.get(Tip, tip.id).status == closed_as
        assert len(audit_rows(db, tip.id)) == before


def test_start_twice_is_refused(db):
    tip = seed.add_tip(db)
    tips.start_verification(db, tip.id, actor="a", now=NOW)
    with pytest.raises(WorkflowError, match="is verifying: cannot start verification"):
        tips.start_verification(db, tip.id, actor="a", now=NOW)


def test_actor_is_required(db):
    tip = seed.add_tip(db)
    with pytest.raises(WorkflowError, match="actor"):
        tips.start_verification(db, tip.id, actor="  ", now=NOW)


def test_naive_now_is_refused(db):
    tip = seed.add_tip(db)
    with pytest.raises(ValueError, match="aware"):
        views.get_tip(db, tip.id, now=datetime(2026, 11, 23, 10))


def test_notes_are_redacted_before_the_append_only_audit_log(db):
    tip = seed.add_canary_tip(db)
    note = f"Đã gọi cho {seed.CANARY_NAME} theo số {seed.CANARY_PHONE}"
    tips.start_verification(db, tip.id, actor="a", now=NOW, note=note)
    stored = audit_rows(db, tip.id)[-1].note
    assert stored.startswith("Đã gọi cho [TÊN] theo số [SĐT]")
    for canary in seed.CANARIES:
        assert canary not in stored


def test_a_concurrent_change_is_detected(tip_engine):
    factory = sessionmaker(tip_engine, expire_on_commit=False)
    with factory() as setup:
        tip_id = seed.add_tip(setup).id
        setup.commit()
    with factory() as first, factory() as second:
        stale = second.get(Tip, tip_id)  # the second officer's request has read the tip
        assert stale.status == "new"
        tips.mark_verified(first, tip_id, actor="first", now=NOW)
        first.commit()
        with pytest.raises(WorkflowError, match="changed by someone else"):
            tips.forward(second, tip_id, actor="second", now=NOW, target="VKSND")
        second.rollback()
    with factory() as check:
        assert check.get(Tip, tip_id).status == "verified"
        assert [e.action for e in views.tip_history(check, tip_id)] == ["tip_verified"]


# --- acknowledgements ----------------------------------------------------------------------------


def test_acknowledge_defaults_to_the_current_level(db):
    tip = seed.add_tip(db)
    view = tips.acknowledge(db, tip.id, actor="do.ngathuy", now=NOW, note="đã nhận")
    assert view.last_action == "acknowledged"
    tip.escalation_level = 2
    db.flush()
    tips.acknowledge(db, tip.id, actor="chief.ns", now=NOW + H)
    acks = views.acknowledgements(db, tip.id)
    assert [(a.level, a.by, a.at, a.note) for a in acks] == [
        (0, "do.ngathuy", NOW, "đã nhận"),
        (2, "chief.ns", NOW + H, None),
    ]
    assert [e.after for e in views.tip_history(db, tip.id)] == [{"level": 0}, {"level": 2}]
    assert view.status == "new"  # acknowledging does not change the status


def test_acknowledge_twice_or_at_an_unknown_level(db):
    tip = seed.add_tip(db)
    tips.acknowledge(db, tip.id, actor="a", now=NOW, level=1)
    with pytest.raises(WorkflowError, match="already acknowledged by a"):
        tips.acknowledge(db, tip.id, actor="b", now=NOW, level=1)
    for level in (-1, 4, 17):
        with pytest.raises(WorkflowError, match="no escalation level"):
            tips.acknowledge(db, tip.id, actor="b", now=NOW, level=level)
    assert len(views.acknowledgements(db, tip.id)) == 1


def test_two_sessions_acknowledging_the_same_level(tip_engine):
    factory = sessionmaker(tip_engine, expire_on_commit=False)
    with factory() as setup:
        tip_id = seed.add_tip(setup).id
        setup.commit()
    with factory() as first, factory() as second:
        views.get_tip(second, tip_id, now=NOW)
        tips.acknowledge(first, tip_id, actor="first", now=NOW, level=0)
        first.commit()
        with pytest.raises(WorkflowError, match="already acknowledged"):
            tips.acknowledge(second, tip_id, actor="second", now=NOW, level=0)
        second.rollback()
    with factory() as check:
        rows = check.scalars(select(TipAcknowledgement)).all()
        assert [(r.level, r.by) for r in rows] == [(0, "first")]


# --- extend / reassign ---------------------------------------------------------------------------


def test_extend_shifts_the_deadline_and_is_audited(db):
    tip = seed.add_tip(db, received_at=NOW - 10 * D)
    view = tips.extend(db, tip.id, actor="chief", now=NOW, by=10 * D, reason="Chờ giám định")
    assert view.deadline == NOW - 10 * D + 30 * D
    assert view.last_action == "extended"
    view = tips.extend(db, tip.id, actor="chief", now=NOW, by=12 * H, reason="Thêm")
    assert view.deadline == NOW + 20 * D + 12 * H
    assert db.get(Tip, tip.id).extension_seconds == int((10 * D + 12 * H).total_seconds())
    entry = views.tip_history(db, tip.id)[0]
    assert entry.before["extension_seconds"] == 0
    assert entry.after["extension_seconds"] == 10 * 86400
    assert entry.note == "Chờ giám định"


def test_extension_is_capped_at_two_months_after_receipt(db):
    received = datetime(2026, 1, 31, 2, tzinfo=UTC)  # 09:00 local, 31 January
    tip = seed.add_tip(db, received_at=received)
    assert views.latest_deadline(received) == datetime(2026, 3, 31, 2, tzinfo=UTC)
    allowed = views.latest_deadline(received) - received - timedelta(days=20)
    with pytest.raises(WorkflowError, match="legal maximum of 2 months") as info:
        tips.extend(db, tip.id, actor="c", now=NOW, by=allowed + timedelta(minutes=1), reason="x")
    assert "2 tháng" in str(info.value)
    view = tips.extend(db, tip.id, actor="c", now=NOW, by=allowed, reason="tối đa")
    assert view.deadline == datetime(2026, 3, 31, 2, tzinfo=UTC)
    with pytest.raises(WorkflowError, match="legal maximum"):
        tips.extend(db, tip.id, actor="c", now=NOW, by=timedelta(seconds=1), reason="x")


def test_extension_needs_a_positive_duration_and_a_reason(db):
    tip = seed.add_tip(db)
    with pytest.raises(WorkflowError, match="longer than zero"):
        tips.extend(db, tip.id, actor="c", now=NOW, by=timedelta(0), reason="x")
    with pytest.raises(WorkflowError, match="reason"):
        tips.extend(db, tip.id, actor="c", now=NOW, by=D, reason=" ")


def test_reassign(db):
    tip = seed.add_tip(db)
    view = tips.reassign(db, tip.id, actor="chief.ns", now=NOW, unit_code="TH-NS-NGATAN")
    assert (view.unit_code, view.unit_name) == ("TH-NS-NGATAN", "Công an xã Nga Tân")
    assert view.last_action == "reassigned"
    entry = views.tip_history(db, tip.id)[-1]
    assert (entry.before, entry.after) == ({"unit": "TH-NS-NGATHUY"}, {"unit": "TH-NS-NGATAN"})
    assert [v.tip_id for v in views.list_tips(db, now=NOW, unit_code="TH-NS-NGATAN")] == [tip.id]
    with pytest.raises(WorkflowError, match="already with TH-NS-NGATAN"):
        tips.reassign(db, tip.id, actor="chief.ns", now=NOW, unit_code="TH-NS-NGATAN")
    with pytest.raises(NotFoundError, match="TH-NOPE"):
        tips.reassign(db, tip.id, actor="chief.ns", now=NOW, unit_code="TH-NOPE")
    seed.unit(db, "TH-SS").active = False
    db.flush()
    with pytest.raises(WorkflowError, match="inactive"):
        tips.reassign(db, tip.id, actor="chief.ns", now=NOW, unit_code="TH-SS")


# --- public outcome ------------------------------------------------------------------------------


def test_public_outcome_only_on_closed_tips(db):
    tip = seed.add_tip(db)
    with pytest.raises(WorkflowError, match="needs a closed tip"):
        tips.set_public_outcome(db, tip.id, actor="c", now=NOW, text="Đã xử lý.")
    tips.mark_verified(db, tip.id, actor="c", now=NOW)
    text = "Công an xã đã xác minh, lập biên bản và xử phạt hành chính các đối tượng."
    view = tips.set_public_outcome(db, tip.id, actor="chief", now=NOW + H, text=text)
    assert view.last_action == "public_outcome"
    db.refresh(tip)
    assert (tip.public_outcome, tip.public_outcome_by) == (text, "chief")
    tips.set_public_outcome(db, tip.id, actor="chief", now=NOW + 2 * H, text="Đã xử lý xong.")
    entry = views.tip_history(db, tip.id)[-1]
    assert (entry.before, entry.after) == (
        {"public_outcome": text},
        {"public_outcome": "Đã xử lý xong."},
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"Cảm ơn chị {seed.CANARY_NAME} đã báo tin.", "name"),
        ("Cảm ơn chị Hoàng Yến đã báo tin.", "name"),
        (f"Liên hệ {seed.CANARY_PHONE} để biết thêm.", "phone"),
        (f"Xem {seed.CANARY_PROFILE}", "url"),
    ],
)
def test_public_outcome_with_personal_data_is_refused(db, text, kind):
    tip = seed.add_canary_tip(db)
    tips.mark_verified(db, tip.id, actor="c", now=NOW)
    with pytest.raises(WorkflowError, match=f"personal data \\({kind}\\)") as info:
        tips.set_public_outcome(db, tip.id, actor="c", now=NOW, text=text)
    for canary in seed.CANARIES:
        assert canary not in str(info.value)
    assert db.get(Tip, tip.id).public_outcome is None


def test_public_outcome_must_be_short_and_not_empty(db):
    tip = seed.add_tip(db, status="unfounded")
    with pytest.raises(WorkflowError, match="empty"):
        tips.set_public_outcome(db, tip.id, actor="c", now=NOW, text="  ")
    with pytest.raises(WorkflowError, match="longer than 300"):
        tips.set_public_outcome(db, tip.id, actor="c", now=NOW, text="a" * 301)
