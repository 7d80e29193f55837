"""The inbox watcher fires once per batch of new events, then waits for more."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import InboxEvent
from citizen_desk.realtime import events, inbox
from tests.conftest import NOW

# The watcher is an Airflow trigger: importing it imports Airflow (~3 s), so it is imported when
# the test runs, not when the suite is collected, and left out of `make test-fast`.
pytestmark = pytest.mark.airflow


async def first_event(trigger: object, timeout: float) -> object:
    async def first() -> object:
        async for event in trigger.run():  # type: ignore[attr-defined]
            return event.payload
        return None

    try:
        return await asyncio.wait_for(first(), timeout)
    except TimeoutError:
        return None


def test_the_watcher_claims_new_events_and_fires_once(
    synced_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citizen_desk.realtime.watcher import CLASSPATH, InboxWatcher

    monkeypatch.setenv(
        "CITIZEN_DESK_DB_URL", synced_engine.url.render_as_string(hide_password=False)
    )
    messaging = [
        {
            "sender": {"id": "2"},
            "recipient": {"id": "1"},
            "timestamp": 1,
            "message": {"mid": f"m_{n}"},
        }
        for n in range(3)
    ]
    body = {"object": "page", "entry": [{"id": "1", "messaging": messaging}]}
    with sessionmaker(synced_engine)() as session:
        inbox.accept(session, events.parse_meta(json.dumps(body).encode()).events, received_at=NOW)
    trigger = InboxWatcher(poll_seconds=0.05)
    assert trigger.serialize() == (CLASSPATH, {"poll_seconds": 0.05})
    assert asyncio.run(first_event(trigger, 5)) == {"claimed": 3}
    with sessionmaker(synced_engine)() as session:
        assert set(session.scalars(select(InboxEvent.status))) == {"queued"}
    # re-armed with nothing new: it keeps polling and does not fire
    assert asyncio.run(first_event(InboxWatcher(poll_seconds=0.05), 0.3)) is None
