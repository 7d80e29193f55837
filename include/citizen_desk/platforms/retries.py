"""Bounded retries of one platform API call (tenacity), shared by the Graph and Zalo clients.

A failed call is retried when its `PlatformError` is retryable, the client allows it (Graph: a
write only when it provably did nothing) and the wait fits in `max_wait`. The wait is the error's
`retry_after` (from rate-limit headers) or `exponential_backoff`; a longer one is not slept
in-process: the error goes to the caller with `retry_after` so Airflow retries the task later.
Every wait goes through the client's `sleep` (tests inject one) and is counted in its `CallStats`.
After `max_attempts` the last error is raised as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import TypeVar

import tenacity

from citizen_desk.errors import PlatformError
from citizen_desk.platforms import CallStats
from citizen_desk.retry import exponential_backoff

log = logging.getLogger(__name__)

T = TypeVar("T")
TOO_MANY_REQUESTS = 429


def _error(state: tenacity.RetryCallState) -> PlatformError | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    error = outcome.exception()
    return error if isinstance(error, PlatformError) else None


def call_with_retries(
    call: Callable[[], T],
    *,
    name: str,
    stats: CallStats,
    sleep: Callable[[float], None],
    max_attempts: int,
    max_wait: float,
    backoff: float,
    rate_limit_codes: Collection[int],
    may_retry: Callable[[PlatformError], bool] = lambda _error: True,
    before_retry: Callable[[], None] | None = None,
    code_word: str = "code",
) -> T:
    """`call()`, retried as the module docstring says; `name` (safe for logs) names the call."""

    def delay(error: PlatformError, attempt: int) -> float:
        return error.retry_after or exponential_backoff(attempt, backoff, max_wait)

    def should_retry(state: tenacity.RetryCallState) -> bool:
        error = _error(state)
        return (
            error is not None
            and error.retryable
            and may_retry(error)
            and delay(error, state.attempt_number) <= max_wait
        )

    def wait(state: tenacity.RetryCallState) -> float:
        error = _error(state)
        assert error is not None  # only called when should_retry said yes
        return delay(error, state.attempt_number)

    def count_and_log(state: tenacity.RetryCallState) -> None:
        error = _error(state)
        assert error is not None
        assert state.next_action is not None
        seconds = state.next_action.sleep
        if error.code is not None:
            reason = f"{code_word} {error.code}"
        elif error.http_status is not None:
            reason = f"HTTP {error.http_status}"
        else:
            reason = str(error)
        log.warning(
            "%s failed (%s); retry %d/%d in %.1f s",
            name,
            reason,
            state.attempt_number,
            max_attempts - 1,
            seconds,
        )
        stats.retries += 1
        if error.code in rate_limit_codes or error.http_status == TOO_MANY_REQUESTS:
            stats.rate_limit_waits += 1
        stats.waited_seconds += seconds
        if before_retry is not None:
            before_retry()

    retrying = tenacity.Retrying(
        sleep=sleep,
        stop=tenacity.stop_after_attempt(max(1, max_attempts)),
        wait=wait,
        retry=should_retry,
        before_sleep=count_and_log,
        reraise=True,
    )
    return retrying(call)
