"""Delivery lanes of the notification outbox: what goes out first when Slack is the bottleneck.

Lower first: admin alerts (a broken page, a blocked message), urgent tips, the tip ladder
(arrival, escalation, reminder), SLA breaches, warnings and anything else, then digests. The lane
is stored with the notification (`notifications.priority`, set from its kind at insert).
"""

from __future__ import annotations

from enum import IntEnum


class Lane(IntEnum):
    ADMIN = 0
    URGENT_TIP = 1
    TIP_ESCALATION = 2
    SLA_BREACH = 3
    WARNING = 4
    DIGEST = 5


LANE_OF_KIND = {
    "admin_alert": Lane.ADMIN,
    "pii_blocked": Lane.ADMIN,
    "tip_urgent": Lane.URGENT_TIP,
    "tip_arrival": Lane.TIP_ESCALATION,
    "tip_escalation": Lane.TIP_ESCALATION,
    "tip_reminder": Lane.TIP_ESCALATION,
    "sla_breach": Lane.SLA_BREACH,
    "sla_warning": Lane.WARNING,
    "tip_digest": Lane.DIGEST,
    "sla_digest": Lane.DIGEST,
    "tip_catchup": Lane.DIGEST,
    "sla_catchup": Lane.DIGEST,
    # a delivery digest takes the lane of the most urgent row it covers (set at insert)
    "notify_digest": Lane.TIP_ESCALATION,
}


def lane_for(kind: str | None) -> int:
    """The lane of a notification kind; unknown kinds travel with the warnings."""
    return int(LANE_OF_KIND.get(kind or "", Lane.WARNING))
