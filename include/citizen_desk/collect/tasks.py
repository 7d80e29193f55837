"""Task bodies of `collect_citizen_messages` (the DAG file only wires these)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from citizen_desk.collect.batches import (
    batch_failure,
    batch_size,
    batch_workers,
    check_map_length,
    in_batches,
)
from citizen_desk.collect.run import (
    BACKFILL_SPAN,
    Options,
    Window,
    collect_channel,
    run_summary,
)
from citizen_desk.collect.summary import COUNTS
from citizen_desk.config.registry import Registry, deployment_zone
from citizen_desk.errors import ConfigError
from citizen_desk.pipeline.context import RunContext

log = logging.getLogger(__name__)


def active_channels(registry: Registry, requested: Sequence[str] | None) -> dict[str, list[str]]:
    """Active channel keys by platform, limited to `requested` (None or [] = all)."""
    active = {c.key: c for c in registry.active_channels()}
    if requested:
        unknown = sorted(set(requested) - set(active))
        if unknown:
            raise ConfigError(
                registry.path, "params.channels", f"unknown or inactive channel(s): {unknown}"
            )
        chosen = [active[k] for k in sorted(set(requested))]
    else:
        chosen = list(active.values())
    return {
        "facebook": [c.key for c in chosen if c.platform == "facebook"],
        "zalo": [c.key for c in chosen if c.platform == "zalo"],
    }


def airflow_max_map_length() -> int:
    """The deployment's ``core.max_map_length`` (Airflow's default 1,024 when unset)."""
    from airflow.sdk.configuration import conf

    return conf.getint("core", "max_map_length", fallback=1024)


def _parse_bound(value: Any, *, end: bool, tz: ZoneInfo) -> datetime | None:
    """A `since`/`until` param: a date (local midnight; `until` includes the day) or ISO time."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(
                    "params", "since/until", f"not a date or time: {text!r}"
                ) from None
        else:
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            return (midnight + timedelta(days=1) if end else midnight).astimezone(UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def window_for(
    params: Mapping[str, Any],
    *,
    run_type: str | None,
    interval_start: datetime | None,
    interval_end: datetime | None,
    now: datetime,
) -> Window | None:
    """The run's re-read window: `since`/`until` params, or the backfilled interval; else None."""
    tz = deployment_zone()
    since = _parse_bound(params.get("since"), end=False, tz=tz)
    until = _parse_bound(params.get("until"), end=True, tz=tz)
    if since is not None or until is not None:
        if since is None:
            raise ConfigError("params", "since", "required when until is given")
        if until is not None and until <= since:
            raise ConfigError("params", "until", "must be after since")
        return Window(since=since, until=until)
    if str(run_type or "") == "backfill":
        end = interval_end or now
        start = interval_start if interval_start and interval_start < end else end - BACKFILL_SPAN
        return Window(since=start, until=end)
    return None


def prepare(run: RunContext) -> dict[str, list[list[str]]]:
    """First task: migrate + sync the registry, then the active channels to collect, by platform,
    in batches (one per mapped task) of the registry's size, decided once for the whole run."""
    from citizen_desk.pipeline.prepare import prepare_domain_db

    registry = prepare_domain_db(now=run.now, actor=run.label)
    channels = active_channels(registry, list(run.params.get("channels") or []))
    sizes = {p: batch_size(registry.collection.batch_size_for(p)) for p in channels}
    max_map_length = airflow_max_map_length()
    for platform, keys in channels.items():
        check_map_length({platform: keys}, sizes[platform], max_map_length)
    log.info(
        "collecting %d Facebook page(s) and %d Zalo OA(s), %d and %d channel(s) per task",
        len(channels["facebook"]),
        len(channels["zalo"]),
        sizes["facebook"],
        sizes["zalo"],
    )
    return {platform: in_batches(keys, sizes[platform]) for platform, keys in channels.items()}


def batch_options() -> Options:
    """The production `Options` a batch's channels share: the Fernet key of the Zalo token
    store is looked up once per batch (when a Zalo channel first needs it), not once per OA."""
    from citizen_desk.collect.tokens import fernet_from_connection

    return Options(fernet=cache(fernet_from_connection))


def collect(run: RunContext, channel_keys: Sequence[str]) -> dict[str, Any]:
    """Body of the mapped `collect_*` tasks: a batch of channels, each end to end.

    Every channel of the batch is collected (a failure does not stop the others), then the
    batch raises what :func:`~citizen_desk.collect.batches.batch_failure` chooses. Returns the
    channel keys and summed counts only (XCom stays small): the per-channel details are in the
    domain DB (`collection_runs`), which `summarise` reads.
    """
    from citizen_desk.db.engine import get_engine

    window = window_for(
        run.params,
        run_type=run.run_type,
        interval_start=run.interval_start,
        interval_end=run.interval_end,
        now=run.now,
    )
    final = run.ti is None or getattr(run.ti, "try_number", 1) > getattr(run.ti, "max_tries", 0)
    engine = get_engine()
    options = batch_options()

    def one(key: str) -> tuple[dict[str, Any] | None, Exception | None]:
        try:
            summary = collect_channel(
                key, engine=engine, run_id=run.run_id, now=run.now, window=window,
                final_attempt=final, options=options,
            )  # fmt: skip
        except Exception as exc:  # every channel first; batch_failure chooses what to raise
            return None, exc
        return summary, None

    # SQLite takes one writer at a time: its channels go one by one.
    workers = 1 if engine.dialect.name == "sqlite" else min(batch_workers(), len(channel_keys))
    if workers <= 1:
        outcomes = [one(key) for key in channel_keys]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="collect") as pool:
            outcomes = list(pool.map(one, channel_keys))
    failures = {key: exc for key, (_, exc) in zip(channel_keys, outcomes, strict=True) if exc}
    if failures and len(channel_keys) > 1:
        failed = sorted(failures)
        log.error("%d of %d channels failed: %s", len(failed), len(channel_keys), failed)
    error = batch_failure(failures)
    if error is not None:
        raise error
    summaries = [summary for summary, _ in outcomes if summary is not None]
    totals: dict[str, Any] = {"channels": sorted(channel_keys)}
    for count in COUNTS:
        totals[count] = sum(int(summary.get(count) or 0) for summary in summaries)
    return totals


def summarise(run: RunContext) -> dict[str, Any]:
    """Last task: keep the excerpts the coming alerts will show (`collect.excerpts`), log one
    block per channel and return the run summary (no PII)."""
    from sqlalchemy.exc import SQLAlchemyError

    from citizen_desk.collect.excerpts import keep_excerpts
    from citizen_desk.db.engine import get_engine
    from citizen_desk.pipeline.registry import run_registry

    try:
        kept = keep_excerpts(run.now, run_registry(run.now, f"collect/{run.run_id}").registry)
        log.info("excerpts kept for the coming alerts: %s", kept)
    except SQLAlchemyError as exc:  # only a head start for the sweeps: they make what is missing
        log.warning("excerpts not kept (the sweeps will make them): %s", type(exc).__name__)
    summary = run_summary(get_engine(), run.run_id)
    log.info("%s", summary["text"])
    return summary
