"""Doctor checks of Slack: the bot token (`auth.test`), its scopes, and that the bot is a member
of every contact channel of the registry (`users.conversations`, documented as "List
conversations the calling user is a member of"; `conversations.info` carries no `is_member` in
the published example: docs/research/platform-facts.md §12, C14). A public channel the bot is not
in is only a warning when the token holds chat:write.public (posting works; reconciliation's
history read does not)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from citizen_desk.config.registry import Registry
from citizen_desk.doctor import Check, blocker, ok, warning

CHANNEL = "slack"
# "Send messages to channels your Slack app isn't a member of" (public channels only):
# https://docs.slack.dev/reference/scopes/chat:write.public
PUBLIC_SCOPE = "chat:write.public"
REQUIRED_SCOPES = {
    "chat:write": "post alerts and digests",
    "im:write": "open direct messages to officers",
    "channels:history": "reconcile posts in public channels",
    "groups:history": "reconcile posts in private channels",
    "im:history": "reconcile direct messages",
}


@dataclass(frozen=True)
class AuthTest:
    ok: bool
    user_id: str | None = None
    bot_id: str | None = None
    team: str | None = None
    error: str | None = None


def parse_auth_test(body: Mapping[str, Any]) -> AuthTest:
    """`auth.test` → `AuthTest` (published shapes: slack/auth-test-*.json)."""

    def text(name: str) -> str | None:
        value = body.get(name)
        return value if isinstance(value, str) else None

    return AuthTest(
        body.get("ok") is True, text("user_id"), text("bot_id"), text("team"), text("error")
    )


def contact_channels(registry: Registry) -> list[str]:
    """The Slack channel ids (C…, G…) the registry's active units post to."""
    found = {
        value
        for unit in registry.units
        if unit.active
        for value in unit.contacts.values()
        if value.startswith(("C", "G"))
    }
    return sorted(found)


def check_slack(client: Any, registry: Registry) -> list[Check]:
    """`client` is a slack_sdk `WebClient` (the `citizen_desk_slack` connection's)."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    try:
        response = client.auth_test()
    except SlackApiError as exc:
        error = parse_auth_test(exc.response.data if isinstance(exc.response.data, dict) else {})
        return [
            blocker(
                CHANNEL,
                "auth.test",
                f"{error.error or 'failed'}: put a valid bot token "
                "(xoxb-…) in connection citizen_desk_slack",
            )
        ]
    except SlackClientError as exc:
        return [blocker(CHANNEL, "auth.test", f"no answer ({type(exc).__name__})")]
    auth = parse_auth_test(response.data)
    checks = [ok(CHANNEL, "auth.test", f"bot of {auth.team or 'the workspace'}")]
    checks.append(_scopes(response.headers))
    granted = granted_scopes(response.headers) or set()
    try:
        member = _member_channels(client)
    except SlackApiError as exc:
        return [
            *checks,
            blocker(
                CHANNEL, "channel membership", f"users.conversations: {exc.response.get('error')}"
            ),
        ]
    for channel in contact_channels(registry):
        if channel in member:
            checks.append(ok(CHANNEL, f"bot in {channel}"))
        elif channel.startswith("C") and PUBLIC_SCOPE in granted:
            checks.append(
                warning(
                    CHANNEL,
                    f"bot in {channel}",
                    f"posts go through {PUBLIC_SCOPE}, but reconciling an interrupted post reads "
                    "conversations.history, which a bot can only read in channels it is in: "
                    f"/invite @<bot> in {channel}",
                )
            )
        else:
            checks.append(
                blocker(
                    CHANNEL,
                    f"bot in {channel}",
                    f"invite the bot: /invite @<bot> in {channel} (or fix the id in the registry)",
                )
            )
    return checks


def granted_scopes(headers: Mapping[str, Any]) -> set[str] | None:
    """The token's scopes from `X-OAuth-Scopes` (None when Slack did not report them)."""
    raw = next((str(v) for k, v in headers.items() if k.lower() == "x-oauth-scopes"), None)
    return None if raw is None else {s.strip() for s in raw.split(",") if s.strip()}


def _scopes(headers: Mapping[str, Any]) -> Check:
    granted = granted_scopes(headers)
    if granted is None:
        return warning(
            CHANNEL,
            "scopes",
            "the token's scopes were not reported: check "
            f"{', '.join(REQUIRED_SCOPES)} in the app settings",
        )
    missing = [s for s in REQUIRED_SCOPES if s not in granted]
    if missing:
        why = "; ".join(f"{s}: {REQUIRED_SCOPES[s]}" for s in missing)
        return blocker(CHANNEL, "scopes", f"missing {why}. Add them and reinstall the app")
    return ok(CHANNEL, "scopes", "all required scopes")


def _member_channels(client: Any) -> set[str]:
    found: set[str] = set()
    cursor = None
    for _ in range(100):  # 100 pages of 200: far more than a desk has
        response = client.users_conversations(
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=200,
            cursor=cursor,
        )
        for channel in response.get("channels") or []:
            if isinstance(channel, Mapping) and isinstance(channel.get("id"), str):
                found.add(channel["id"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found
