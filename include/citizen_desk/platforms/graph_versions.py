"""Graph API versions: which one a connection uses, and how long it keeps working.

Meta retires a Graph version about two years after its release; calls to a retired version are
answered by the next oldest usable one, so behaviour changes silently. Collection and `doctor`
warn `WARN_AHEAD` before the end of life of the configured version and fail after it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from citizen_desk.platforms import with_trailing_slash

# End-of-life dates from the Graph API versions page (the localized copies carry the dates the
# English snapshot still showed as "TBD"): docs/research/platform-facts.md §1,
# https://developers.facebook.com/docs/graph-api/changelog/versions/?locale=de_DE
# v26.0 (released 2026-07-29) had no published date yet, so it is not the default.
END_OF_LIFE: dict[str, date | None] = {
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
    "v26.0": None,  # released 2026-07-29, end of life not yet published
    "v27.0": None,  # released 2026-11-04
}
DEFAULT_VERSION = "v25.0"
GRAPH_HOST = "https://graph.facebook.com/"
WARN_AHEAD = timedelta(days=60)
_VERSION = re.compile(r"^v\d+\.\d+$")
_VERSION_SEGMENT = re.compile(r"/(v\d+\.\d+)/?$")


@dataclass(frozen=True)
class VersionStatus:
    """How a Graph version stands on a given day: `ok`, `warning`, `expired` or `unknown`."""

    version: str
    level: str
    message: str
    end_of_life: date | None = None


def version_of(base_url: str) -> str | None:
    """The `vNN.N` a base URL ends with, or None."""
    match = _VERSION_SEGMENT.search(base_url)
    return match.group(1) if match else None


def graph_base_url(extra: Mapping[str, Any] | None) -> str:
    """The base URL of a Facebook connection from its extras `base_url` and `graph_version`.

    `graph_version` replaces the version a `base_url` ends with (or is appended to it); without
    either the default is Graph `DEFAULT_VERSION`.
    """
    extra = extra or {}
    base = str(extra.get("base_url") or "").strip()
    version = str(extra.get("graph_version") or "").strip()
    if version and not _VERSION.match(version):
        from citizen_desk.errors import ConfigError

        raise ConfigError("connection extra", "graph_version", "must look like v25.0")
    if not base:
        return f"{GRAPH_HOST}{version or DEFAULT_VERSION}/"
    base = with_trailing_slash(base)
    current = version_of(base)
    if version and current:
        return base[: -len(current) - 1] + f"{version}/"
    if version:
        return base + f"{version}/"
    return base if current else base + f"{DEFAULT_VERSION}/"


def version_status(version: str | None, today: date | datetime) -> VersionStatus:
    """Whether `version` still works on `today`, with what to do when it soon does not."""
    day = today.astimezone(UTC).date() if isinstance(today, datetime) else today
    if version is None or version not in END_OF_LIFE:
        return VersionStatus(
            version or "?",
            "unknown",
            f"Graph {version or '(no version in the base URL)'} is not in the known versions "
            f"table; set extra graph_version to {DEFAULT_VERSION}",
        )
    eol = END_OF_LIFE[version]
    if eol is None:
        return VersionStatus(version, "ok", f"Graph {version}: no end of life published yet")
    if day >= eol:
        return VersionStatus(
            version,
            "expired",
            f"Graph {version} reached end of life on {eol.isoformat()}: set extra "
            f"graph_version to {DEFAULT_VERSION}",
            eol,
        )
    if eol - day <= WARN_AHEAD:
        return VersionStatus(
            version,
            "warning",
            f"Graph {version} stops working on {eol.isoformat()} ({(eol - day).days} days): set "
            f"extra graph_version to {DEFAULT_VERSION}",
            eol,
        )
    return VersionStatus(version, "ok", f"Graph {version} supported until {eol.isoformat()}", eol)
