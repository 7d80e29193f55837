"""The one backoff formula."""

from __future__ import annotations

from citizen_desk.retry import exponential_backoff


def test_exponential_backoff_doubles_from_base_and_is_capped() -> None:
    assert [exponential_backoff(n, 1.5, 10.0) for n in range(1, 6)] == [1.5, 3.0, 6.0, 10.0, 10.0]
    assert exponential_backoff(0, 2.0, 60.0) == 2.0  # attempts count from 1
    assert isinstance(exponential_backoff(1, 1, 5), float)
