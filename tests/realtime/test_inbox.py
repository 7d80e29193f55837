"""The inbox: what the database returned is what was stored; duplicates change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import InboxEvent as InboxRow
from citizen_desk.realtime import inbox
from citizen_desk.realtime.events import InboxEvent
from tests.conftest import NOW

PAGE = "100064512300011"


def event(key: str, reason: str | None = None) -> InboxEvent:
    kind = "quarantined" if reason else "message"
    return InboxEvent("facebook", key, PAGE, kind, NOW, f'{{"mid": "{key}"}}', reason)


def accept(engine: Engine, events: list[InboxEvent], at=NOW) -> inbox.Accepted:
    with Session(engine) as session:
        return inbox.accept(session, events, received_at=at, ignored=2)


def stored(engine: Engine) -> dict[str, tuple[str, object]]:
    with Session(engine) as session:
        query = select(InboxRow.event_key, InboxRow.status, InboxRow.received_at)
        return {key: (status, at) for key, status, at in session.execute(query)}


def test_a_body_is_counted_by_what_the_database_stored(engine: Engine) -> None:
    first = [event("m_1"), event("m_2"), event("m_1"), event("body:x", reason="not JSON")]
    assert accept(engine, first) == inbox.Accepted(stored=3, duplicates=1, quarantined=1, ignored=2)
    # a retry overlapping the first body: only the new id is stored, nothing is overwritten
    later = NOW + timedelta(hours=1)
    again = [event("m_2"), event("m_3"), event("body:x", reason="not JSON")]
    assert accept(engine, again, at=later) == inbox.Accepted(
        stored=1, duplicates=2, quarantined=0, ignored=2
    )
    rows = stored(engine)
    assert sorted(rows) == ["body:x", "m_1", "m_2", "m_3"]
    assert rows["body:x"][0] == "quarantined"
    assert rows["m_2"][0] == "pending"
    assert rows["m_2"][1].replace(tzinfo=None) == NOW.replace(tzinfo=None)
    assert rows["m_3"][1].replace(tzinfo=None) == later.replace(tzinfo=None)


def test_a_body_larger_than_a_driver_batch_is_stored_whole(engine: Engine) -> None:
    # Meta batches up to 1,000 updates; the driver splits the rows into pages: every page's
    # returned rows must be counted
    keys = [f"m_{n}" for n in range(2_500)]
    assert accept(engine, [event(k) for k in keys]).stored == 2_500
    assert accept(engine, [event(k) for k in keys[-10:]] + [event("m_new")]) == inbox.Accepted(
        stored=1, duplicates=10, quarantined=0, ignored=2
    )
    assert len(stored(engine)) == 2_501


def test_no_events_is_no_statement(engine: Engine) -> None:
    assert accept(engine, []) == inbox.Accepted(0, 0, 0, 2)
    assert stored(engine) == {}
