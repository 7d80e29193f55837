"""The registry: units, channels, contacts and policies, loaded from one YAML file.

`load_registry()` validates everything and fails fast with one `ConfigError` naming the file, the
key path and the problem. `sync_registry()` upserts it into the domain DB (adds, renames,
deactivates; never deletes history).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config import settings
from citizen_desk.config.durations import parse_duration
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import PLATFORMS, UNIT_KINDS, Channel, Unit
from citizen_desk.errors import ConfigError
from citizen_desk.sla.calendar import WorkingCalendar, parse_calendar
from citizen_desk.sla.policy import SlaPolicy, parse_sla_policy
from citizen_desk.tips.escalation import EscalationPolicy, UnitNode, parse_escalation_policy

SLACK_ID = re.compile(r"^[CGDUW][A-Z0-9]{6,}$")
CONNECTION_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
CONTACT_ROLES = ("duty_officer", "chief")
TOP_LEVEL_KEYS = {
    "version",
    "timezone",
    "case_view_base_url",
    "technical_admins",
    "units",
    "channels",
    "calendar",
    "sla",
    "escalation",
    "publication",
}
UNIT_KEYS = {"code", "name", "kind", "parent", "contacts", "active"}
CHANNEL_KEYS = {"key", "unit", "platform", "platform_id", "name", "connection_id", "active"}
PUBLICATION_KEYS = {"min_count", "approval_timeout"}


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent: str | None
    contacts: Mapping[str, str]
    active: bool = True


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    unit: str
    platform: str
    platform_id: str
    name: str
    connection_id: str
    active: bool = True


@dataclass(frozen=True)
class PublicationPolicy:
    min_count: int = 3
    approval_timeout: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Registry:
    path: Path
    timezone: str
    case_view_base_url: str
    technical_admins: tuple[str, ...]
    units: tuple[UnitSpec, ...]
    channels: tuple[ChannelSpec, ...]
    calendar: WorkingCalendar
    sla: SlaPolicy
    escalation: EscalationPolicy
    publication: PublicationPolicy

    def unit(self, code: str) -> UnitSpec:
        for unit in self.units:
            if unit.code == code:
                return unit
        raise KeyError(code)

    def channel(self, key: str) -> ChannelSpec:
        for channel in self.channels:
            if channel.key == key:
                return channel
        raise KeyError(key)

    def active_channels(self) -> list[ChannelSpec]:
        return sorted((c for c in self.channels if c.active), key=lambda c: c.key)

    def unit_nodes(self) -> dict[str, UnitNode]:
        return {
            u.code: UnitNode(code=u.code, kind=u.kind, parent=u.parent, contacts=dict(u.contacts))
            for u in self.units
        }

    def case_url(self, case_id: int) -> str:
        return f"{self.case_view_base_url.rstrip('/')}/cases/{case_id}"


def _mapping(value: object, path: Path, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(path, key, f"expected a mapping, got {type(value).__name__}")
    return value


def _no_unknown(value: Mapping[str, Any], allowed: set[str], path: Path, key: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        where = f"{key}.{unknown[0]}" if key else unknown[0]
        raise ConfigError(path, where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _text(value: Mapping[str, Any], name: str, path: Path, key: str) -> str:
    if name not in value or value[name] in (None, ""):
        raise ConfigError(path, f"{key}.{name}", "missing")
    item = value[name]
    if isinstance(item, bool) or not isinstance(item, str | int):
        raise ConfigError(path, f"{key}.{name}", f"expected text, got {type(item).__name__}")
    return str(item)


def _slack_id(value: object, path: Path, key: str) -> str:
    if not isinstance(value, str) or not SLACK_ID.match(value):
        raise ConfigError(path, key, f"malformed Slack id {value!r} (expected e.g. C0123ABCD)")
    return value


def _parse_units(raw: object, path: Path) -> tuple[UnitSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(path, "units", "expected a non-empty list of units")
    units: dict[str, UnitSpec] = {}
    for index, item in enumerate(raw):
        key = f"units[{index}]"
        item = _mapping(item, path, key)
        _no_unknown(item, UNIT_KEYS, path, key)
        code = _text(item, "code", path, key)
        if code in units:
            raise ConfigError(path, f"{key}.code", f"duplicate unit code {code!r}")
        kind = _text(item, "kind", path, key)
        if kind not in UNIT_KINDS:
            allowed = ", ".join(UNIT_KINDS)
            raise ConfigError(path, f"{key}.kind", f"unknown kind {kind!r} ({allowed})")
        contacts = _mapping(item.get("contacts") or {}, path, f"{key}.contacts")
        for role, slack_id in contacts.items():
            if role not in CONTACT_ROLES:
                raise ConfigError(path, f"{key}.contacts.{role}", "unknown role")
            _slack_id(slack_id, path, f"{key}.contacts.{role}")
        parent = item.get("parent")
        units[code] = UnitSpec(
            code=code,
            name=_text(item, "name", path, key),
            kind=kind,
            parent=str(parent) if parent is not None else None,
            contacts=dict(contacts),
            active=bool(item.get("active", True)),
        )
    codes = list(units)
    for index, unit in enumerate(units.values()):
        if unit.parent is not None and unit.parent not in units:
            raise ConfigError(path, f"units[{index}].parent", f"unknown parent {unit.parent!r}")
    for index, code in enumerate(codes):
        seen = {code}
        parent = units[code].parent
        while parent is not None:
            if parent in seen:
                raise ConfigError(path, f"units[{index}].parent", f"cycle through {parent!r}")
            seen.add(parent)
            parent = units[parent].parent
    if not any(u.parent is None for u in units.values()):
        raise ConfigError(path, "units", "no root unit (a unit without parent)")
    return tuple(units.values())


def _parse_channels(raw: object, path: Path, unit_codes: set[str]) -> tuple[ChannelSpec, ...]:
    if not isinstance(raw, list):
        raise ConfigError(path, "channels", "expected a list of channels")
    channels: list[ChannelSpec] = []
    keys: set[str] = set()
    platform_ids: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        key = f"channels[{index}]"
        item = _mapping(item, path, key)
        _no_unknown(item, CHANNEL_KEYS, path, key)
        channel_key = _text(item, "key", path, key)
        if channel_key in keys:
            raise ConfigError(path, f"{key}.key", f"duplicate channel key {channel_key!r}")
        unit = _text(item, "unit", path, key)
        if unit not in unit_codes:
            raise ConfigError(path, f"{key}.unit", f"unknown unit {unit!r}")
        platform = _text(item, "platform", path, key)
        if platform not in PLATFORMS:
            raise ConfigError(path, f"{key}.platform", f"unknown platform {platform!r}")
        platform_id = _text(item, "platform_id", path, key)
        if (platform, platform_id) in platform_ids:
            raise ConfigError(
                path, f"{key}.platform_id", f"duplicate channel id {platform}:{platform_id}"
            )
        if not item.get("connection_id"):
            raise ConfigError(path, f"{key}.connection_id", "missing connection id")
        connection_id = _text(item, "connection_id", path, key)
        if not CONNECTION_ID.match(connection_id):
            raise ConfigError(path, f"{key}.connection_id", f"invalid id {connection_id!r}")
        keys.add(channel_key)
        platform_ids.add((platform, platform_id))
        channels.append(
            ChannelSpec(
                key=channel_key,
                unit=unit,
                platform=platform,
                platform_id=platform_id,
                name=_text(item, "name", path, key),
                connection_id=connection_id,
                active=bool(item.get("active", True)),
            )
        )
    return tuple(channels)


def _parse_publication(raw: object, path: Path) -> PublicationPolicy:
    if raw is None:
        return PublicationPolicy()
    raw = _mapping(raw, path, "publication")
    _no_unknown(raw, PUBLICATION_KEYS, path, "publication")
    min_count = raw.get("min_count", 3)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ConfigError(path, "publication.min_count", "expected a positive integer")
    timeout = parse_duration(
        raw.get("approval_timeout", "24h"), path=path, key="publication.approval_timeout"
    )
    return PublicationPolicy(min_count=min_count, approval_timeout=timeout)


def parse_registry(raw: object, path: Path) -> Registry:
    """Validate a parsed YAML document (see the module docstring)."""
    raw = _mapping(raw, path, "")
    _no_unknown(raw, TOP_LEVEL_KEYS, path, "")
    timezone = str(raw.get("timezone", settings.TIMEZONE))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(path, "timezone", f"unknown time zone {timezone!r}") from exc
    units = _parse_units(raw.get("units"), path)
    channels = _parse_channels(raw.get("channels") or [], path, {u.code for u in units})
    admins = raw.get("technical_admins") or []
    if not isinstance(admins, list):
        raise ConfigError(path, "technical_admins", "expected a list of Slack ids")
    for index, admin in enumerate(admins):
        _slack_id(admin, path, f"technical_admins[{index}]")
    base_url = str(raw.get("case_view_base_url", "http://localhost:8080/citizen-desk"))
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(path, "case_view_base_url", "expected an http(s) URL")
    sla = parse_sla_policy(raw.get("sla"), path=path)
    unit_codes = {u.code for u in units}
    for code in sla.unit_overrides:
        if code not in unit_codes:
            raise ConfigError(path, f"sla.unit_overrides.{code}", f"unknown unit {code!r}")
    return Registry(
        path=path,
        timezone=timezone,
        case_view_base_url=base_url,
        technical_admins=tuple(admins),
        units=units,
        channels=channels,
        calendar=parse_calendar(raw.get("calendar"), timezone=timezone, path=path),
        sla=sla,
        escalation=parse_escalation_policy(
            raw.get("escalation"), path=path, unit_kinds=set(UNIT_KINDS)
        ),
        publication=_parse_publication(raw.get("publication"), path),
    )


def load_registry(path: str | Path | None = None) -> Registry:
    """Read and validate the registry file (default: `settings.registry_path()`)."""
    path = Path(path) if path else settings.registry_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read registry: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ConfigError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    return parse_registry(raw, path)


@lru_cache(maxsize=4)
def _registry_at(path: str, mtime_ns: int) -> Registry:
    return load_registry(path)


def deployment_zone() -> ZoneInfo:
    """The one time zone of this deployment: the registry's `timezone`."""
    return ZoneInfo(current_registry().timezone)


def current_registry() -> Registry:
    """The configured registry, re-read only when the file changes (cheap per call/request)."""
    path = settings.registry_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return load_registry(path)  # raises the ConfigError naming the file
    return _registry_at(str(path), mtime)


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
    for spec in registry.channels:
        channel = existing_channels.get(spec.key)
        values = {
            "unit_id": existing_units[spec.unit].id,
            "platform": spec.platform,
            "platform_id": spec.platform_id,
            "name": spec.name,
            "connection_id": spec.connection_id,
            "active": spec.active,
        }
        if channel is None:
            session.add(Channel(key=spec.key, updated_at=now, **values))
            report.channels_added += 1
            _audit(session, now, actor, "channel_added", "channel", spec.key, {})
        elif changes := _apply(channel, values):
            channel.updated_at = now
            report.channels_updated += 1
            _audit(session, now, actor, "channel_updated", "channel", spec.key, changes)
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
