"""What the Graph and Zalo clients share: base URL, credentials, retry settings, retried calls.

`PlatformClient` holds the settings both clients take (timeout, session, `sleep`, retry bounds),
joins request paths onto the base URL (`url`) and runs one call through `call_with_retries`
with the client's bounds, stats and rate-limit codes (`_with_retries`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import ClassVar, TypedDict, TypeVar, Unpack

import requests

from citizen_desk.errors import PlatformError
from citizen_desk.platforms import CallStats, join_url, with_trailing_slash
from citizen_desk.platforms.retries import call_with_retries

T = TypeVar("T")


def no_response(where: str, exc: BaseException, platform: str) -> PlatformError:
    """A request that got no answer (timeout, connection error): retryable.

    Only the exception's type is kept: its text may hold a URL that carries the token.
    """
    return PlatformError(
        f"{where}: {type(exc).__name__} (no response)", platform=platform, retryable=True
    )


def malformed_json(where: str, status: int, platform: str, note: str = "") -> PlatformError:
    """A response body that is not the JSON object the API always sends: retryable."""
    return PlatformError(
        f"{where}: malformed JSON in the response (HTTP {status}{note})",
        platform=platform,
        http_status=status,
        retryable=True,
    )


class ClientOptions(TypedDict, total=False):
    """Keyword options every client takes (defaults in `PlatformClient.__init__`)."""

    timeout: float  # seconds per HTTP request (default 20)
    session: requests.Session | None  # default: a new one
    sleep: Callable[[float], None]  # how retries wait (tests inject one); default time.sleep
    max_attempts: int  # attempts per call, at least 1 (default 5)
    max_wait: float  # the longest wait slept in-process, seconds (default 60)
    backoff: float  # base of the exponential backoff, seconds (default 1)


class PlatformClient:
    """The base of the platform API clients: one base URL and one token per client."""

    platform: ClassVar[str]
    rate_limit_codes: ClassVar[Collection[int]]

    def __init__(self, base_url: str, token: str, **options: Unpack[ClientOptions]) -> None:
        self.base_url = with_trailing_slash(base_url)
        self._token = token
        self.timeout = options.get("timeout", 20.0)
        self.session = options.get("session") or requests.Session()
        self.sleep = options.get("sleep", time.sleep)
        self.max_attempts = max(1, options.get("max_attempts", 5))
        self.max_wait = options.get("max_wait", 60.0)
        self.backoff = options.get("backoff", 1.0)
        self.stats = CallStats()

    @property
    def calls(self) -> int:
        """Requests made so far (every attempt counts)."""
        return self.stats.calls

    def _url(self, path: str) -> str:
        return join_url(self.base_url, path)

    def _with_retries(
        self,
        attempt: Callable[[], T],
        *,
        name: str,
        may_retry: Callable[[PlatformError], bool] = lambda _error: True,
        before_retry: Callable[[], None] | None = None,
        code_word: str = "code",
    ) -> T:
        """`attempt()` retried within this client's bounds (`retries.call_with_retries`)."""
        return call_with_retries(
            attempt,
            name=name,
            stats=self.stats,
            sleep=self.sleep,
            max_attempts=self.max_attempts,
            max_wait=self.max_wait,
            backoff=self.backoff,
            rate_limit_codes=self.rate_limit_codes,
            may_retry=may_retry,
            before_retry=before_retry,
            code_word=code_word,
        )
