"""The last valid registry: a broken `registry.yaml` degrades the desk, it never stops it.

Every run that finds the file valid stores its canonical content in `registry_snapshots` (one
row per content hash, `last_valid_at` moved forward). When the file fails validation (or cannot
be read), `registry_state` logs every problem (`file: key: problem`) and returns the snapshot with
the latest `last_valid_at`, marked as a fallback; with no snapshot at all it raises the file's
`ConfigError` as before. `current_state` is the same for pages and helpers (read only, cached by
the file's mtime). Alerting the admins is the pipeline's job (`citizen_desk.pipeline.registry`).

A run validates a *settled* version of the file (`validate_file`): the file is fingerprinted
before and after validation, so a file rewritten meanwhile (a restore, an editor saving in
place: truncate, then write) is validated again, and a failure of a file modified less than
`SETTLE_SECONDS` ago waits for the file to be that old before it counts. The broken hash is the
hash of exactly the version that failed: a run never alerts the hash of a file caught mid-save,
nor of the file as it was *after* its validation.
"""

from __future__ import annotations

import hashlib
import logging
import time
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
    broken_hash: str | None = None  # SHA-256 of the version that failed (one alert per hash)
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
    return file_version(path).digest


@dataclass(frozen=True)
class FileVersion:
    """What a validation read: the file's mtime (None: unreadable) and the SHA-256 of its
    bytes (of the read error when it cannot be read)."""

    mtime_ns: int | None
    digest: str


def file_version(path: Path) -> FileVersion:
    try:
        mtime_ns = path.stat().st_mtime_ns
        data = path.read_bytes()
    except OSError as exc:
        return FileVersion(None, hashlib.sha256(f"unreadable: {exc.strerror}".encode()).hexdigest())
    return FileVersion(mtime_ns, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class BrokenFile:
    """A settled version of the file that failed validation, and its hash."""

    error: ConfigError
    digest: str


SETTLE_SECONDS = 1.0  # a file modified more recently may still be being written
SETTLE_LIMIT_SECONDS = 10.0  # at most this long waiting for a file that keeps changing
_POLL_SECONDS = 0.05
_sleep = time.sleep  # tests replace it (the writer finishes while the run waits)


def validate_file(path: Path) -> Registry | BrokenFile:
    """`load_registry(path)` of a settled version of the file, or why that version fails (see
    the module doc): a failure counts once the file was the same before and after validation
    and is at least `SETTLE_SECONDS` old (each version is waited for once, at most that long:
    an mtime in the future does not hold a run), or after `SETTLE_LIMIT_SECONDS`."""
    deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
    waited_for: FileVersion | None = None
    while True:
        before = file_version(path)
        try:
            return registry_file.load_registry(path)  # looked up at call time (tests patch it)
        except ConfigError as error:
            after = file_version(path)
            remaining = deadline - time.monotonic()
            if after == before:
                if after.mtime_ns is None or after == waited_for:
                    return BrokenFile(error, after.digest)
                wait = SETTLE_SECONDS - (time.time() - after.mtime_ns / 1e9)
                if wait <= 0:
                    return BrokenFile(error, after.digest)
                waited_for = after
            else:  # rewritten while it was validated: validate what is there now
                wait = _POLL_SECONDS
            if remaining <= 0:
                log.warning("registry file still changing after %.0f s", SETTLE_LIMIT_SECONDS)
                return BrokenFile(error, after.digest)
            log.info("registry file invalid and just modified: validating it again in %.2f s", wait)
            _sleep(min(max(wait, _POLL_SECONDS), SETTLE_SECONDS, remaining))


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


def fallback_state(
    session: Session, error: ConfigError, path: Path, broken_hash: str | None = None
) -> RegistryState:
    """The last valid snapshot standing in for the broken file (`broken_hash`: of the version
    that failed; default: of the file now); re-raises `error` without a snapshot."""
    snapshot = latest_snapshot(session)
    if snapshot is None:
        raise error
    return RegistryState(
        registry=snapshot_registry(snapshot, path),
        problems=problem_lines(error),
        broken_hash=broken_hash or file_hash(path),
        snapshot_at=utc(snapshot.last_valid_at),
    )


def registry_state(
    session: Session,
    now: datetime,
    path: str | Path | None = None,
    *,
    keep: bool = True,
    validated: Registry | BrokenFile | None = None,
) -> RegistryState:
    """The file's registry (stored as a snapshot when `keep`), else the last valid snapshot.

    `validated`: the file's `validate_file` when the caller ran it (outside the session: a
    settling file is not waited for with a connection open). A fallback logs each problem of
    the file; with no snapshot the file's error is raised.
    """
    path = Path(path) if path else settings.registry_path()
    registry = validate_file(path) if validated is None else validated
    if isinstance(registry, BrokenFile):
        state = fallback_state(session, registry.error, path, registry.digest)
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
