"""The collection's last step: keep the excerpts the coming alerts will show.

A sweep after a burst (thousands of cases turning late in one hour) used to redact each case's
last message then, a few milliseconds each, most of the sweep. The collection, which is when a
case changes, now makes them and keeps them in the domain DB (`citizen_desk.db.excerpts`): the
excerpts of open cases awaiting a reply, and of open tips received lately. What is kept already
costs a read; a new redaction engine makes them again (its fingerprint is in every key) and
drops the old ones.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from citizen_desk.config.registry import Registry

log = logging.getLogger(__name__)

TIPS_SINCE = timedelta(days=2)  # older open tips were kept by the runs that collected them


def keep_excerpts(now: datetime, registry: Registry, url: str | None = None) -> dict[str, int]:
    """Make and keep the excerpts of open cases awaiting a reply and of recent open tips."""
    from citizen_desk.db.engine import session_scope
    from citizen_desk.db.excerpts import forget_stale
    from citizen_desk.sla.alerts import prepare_excerpts as cases_excerpts
    from citizen_desk.tips.views import prepare_excerpts as tips_excerpts

    with session_scope(url) as session:
        stale = forget_stale(session)
        cases = cases_excerpts(session, now)
        tips = tips_excerpts(session, registry.escalation, now, since=now - TIPS_SINCE)
    return {"cases": cases, "tips": tips, "stale_dropped": stale}
