"""Doctor checks of a Zalo OA: credentials, the stored token pair's age, the OA profile.

The OA refresh token lives 3 months and is single-use (every refresh rotates it): a pair that was
not rotated for that long is dead and the OA must be re-authorized (OAuth v4). Source:
docs/research/platform-facts.md §8 and §11 (`getoa`; the id comes as `oa_id` or `oaid`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import ChannelSpec
from citizen_desk.doctor import Check, blocker, ok, warning
from citizen_desk.errors import CitizenDeskError, PlatformError, TokenError
from citizen_desk.platforms.zalo import DEFAULT_BASE_URL, DEFAULT_OAUTH_URL, ZaloClient

REFRESH_LIFETIME = timedelta(days=90)
REFRESH_WARNING = timedelta(days=14)
PACKAGE_CODES = {
    -224: "upgrade the OA's tier package",
    -212: "register the API group for the app in the Zalo developer console",
    -209: "activate the app",
}


def check_zalo(
    channel: ChannelSpec,
    login: str | None,
    password: str | None,
    extra: Mapping[str, Any],
    *,
    engine: Engine | None,
    fernet: Callable[[], Any],
    clock: Callable[[], datetime],
    http: requests.Session | None = None,
) -> list[Check]:
    """The checks of one Zalo OA (its connection was found)."""
    key, conn_id = channel.key, channel.connection_id
    if not login or not password:
        return [
            blocker(
                key,
                "app credentials",
                f"put the Zalo app id (login) and secret (password) in connection {conn_id}",
            )
        ]
    if engine is None:
        return [warning(key, "stored token", "no domain database: token and getoa not checked")]
    from citizen_desk.collect.channels import channel_ref
    from citizen_desk.collect.tokens import ZaloTokenStore
    from citizen_desk.db.models import PlatformToken

    with Session(engine) as session:
        ref = channel_ref(session, key)
        row = session.scalars(
            select(PlatformToken).where(PlatformToken.channel_id == ref.id)
        ).one_or_none()
        rotated = row.updated_at if row is not None else None
    seed = str(extra.get("refresh_token") or "")
    checks: list[Check] = []
    age = clock() - rotated if rotated is not None else None
    if rotated is None and not seed:
        return [
            blocker(
                key,
                "stored token",
                f"no token yet: authorize the OA (OAuth v4) and put "
                f"its refresh_token in connection {conn_id}'s extra",
            )
        ]
    if age is not None and age >= REFRESH_LIFETIME:
        return [
            blocker(
                key,
                "stored token",
                f"last rotated {rotated:%Y-%m-%d}, the refresh token "
                "has expired: re-authorize the OA and put the new refresh_token in the "
                "connection extra",
            )
        ]
    if age is not None and age >= REFRESH_LIFETIME - REFRESH_WARNING:
        checks.append(
            warning(
                key,
                "stored token",
                f"last rotated {rotated:%Y-%m-%d}: let the "
                "collection rotate the pair before 3 months have passed",
            )
        )
    elif rotated is not None:
        checks.append(ok(key, "stored token", f"rotated {rotated:%Y-%m-%d}"))
    try:
        store = ZaloTokenStore(
            engine,
            ref.id,
            fernet=fernet(),
            app_id=login,
            secret_key=password,
            oauth_url=str(extra.get("oauth_url") or DEFAULT_OAUTH_URL),
            seed_refresh_token=seed or None,
            clock=clock,
            http=http,
        )
        client = ZaloClient(
            str(extra.get("base_url") or DEFAULT_BASE_URL),
            store.access_token(),
            session=http,
            max_attempts=2,
            max_wait=5.0,
            on_token_invalid=store.refresh,
        )
        profile = client.get("v2.0/oa/getoa", {})
    except TokenError as exc:
        return [
            *checks,
            blocker(
                key,
                "getoa",
                f"token refused ({exc.code}): re-authorize the OA "
                "and put the new refresh_token in the connection extra",
            ),
        ]
    except PlatformError as exc:
        fix = PACKAGE_CODES.get(exc.code or 0, str(exc))
        return [*checks, blocker(key, "getoa", f"error {exc.code}: {fix}")]
    except CitizenDeskError as exc:  # the Fernet key connection, mostly
        return [*checks, blocker(key, "getoa", str(exc))]
    oa_id = profile.get("oa_id") or profile.get("oaid") if isinstance(profile, Mapping) else None
    if str(oa_id) != channel.platform_id:
        checks.append(
            blocker(
                key,
                "getoa",
                "the token belongs to another OA than the registry's "
                "platform_id: authorize this OA",
            )
        )
    else:
        checks.append(ok(key, "getoa", "the OA profile answers"))
        if rotated is None:
            checks.insert(
                0, ok(key, "stored token", "first pair stored from the connection's refresh_token")
            )
    return checks
