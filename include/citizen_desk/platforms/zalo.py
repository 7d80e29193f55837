"""Zalo Official Account Open API client and the OAuth token refresh.

Zalo reports errors with HTTP 200 and a negative `error` in the envelope, so EVERY response is
checked (platform-apis.md §7; decisions and sources: docs/research/platform-facts.md §7-§8, Z1-Z7):
- -216 / -220 / -124, the unsigned or HTTP-style spellings 216 / 401 / -401, and HTTP 401: the
  access token is bad -> one refresh (via `on_token_invalid`, OAuth v4 with rotation) and the
  same call again at once (not counted as a retry), then `TokenError`.
- -32 in the body, or HTTP 429: rate limit -> retryable with backoff, or after `Retry-After`
  seconds when the answer carries it (bounded by `max_wait`; longer waits go to the caller).
- any other non-zero code -> `PlatformError(retryable=False)`.
- HTTP 5xx, timeouts, connection errors, malformed JSON -> retryable.
Retries, waits and their bounds: `citizen_desk.platforms.retries`.

`refresh_access_token` hands the new pair to `on_response` from inside the HTTP layer (a
`requests` response hook), i.e. before the call even returns to us, so the caller can persist the
rotated pair before anything else can fail (see `citizen_desk.collect.tokens`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Unpack

import requests

from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms import redact
from citizen_desk.platforms.client import (
    ClientOptions,
    PlatformClient,
    malformed_json,
    no_response,
)

log = logging.getLogger(__name__)

PLATFORM = "zalo"
DEFAULT_BASE_URL = "https://openapi.zalo.me/"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com/v4/oa/access_token"
# -216/-220 (OA table), -124 (ZNS table); 216/401/-401 are not in any Zalo table but have been
# reported by gateways and older clients for the same condition: one refresh is cheap, a run that
# fails as "permanent" on an expired token is not (platform-facts.md Z4).
TOKEN_CODES = frozenset({-216, -220, -124, 216, 401, -401})
RATE_LIMIT_CODES = frozenset({-32})
TOO_MANY_REQUESTS = 429
UNAUTHORIZED = 401
MAX_COUNT = 10  # listrecentchat / conversation: count max 10


@dataclass(frozen=True)
class TokenPair:
    """A rotated Zalo token pair; `expires_in` in seconds (Zalo sends it as a string)."""

    access_token: str
    refresh_token: str
    expires_in: int


class ZaloClient(PlatformClient):
    """OA API calls with one access token; refreshes it once through `on_token_invalid`."""

    platform = PLATFORM
    rate_limit_codes = RATE_LIMIT_CODES

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        on_token_invalid: Callable[[str], str] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(base_url, access_token, **options)
        self.on_token_invalid = on_token_invalid
        self.refreshed = False

    def list_recent_chat(self, offset: int, count: int = MAX_COUNT) -> Any:
        """The OA's latest messages across users, newest first (message-level rows).

        The envelope's `data` as sent: normally a list (absent -> []); anything else is handed
        to the reader, which quarantines it with a reason (platform-facts.md Z1, Z7).
        """
        return self._items(self.get("v2.0/oa/listrecentchat", {"offset": offset, "count": count}))

    def conversation(self, user_id: str, offset: int, count: int = MAX_COUNT) -> Any:
        """Messages with one user, newest first; fewer than `count` rows means the end."""
        data = {"user_id": user_id, "offset": offset, "count": count}
        return self._items(self.get("v2.0/oa/conversation", data))

    @staticmethod
    def _items(data: Any) -> Any:
        return [] if data is None else data

    def get(self, path: str, data: dict[str, Any], *, plain: bool = False) -> Any:
        """GET with the `data` JSON query parameter (`plain`: `data` as ordinary query
        parameters, e.g. `article/getslice`); returns the envelope's `data`."""
        if plain:
            params = {k: str(v) for k, v in data.items()}
        else:
            params = {"data": json.dumps(data, separators=(",", ":"))}

        def attempt() -> Any:
            refresh = None if self.refreshed else self.on_token_invalid
            try:
                return self._once(path, params)
            except TokenError:
                if refresh is None:
                    raise
            log.info("Zalo access token rejected: refreshing it once")
            self.refreshed = True
            self._token = refresh(self._token)
            return self._once(path, params)  # re-authorised, not a retry: no wait

        return self._with_retries(attempt, name=f"Zalo GET /{path}", code_word="error")

    def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        may_retry: Callable[[PlatformError], bool] = lambda e: (
            e.code in RATE_LIMIT_CODES or e.http_status == TOO_MANY_REQUESTS
        ),
    ) -> Any:
        """POST a JSON body; returns the envelope's `data`. A write is retried only when it
        provably did nothing (`may_retry`; default: a rate-limit refusal), the token refresh as
        in `get`."""

        def attempt() -> Any:
            refresh = None if self.refreshed else self.on_token_invalid
            try:
                return self._once(path, {}, body)
            except TokenError:
                if refresh is None:
                    raise
            log.info("Zalo access token rejected: refreshing it once")
            self.refreshed = True
            self._token = refresh(self._token)
            return self._once(path, {}, body)  # re-authorised, not a retry: no wait

        return self._with_retries(
            attempt, name=f"Zalo POST /{path}", may_retry=may_retry, code_word="error"
        )

    def _once(self, path: str, params: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        url = self._url(path)
        method = "GET" if body is None else "POST"
        self.stats.calls += 1
        headers = {"access_token": self._token}
        try:
            if body is None:
                response = self.session.get(
                    url, params=params, headers=headers, timeout=self.timeout
                )
            else:
                response = self.session.post(url, json=body, headers=headers, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise no_response(f"Zalo {method} /{path}", exc, PLATFORM) from None
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) and status in (TOO_MANY_REQUESTS, UNAUTHORIZED):
            body = {}  # a gateway's HTML/empty 429 or 401: the status alone tells
        if not isinstance(body, dict):
            raise malformed_json(f"Zalo {method} /{path}", status, PLATFORM)
        code = body.get("error")
        if status == TOO_MANY_REQUESTS:
            raise PlatformError(
                f"Zalo {method} /{path}: HTTP 429 (rate limited)",
                platform=PLATFORM,
                code=code if code in RATE_LIMIT_CODES else None,
                http_status=status,
                retryable=True,
                retry_after=retry_after_seconds(response),
            )
        if status >= 500:
            raise PlatformError(
                f"Zalo {method} /{path}: HTTP {status}",
                platform=PLATFORM,
                http_status=status,
                retryable=True,
            )
        if code in (0, None) and status < 400:
            return body.get("data")
        code = code if isinstance(code, int) else None
        message = redact(str(body.get("message") or f"HTTP {status}"), [self._token])[:200]
        text = f"Zalo {method} /{path}: error {code}: {message}"
        if code in TOKEN_CODES or (code is None and status == UNAUTHORIZED):
            raise TokenError(text, platform=PLATFORM, code=code, http_status=status)
        raise PlatformError(
            text,
            platform=PLATFORM,
            code=code,
            http_status=status,
            retryable=code in RATE_LIMIT_CODES,
        )


def retry_after_seconds(response: Any) -> float | None:
    """`Retry-After` in seconds (RFC 9110 delay-seconds form); None when absent or a date."""
    headers = getattr(response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            text = str(value).strip()
            if text.isascii() and text.isdigit():
                return float(int(text))
            return None  # an HTTP-date: the backoff decides (no wall clock here)
    return None


def parse_token_response(body: Any) -> TokenPair | None:
    """The pair in an OAuth response body, or None when it is an error / incomplete."""
    if not isinstance(body, dict):
        return None
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        return None
    try:
        expires_in = int(str(body.get("expires_in", "90000")))
    except ValueError:
        expires_in = 90000
    return TokenPair(access, refresh, expires_in)


def refresh_access_token(
    oauth_url: str,
    *,
    app_id: str,
    secret_key: str,
    refresh_token: str,
    on_response: Callable[[TokenPair], None],
    session: requests.Session | None = None,
    timeout: float = 20.0,
) -> TokenPair:
    """Exchange a (single-use) refresh token for a new pair.

    `on_response(pair)` runs inside the HTTP layer as soon as a valid pair arrives, before this
    function returns; an exception in it propagates. Any OAuth error -> `TokenError` (a human
    must re-authorize the OA); no response -> retryable `PlatformError` (the old refresh token may
    or may not have been consumed: the next attempt will tell).
    """
    session = session or requests.Session()
    delivered: list[TokenPair] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code >= 400:
            return
        try:
            pair = parse_token_response(response.json())
        except ValueError:
            return
        if pair is not None:
            on_response(pair)  # persist first: the old refresh token is already dead
            delivered.append(pair)

    try:
        response = session.post(
            oauth_url,
            data={"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"},
            headers={"secret_key": secret_key},
            timeout=timeout,
            hooks={"response": [hook]},
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise no_response("Zalo token refresh", exc, PLATFORM) from None
    if delivered:
        return delivered[0]
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status >= 500 or body is None:
        raise PlatformError(
            f"Zalo token refresh: HTTP {status}, no usable body",
            platform=PLATFORM,
            http_status=status,
            retryable=True,
        )
    code = body.get("error") if isinstance(body, dict) else None
    name = body.get("error_name") or body.get("message") if isinstance(body, dict) else None
    secrets = [refresh_token, secret_key]
    raise TokenError(
        redact(f"Zalo token refresh rejected: error {code} {name or ''}".strip(), secrets),
        platform=PLATFORM,
        code=code if isinstance(code, int) else None,
        http_status=status,
    )
