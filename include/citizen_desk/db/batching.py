"""Batches for multi-row statements and `IN (...)` lists (itertools.batched is Python 3.12+)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIST_SIZE = 500  # ids per `IN (...)`: far below SQLite's and PostgreSQL's parameter limits


def chunks(items: Sequence[T], size: int = IN_LIST_SIZE) -> Iterable[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
