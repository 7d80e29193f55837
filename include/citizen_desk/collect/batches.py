"""Channels grouped into the collection DAG's mapped tasks, and what a batch's failures raise.

One mapped task per channel costs ~2 s of Airflow overhead and one XCom each, and Airflow maps at
most ``core.max_map_length`` (1,024) items: a national registry (~3,355 Facebook pages) needs
batches. The registry's ``collection.batch_size`` channels per task (default 1: a task per
channel, each failure shown on its own), or its ``facebook_batch_size`` / ``zalo_batch_size``
for one platform, ``CITIZEN_DESK_COLLECT_BATCH_SIZE`` overriding them all when set;
``CITIZEN_DESK_COLLECT_BATCH_WORKERS`` of a batch's channels collected at once (PostgreSQL;
SQLite collects one at a time).

Why the platforms differ: a task's fixed cost (a cold task process, imports, Airflow's task
start and end: ~5-8 CPU-s) favours large batches, but Airflow 3.3's secrets masker recompiles one
regular expression of every secret seen so far each time a task (and its supervisor) learns a
new one, so a batch's masking cost grows with the square of its new secrets. A Facebook page
brings one (its page token; the connection extra is the same for every page), a Zalo OA about
five (app secret, connection extra, seed refresh token, the rotated pair): measured on a 50-OA
batch, masking was ~3.4 CPU-s of the task's ~7 (and as much again in its supervisor). Large page
batches and ~50-OA batches keep both costs small.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from citizen_desk.collect import PermanentFailure
from citizen_desk.errors import ConfigError

BATCH_SIZE_ENV = "CITIZEN_DESK_COLLECT_BATCH_SIZE"
BATCH_WORKERS_ENV = "CITIZEN_DESK_COLLECT_BATCH_WORKERS"
BATCH_SIZE_KEY = "collection.batch_size"
MAP_LENGTH_KEY = "core.max_map_length"
PLATFORM_NAMES = {"facebook": "Facebook pages", "zalo": "Zalo OAs"}


def _positive_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError("environment", name, f"expected a whole number ≥ 1, got {raw!r}")
    return value


def batch_size(configured: int = 1) -> int:
    """Channels per mapped collection task: ``CITIZEN_DESK_COLLECT_BATCH_SIZE`` when set, else
    `configured` (the registry's ``collection.batch_size``)."""
    return _positive_env(BATCH_SIZE_ENV, configured)


def batch_workers() -> int:
    """A batch's channels collected at once (``CITIZEN_DESK_COLLECT_BATCH_WORKERS``, default 4)."""
    return _positive_env(BATCH_WORKERS_ENV, 4)


def in_batches(keys: Sequence[str], size: int) -> list[list[str]]:
    """``keys`` in order, cut into lists of at most ``size``."""
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def batch_label(keys: Sequence[str]) -> str:
    """A batch's name in the Airflow grid: its channel's key, or first … last (count)."""
    if len(keys) == 1:
        return keys[0]
    return f"{keys[0]} … {keys[-1]} ({len(keys)})" if keys else "(none)"


def check_map_length(channels: Mapping[str, Sequence[str]], size: int, max_map_length: int) -> None:
    """Fail fast, naming the settings, when a platform's batches outnumber what Airflow maps.

    Past ``core.max_map_length`` Airflow refuses the whole list with an opaque
    ``unmappable_return_value_length``, after the run has started.
    """
    tasks = {p: -(-len(keys) // size) for p, keys in channels.items()}
    over = {p: n for p, n in tasks.items() if n > max_map_length}
    if not over:
        return
    counts = ", ".join(f"{len(channels[p]):,} {PLATFORM_NAMES.get(p, p)}" for p in sorted(over))
    most = max(len(channels[p]) for p in over)
    raise ConfigError(
        "airflow.cfg",
        MAP_LENGTH_KEY,
        f"{counts} in batches of {size} make {max(over.values()):,} mapped tasks, more than the"
        f" {max_map_length:,} Airflow allows; set the registry's {BATCH_SIZE_KEY} (or"
        f" {BATCH_SIZE_ENV}, which overrides it) to at least {-(-most // max_map_length)}"
        f" (e.g. 50) or AIRFLOW__CORE__MAX_MAP_LENGTH to at least {max(over.values()):,}"
        " (api-server and workers)",
    )


def batch_failure(failures: Mapping[str, BaseException]) -> BaseException | None:
    """What a batch task raises after collecting every channel it could (None: nothing failed).

    One failure is raised as it is, so a batch of one behaves as a task per channel. Otherwise a
    transient failure wins, so the retry policy retries the batch (its other channels are then
    re-read incrementally: a quiet channel costs one call per source); only when every failure
    is permanent does the batch fail at once. Messages name channel keys, never people.
    """
    if not failures:
        return None
    if len(failures) == 1:
        return next(iter(failures.values()))
    transient = [e for e in failures.values() if not isinstance(e, PermanentFailure)]
    if transient:
        return transient[0]
    return PermanentFailure(f"{len(failures)} channels failed: {', '.join(sorted(failures))}")
