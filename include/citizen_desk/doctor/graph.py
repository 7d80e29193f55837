"""Doctor checks of a Facebook channel: its Page token, permissions and Graph version.

Permissions come from `debug_token` (Page tokens cannot call `/me/permissions`), inspected with
the connection's extra `app_token` when set (the documented caller) or else the Page token itself.
Sources: docs/research/platform-facts.md §1 (versions) and §5 (permissions, debug_token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from citizen_desk.config.registry import ChannelSpec
from citizen_desk.doctor import Check, blocker, ok, warning
from citizen_desk.errors import ConfigError, PlatformError, TokenError
from citizen_desk.platforms.graph import GraphClient
from citizen_desk.platforms.graph_versions import graph_base_url, version_of, version_status

# Collection cannot work without these (Conversations API page, comments edge).
COLLECTION_PERMISSIONS = {
    "pages_messaging": "read and answer Messenger conversations",
    "pages_read_engagement": "read the Page's posts and conversations",
    "pages_read_user_content": "read citizens' comments",
    "pages_manage_metadata": "Page webhooks and conversation access",
}
# Only the weekly publication needs this one.
PUBLISHING_PERMISSIONS = {"pages_manage_posts": "publish the weekly results"}
EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class TokenInfo:
    """What `debug_token` says about a token."""

    valid: bool
    type: str | None
    scopes: frozenset[str]
    expires_at: datetime | None  # None: never (long-lived Page token, `expires_at: 0`)
    data_access_expires_at: datetime | None
    profile_id: str | None


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def token_info(body: Mapping[str, Any]) -> TokenInfo:
    """`GET /debug_token` → `TokenInfo` (published shape: facebook/debug-token.json)."""
    data = body.get("data")
    data = data if isinstance(data, Mapping) else {}
    scopes = data.get("scopes")
    profile = data.get("profile_id")
    return TokenInfo(
        valid=data.get("is_valid") is True,
        type=str(data["type"]) if isinstance(data.get("type"), str) else None,
        scopes=frozenset(s for s in scopes if isinstance(s, str))
        if isinstance(scopes, list)
        else frozenset(),
        expires_at=_time(data.get("expires_at")),
        data_access_expires_at=_time(data.get("data_access_expires_at")),
        profile_id=str(profile) if isinstance(profile, str | int) else None,
    )


def granted_permissions(body: Mapping[str, Any]) -> set[str]:
    """`GET /me/permissions` → the granted ones (published shape: facebook/me-permissions.json)."""
    data = body.get("data")
    return {
        str(entry["permission"])
        for entry in (data if isinstance(data, list) else [])
        if isinstance(entry, Mapping) and entry.get("status") == "granted"
    }


ClientFactory = Callable[[str, str], GraphClient]


def check_facebook(
    channel: ChannelSpec,
    password: str | None,
    extra: Mapping[str, Any],
    *,
    now: datetime,
    http: requests.Session | None = None,
    client: ClientFactory | None = None,
) -> list[Check]:
    """The checks of one Facebook channel (its connection was found)."""
    key, conn_id = channel.key, channel.connection_id
    if not password:
        return [
            blocker(
                key,
                "page token",
                f"put the Page access token in the password of connection {conn_id}",
            )
        ]
    try:
        base_url = graph_base_url(extra)
    except ConfigError as exc:
        return [blocker(key, "graph version", f"connection {conn_id}: {exc}")]
    checks = [_version(key, base_url, now)]
    make = client or (
        lambda url, token: GraphClient(url, token, session=http, max_attempts=2, max_wait=5.0)
    )
    page = make(base_url, password)
    try:
        me = page.get("me", {"fields": "id,name"})
    except TokenError as exc:
        return [
            *checks,
            blocker(
                key,
                "page token",
                f"refused ({exc.code}/{exc.subcode}): issue "
                f"a new long-lived Page access token into connection {conn_id}",
            ),
        ]
    except PlatformError as exc:
        return [*checks, blocker(key, "page token", f"GET /me failed: {exc}")]
    if str(me.get("id")) != channel.platform_id:
        return [
            *checks,
            blocker(
                key,
                "page token",
                "the token belongs to another Page than the "
                "registry's platform_id: issue the token for this Page",
            ),
        ]
    checks.append(ok(key, "page token", "valid, for the registry's Page"))
    app_token = str(extra.get("app_token") or "")
    inspector = make(base_url, app_token) if app_token else page
    try:
        info = token_info(inspector.get("debug_token", {"input_token": password}))
    except PlatformError as exc:
        checks.append(
            warning(
                key,
                "permissions",
                f"debug_token failed ({exc.code}): set extra "
                "app_token (APP_ID|APP_SECRET) to check the permissions",
            )
        )
        return checks
    checks.extend(_permissions(key, info, now))
    return checks


def _version(key: str, base_url: str, now: datetime) -> Check:
    status = version_status(version_of(base_url), now)
    if status.level == "expired":
        return blocker(key, "graph version", status.message)
    if status.level in ("warning", "unknown"):
        return warning(key, "graph version", status.message)
    return ok(key, "graph version", status.message)


def _permissions(key: str, info: TokenInfo, now: datetime) -> list[Check]:
    if not info.valid:
        return [
            blocker(
                key,
                "permissions",
                "debug_token: the token is not valid any more: issue a new Page access token",
            )
        ]
    checks: list[Check] = []
    missing = sorted(set(COLLECTION_PERMISSIONS) - info.scopes)
    if missing:
        why = "; ".join(f"{p}: {COLLECTION_PERMISSIONS[p]}" for p in missing)
        checks.append(
            blocker(
                key,
                "permissions",
                f"not granted: {why}. Grant them to the app "
                "(Advanced Access needs App Review) and re-issue the token",
            )
        )
    else:
        checks.append(ok(key, "permissions", "collection permissions granted"))
    publishing = sorted(set(PUBLISHING_PERMISSIONS) - info.scopes)
    if publishing:
        checks.append(
            warning(
                key,
                "publishing permission",
                f"not granted: {publishing[0]} (weekly results cannot be posted)",
            )
        )
    for what, when in (("token", info.expires_at), ("data access", info.data_access_expires_at)):
        if when is not None and when - now <= EXPIRY_WARNING:
            checks.append(
                warning(
                    key,
                    f"{what} expiry",
                    f"expires {when:%Y-%m-%d}: a Page admin "
                    "must log in to the app again and re-issue the token",
                )
            )
    return checks
