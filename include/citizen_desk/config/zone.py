"""The deployment's time zone, read from the registry file without validating all of it.

Every task process needs the zone (collection windows, local dates in alerts) and most need
nothing else of the registry. Validating the whole file for it costs O(registry): at national size
(~3,400 units, ~6,600 channels) 10-20 CPU seconds in each of the ~135 mapped collection tasks of a
daily run, more than the collection itself. `file_zone` reads the top-level `timezone` key from
the YAML event stream (libyaml's parser, no document built, nothing validated: ~1 % of a full
load) and stops there.

The zone is the one the full load gives for a valid file (the key, else `settings.TIMEZONE`). A
file whose `timezone` cannot be read this way (unreadable, not a mapping, YAML broken before the
key, a collection, alias or unknown zone as its value) gives None, and
`citizen_desk.config.registry.deployment_zone` then takes the strict path (the validated file,
else the last valid snapshot), as before. One difference, on purpose: a file broken *elsewhere*
still gives its own readable `timezone` (the strict path would give the last valid snapshot's,
which differs only if the same broken edit also changed the zone). Validation itself is not
skipped: every run's `prepare_domain_db`, `registry check` and the pages validate the whole
file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from citizen_desk.config import settings

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class Unreadable(ValueError):
    """The document cannot say what the key's plain value is."""


def top_level_scalar(text: str, key: str) -> str | None:
    """The plain value of `key` in the YAML document's top-level mapping, None if it has no such
    key; `Unreadable` if it cannot say (not a mapping, the value is a collection or an alias,
    invalid YAML up to the key)."""
    depth = 0
    expect_key = False
    current: str | None = None
    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, _OPEN):
                if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                    raise Unreadable("not a mapping")
                if depth == 1 and (expect_key or current == key):
                    raise Unreadable("a collection as a key, or as the value asked for")
                depth += 1
                expect_key = depth == 1
            elif isinstance(event, _CLOSE):
                depth -= 1
                if depth == 0:
                    return None
                expect_key = depth == 1
            elif depth == 1 and isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                if expect_key:
                    current = event.value if isinstance(event, yaml.ScalarEvent) else None
                elif current == key:
                    if not isinstance(event, yaml.ScalarEvent):
                        raise Unreadable(f"{key}: an alias")
                    return str(event.value)
                expect_key = not expect_key
    except yaml.YAMLError as exc:
        raise Unreadable(str(exc)) from exc
    return None


@lru_cache(maxsize=4)
def _zone_at(path: str, mtime_ns: int) -> ZoneInfo | None:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        value = top_level_scalar(text, "timezone")
    except Unreadable:
        return None
    name = settings.TIMEZONE if value is None else value
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def file_zone(path: str | Path | None = None) -> ZoneInfo | None:
    """The registry file's time zone (default file: `settings.registry_path()`), cached by the
    file's mtime; None when only the strict path can tell (see the module docstring)."""
    path = Path(path) if path else settings.registry_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _zone_at(str(path), mtime)
