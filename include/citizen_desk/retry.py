"""The one backoff formula of the project (platform clients, outbox)."""

from __future__ import annotations


def exponential_backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after the `attempt`-th failure (1-based): doubling from `base`, capped."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))
