"""Doctor checks of a Zalo OA: credentials, the stored token pair's age, the OA profile, and
which reading of `listrecentchat` the OA really answers (message-level or one row per user).

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
        checks.append(check_recent_reading(key, client, extra, channel.platform_id))
    return checks


def check_recent_reading(
    key: str, client: ZaloClient, extra: Mapping[str, Any], oa_id: str
) -> Check:
    """Does this OA's `listrecentchat` list every message (one row per message across users) or
    one latest row per user, and does the connection's `listrecentchat` extra agree?

    Two calls: the first page of the list and the thread of its newest row's user. On a
    message-level list every message of that thread at least as new as the page's oldest row is
    on the page; a message of it missing from the page proves one-row-per-user; a user twice on
    the page proves message-level (docs/research/platform-facts.md Z1).
    """
    from citizen_desk.collect.records import Invalid
    from citizen_desk.collect.zalo import (
        LATEST_PER_USER,
        MESSAGES,
        PAGE_SIZE,
        recent_mode,
        zalo_item,
    )

    check = "listrecentchat"
    try:
        mode = recent_mode(extra, "the connection")
    except CitizenDeskError as exc:
        return blocker(key, check, str(exc))
    try:
        page = client.list_recent_chat(0, PAGE_SIZE)
        rows = []
        for payload in page if isinstance(page, list) else []:
            try:
                rows.append(zalo_item(payload, oa_id))
            except (Invalid, AttributeError):
                continue
        if not rows:
            return ok(key, check, f"no messages yet: the {mode} reading is not verified")
        thread = client.conversation(rows[0].thread_key, 0, PAGE_SIZE)
    except PlatformError as exc:
        return warning(key, check, f"not verified ({exc.code or exc.http_status}): {exc}")
    oldest = min(r.created_at for r in rows)
    on_page = {r.platform_message_id for r in rows}
    recent = set()
    for payload in thread if isinstance(thread, list) else []:
        try:
            item = zalo_item(payload, oa_id)
        except (Invalid, AttributeError):
            continue
        if item.created_at >= oldest:
            recent.add(item.platform_message_id)
    per_user = bool(recent - on_page)
    message_level = len({r.thread_key for r in rows}) < len(rows) or (
        len(recent) > 1 and recent <= on_page
    )
    if per_user and mode == MESSAGES:
        return blocker(
            key,
            check,
            "this OA's list shows one row per user, not every message: set extra "
            f"listrecentchat={LATEST_PER_USER} in the connection, or messages are missed",
        )
    if message_level and mode == LATEST_PER_USER:
        return warning(
            key,
            check,
            f"this OA's list shows every message: set extra listrecentchat={MESSAGES} "
            "(one call per 10 messages instead of one per user)",
        )
    if per_user or message_level:
        return ok(key, check, f"{mode}, as configured (verified)")
    return ok(key, check, f"{mode}: not conclusive yet (no user wrote twice recently)")
