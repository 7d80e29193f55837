"""The registry: units, channels, contacts, access and policies, loaded from one YAML file.

`load_registry()` validates everything and reports every problem of the file in one
`RegistryErrors`, one `file: key.path: problem` per line; duplicate YAML keys are refused.
`sync_registry()` (in `citizen_desk.config.sync`) upserts it into the domain DB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from citizen_desk.access import UNIT_SCOPED, Grant, users_who_may
from citizen_desk.config import settings
from citizen_desk.config.collection import CollectionPolicy
from citizen_desk.config.registry_schema import (
    ChannelModel,
    CollectionModel,
    DocumentModel,
    GrantModel,
    NotificationsModel,
    PublicationModel,
    TriageLearningModel,
    UnitModel,
)
from citizen_desk.config.sections import (
    Problems,
    item_label,
)
from citizen_desk.config.sync import SyncReport as SyncReport  # re-exported for callers
from citizen_desk.config.sync import sync_registry as sync_registry
from citizen_desk.db.models import UNIT_KINDS
from citizen_desk.domain.catchup import CatchUpPolicy
from citizen_desk.domain.vocabulary import AccessRole, DeskAction
from citizen_desk.errors import ConfigError, RegistryErrors
from citizen_desk.sla.calendar import WorkingCalendar, parse_calendar
from citizen_desk.sla.policy import SlaPolicy, parse_sla_policy
from citizen_desk.tips.escalation import EscalationPolicy, parse_escalation_policy


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
    zalo_cover_url: str | None = None  # the Zalo OA article cover photo (Zalo requires one)
    zalo_broadcast: bool = False  # also send the article to the OA's followers


@dataclass(frozen=True)
class LearningPolicy:
    """When a retrained triage model replaces the champion (`citizen_desk.learning.retrain`)."""

    promotion_margin: float = 0.01  # score points the challenger must gain (0.01 = 1 point)
    recent_window: timedelta = timedelta(days=7)  # corrections held out to measure both models
    min_recent_corrections: int = 20  # fewer recent corrections: the test split alone decides
    agreement_window: timedelta = timedelta(days=30)  # the overview's live agreement


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
    notifications: CatchUpPolicy = field(default_factory=CatchUpPolicy)
    triage_learning: LearningPolicy = field(default_factory=LearningPolicy)
    # concurrency budgets (pool slots) and batch size of the collection (`config.collection`)
    collection: CollectionPolicy = field(default_factory=CollectionPolicy)
    # the validated document in canonical form (`canonical_content`): what a snapshot stores
    canonical: str = field(default="", compare=False, repr=False)
    # Airflow user name -> the user's Citizen Desk roles (`access:`); absent users are viewers.
    access: Mapping[str, tuple[Grant, ...]] = field(default_factory=dict)
    # user name -> the auth manager's user id where it is not the name (FAB: the numeric id)
    airflow_user_ids: Mapping[str, str] = field(default_factory=dict)

    def grants_of(self, user_name: str) -> tuple[Grant, ...]:
        return self.access.get(user_name, ())

    def airflow_user_id(self, user_name: str) -> str:
        """The id Airflow checks a HITL answer's user against (`assigned_users`)."""
        return self.airflow_user_ids.get(user_name, user_name)

    def unit_tree(self) -> Mapping[str, str | None]:
        """Unit code -> parent code (None for the root), for `citizen_desk.access.may`."""
        return self._unit_tree

    @cached_property
    def _unit_tree(self) -> Mapping[str, str | None]:  # built once per registry (pages ask often)
        return MappingProxyType({unit.code: unit.parent for unit in self.units})

    def publication_approvers(self, unit_code: str) -> tuple[str, ...]:
        """The user names that may approve the weekly post of `unit_code` (sorted)."""
        return users_who_may(
            self.access, DeskAction.PUBLICATION_APPROVE, unit_code, self.unit_tree()
        )

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

    def case_url(self, case_id: int) -> str:
        return f"{self.case_view_base_url.rstrip('/')}/cases/{case_id}"

    def tip_url(self, tip_id: int) -> str:
        """The tip's page (its acknowledgements and the workflow actions)."""
        return f"{self.case_view_base_url.rstrip('/')}/tips/{tip_id}"


# --- validation ----------------------------------------------------------------------------------


def _at(raw: object, *names: str) -> Any:
    """raw[name][...] when every level is a mapping, else None."""
    for name in names:
        raw = raw.get(name) if isinstance(raw, Mapping) else None
    return raw


def _list(raw: object, name: str) -> list[Any]:
    items = _at(raw, name)
    return items if isinstance(items, list) else []


def _items(problems: Problems, model: type, name: str, raw: object) -> list[tuple[str, Any]]:
    """(key path, validated item) of each valid item of the list `name`; the rest are recorded."""
    valid: list[tuple[str, Any]] = []
    for index, item in enumerate(_list(raw, name)):
        key = f"{name}[{item_label(item, index)}]"
        if (spec := problems.validate(model, item, key)) is not None:
            valid.append((key, spec))
    return valid


def _check_units(problems: Problems, raw: object) -> tuple[tuple[UnitSpec, ...], set[str]]:
    """The valid units, and the codes of all units (also invalid ones, which other keys name)."""
    raw_units = [item for item in _list(raw, "units") if isinstance(item, Mapping)]
    codes = {str(item["code"]) for item in raw_units if item.get("code") is not None}
    units: dict[str, UnitSpec] = {}
    for key, unit in _items(problems, UnitModel, "units", raw):
        if unit.code in units:
            problems.add(f"{key}.code", f"duplicate unit code {unit.code!r}")
            continue
        contacts = unit.contacts.model_dump(exclude_none=True) if unit.contacts else {}
        units[unit.code] = UnitSpec(
            unit.code, unit.name, unit.kind, unit.parent, contacts, unit.active
        )
    for code, unit in units.items():
        if unit.parent is not None and unit.parent not in codes:
            problems.add(f"units[{code}].parent", f"unknown parent {unit.parent!r}")
        seen, parent = {code}, unit.parent
        while parent in units and parent not in seen:
            seen.add(parent)
            parent = units[parent].parent
        if parent == code:  # reported on the units of the cycle, not on those below it
            problems.add(f"units[{code}].parent", f"cycle through {unit.parent!r}")
    if raw_units and all(item.get("parent") is not None for item in raw_units):
        problems.add("units", "no root unit (a unit without parent)")
    return tuple(units.values()), codes


def _check_channels(problems: Problems, raw: object, units: set[str]) -> tuple[ChannelSpec, ...]:
    channels: dict[str, ChannelSpec] = {}
    platform_ids: set[tuple[str, str]] = set()
    for key, channel in _items(problems, ChannelModel, "channels", raw):
        if channel.key in channels:
            problems.add(f"{key}.key", f"duplicate channel key {channel.key!r}")
        if channel.unit not in units:
            problems.add(f"{key}.unit", f"unknown unit {channel.unit!r}")
        platform_id = (channel.platform, channel.platform_id)
        if platform_id in platform_ids:
            problems.add(f"{key}.platform_id", f"duplicate channel id {':'.join(platform_id)}")
        platform_ids.add(platform_id)
        channels.setdefault(channel.key, ChannelSpec(**channel.model_dump()))
    return tuple(channels.values())


def _check_access(problems: Problems, raw: object, units: set[str]) -> dict[str, tuple[Grant, ...]]:
    """`access:` maps an Airflow user name to a list of `{role, units}`; units must exist."""
    section = _at(raw, "access")
    if not isinstance(section, Mapping):
        return {}  # absent (everyone a viewer) or not a mapping (reported by DocumentModel)
    access: dict[str, tuple[Grant, ...]] = {}
    for user, items in section.items():
        key = f"access.{user}"
        if not isinstance(user, str) or not user.strip():
            problems.add(key, "the user name must be non-empty text")
            continue
        if not isinstance(items, list) or not items:
            problems.add(key, "expected a non-empty list of {role, units}")
            continue
        grants: list[Grant] = []
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if (spec := problems.validate(GrantModel, item, where)) is None:
                continue
            role = AccessRole(spec.role)
            codes = spec.units or []
            if role in UNIT_SCOPED and not codes:
                problems.add(f"{where}.units", f"role {role.value} needs the units it covers")
            if role not in UNIT_SCOPED and codes:
                problems.add(f"{where}.units", f"role {role.value} is not limited to units")
            for position, code in enumerate(codes):
                if code not in units:
                    problems.add(f"{where}.units[{position}]", f"unknown unit {code!r}")
            if any(grant.role == role for grant in grants):
                problems.add(f"{where}.role", f"role {role.value} given twice (merge its units)")
            grants.append(Grant(role, frozenset(codes)))
        access[user] = tuple(grants)
    return access


def parse_registry(raw: object, path: Path) -> Registry:
    """Validate a parsed YAML document; `RegistryErrors` lists every problem (module docstring)."""
    problems = Problems(path)
    doc = problems.validate(DocumentModel, raw)
    units, codes = _check_units(problems, raw)
    channels = _check_channels(problems, raw, codes)
    access = _check_access(problems, raw, codes)
    # The calendar checks the zone, also when another part of the document failed its model.
    timezone = doc.timezone if doc else settings.TIMEZONE
    if doc is None and isinstance(raw, Mapping) and isinstance(raw.get("timezone"), str):
        timezone = raw["timezone"]
    parsed: dict[str, Any] = {}
    parsers = {
        "calendar": lambda value: parse_calendar(value, timezone=timezone, path=path),
        "sla": lambda value: parse_sla_policy(value, path=path),
        "escalation": lambda value: parse_escalation_policy(
            value, path=path, unit_kinds=set(UNIT_KINDS)
        ),
    }
    for name, parse in parsers.items():
        try:
            parsed[name] = parse(_at(raw, name))
        except ConfigError as exc:
            problems.absorb(exc)
    overrides = _at(raw, "sla", "unit_overrides")
    for code in overrides if isinstance(overrides, Mapping) else ():
        if code not in codes:
            problems.add(f"sla.unit_overrides.{code}", f"unknown unit {code!r}")
    user_ids = _at(raw, "airflow_user_ids")
    for user in user_ids if isinstance(user_ids, Mapping) else ():
        if user not in access:
            problems.add(f"airflow_user_ids.{user}", f"user {user!r} is not under access:")
    problems.raise_if_any()
    assert doc is not None  # no problem recorded, so the document validated
    publication = doc.publication or PublicationModel()
    notifications = doc.notifications or NotificationsModel()
    learning = doc.triage_learning or TriageLearningModel()
    collection = doc.collection or CollectionModel()
    # ConfigError("environment", "CITIZEN_DESK_BASE_URL", …) when that variable is no URL
    case_view_base_url = settings.case_view_base_url(doc.case_view_base_url)
    return Registry(
        path=path,
        timezone=doc.timezone,
        case_view_base_url=case_view_base_url,
        technical_admins=tuple(doc.technical_admins or ()),
        units=units,
        channels=channels,
        publication=PublicationPolicy(
            publication.min_count,
            publication.approval_timeout,
            publication.zalo_cover_url,
            publication.zalo_broadcast,
        ),
        notifications=CatchUpPolicy(
            notifications.catch_up_fresh_within, notifications.digest_after
        ),
        triage_learning=LearningPolicy(
            learning.promotion_margin,
            learning.recent_window,
            learning.min_recent_corrections,
            learning.agreement_window,
        ),
        collection=CollectionPolicy(
            collection.facebook_concurrency,
            collection.zalo_concurrency,
            collection.batch_size,
            collection.facebook_batch_size,
            collection.zalo_batch_size,
        ),
        access=access,
        airflow_user_ids=MappingProxyType(dict(doc.airflow_user_ids or {})),
        **parsed,
    )


# --- reading the file ----------------------------------------------------------------------------


def _duplicate_keys(node: yaml.Node, key: str, problems: Problems, done: set[int]) -> None:
    """Record every mapping key given twice (YAML would silently keep the last one)."""
    if id(node) in done:  # an alias: checked where its anchor is
        return
    done.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            name = str(key_node.value)
            child = f"{key}.{name}" if key else name
            if name in seen and name != "<<":
                problems.add(child, f"duplicate key (line {key_node.start_mark.line + 1})")
            seen.add(name)
            _duplicate_keys(value_node, child, problems, done)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            label = str(index)
            if isinstance(item, yaml.MappingNode):
                names = {k.value: v.value for k, v in item.value if isinstance(v, yaml.ScalarNode)}
                label = str(names.get("code") or names.get("key") or index)
            _duplicate_keys(item, f"{key}[{label}]", problems, done)


# libyaml's parser when PyYAML was built with it (~10x faster on the national registry).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def canonical_content(raw: object) -> str:
    """The document as YAML with sorted keys: comments and layout do not change it, and
    `yaml.safe_load` of it gives the same document back (dates included). Non-ASCII is escaped:
    PyYAML writes some characters (U+0085 …) raw that would read back as line breaks."""
    return yaml.safe_dump(raw, sort_keys=True, allow_unicode=False, default_flow_style=False)


def registry_from_text(text: str, path: str | Path) -> Registry:
    """Validate registry YAML text as if it were the file at `path` (`RegistryErrors` else)."""
    path = Path(path)
    problems = Problems(path)
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _duplicate_keys(node, "", problems, set())
        raw = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ConfigError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    finally:
        loader.dispose()
    try:
        registry = parse_registry(raw, path)
    except ConfigError as exc:
        problems.absorb(exc)
    else:
        if not problems.items:
            return replace(registry, canonical=canonical_content(raw))
    raise RegistryErrors(path, problems.items)


def load_registry(path: str | Path | None = None) -> Registry:
    """Read and validate the registry file (default: `settings.registry_path()`).

    Strict: a broken file raises. Runs and pages that must keep working use
    `citizen_desk.config.snapshot` (the last valid registry) instead.
    """
    path = Path(path) if path else settings.registry_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read registry: {exc.strerror}") from exc
    return registry_from_text(text, path)


@lru_cache(maxsize=4)
def _registry_at(path: str, mtime_ns: int, base_url: str | None) -> Registry:
    return load_registry(path)


def deployment_zone() -> ZoneInfo:
    """The one time zone of this deployment: the registry's `timezone`. Read from the file's
    `timezone` key alone when it can be (`citizen_desk.config.zone`: a task needing only the
    zone does not validate ~6,600 channels), else from the validated registry or its last valid
    snapshot."""
    from citizen_desk.config.zone import file_zone

    return file_zone() or ZoneInfo(current_registry().timezone)


def current_registry() -> Registry:
    """The configured registry, re-read only when the file changes (cheap per call/request).

    When the file is broken, the last valid snapshot from the domain DB (logged, never silent:
    `citizen_desk.config.snapshot.current_state` tells pages and runs); without one, the file's
    `ConfigError`.
    """
    from citizen_desk.config.snapshot import current_state

    return current_state().registry


def current_file_registry() -> Registry:
    """The configured file's registry, strict (raises on a broken file), cached by mtime."""
    path = settings.registry_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return load_registry(path)  # raises the ConfigError naming the file
    # the public base URL from the environment is part of the loaded registry (its links)
    return _registry_at(str(path), mtime, os.environ.get(settings.BASE_URL_ENV))
