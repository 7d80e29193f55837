"""Triage while a source is read (`collect.pretriage`): every item a reader reads reaches the
collecting thread, each distinct text is triaged once, a read's error is the collection's, and
the store uses the results only when they were made with the model it triages with."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import citizen_desk.triage as triage_package
from citizen_desk.collect.channels import ChannelRef, channel_ref
from citizen_desk.collect.comments import read_comments
from citizen_desk.collect.messenger import read_messenger
from citizen_desk.collect.pretriage import HANDOFF, Reads, Triaged
from citizen_desk.collect.records import Bounds, Item, SourceBatch
from citizen_desk.collect.store import store_batch
from citizen_desk.collect.zalo import read_zalo
from citizen_desk.db.models import Message
from citizen_desk.learning.champion import triage_model_for
from citizen_desk.triage.classify import classify
from citizen_desk.triage.model import load_model
from tests.collect.test_readers import PAGE, inbox, zalo_world
from tests.collect.test_store import QUESTION, TIP, URGENT_TIP, at, msg


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(text, thread name) of every `classify` the collection makes."""
    seen: list[tuple[str, str]] = []

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        seen.append((text, threading.current_thread().name))
        return classify(text, *args, **kwargs)

    monkeypatch.setattr(triage_package, "classify", counting)
    return seen


def test_each_distinct_citizen_text_is_triaged_once_and_page_messages_not_at_all(calls) -> None:
    triaged = Triaged(load_model())
    items = [msg("a", 0), msg("b", 1, text=TIP), msg("c", 2), msg("d", 3, "out"), msg("e", 4)]
    results = [triaged(item) for item in items]
    assert [text for text, _ in calls] == [QUESTION, TIP]
    assert results[3] is None
    assert results[0] is results[2] is results[4]
    assert results[:3] == [classify(QUESTION), classify(TIP), classify(QUESTION)]
    assert len(triaged) == 2


def test_rules_alone_when_there_is_no_model() -> None:
    assert Triaged(None)(msg("a", 0, text=URGENT_TIP)) == classify(URGENT_TIP, model=None)


def slow_read(count: int, *, on_item: Any, fail: bool = False) -> SourceBatch:
    """A reader of `count` citizen messages (texts repeat every 7), failing at the end if asked."""
    batch = SourceBatch("messenger", on_item=on_item)
    for n in range(count):
        batch.add(msg(f"m{n}", n, text=f"{QUESTION} {n % 7}"))
    if fail:
        raise RuntimeError("the platform went away")
    return batch


def test_what_a_read_brings_is_triaged_in_the_collecting_thread(calls) -> None:
    count = 3 * HANDOFF + 7  # full hand-offs and the rest, passed on when the read ends
    triaged = Triaged(load_model())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collect-read") as pool:
        reads = Reads(pool, triaged)
        batch = reads.result(reads.start(slow_read, count))
    assert len(batch.items) == count
    assert len(calls) == len(triaged) == 7
    assert {name for _, name in calls} == {threading.current_thread().name}


def test_a_second_read_started_meanwhile_is_triaged_when_its_batch_is_asked_for(calls) -> None:
    triaged = Triaged(load_model())
    with ThreadPoolExecutor(max_workers=1) as pool:
        reads = Reads(pool, triaged)
        first = reads.start(slow_read, 5)
        second = reads.start(read_messenger, inbox(), PAGE, Bounds())
        assert len(reads.result(first).items) == 5
        batch = reads.result(second)
    assert [i.platform_message_id for i in batch.items] == ["m3", "m2", "m1", "b1"]
    assert len(triaged) == 5 + 1  # the inbox's citizen messages all say "hỏi"


def test_a_read_s_error_is_raised_to_the_collecting_thread_after_its_items() -> None:
    triaged = Triaged(None)
    with ThreadPoolExecutor(max_workers=1) as pool:
        reads = Reads(pool, triaged)
        with pytest.raises(RuntimeError, match="went away"):
            reads.result(reads.start(slow_read, HANDOFF + 1, fail=True))
    assert len(triaged) == 7


@pytest.mark.parametrize("reader", ["messenger", "comments", "zalo"])
def test_every_reader_tells_of_each_item_it_keeps_in_order(reader: str) -> None:
    told: list[Item] = []
    if reader == "messenger":
        batch = read_messenger(inbox(), PAGE, Bounds(), on_item=told.append)
    elif reader == "comments":
        from tests.collect.test_readers import FakeGraph, comment

        graph = FakeGraph(
            {
                f"{PAGE}/published_posts": {
                    "data": [
                        {
                            "id": "p1",
                            "updated_time": "2026-11-23T04:00:00+0000",
                            "comments": {"data": [comment("c2", 50), comment("c1", 40)]},
                        }
                    ]
                }
            }
        )
        batch = read_comments(graph, PAGE, Bounds(), on_item=told.append)
    else:
        batch = read_zalo(zalo_world("messages"), Bounds(since=at(10)), on_item=told.append)
    assert batch.items
    assert told == batch.items


@pytest.fixture
def channel(synced_engine: Engine) -> ChannelRef:
    with Session(synced_engine) as session:
        return channel_ref(session, "fb-th-ns-ttns")


def _store(engine: Engine, channel: ChannelRef, items: list[Item], triaged: Triaged) -> None:
    batch = SourceBatch("messenger", items=items, newest=max(i.created_at for i in items))
    with Session(engine) as session:
        store_batch(
            session, channel, batch, run_id="r", now=at(600), advance_watermark=True,
            triaged=triaged,
        )  # fmt: skip
        session.commit()


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        return [
            tuple(row)
            for row in session.execute(
                select(Message.platform_message_id, Message.category, Message.topic,
                       Message.urgent).order_by(Message.platform_message_id)
            )
        ]  # fmt: skip


def test_the_store_uses_what_was_triaged_with_its_own_model(synced_engine, channel, calls):
    items = [msg("a", 0), msg("b", 1, text=URGENT_TIP), msg("c", 2, "out")]
    with Session(synced_engine) as session:
        triaged = Triaged.of_session(session)
        assert triaged.model is triage_model_for(session)
    for item in items:
        triaged(item)
    calls.clear()
    _store(synced_engine, channel, items, triaged)
    assert calls == []  # nothing triaged again
    expected = [classify(QUESTION), classify(URGENT_TIP)]
    assert _stored(synced_engine) == [
        ("a", expected[0].category, expected[0].topic, expected[0].urgent),
        ("b", expected[1].category, expected[1].topic, expected[1].urgent),
        ("c", None, None, False),
    ]


def test_the_store_triages_again_what_another_model_triaged(synced_engine, channel, calls):
    items = [msg("a", 0, text=URGENT_TIP)]
    stale = Triaged(None)  # the rules alone, as if the champion had changed since the read
    stale(items[0])
    calls.clear()
    _store(synced_engine, channel, items, stale)
    assert [text for text, _ in calls] == [URGENT_TIP]
    fresh = classify(URGENT_TIP)
    assert _stored(synced_engine) == [("a", fresh.category, fresh.topic, fresh.urgent)]
