"""cases.py: turns of a thread, and cases / turns / tips recomputed from stored messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.collect.cases import recompute_cases, thread_state
from citizen_desk.collect.channels import channel_ref
from citizen_desk.db.models import Case, CaseTurn, Message, Tip
from tests.collect.conftest import table_counts
from tests.conftest import NOW

TIP = "Tôi muốn báo tin có nhóm người buôn bán ma túy ở xóm 3"
REPLY = "Cảm ơn bạn, công an xã đã tiếp nhận."


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_thread_state_turns() -> None:
    assert thread_state([(at(0), "out")]) is None
    state = thread_state(
        [(at(60), "in"), (at(5), "in"), (at(0), "in"), (at(30), "out"), (at(-10), "out")]
    )
    assert state is not None
    assert state.turns == ((at(0), at(30)), (at(60), None))
    assert state.awaiting_since == at(60)
    assert (state.first_response_at, state.last_response_at) == (at(30), at(30))
    same_instant = thread_state([(at(0), "out"), (at(0), "in")])
    assert same_instant is not None
    assert same_instant.awaiting_since is None  # a reply at the same second answers


def message(channel_id: int, mid: str, minutes: float, direction: str, thread: str) -> Message:
    return Message(
        channel_id=channel_id,
        platform_message_id=mid,
        direction=direction,
        kind="messenger",
        thread_key=thread,
        text=TIP if direction == "in" else REPLY,
        created_at=at(minutes),
        category="tip" if direction == "in" else None,
        raw={},
        collected_at=at(600),
    )


def test_recompute_cases_derives_from_stored_messages_and_is_idempotent(
    synced_engine: Engine,
) -> None:
    with Session(synced_engine) as session:
        channel = channel_ref(session, "fb-th-ns-ttns")
        session.add_all(
            [
                message(channel.id, "m1", 0, "in", "t_1"),
                message(channel.id, "m2", 20, "out", "t_1"),
                message(channel.id, "m3", 5, "out", "t_page_only"),
            ]
        )
        session.flush()
        changes = recompute_cases(
            session, channel, ["t_1", "t_page_only", "t_1"], now=at(600), actor="run-1"
        )
        session.commit()
    assert (changes.added, changes.updated, changes.tips_added) == (1, 0, 1)
    with Session(synced_engine) as session:
        case = session.scalars(select(Case)).one()  # no case for a thread without a citizen
        assert (case.thread_key, case.category, case.status) == ("t_1", "tip", "answered")
        turn = session.scalars(select(CaseTurn)).one()
        assert (turn.turn_no, turn.started_at, turn.responded_at) == (1, at(0), at(20))
        tip = session.scalars(select(Tip)).one()
        assert (tip.case_id, tip.status, tip.received_at) == (case.id, "new", at(0))
        linked = {m.platform_message_id: m.case_id for m in session.scalars(select(Message))}
        assert linked == {"m1": case.id, "m2": case.id, "m3": None}
    before = table_counts(synced_engine)
    with Session(synced_engine) as session:
        again = recompute_cases(session, channel, ["t_1", "t_page_only"], now=at(700), actor="r2")
        session.commit()
    assert (again.added, again.updated, again.tips_added) == (0, 0, 0)
    assert table_counts(synced_engine) == before


def test_courtesy_after_an_answer_opens_no_turn() -> None:
    state = thread_state([(at(0), "in", False), (at(10), "out"), (at(20), "in", True)])
    assert state is not None
    assert state.turns == ((at(0), at(10)),)
    assert state.awaiting_since is None
    assert state.last_citizen_at == at(20)
    then_a_question = thread_state(
        [(at(0), "in", False), (at(10), "out"), (at(20), "in", True), (at(30), "in", False)]
    )
    assert then_a_question is not None
    assert then_a_question.awaiting_since == at(30)
    first = thread_state([(at(0), "in", True)])  # nothing answered yet: it still counts
    assert first is not None
    assert first.awaiting_since == at(0)


def test_is_sticker() -> None:
    from citizen_desk.collect.cases import is_sticker

    assert is_sticker({"sticker": "https://scontent/x.png"})
    assert is_sticker({"event_name": "user_send_sticker"})
    assert is_sticker({"attachments": {"data": [{"type": "sticker"}]}})
    assert not is_sticker({"attachments": {"data": [{"type": "image"}]}})
    assert not is_sticker(None)
