"""Task body of `process_realtime_events` (the DAG file only wires it)."""

from __future__ import annotations

import logging
from typing import Any

from citizen_desk.collect.channels import ChannelRef
from citizen_desk.pipeline.context import RunContext

log = logging.getLogger(__name__)


def graph_conversation_lookup(channel: ChannelRef, psid: str) -> str | None:
    """The Messenger conversation id of a page and a user, asked from the Graph API."""
    from citizen_desk.collect.run import airflow_connection
    from citizen_desk.platforms.graph import GraphClient
    from citizen_desk.platforms.graph_versions import graph_base_url

    conn = airflow_connection(channel.connection_id)
    if not conn.password:
        return None
    client = GraphClient(graph_base_url(conn.extra), conn.password, max_attempts=3)
    page = client.get(
        f"{channel.platform_id}/conversations",
        {"platform": "messenger", "user_id": psid, "fields": "id"},
    )
    data = page.get("data") if isinstance(page, dict) else None
    first = data[0] if isinstance(data, list) and data else None
    ident = first.get("id") if isinstance(first, dict) else None
    return ident if isinstance(ident, str) and ident else None


def process(run: RunContext) -> dict[str, Any]:
    """Store every waiting inbox event like the collection does; counts only (XCom)."""
    from citizen_desk.db.engine import get_engine
    from citizen_desk.realtime.process import process_inbox

    report = process_inbox(
        get_engine(), now=run.now, run_id=run.label, lookup=graph_conversation_lookup
    )
    summary = report.as_dict()
    log.info(
        "inbox: %d message(s) stored (%d tip(s)), %d quarantined, %d without a message",
        summary["messages_stored"],
        summary["tips_added"],
        summary["quarantined"],
        summary["skipped"],
    )
    return summary
