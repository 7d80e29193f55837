"""store.py (with cases.py behind it) on SQLite and PostgreSQL: exactly-once writes, case
derivation, tips, watermarks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.collect.channels import ChannelRef, channel_ref
from citizen_desk.collect.records import Item, SourceBatch
from citizen_desk.collect.store import StoreResult, load_watermark, store_batch
from citizen_desk.db.models import AuditLog, Case, CaseTurn, Citizen, Message, Quarantine, Tip
from tests.collect.conftest import table_counts
from tests.conftest import NOW

QUESTION = "Cho hỏi thủ tục đăng ký tạm trú cần giấy tờ gì?"
TIP = "Tôi muốn báo tin có nhóm người buôn bán ma túy ở xóm 3"
URGENT_TIP = "Đang có trộm cạy cửa nhà hàng xóm ngay lúc này, cứu với"
REPLY = "Cảm ơn bạn, công an xã đã tiếp nhận."


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def msg(
    mid: str, minutes: float, direction: str = "in", text: str = QUESTION, thread: str = "t_1"
) -> Item:
    citizen = direction == "in"
    return Item(
        platform_message_id=mid,
        kind="messenger",
        thread_key=thread,
        direction=direction,
        created_at=at(minutes),
        text=text if citizen else REPLY,
        raw={"id": mid, "message": text},
        citizen_user_id="9001",
        citizen_name="Nguyễn Thị Hoa" if citizen else None,
    )


@pytest.fixture
def sqlite_synced(sqlite_engine: Engine, registry) -> Engine:
    """SQLite only: for the derivation details (the backend-sensitive paths run on both)."""
    from citizen_desk.config.registry import sync_registry

    with Session(sqlite_engine) as session:
        sync_registry(session, registry, now=NOW)
        session.commit()
    return sqlite_engine


@pytest.fixture
def channel(synced_engine: Engine) -> ChannelRef:
    with Session(synced_engine) as session:
        return channel_ref(session, "fb-th-ns-ttns")


@pytest.fixture
def sqlite_channel(sqlite_synced: Engine) -> ChannelRef:
    with Session(sqlite_synced) as session:
        return channel_ref(session, "fb-th-ns-ttns")


def store(
    engine: Engine,
    channel: ChannelRef,
    items: list[Item],
    *,
    newest: datetime | None = None,
    advance: bool = True,
    rejected: tuple[tuple[str, Any], ...] = (),
    run_id: str = "run-1",
) -> StoreResult:
    batch = SourceBatch("messenger", items=list(items))
    for reason, payload in rejected:
        batch.reject(reason, payload)
    batch.newest = newest or max((i.created_at for i in items), default=None)
    with Session(engine) as session:
        result = store_batch(
            session, channel, batch, run_id=run_id, now=at(600), advance_watermark=advance
        )
        session.commit()
    return result


def snapshot(engine: Engine, channel_id: int | None = None) -> dict[str, Any]:
    """Cases and turns without surrogate keys or bookkeeping times (for order comparisons)."""
    with Session(engine) as session:
        query = select(Case)
        if channel_id is not None:
            query = query.where(Case.channel_id == channel_id)
        cases = {
            c.thread_key: (
                c.status,
                c.turn_no,
                c.category,
                c.opened_at,
                c.awaiting_since,
                c.last_citizen_at,
                c.first_response_at,
                c.last_response_at,
            )
            for c in session.scalars(query)
        }
        turns = sorted(
            (c.thread_key, t.turn_no, t.started_at, t.responded_at)
            for t, c in session.execute(
                select(CaseTurn, Case).join(Case, Case.id == CaseTurn.case_id)
            )
            if channel_id is None or c.channel_id == channel_id
        )
    return {"cases": cases, "turns": turns}


def test_a_case_follows_the_turns_of_its_thread(sqlite_synced, sqlite_channel) -> None:
    items = [msg("m1", 0), msg("m2", 5), msg("m3", 30, "out"), msg("m4", 60)]
    result = store(sqlite_synced, sqlite_channel, items)
    assert (result.messages_added, result.citizen_messages_added, result.page_replies_added) == (
        4,
        3,
        1,
    )
    assert (result.cases_added, result.categories) == (1, {"question": 3})
    with Session(sqlite_synced) as session:
        case = session.scalars(select(Case)).one()
        assert (case.status, case.turn_no, case.category) == ("open", 2, "question")
        assert case.awaiting_since == at(60)
        assert case.first_response_at == at(30)
        assert case.last_citizen_at == at(60)
        assert {m.case_id for m in session.scalars(select(Message))} == {case.id}
        citizen = session.scalars(select(Citizen)).one()
    assert citizen.protected_display_name == "Nguyễn Thị Hoa"
    assert citizen.first_seen_at == at(0)
    assert snapshot(sqlite_synced)["turns"] == [
        ("t_1", 1, at(0), at(30)),
        ("t_1", 2, at(60), None),
    ]
    store(sqlite_synced, sqlite_channel, [msg("m5", 90, "out")])
    assert snapshot(sqlite_synced)["cases"]["t_1"][:2] == ("answered", 2)


def test_arrival_order_and_batching_do_not_change_the_result(engine, registry) -> None:
    from citizen_desk.config.registry import sync_registry

    with Session(engine) as session:
        sync_registry(session, registry, now=NOW)
        session.commit()
        scrambled = channel_ref(session, "fb-th-ns-ttns")
        at_once = channel_ref(session, "fb-th-ns-ngathuy")
    items = [
        msg("a1", 0),
        msg("a2", 20, "out"),
        msg("a3", 45),
        msg("a4", 50),
        msg("a5", 80, "out"),
        msg("b1", 10, thread="t_2", text=TIP),
        msg("b2", 15, thread="t_2"),
    ]
    for batch in ([items[4], items[6]], [items[0], items[3]], [items[5], items[2], items[1]]):
        store(engine, scrambled, batch)
    store(engine, at_once, items)
    late = snapshot(engine, scrambled.id)
    assert late == snapshot(engine, at_once.id)
    assert late["cases"]["t_1"][:2] == ("answered", 2)
    assert late["cases"]["t_2"][:3] == ("open", 1, "tip")


def test_storing_the_same_batch_again_writes_nothing(synced_engine, channel) -> None:
    items = [msg("m1", 0, text=TIP), msg("m2", 30, "out")]
    store(synced_engine, channel, items, rejected=(("message: missing id", {"x": 1}),))
    before = table_counts(synced_engine)
    with Session(synced_engine) as session:
        stamps = sorted(c.updated_at for c in session.scalars(select(Case)))
    again = store(
        synced_engine, channel, items, rejected=(("message: missing id", {"x": 1}),), run_id="r2"
    )
    assert again.as_dict()["messages_added"] == 0
    assert (again.cases_added, again.cases_updated, again.quarantined) == (0, 0, 0)
    assert table_counts(synced_engine) == before
    with Session(synced_engine) as session:
        assert sorted(c.updated_at for c in session.scalars(select(Case))) == stamps
        assert session.scalars(select(Quarantine.reason)).all() == ["message: missing id"]


def test_a_tip_is_created_once_and_never_downgraded(synced_engine, channel) -> None:
    result = store(synced_engine, channel, [msg("m1", 0, text=TIP)])
    assert result.tips_added == 1
    with Session(synced_engine) as session:
        tip = session.scalars(select(Tip)).one()
        assert (tip.status, tip.urgent, tip.received_at) == ("new", False, at(0))
        assert tip.urgent_since is None
        assert tip.unit_id == channel.unit_id
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "tip_received")).one()
        assert audit.entity_id == str(tip.id)
        tip.status = "verifying"
        session.commit()
    again = store(synced_engine, channel, [msg("m2", 5, text=URGENT_TIP)])
    assert again.tips_added == 0
    with Session(synced_engine) as session:
        tip = session.scalars(select(Tip)).one()
        case = session.scalars(select(Case)).one()
    assert (tip.status, tip.urgent, tip.received_at) == ("verifying", True, at(0))
    assert tip.urgent_since == at(5)  # when the danger was reported: its chief alerts are due then
    assert (case.category, case.urgent) == ("tip", True)


def test_an_urgent_case_keeps_its_cues_whatever_its_category(synced_engine, channel) -> None:
    """A child missing now is urgent lost & found (no tip, no escalation): the case carries the
    cues that made it urgent, for the pages; a calm case carries none."""
    missing = "Con em 3 tuổi vừa chạy đâu mất ở chợ đêm, đến giờ chưa tìm thấy, ai thấy giữ giúp em"
    store(synced_engine, channel, [msg("m1", 0, text=missing), msg("m2", 0, thread="t_2")])
    with Session(synced_engine) as session:
        cases = {c.thread_key: c for c in session.scalars(select(Case))}
        assert session.scalars(select(Tip)).all() == []
    lost, calm = cases["t_1"], cases["t_2"]
    assert (lost.category, lost.urgent) == ("lost_found", True)
    assert lost.urgency_cues
    assert "đến giờ" in lost.urgency_cues
    assert (calm.urgent, calm.urgency_cues) == (False, None)


def test_the_watermark_only_moves_forward_and_not_in_windows(synced_engine, channel) -> None:
    store(synced_engine, channel, [msg("m1", 0)], newest=at(100))
    store(synced_engine, channel, [msg("m2", 10)], newest=at(50))
    store(synced_engine, channel, [msg("m3", 200)], newest=at(200), advance=False)
    with Session(synced_engine) as session:
        assert load_watermark(session, channel.id, "messenger") == at(100)
    store(synced_engine, channel, [], newest=at(150))  # nothing new, but the mark moves
    with Session(synced_engine) as session:
        assert load_watermark(session, channel.id, "messenger") == at(150)


def test_a_closed_case_stays_closed_until_a_new_turn(sqlite_synced, sqlite_channel) -> None:
    store(sqlite_synced, sqlite_channel, [msg("m1", 0), msg("m2", 30, "out")])
    with Session(sqlite_synced) as session:
        session.scalars(select(Case)).one().status = "closed"
        session.commit()
    store(sqlite_synced, sqlite_channel, [msg("m3", 31, "out")])
    assert snapshot(sqlite_synced)["cases"]["t_1"][0] == "closed"
    store(sqlite_synced, sqlite_channel, [msg("m4", 90)])
    assert snapshot(sqlite_synced)["cases"]["t_1"][:2] == ("open", 2)


def test_timestamps_are_stored_as_utc(sqlite_synced, sqlite_channel) -> None:
    local = datetime(2026, 11, 23, 10, 0, tzinfo=UTC).astimezone()
    item = msg("m1", 0)
    store(sqlite_synced, sqlite_channel, [Item(**{**item.__dict__, "created_at": local})])
    with Session(sqlite_synced) as session:
        assert session.scalars(select(Message.created_at)).one() == datetime(
            2026, 11, 23, 10, 0, tzinfo=UTC
        )
