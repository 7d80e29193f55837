"""The inbox watcher: an Airflow event trigger that starts `process_realtime_events`.

It runs in the triggerer, looks at the domain DB every `poll_seconds`, and when the receivers
have stored new events it marks them `queued` and fires once: the asset event that schedules a
processing run. Claiming before firing makes a burst one run, and a re-armed watcher never fires
twice for the same events; events claimed by a run that then failed are still picked up by the
next one (processing takes `pending` and `queued` alike).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

CLASSPATH = "citizen_desk.realtime.watcher.InboxWatcher"
log = logging.getLogger(__name__)


class InboxWatcher(BaseEventTrigger):
    def __init__(self, poll_seconds: float = 5.0) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return CLASSPATH, {"poll_seconds": self.poll_seconds}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                claimed = await asyncio.to_thread(_claim)
            except Exception as exc:  # the DB is down or migrating: keep watching, say why
                log.warning("inbox watcher: cannot read the inbox (%s)", type(exc).__name__)
                claimed = 0
            if claimed:
                yield TriggerEvent({"claimed": claimed})
                return
            await asyncio.sleep(self.poll_seconds)


def _claim() -> int:
    from datetime import UTC, datetime

    from citizen_desk.db.engine import get_engine, session_scope
    from citizen_desk.realtime.process import claim_new

    with session_scope(get_engine()) as session:
        # the wall clock is right here: the watcher runs now, not for a data interval
        return claim_new(session, now=datetime.now(UTC))
