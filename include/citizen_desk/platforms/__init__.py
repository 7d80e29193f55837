"""Clients for the platform APIs (Facebook Graph, Zalo OA) and what they share.

Shared: `redact`, `CallStats`, the URL helpers below; `client.PlatformClient` (settings, URL
joining, retried calls) is the base of `graph.GraphClient` and `zalo.ZaloClient`.

The clients never log or raise a token: URLs (Graph `paging.next` links carry `access_token`)
and messages go through `redact()` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SECRET_PARAMS = re.compile(
    r"(?i)\b(access_token|refresh_token|appsecret_proof|secret_key|client_secret|code)=([^&\s\"']+)"
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with secret query parameters and the given secret values masked."""
    out = SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    return out


def with_trailing_slash(base_url: str) -> str:
    """A base URL that paths can be joined onto (`join_url`)."""
    return base_url if base_url.endswith("/") else base_url + "/"


def join_url(base_url: str, path: str) -> str:
    """`path` (leading slashes ignored) under `base_url` (which ends with a slash)."""
    return base_url + path.lstrip("/")


@dataclass
class CallStats:
    """What a client did: requests made, retries, waits for rate limits (for the run summary)."""

    calls: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    limit_reductions: int = 0  # Graph code 1: a request repeated asking for less data

    def as_dict(self) -> dict[str, float | int]:
        return {
            "api_calls": self.calls,
            "retries": self.retries,
            "rate_limit_waits": self.rate_limit_waits,
            "waited_seconds": round(self.waited_seconds, 1),
            "limit_reductions": self.limit_reductions,
        }
