"""The open tips and the unit tree as the escalation ladder sees them, loaded from the database."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Tip, TipAcknowledgement, Unit
from citizen_desk.tips.escalation import OPEN_STATUSES, TipSnapshot, UnitNode


def unit_nodes_from_db(session: Session) -> dict[str, UnitNode]:
    """The unit tree as synced into the DB (inactive units kept, so old tips still resolve)."""
    units = list(session.scalars(select(Unit)))
    by_id = {u.id: u for u in units}
    nodes = {}
    for unit in units:
        contacts = {
            role: slack_id
            for role, slack_id in (
                ("duty_officer", unit.duty_officer_slack),
                ("chief", unit.chief_slack),
            )
            if slack_id
        }
        parent = by_id[unit.parent_id].code if unit.parent_id in by_id else None
        nodes[unit.code] = UnitNode(unit.code, unit.kind, parent, contacts)
    return nodes


def open_tip_snapshots(session: Session) -> list[tuple[Tip, TipSnapshot]]:
    """Open tips, oldest first, with what the ladder needs to know about each."""
    rows = session.execute(
        select(Tip, Unit.code)
        .join(Unit, Tip.unit_id == Unit.id)
        .where(Tip.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Tip.received_at, Tip.id)
    ).all()
    acknowledged: dict[int, set[tuple[int, str]]] = defaultdict(set)
    ids = [tip.id for tip, _ in rows]
    for chunk in chunks(ids):
        for tip_id, level, unit_code in session.execute(
            select(TipAcknowledgement.tip_id, TipAcknowledgement.level, Unit.code)
            .join(Unit, TipAcknowledgement.unit_id == Unit.id)
            .where(TipAcknowledgement.tip_id.in_(chunk))
        ):
            acknowledged[tip_id].add((level, unit_code))
    return [
        (
            tip,
            TipSnapshot(
                tip_id=tip.id,
                unit_code=code,
                received_at=tip.received_at,
                urgent=tip.urgent,
                status=tip.status,
                acknowledged=frozenset(acknowledged.get(tip.id, ())),
                extension=_seconds(tip.extension_seconds),
                urgent_since=tip.urgent_since,
            ),
        )
        for tip, code in rows
    ]


def _seconds(value: int | None) -> timedelta:
    return timedelta(seconds=value or 0)
