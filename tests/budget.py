"""How many examples a property test explores.

`make test` (and CI) run every property test at its full budget. `make test-fast` sets
`CITIZEN_DESK_TEST_FAST=1` for a quick loop while editing: a tenth of the examples, at least 10,
so the properties still run, just less deeply.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

FAST = os.environ.get("CITIZEN_DESK_TEST_FAST") == "1"


def sample(items: list[T]) -> list[T]:
    """Every item of a data-driven test, or every tenth under `make test-fast`."""
    return items[::10] if FAST else items


def examples(full: int) -> int:
    """The example budget for a property test whose full budget is `full`."""
    return max(10, full // 10) if FAST else full
