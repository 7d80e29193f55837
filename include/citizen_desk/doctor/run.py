"""Run every doctor check over the registry's active channels and Slack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import Engine

from citizen_desk.collect.run import ConnInfo, airflow_connection
from citizen_desk.config.registry import Registry
from citizen_desk.doctor import Check, blocker, ok
from citizen_desk.doctor.graph import check_facebook
from citizen_desk.doctor.slack import CHANNEL as SLACK
from citizen_desk.doctor.slack import check_slack
from citizen_desk.doctor.zalo import check_zalo
from citizen_desk.errors import ConfigError

SLACK_CONN_ID = "citizen_desk_slack"


def wall_clock() -> datetime:
    """Token ages and end-of-life dates are about real time (operational, not business logic)."""
    return datetime.now(UTC)


@dataclass
class DoctorResult:
    checks: list[Check] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # every secret read: never to be printed


def run_doctor(
    registry: Registry,
    *,
    engine: Engine | None,
    channels: Sequence[str] | None = None,
    connection: Callable[[str], ConnInfo] = airflow_connection,
    clock: Callable[[], datetime] = wall_clock,
    http: requests.Session | None = None,
    fernet: Callable[[], Any] | None = None,
    slack_client: Callable[[ConnInfo], Any] | None = None,
) -> DoctorResult:
    """All checks, channel by channel (registry order), then Slack."""
    result = DoctorResult()
    now = clock()
    if fernet is None:
        from citizen_desk.collect.tokens import fernet_from_connection

        fernet = fernet_from_connection
    for channel in registry.active_channels():
        if channels and channel.key not in channels:
            continue
        try:
            conn = connection(channel.connection_id)
        except ConfigError:
            result.checks.append(
                blocker(
                    channel.key, "connection", f"create Airflow connection {channel.connection_id}"
                )
            )
            continue
        result.secrets.extend(_secrets(conn))
        result.checks.append(ok(channel.key, "connection", channel.connection_id))
        if channel.platform == "facebook":
            result.checks.extend(
                check_facebook(channel, conn.password, conn.extra, now=now, http=http)
            )
        else:
            result.checks.extend(
                check_zalo(
                    channel,
                    conn.login,
                    conn.password,
                    conn.extra,
                    engine=engine,
                    fernet=fernet,
                    clock=clock,
                    http=http,
                )
            )
    result.checks.extend(_slack(registry, connection, slack_client, result.secrets))
    return result


def _secrets(conn: ConnInfo) -> list[str]:
    extra = [str(v) for k, v in conn.extra.items() if "token" in k or "secret" in k]
    return [s for s in (conn.password, *extra) if s]


def _slack(
    registry: Registry,
    connection: Callable[[str], ConnInfo],
    make: Callable[[ConnInfo], Any] | None,
    secrets: list[str],
) -> list[Check]:
    try:
        conn = connection(SLACK_CONN_ID)
    except ConfigError:
        return [blocker(SLACK, "connection", f"create Airflow connection {SLACK_CONN_ID}")]
    if not conn.password:
        return [blocker(SLACK, "connection", f"put the bot token in {SLACK_CONN_ID}'s password")]
    secrets.extend(_secrets(conn))
    if make is None:
        from citizen_desk.notify.slack import build_client

        def make(info: ConnInfo) -> Any:
            base_url = info.extra.get("base_url")
            return build_client(
                str(info.password),
                base_url=str(base_url) if base_url else None,
                rate_limit_retries=1,
            )

    return check_slack(make(conn), registry)
