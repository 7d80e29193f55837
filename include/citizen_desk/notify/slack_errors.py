"""What a Slack Web API error means for a delivery: which codes are permanent, which are the
bot token's own, which are worth waiting for, and the `Retry-After` Slack asks for.
"""

from __future__ import annotations

from datetime import timedelta

# Slack errors that no amount of waiting fixes for this message.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "too_many_attachments",
        "restricted_action",
        "user_not_found",
        "user_disabled",
        "users_list_not_supplied",
        "cannot_dm_bot",
    }
)
# Errors of the bot token itself: stop the whole batch, a human must fix the connection.
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)


def http_status(exc: Exception) -> int | None:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def error_text(exc: Exception, method: str) -> str:
    response = getattr(exc, "response", None)
    code = None
    if response is not None:
        try:
            code = response.get("error")
        except AttributeError:
            code = None
        status = getattr(response, "status_code", None)
        if code is None and status is not None:
            code = f"HTTP {status}"
    return f"{method}: {code or type(exc).__name__}"


def error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    try:
        return response.get("error") if response is not None else None
    except AttributeError:
        return None


def retry_after_of(exc: Exception) -> timedelta | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, value in dict(headers).items():
        if name.lower() == "retry-after":
            try:
                return timedelta(
                    seconds=int(str(value if not isinstance(value, list) else value[0]))
                )
            except ValueError:
                return None
    return None
