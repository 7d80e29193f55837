"""Acknowledging a tip level from Slack ("Đã nhận" on a ladder alert): who may, what it records.

The request was already authenticated as Slack's (signature, `citizen_desk.notify.interactions`);
this decides whether the Slack user who clicked may acknowledge the level the button names. Only
a person named in the registry may: the contact for the level's role at the unit answerable at
that level for the tip's unit *now* (as the sweep computes it), or that unit's chief. A channel
contact (`C…`) is no person, so a click from a duty channel counts only when the clicker is named
too. A contact of another unit or level, or an id the registry does not know, is refused and the
refusal audited (`tip_ack_refused`).

An allowed click is `citizen_desk.tips.workflow.acknowledge` at that level, as on the web page:
the acknowledgement row (unique per tip, level and unit) stops that level's reminders, both in
the next sweep and at send time for reminders already queued (`citizen_desk.notify.subjects`),
and the audit row names the actor `slack:<user id>`. A second click is `already_acknowledged`;
a click on a closed tip changes nothing (`tip_closed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Tip, TipAcknowledgement, Unit
from citizen_desk.domain.labels import ROLE_LABELS
from citizen_desk.tips.escalation import OPEN_STATUSES, UnitNode, answerable_unit
from citizen_desk.tips.open_tips import unit_nodes_from_db

ACTOR_PREFIX = "slack:"
PERSON = ("U", "W")  # Slack user ids; C/G/D are conversations


@dataclass(frozen=True)
class SlackAck:
    """What a click came to. `status`: the HTTP answer (200 done or nothing to do, 403 refused,
    404 the tip or level does not exist)."""

    outcome: str
    status: int


ACKNOWLEDGED = SlackAck("acknowledged", 200)
ALREADY = SlackAck("already_acknowledged", 200)
CLOSED = SlackAck("tip_closed", 200)
UNKNOWN_TIP = SlackAck("unknown_tip", 404)
NO_LEVEL = SlackAck("no_such_level", 404)
UNKNOWN_USER = SlackAck("refused_unknown_user", 403)
OTHER_UNIT = SlackAck("refused_other_unit", 403)


def allowed_people(node: UnitNode, role: str) -> dict[str, str]:
    """Slack user id -> role of the people who may acknowledge a level answered by `node`/`role`."""
    people: dict[str, str] = {}
    for who in (role, "chief"):
        slack_id = node.contacts.get(who)
        if isinstance(slack_id, str) and slack_id.startswith(PERSON):
            people.setdefault(slack_id, who)
    return people


def acknowledge_from_slack(
    session: Session,
    registry: Registry,
    *,
    tip_id: int,
    level: int,
    slack_user: str,
    now: datetime,
) -> SlackAck:
    """Acknowledge `level` of tip `tip_id` for `slack_user` if they may (see the module doc).

    Flushes; the caller commits (together with the interaction's ledger row).
    """
    from citizen_desk.tips.workflow import acknowledge

    tip = session.get(Tip, tip_id)
    if tip is None:
        return UNKNOWN_TIP
    units = unit_nodes_from_db(session)
    tip_unit = session.scalar(select(Unit.code).where(Unit.id == tip.unit_id))
    answer = answerable_unit(str(tip_unit), level, registry.escalation, units)
    if answer is None:
        return NO_LEVEL
    unit_code, role = answer
    people = allowed_people(units[unit_code], role)
    actor = f"{ACTOR_PREFIX}{slack_user}"
    if slack_user not in people:
        known = any(slack_user in node.contacts.values() for node in units.values())
        verdict = OTHER_UNIT if known else UNKNOWN_USER
        record_audit(
            session,
            entity_type="tip",
            entity_id=tip.id,
            action="tip_ack_refused",
            actor=actor,
            at=now,
            after={"level": level, "unit": unit_code, "reason": verdict.outcome},
            note="Slack: không phải liên hệ của đơn vị/cấp này trong registry",
        )
        session.flush()
        return verdict
    if tip.status not in OPEN_STATUSES:
        return CLOSED
    if _acknowledged(session, tip, level):
        return ALREADY
    unit_name = _unit_name(registry, unit_code)
    note = f"qua Slack ({ROLE_LABELS.get(people[slack_user], people[slack_user])} {unit_name})"
    # a concurrent click or officer action raises WorkflowError: the caller rolls back (409)
    acknowledge(
        session, tip.id, actor=actor, now=now, level=level, note=note, policy=registry.escalation
    )
    return ACKNOWLEDGED


def _acknowledged(session: Session, tip: Tip, level: int) -> bool:
    return (
        session.scalar(
            select(TipAcknowledgement.id).where(
                TipAcknowledgement.tip_id == tip.id,
                TipAcknowledgement.level == level,
                TipAcknowledgement.unit_id == tip.unit_id,
            )
        )
        is not None
    )


def _unit_name(registry: Registry, code: str) -> str:
    try:
        return registry.unit(code).name
    except KeyError:
        return code
