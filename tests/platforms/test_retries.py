"""call_with_retries: which failures are retried, how long it waits, what it counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from citizen_desk.errors import PlatformError
from citizen_desk.platforms import CallStats
from citizen_desk.platforms.retries import call_with_retries


def script(*outcomes: Any) -> tuple[Callable[[], Any], list[int]]:
    """A call that raises or returns the outcomes in turn; counts its calls."""
    calls: list[int] = []

    def call() -> Any:
        calls.append(1)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return call, calls


def run(call: Callable[[], Any], **kwargs: Any) -> tuple[Any, CallStats, list[float]]:
    stats, sleeps = CallStats(), []
    options: dict[str, Any] = {
        "name": "Test GET /x",
        "stats": stats,
        "sleep": sleeps.append,
        "max_attempts": 4,
        "max_wait": 10.0,
        "backoff": 1.0,
        "rate_limit_codes": {9},
    }
    options.update(kwargs)
    return call_with_retries(call, **options), stats, sleeps


def transient(code: int | None = None, retry_after: float | None = None) -> PlatformError:
    return PlatformError("boom", platform="t", code=code, retryable=True, retry_after=retry_after)


def test_retries_with_backoff_and_header_waits_then_succeeds() -> None:
    call, calls = script(transient(), transient(code=9, retry_after=7.0), transient(), "ok")
    result, stats, sleeps = run(call)
    assert result == "ok"
    assert sleeps == [1.0, 7.0, 4.0]  # the backoff counts attempts, a header wait overrides it
    assert (stats.retries, stats.rate_limit_waits, stats.waited_seconds) == (3, 1, 12.0)
    assert len(calls) == 4


def test_permanent_errors_and_other_exceptions_are_not_retried() -> None:
    permanent = PlatformError("no", platform="t", code=10, retryable=False)
    for error in (permanent, ValueError("bug")):
        call, calls = script(error)
        with pytest.raises(type(error)):
            run(call)
        assert len(calls) == 1


def test_a_wait_longer_than_max_wait_is_left_to_the_caller() -> None:
    call, calls = script(transient(code=9, retry_after=11.0))
    stats, sleeps = CallStats(), []
    with pytest.raises(PlatformError) as info:
        run(call, stats=stats, sleep=sleeps.append)
    assert info.value.retry_after == 11.0
    assert (len(calls), sleeps, stats.retries) == (1, [], 0)


def test_the_backoff_is_capped_at_max_wait() -> None:
    call, _ = script(transient(), transient(), transient(), "ok")
    _, stats, sleeps = run(call, max_wait=2.0)
    assert sleeps == [1.0, 2.0, 2.0]
    assert stats.waited_seconds == 5.0


def test_may_retry_vetoes_and_before_retry_runs_before_each_wait() -> None:
    call, calls = script(transient(), "ok")
    with pytest.raises(PlatformError):
        run(call, may_retry=lambda _error: False)
    assert len(calls) == 1
    events: list[str] = []
    call, _ = script(transient(), "ok")
    result, _, _ = run(call, before_retry=lambda: events.append("before"))
    assert (result, events) == ("ok", ["before"])


def test_max_attempts_raises_the_last_error_itself() -> None:
    last = transient(code=2)
    call, calls = script(transient(code=1), last)
    with pytest.raises(PlatformError) as info:
        run(call, max_attempts=2)
    assert info.value is last
    assert len(calls) == 2
