"""Small helpers shared by the registry section parsers (calendar, SLA, escalation)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from citizen_desk.errors import ConfigError


def mapping_or_empty(value: object, path: object, key: str) -> Mapping:
    """A mapping section; absent means empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(path, key, "expected a mapping")
    return value


def reject_unknown(raw: Mapping, allowed: tuple[str, ...], path: object, key: str) -> None:
    for name in raw:
        if name not in allowed:
            raise ConfigError(
                path, f"{key}.{name}", f"unknown key; expected one of {', '.join(allowed)}"
            )


def stable_hash(normalised: object) -> str:
    """Short, order-independent fingerprint of a normalised section (its policy version)."""
    text = json.dumps(normalised, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
