"""Send-time truth: what a notification is about, read again just before it goes out.

An alert is enqueued when its subject is due, but may wait (a backoff, a Slack outage, a backlog)
while an officer acts. So the claim looks again (`check`), from the kind and the key:

- tip alerts (`tip:{tip}:L{level}:{kind}:{seq}:{recipient}`): superseded when the tip is no longer
  open (verified, unfounded, forwarded); a ladder alert (arrival, escalation, reminder) also when a
  higher level was already sent; a reminder also when its level was acknowledged by the tip's
  current unit (as in the sweep, an acknowledgement stops reminders, not the climb). Urgent
  alerts stop only when the tip is closed. Still due: the status line is rewritten to the tip's
  status now.
- SLA warnings and breaches (`sla:{case}:{turn}:{warning|breach}…`): superseded when the case was
  answered or closed, or that turn got its reply.

Digests and admin alerts are sent as they are. Reasons name tips and cases by number only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, CaseTurn, Notification, Tip, TipAcknowledgement
from citizen_desk.domain.labels import TIP_STATUS_LABELS
from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, CaseStatus

TIP_KEY = re.compile(r"^tip:(?P<tip>\d+):L(?P<level>\d+):(?P<kind>[a-z]+):\d+(?::|$)")
SLA_KEY = re.compile(r"^sla:(?P<case>\d+):(?P<turn>\d+):(?:warning|breach)(?::|$)")
LADDER_KINDS = ("arrival", "escalation", "reminder")
STATUS_MARK = "*Trạng thái:* "  # the status line of templates/slack/tip_alert.j2
_STATUS_LINE = re.compile(
    re.escape(STATUS_MARK)
    + "("
    + "|".join(re.escape(v) for v in sorted(TIP_STATUS_LABELS.values(), key=len, reverse=True))
    + ")"
)


@dataclass(frozen=True)
class Verdict:
    superseded: str | None = None  # why it must not be sent; None: send it
    payload: dict[str, Any] | None = None  # re-rendered from the state now; None: as stored


FRESH = Verdict()


def check(session: Session, row: Notification) -> Verdict:
    """Whether `row` is still true now (see the module doc)."""
    if row.kind.startswith("tip_"):
        match = TIP_KEY.match(row.idempotency_key)
        if match:
            return _tip(session, row, int(match["tip"]), int(match["level"]), match["kind"])
    elif row.kind in ("sla_warning", "sla_breach"):
        match = SLA_KEY.match(row.idempotency_key)
        if match:
            return _sla(session, int(match["case"]), int(match["turn"]))
    return FRESH


def _tip(session: Session, row: Notification, tip_id: int, level: int, kind: str) -> Verdict:
    tip = session.get(Tip, tip_id, populate_existing=True)
    if tip is None:
        return Verdict(f"tip #{tip_id} no longer exists")
    if tip.status not in OPEN_TIP_STATUSES:
        return Verdict(f"tip #{tip_id} is {tip.status}")
    if kind in LADDER_KINDS:
        higher = _highest_sent_level(session, tip_id)
        if higher > level:
            return Verdict(f"tip #{tip_id}: level {higher} was already sent")
    if kind == "reminder":
        acknowledged = session.scalar(
            select(TipAcknowledgement.id).where(
                TipAcknowledgement.tip_id == tip_id,
                TipAcknowledgement.level == level,
                TipAcknowledgement.unit_id == tip.unit_id,
            )
        )
        if acknowledged is not None:
            return Verdict(f"tip #{tip_id}: level {level} was acknowledged")
    payload = with_status(row.payload, TIP_STATUS_LABELS[tip.status])
    return Verdict(payload=payload) if payload != row.payload else FRESH


def _highest_sent_level(session: Session, tip_id: int) -> int:
    keys = session.scalars(
        select(Notification.idempotency_key).where(
            Notification.idempotency_key.like(f"tip:{tip_id}:L%"),
            Notification.status.in_(("sent", "digested")),
        )
    )
    levels = [int(m["level"]) for m in map(TIP_KEY.match, keys) if m and m["kind"] in LADDER_KINDS]
    return max(levels, default=-1)


def with_status(payload: Mapping[str, Any], label: str) -> dict[str, Any]:
    """`payload` with its tip status line showing `label`."""

    def rewrite(value: Any) -> Any:
        if isinstance(value, str):
            return _STATUS_LINE.sub(lambda _m: STATUS_MARK + label, value)
        if isinstance(value, Mapping):
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    return rewrite(dict(payload))


def _sla(session: Session, case_id: int, turn_no: int) -> Verdict:
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        return Verdict(f"case #{case_id} no longer exists")
    if case.status != CaseStatus.OPEN.value:
        return Verdict(f"case #{case_id} is {case.status}")
    responded = session.scalar(
        select(CaseTurn.responded_at).where(
            CaseTurn.case_id == case_id, CaseTurn.turn_no == turn_no
        )
    )
    if responded is not None or case.turn_no != turn_no:
        return Verdict(f"case #{case_id}: turn {turn_no} was answered")
    return FRESH
