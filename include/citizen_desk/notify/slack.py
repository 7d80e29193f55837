"""The Slack Web API client: the provider's `SlackHook` on the `citizen_desk_slack` connection.

The connection is the provider's own shape: the bot token in `password`; `base_url` (the simulator
in dev), `timeout` and `proxy` in the extra, and the app's `signing_secret` (it authenticates the
button clicks Slack posts back, `citizen_desk.notify.interactions`). Rendering lives in
`citizen_desk.notify.blocks`.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.http_retry import RetryHandler

CONN_ID = "citizen_desk_slack"
ADMIN_CHANNEL_EXTRA = "admin_channel"  # the technical admins' Slack channel, in the extra
ADMIN_CHANNEL_ENV = "CITIZEN_DESK_ADMIN_CHANNEL"  # overrides the extra (dev, tests)
DEFAULT_BASE_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 3


def retry_handlers(rate_limit_retries: int = RATE_LIMIT_RETRIES) -> list[RetryHandler]:
    """One retry on a dropped connection; HTTP 429 waits for Retry-After, a few times."""
    from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    return [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
    ]


def slack_client_from_connection(
    conn_id: str = CONN_ID, *, rate_limit_retries: int = RATE_LIMIT_RETRIES
) -> WebClient:
    """The WebClient of `SlackHook(slack_conn_id=conn_id)` with our retry handlers."""
    from airflow.providers.slack.hooks.slack import SlackHook

    hook = SlackHook(slack_conn_id=conn_id, retry_handlers=retry_handlers(rate_limit_retries))
    if not hook.get_connection(conn_id).password:
        from citizen_desk.errors import ConfigError

        raise ConfigError(f"connection {conn_id}", "password", "missing Slack bot token")
    return _without_bypassed_env_proxy(hook.client)


def signing_secret_from_connection(conn_id: str = CONN_ID) -> str:
    """The Slack app's signing secret: extra `signing_secret` of the connection (never in code)."""
    from airflow.providers.slack.hooks.slack import SlackHook

    from citizen_desk.errors import ConfigError

    try:
        extra = SlackHook.get_connection(conn_id).extra_dejson or {}
    except Exception as exc:  # Airflow's not-found error type differs between versions
        problem = f"not found ({type(exc).__name__})"
        raise ConfigError(f"connection {conn_id}", "", problem) from None
    secret = extra.get("signing_secret")
    if not isinstance(secret, str) or not secret.strip():
        raise ConfigError(f"connection {conn_id}", "extra.signing_secret", "missing signing secret")
    return secret


def admin_channel_from_connection(conn_id: str = CONN_ID) -> str | None:
    """The admins' channel that needs no registry: `CITIZEN_DESK_ADMIN_CHANNEL`, else the
    `admin_channel` of the Slack connection's extra; None when neither is set (or the connection
    cannot be read)."""
    channel = os.environ.get(ADMIN_CHANNEL_ENV, "").strip()
    if channel:
        return channel
    try:
        from airflow.sdk import BaseHook

        extra = BaseHook.get_connection(conn_id).extra_dejson or {}
    except Exception:  # no Airflow, no connection: the caller falls back on the registry
        return None
    value = str(extra.get(ADMIN_CHANNEL_EXTRA) or "").strip()
    return value or None


def build_client(
    token: str,
    *,
    base_url: str | None = None,
    timeout: int = 30,
    proxy: str | None = None,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
) -> WebClient:
    """A client for a bare token, outside any connection (`outbox deliver --base-url`, tests)."""
    from slack_sdk import WebClient

    client = WebClient(
        token=token,
        base_url=base_url or DEFAULT_BASE_URL,
        timeout=timeout,
        proxy=proxy or None,
        retry_handlers=retry_handlers(rate_limit_retries),
    )
    return _without_bypassed_env_proxy(client)


def _without_bypassed_env_proxy(client: WebClient) -> WebClient:
    """slack_sdk reads HTTPS_PROXY/HTTP_PROXY but ignores NO_PROXY: drop a proxy taken from the
    environment for hosts that NO_PROXY (or loopback) covers; an explicit proxy is kept."""
    from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env

    if (
        client.proxy
        and client.proxy == load_http_proxy_from_env()
        and bypasses_proxy(client.base_url)
    ):
        client.proxy = None
    return client


def bypasses_proxy(url: str) -> bool:
    """True when `url`'s host is loopback or listed in NO_PROXY/no_proxy."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1"):
        return True
    if not (os.environ.get("NO_PROXY") or os.environ.get("no_proxy")):
        return False
    # with no_proxy set, proxy_bypass checks the environment on every platform (on Linux it is
    # proxy_bypass_environment itself, which typeshed does not declare)
    return bool(urllib.request.proxy_bypass(host))
