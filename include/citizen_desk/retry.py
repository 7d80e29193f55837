"""The one backoff formula for every retry: outbox deliveries and platform API calls."""

from __future__ import annotations


def exponential_backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (1-based): base, 2·base, 4·base, … ≤ cap."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))
