"""The registry of a run: the file when valid, else the last valid snapshot, and the admins told.

`run_registry` is what task bodies call instead of `load_registry`: a valid file is stored as the
new snapshot; a broken one is logged (`file: key: problem`), alerted and replaced by the last
valid snapshot. The alert goes through the outbox to the admin channel of the Slack connection
(extra `admin_channel`, or `CITIZEN_DESK_ADMIN_CHANNEL`), which does not depend on the registry;
only when neither is set does it fall back on the snapshot's technical admins. It is enqueued once
per broken version of the file (hash): runs of several logical days (a backfill, a daily and an
hourly DAG either side of midnight) tell the admins once; the Citizen Desk page shows the problem
for as long as it lasts. With no snapshot the run fails as before, after the alert.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citizen_desk.config import settings
from citizen_desk.config.registry import Registry
from citizen_desk.config.snapshot import (
    BrokenFile,
    RegistryState,
    file_hash,
    problem_lines,
    registry_state,
    validate_file,
)
from citizen_desk.db.engine import session_scope
from citizen_desk.errors import ConfigError

log = logging.getLogger(__name__)

ALERT_KEY = "registry-broken"
MAX_LINES = 20  # problems listed in the alert; the task log has them all


def alert_key(broken_hash: str) -> str:
    """One alert per broken version of the file, whatever the runs' logical days."""
    return f"{ALERT_KEY}:{broken_hash[:16]}"


def _safe_line(line: str) -> str:
    """A problem line, redacted; when anything personal could remain, only `file: key`."""
    from citizen_desk.privacy import contains_pii, redact

    redacted = redact(line)
    if contains_pii(redacted):
        return ": ".join(line.split(": ")[:2])
    return redacted


def alert_text(problems: Sequence[str], snapshot_at: datetime | None, timezone: str) -> str:
    """The admins' message: what is wrong (file: key: problem) and what the desk runs on."""
    lines = [f"• {_safe_line(p)}" for p in problems[:MAX_LINES]]
    if len(problems) > MAX_LINES:
        lines.append(f"• … và {len(problems) - MAX_LINES} lỗi khác (xem log của tác vụ)")
    if snapshot_at is not None:
        when = snapshot_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")
        state = (
            f"Các lần chạy đang dùng bản registry hợp lệ gần nhất (lúc {when}); "
            "đăng kết quả tuần bị tạm dừng cho đến khi sửa xong."
        )
    else:
        state = "Chưa có bản registry hợp lệ nào được lưu: các lần chạy dừng lại cho đến khi sửa."
    return "Tệp registry.yaml có lỗi:\n" + "\n".join(lines) + "\n" + state


def recipients(registry: Registry | None, conn_id: str | None = None) -> list[str]:
    """The connection's admin channel; else the (snapshot) registry's technical admins."""
    from citizen_desk.notify.outbox import admin_recipients
    from citizen_desk.notify.slack import CONN_ID, admin_channel_from_connection

    channel = admin_channel_from_connection(conn_id or CONN_ID)
    if channel:
        return [channel]
    return admin_recipients(registry) if registry is not None else []


def enqueue_alert(
    session: Session,
    *,
    problems: Sequence[str],
    broken_hash: str,
    registry: Registry | None,
    snapshot_at: datetime | None,
    now: datetime,
    source: str,
    conn_id: str | None = None,
) -> int:
    """Enqueue the broken-registry alert (idempotent by key); returns how many were new."""
    from citizen_desk.notify.blocks import render_message
    from citizen_desk.notify.outbox import ADMIN_ALERT, enqueue

    timezone = registry.timezone if registry is not None else settings.TIMEZONE
    key = alert_key(broken_hash)
    message = render_message(
        "admin_alert",
        title="Cấu hình registry có lỗi",
        body=alert_text(problems, snapshot_at, timezone),
    )
    targets = recipients(registry, conn_id)
    if not targets:
        log.error("no admin channel (Slack connection extra `admin_channel`) to alert")
    count = 0
    for target in targets:
        row = enqueue(
            session,
            key=f"{key}:{target}",
            kind=ADMIN_ALERT,
            recipient=target,
            text=message.text,
            blocks=message.blocks,
            now=now,
            source=source,
            registry=registry,
            safe_links=(),
        )
        count += row is not None
    return count


def _alert(
    *,
    problems: Sequence[str],
    broken_hash: str,
    registry: Registry | None,
    snapshot_at: datetime | None,
    now: datetime,
    source: str,
    url: str | Engine | None,
) -> None:
    """Enqueue in its own transaction; an alerting failure never hides the run's own outcome."""
    try:
        with session_scope(url) as session:
            count = enqueue_alert(
                session,
                problems=problems,
                broken_hash=broken_hash,
                registry=registry,
                snapshot_at=snapshot_at,
                now=now,
                source=source,
            )
        log.info("broken registry: %d new admin alert(s)", count)
    except Exception:
        log.exception("could not enqueue the broken-registry alert")


def run_registry(
    now: datetime, source: str, url: str | Engine | None = None, *, keep: bool = True
) -> RegistryState:
    """The run's registry (module docstring); the domain DB must be migrated."""
    path = settings.registry_path()
    validated = validate_file(path)  # before the session: a settling file holds no connection
    try:
        with session_scope(url) as session:
            state = registry_state(session, now, path, keep=keep, validated=validated)
    except ConfigError as error:  # broken and no snapshot: tell the admins, then fail as before
        lines = problem_lines(error)
        for line in lines:
            log.error("registry problem: %s", line)
        _alert(
            problems=lines,
            # the version that failed, not the file as it is now (it may be restored already)
            broken_hash=(
                validated.digest if isinstance(validated, BrokenFile) else file_hash(path)
            ),
            registry=None,
            snapshot_at=None,
            now=now,
            source=source,
            url=url,
        )
        raise
    if state.fallback and state.broken_hash is not None:
        _alert(
            problems=state.problems,
            broken_hash=state.broken_hash,
            registry=state.registry,
            snapshot_at=state.snapshot_at,
            now=now,
            source=source,
            url=url,
        )
    return state


def require_file_registry(state: RegistryState, what: str) -> Registry:
    """The registry, unless it is a fallback: for steps that must not act on a stale registry
    (publication posts to the public). Raises `ConfigError` saying why."""
    if state.fallback:
        when = state.snapshot_at.isoformat() if state.snapshot_at else "?"
        raise ConfigError(
            state.registry.path,
            "",
            f"{what} refuses to run on the last valid registry (validated {when}) while the "
            f"file is broken; fix it first: {state.problems[0]}",
        )
    return state.registry
