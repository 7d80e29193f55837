"""The last valid registry: a broken `registry.yaml` degrades the desk, it never stops it.

Every run that finds the file valid stores its canonical content in `registry_snapshots` (one
row per content hash, `last_valid_at` moved forward). When the file fails validation (or cannot
be read), `registry_state` logs every problem (`file: key: problem`) and returns the snapshot with
the latest `last_valid_at`, marked as a fallback; with no snapshot at all it raises the file's
`ConfigError` as before. `current_state` is the same for pages and helpers (read only, cached by
the file's mtime). Alerting the admins is the pipeline's job (`citizen_desk.pipeline.registry`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from citizen_desk.config import registry as registry_file
from citizen_desk.config import settings
from citizen_desk.config.registry import Registry, current_file_registry, registry_from_text
from citizen_desk.db.models import RegistrySnapshot
from citizen_desk.db.types import utc
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.errors import ConfigError, RegistryErrors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistryState:
    """The registry a run or page works with, and whether it is the file's or a fallback."""

    registry: Registry
    problems: tuple[str, ...] = ()  # `file: key: problem` lines of the broken file; () = valid
    broken_hash: str | None = None  # SHA-256 of the broken file (one alert per hash and day)
    snapshot_at: datetime | None = None  # `last_valid_at` of the snapshot in use (fallback only)

    @property
    def fallback(self) -> bool:
        return bool(self.problems)


def problem_lines(error: ConfigError) -> tuple[str, ...]:
    """Every problem of the error, one `file: key: problem` line each."""
    if isinstance(error, RegistryErrors):
        return tuple(
            f"{error.path}: {key or '<root>'}: {problem}" for key, problem in error.problems
        )
    return (str(error),)


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (of the read error when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return hashlib.sha256(f"unreadable: {exc.strerror}".encode()).hexdigest()


def remember(session: Session, registry: Registry, now: datetime) -> bool:
    """Store a validated registry (idempotent by content hash); True when the content is new.

    The caller commits.
    """
    if not registry.canonical:  # built in code, not read from a file: nothing to fall back on
        log.warning("registry has no canonical content: no snapshot kept")
        return False
    now = utc(now)
    digest = content_hash(registry.canonical)
    values = {
        "content_hash": digest,
        "content": registry.canonical,
        "loaded_at": now,
        "last_valid_at": now,
    }
    added = insert_if_absent(session, RegistrySnapshot, values, ["content_hash"])
    if not added:
        session.execute(
            update(RegistrySnapshot)
            .where(RegistrySnapshot.content_hash == digest, RegistrySnapshot.last_valid_at < now)
            .values(last_valid_at=now)
        )
    return added


def latest_snapshot(session: Session) -> RegistrySnapshot | None:
    """The snapshot that validated last (ties: the most recently stored)."""
    stmt = select(RegistrySnapshot).order_by(
        RegistrySnapshot.last_valid_at.desc(), RegistrySnapshot.id.desc()
    )
    return session.scalars(stmt.limit(1)).first()


@lru_cache(maxsize=8)
def _snapshot_registry(digest: str, content: str, path: str) -> Registry:
    return registry_from_text(content, path)


def snapshot_registry(snapshot: RegistrySnapshot, path: Path) -> Registry:
    """The snapshot as a `Registry` (its `path` is the configured file, for messages)."""
    return _snapshot_registry(snapshot.content_hash, snapshot.content, str(path))


def fallback_state(session: Session, error: ConfigError, path: Path) -> RegistryState:
    """The last valid snapshot standing in for the broken file; re-raises `error` without one."""
    snapshot = latest_snapshot(session)
    if snapshot is None:
        raise error
    return RegistryState(
        registry=snapshot_registry(snapshot, path),
        problems=problem_lines(error),
        broken_hash=file_hash(path),
        snapshot_at=utc(snapshot.last_valid_at),
    )


def registry_state(
    session: Session, now: datetime, path: str | Path | None = None, *, keep: bool = True
) -> RegistryState:
    """The file's registry (stored as a snapshot when `keep`), else the last valid snapshot.

    A fallback logs each problem of the file; with no snapshot the file's error is raised.
    """
    path = Path(path) if path else settings.registry_path()
    try:
        registry = registry_file.load_registry(path)  # looked up at call time (tests patch it)
    except ConfigError as error:
        state = fallback_state(session, error, path)
        log_fallback(state)
        return state
    if keep:
        remember(session, registry, now)
    return RegistryState(registry)


def log_fallback(state: RegistryState) -> None:
    for line in state.problems:
        log.error("registry problem: %s", line)
    log.warning(
        "registry file is broken: running on the last valid registry (validated %s)",
        state.snapshot_at.isoformat() if state.snapshot_at else "?",
    )


_FALLBACKS: dict[tuple[str, int], RegistryState] = {}


def current_state(url: str | Engine | None = None) -> RegistryState:
    """For pages and helpers: the file's registry (cached by mtime), else the last valid
    snapshot in the domain DB at `url` (read only; looked up once per broken file version and
    then shared by every caller of the process, which has one domain DB)."""
    try:
        return RegistryState(current_file_registry())
    except ConfigError as error:
        path = settings.registry_path()
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = -1
        key = (str(path), mtime)
        if key in _FALLBACKS:
            return _FALLBACKS[key]
        try:
            from citizen_desk.db.engine import session_scope

            with session_scope(url) as session:
                state = fallback_state(session, error, path)
        except ConfigError:
            raise
        except Exception:  # no domain DB (or not migrated yet): the file's error, as before
            log.debug("no registry snapshot to fall back on", exc_info=True)
            raise error from None
        log_fallback(state)
        _FALLBACKS.clear()  # only the current broken version is worth keeping
        _FALLBACKS[key] = state
        return state
