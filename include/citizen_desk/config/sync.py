"""Sync the registry into the domain DB: upsert units and channels, deactivate what left it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Channel, Unit

if TYPE_CHECKING:
    from citizen_desk.config.registry import Registry, UnitSpec


@dataclass
class SyncReport:
    units_added: int = 0
    units_updated: int = 0
    units_deactivated: int = 0
    channels_added: int = 0
    channels_updated: int = 0
    channels_deactivated: int = 0

    def changed(self) -> bool:
        return any(vars(self).values())


def _apply(obj: Any, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = (old, value)
            setattr(obj, name, value)
    return changes


def _audit(
    session: Session,
    now: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    changes: Mapping[str, tuple[Any, Any]],
) -> None:
    record_audit(
        session,
        entity_type=entity,
        entity_id=entity_id,
        action=action,
        actor=actor,
        at=now,
        before={k: v[0] for k, v in changes.items()},
        after={k: v[1] for k, v in changes.items()},
    )


def sync_registry(
    session: Session, registry: Registry, now: datetime, actor: str = "registry-sync"
) -> SyncReport:
    """Upsert units and channels by their codes/keys; deactivate what left the file."""
    report = SyncReport()
    existing_units = {u.code: u for u in session.scalars(select(Unit))}
    for spec in _parents_first(registry.units):
        unit = existing_units.get(spec.code)
        parent_id = existing_units[spec.parent].id if spec.parent else None
        values = {
            "name": spec.name,
            "kind": spec.kind,
            "parent_id": parent_id,
            "duty_officer_slack": spec.contacts.get("duty_officer"),
            "chief_slack": spec.contacts.get("chief"),
            "active": spec.active,
        }
        if unit is None:
            unit = Unit(code=spec.code, updated_at=now, **values)
            session.add(unit)
            session.flush()
            existing_units[spec.code] = unit
            report.units_added += 1
            _audit(session, now, actor, "unit_added", "unit", spec.code, {})
        elif changes := _apply(unit, values):
            unit.updated_at = now
            report.units_updated += 1
            _audit(session, now, actor, "unit_updated", "unit", spec.code, changes)
    wanted = {u.code for u in registry.units}
    for code, unit in existing_units.items():
        if code not in wanted and unit.active:
            unit.active = False
            unit.updated_at = now
            report.units_deactivated += 1
            _audit(session, now, actor, "unit_deactivated", "unit", code, {"active": (True, False)})

    existing_channels = {c.key: c for c in session.scalars(select(Channel))}
    for channel_spec in registry.channels:
        channel = existing_channels.get(channel_spec.key)
        values = {
            "unit_id": existing_units[channel_spec.unit].id,
            "platform": channel_spec.platform,
            "platform_id": channel_spec.platform_id,
            "name": channel_spec.name,
            "connection_id": channel_spec.connection_id,
            "active": channel_spec.active,
        }
        if channel is None:
            session.add(Channel(key=channel_spec.key, updated_at=now, **values))
            report.channels_added += 1
            _audit(session, now, actor, "channel_added", "channel", channel_spec.key, {})
        elif changes := _apply(channel, values):
            channel.updated_at = now
            report.channels_updated += 1
            _audit(session, now, actor, "channel_updated", "channel", channel_spec.key, changes)
    wanted = {c.key for c in registry.channels}
    for key, channel in existing_channels.items():
        if key not in wanted and channel.active:
            channel.active = False
            channel.updated_at = now
            report.channels_deactivated += 1
            change = {"active": (True, False)}
            _audit(session, now, actor, "channel_deactivated", "channel", key, change)
    session.flush()
    return report


def _parents_first(units: Sequence[UnitSpec]) -> list[UnitSpec]:
    by_code = {u.code: u for u in units}

    def depth(unit: UnitSpec) -> int:
        level = 0
        while unit.parent:
            unit = by_code[unit.parent]
            level += 1
        return level

    return sorted(units, key=depth)
