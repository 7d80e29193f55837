"""Inbox events stored like collected messages: once, with cases and tips, atomically."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.collect.channels import channel_ref
from citizen_desk.collect.messenger import message_item
from citizen_desk.collect.records import SourceBatch
from citizen_desk.collect.store import store_batch
from citizen_desk.db.models import Channel, InboxEvent, Message, Tip
from citizen_desk.realtime import events, inbox, process
from tests.conftest import NOW

TIP_TEXT = "Có người đang bán ma túy ở đầu ngõ, tối nào cũng tụ tập"


def channel(engine: Engine, platform: str) -> Channel:
    with sessionmaker(engine)() as session:
        query = select(Channel).where(Channel.platform == platform, Channel.active.is_(True))
        return session.scalars(query.order_by(Channel.id)).first()


def messenger_body(page: str, *messages: tuple[str, str], sender: str = "6100000001") -> bytes:
    items = [
        {"sender": {"id": sender}, "recipient": {"id": page},
         "timestamp": int((NOW - timedelta(minutes=5)).timestamp() * 1000),
         "message": {"mid": mid, "text": text}}
        for mid, text in messages
    ]  # fmt: skip
    return json.dumps({"object": "page", "entry": [{"id": page, "messaging": items}]}).encode()


def receive(engine: Engine, parsed: events.Parsed) -> None:
    with sessionmaker(engine)() as session:
        inbox.accept(session, parsed.events, received_at=NOW)


def statuses(engine: Engine) -> list[tuple[str, str, str | None]]:
    with sessionmaker(engine)() as session:
        query = select(InboxEvent.event_key, InboxEvent.status, InboxEvent.reason)
        return list(session.execute(query.order_by(InboxEvent.id)).tuples())


def count(engine: Engine, model) -> int:
    with sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_messenger_events_become_messages_cases_and_tips_once(synced_engine: Engine) -> None:
    page = channel(synced_engine, "facebook")
    asked: list[str] = []

    def lookup(ref, psid):
        asked.append(psid)
        return "t_100200300"

    receive(synced_engine, events.parse_meta(messenger_body(page.platform_id, ("m_1", TIP_TEXT))))
    report = process.process_inbox(synced_engine, now=NOW, run_id="r1", lookup=lookup)
    assert report.as_dict()["messages_stored"] == 1
    assert report.tips_added == 1
    assert statuses(synced_engine) == [("m_1", "processed", None)]
    # a second message of the same citizen: the conversation is known, Graph is not asked again
    receive(
        synced_engine,
        events.parse_meta(messenger_body(page.platform_id, ("m_2", "Mong công an xử lý"))),
    )
    process.process_inbox(synced_engine, now=NOW, run_id="r2", lookup=lookup)
    assert asked == ["6100000001"]
    with sessionmaker(synced_engine)() as session:
        threads = set(session.scalars(select(Message.thread_key)))
    assert threads == {"t_100200300"}
    assert count(synced_engine, Message) == 2
    assert count(synced_engine, Tip) == 1
    # a rerun and a replayed delivery change nothing
    receive(synced_engine, events.parse_meta(messenger_body(page.platform_id, ("m_1", TIP_TEXT))))
    process.process_inbox(synced_engine, now=NOW, run_id="r3", lookup=lookup)
    assert count(synced_engine, Message) == 2


def test_the_daily_collection_does_not_double_a_webhook_message(synced_engine: Engine) -> None:
    page = channel(synced_engine, "facebook")
    receive(synced_engine, events.parse_meta(messenger_body(page.platform_id, ("m_9", TIP_TEXT))))
    process.process_inbox(synced_engine, now=NOW, run_id="r1", lookup=lambda ref, psid: "t_9")
    graph_message = {  # the same message as the Conversations API returns it
        "id": "m_9",
        "created_time": (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "from": {"id": "6100000001", "name": "Người dân"}, "message": TIP_TEXT,
        "to": {"data": [{"id": page.platform_id, "name": "Trang"}]},
    }  # fmt: skip
    with sessionmaker(synced_engine)() as session:
        ref = channel_ref(session, page.key)
        batch = SourceBatch(
            "messenger", items=[message_item(graph_message, page.platform_id, "t_9")]
        )
        result = store_batch(session, ref, batch, run_id="daily", now=NOW, advance_watermark=True)
        session.commit()
    assert result.messages_added == 0
    assert count(synced_engine, Message) == 1
    assert count(synced_engine, Tip) == 1


def test_zalo_messages_and_follows(synced_engine: Engine) -> None:
    oa = channel(synced_engine, "zalo")
    body = {"app_id": "1", "sender": {"id": "2468"}, "recipient": {"id": oa.platform_id},
            "event_name": "user_send_text", "message": {"text": TIP_TEXT, "msg_id": "z-1"},
            "timestamp": str(int(NOW.timestamp() * 1000))}  # fmt: skip
    follow = {"app_id": "1", "oa_id": oa.platform_id, "follower": {"id": "2468"},
              "event_name": "follow", "source": "oa_profile",
              "timestamp": "1733470000000"}  # fmt: skip
    receive(synced_engine, events.parse_zalo(json.dumps(body).encode()))
    receive(synced_engine, events.parse_zalo(json.dumps(follow).encode()))
    report = process.process_inbox(
        synced_engine, now=NOW, run_id="r", lookup=lambda ref, psid: None
    )
    assert (report.as_dict()["messages_stored"], report.skipped) == (1, 1)
    with sessionmaker(synced_engine)() as session:
        assert session.scalars(select(Message.thread_key)).all() == ["2468"]


def test_what_cannot_be_stored_is_quarantined_with_the_reason(synced_engine: Engine) -> None:
    page = channel(synced_engine, "facebook")
    receive(synced_engine, events.parse_meta(messenger_body("999999", ("m_x", "xin chào"))))
    receive(synced_engine, events.parse_meta(messenger_body(page.platform_id, ("m_y", "xin chào"))))
    process.process_inbox(synced_engine, now=NOW, run_id="r", lookup=lambda ref, psid: None)
    assert statuses(synced_engine) == [
        ("m_x", "quarantined", "no active facebook channel '999999'"),
        ("m_y", "quarantined", "the Graph API knows no conversation with this user yet"),
    ]
    assert count(synced_engine, Message) == 0


def test_a_crash_while_storing_leaves_the_events_waiting(
    synced_engine: Engine, monkeypatch
) -> None:
    page = channel(synced_engine, "facebook")
    receive(synced_engine, events.parse_meta(messenger_body(page.platform_id, ("m_1", TIP_TEXT))))
    with sessionmaker(synced_engine)() as session:
        assert process.claim_new(session) == 1
        assert process.claim_new(session) == 0  # claimed once: the watcher fires once

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(process, "store_batch", crash)
    with pytest.raises(RuntimeError):
        process.process_inbox(synced_engine, now=NOW, run_id="r1", lookup=lambda ref, psid: "t_1")
    assert statuses(synced_engine) == [("m_1", "queued", None)]
    assert count(synced_engine, Message) == 0
    monkeypatch.undo()
    process.process_inbox(synced_engine, now=NOW, run_id="r2", lookup=lambda ref, psid: "t_1")
    assert statuses(synced_engine) == [("m_1", "processed", None)]
    assert count(synced_engine, Message) == 1


def test_events_left_queued_fire_again_once_stale(synced_engine: Engine) -> None:
    """The run they were claimed for failed (or the triggerer died before firing): not stuck."""
    page = channel(synced_engine, "facebook")
    receive(synced_engine, events.parse_meta(messenger_body(page.platform_id, ("m_1", TIP_TEXT))))
    with sessionmaker(synced_engine)() as session:
        assert process.claim_new(session, now=NOW) == 1
        assert process.claim_new(session, now=NOW + timedelta(minutes=5)) == 0
        assert (
            process.claim_new(session, now=NOW + process.STALE_QUEUED + timedelta(seconds=1)) == 1
        )
    process.process_inbox(synced_engine, now=NOW, run_id="r", lookup=lambda ref, psid: "t_1")
    with sessionmaker(synced_engine)() as session:
        assert process.claim_new(session, now=NOW + timedelta(hours=1)) == 0
