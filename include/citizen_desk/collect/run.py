"""Collect one channel end to end (the task bodies are in `citizen_desk.collect.tasks`).

Per source (Facebook: `messenger` then `comments`; Zalo: `zalo`): read the source's watermark,
read everything newer than it minus `overlap` from the API (no DB transaction open meanwhile),
then store the batch and advance the watermark in ONE transaction. Each source commits on its
own, so a failure in the second keeps the first (Facebook reads the comments while it stores
the messages). A source is read in a reader thread while the collecting thread triages what it
has read so far (`collect.pretriage`).

A run is incremental unless it has a `Window` (backfill runs and manual `since`/`until`): then it
re-reads the window and never moves a watermark (the store skips what it already has).

Failures: a bad token or a refused permission fails the channel's task at once (`PermanentFailure`,
no retries) after notifying the technical admins (`collect.failures`); transient failures
(5xx, timeouts) are raised for Airflow to retry, rate limits longer than `max_wait` as
`RateLimited` (retried much later), and notified on the last attempt only. Every attempt
upserts its `collection_runs` row (run_id, channel).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Engine, select

from citizen_desk.collect import PermanentFailure, RateLimited
from citizen_desk.collect.channels import ChannelRef, channel_ref
from citizen_desk.collect.comments import DEFAULT_POST_LOOKBACK, read_comments
from citizen_desk.collect.failures import error_kind, notify_failure
from citizen_desk.collect.messenger import read_messenger
from citizen_desk.collect.pretriage import Reads, Triaged
from citizen_desk.collect.records import Bounds, SourceBatch
from citizen_desk.collect.store import StoreResult, existing_ids, load_watermark, store_batch
from citizen_desk.collect.summary import STORE_COUNTS, channel_block, empty_channel_summary
from citizen_desk.collect.triage_worker import OFFLOAD_AFTER
from citizen_desk.collect.zalo import read_zalo, recent_mode
from citizen_desk.db.engine import session_scope
from citizen_desk.db.models import CollectionRun
from citizen_desk.db.upsert import dialect_insert
from citizen_desk.errors import ConfigError, PlatformError, TokenError
from citizen_desk.platforms import CallStats
from citizen_desk.platforms.client import ClientOptions
from citizen_desk.platforms.errors import failure_kind
from citizen_desk.platforms.graph import GraphClient
from citizen_desk.platforms.graph_versions import graph_base_url, version_of, version_status
from citizen_desk.platforms.zalo import DEFAULT_BASE_URL as ZALO_BASE_URL
from citizen_desk.platforms.zalo import DEFAULT_OAUTH_URL, ZaloClient

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=10)
BACKFILL_SPAN = timedelta(days=1)
FACEBOOK_SOURCES = ("messenger", "comments")


def wall_clock() -> datetime:
    """Real time, for operational timestamps and token expiry only (never for business logic)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Window:
    """Re-read [since, until] (until None = up to now) without moving any watermark."""

    since: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class ConnInfo:
    """The parts of an Airflow connection collection uses (password = token / app secret)."""

    login: str | None
    password: str | None
    extra: Mapping[str, Any]


def airflow_connection(conn_id: str) -> ConnInfo:
    """The only place that reads Airflow connections for collection."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:  # AirflowNotFoundException and friends
        raise ConfigError(f"airflow connection {conn_id}", "", "not found") from exc
    return ConnInfo(conn.login, conn.password, conn.extra_dejson or {})


@dataclass
class Options:
    """Tuning knobs; the defaults are for production."""

    overlap: timedelta = DEFAULT_OVERLAP
    post_lookback: timedelta = DEFAULT_POST_LOOKBACK
    timeout: float = 20.0
    max_wait: float = 60.0
    backoff: float = 1.0
    max_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    http: requests.Session | None = None  # shared HTTP session (tests inject faults here)
    connection: Callable[[str], ConnInfo] = airflow_connection
    fernet: Callable[[], Any] | None = None  # default: the key in `citizen_desk_secrets`
    clock: Callable[[], datetime] = wall_clock

    def client_options(self) -> ClientOptions:
        """The HTTP and retry settings both platform clients take."""
        return ClientOptions(
            timeout=self.timeout,
            session=self.http,
            sleep=self.sleep,
            max_attempts=self.max_attempts,
            max_wait=self.max_wait,
            backoff=self.backoff,
        )


@dataclass
class _Progress:
    stats: CallStats = field(default_factory=CallStats)
    warnings: list[str] = field(default_factory=list)
    results: dict[str, StoreResult] = field(default_factory=dict)
    read: dict[str, dict[str, int]] = field(default_factory=dict)


# --- one channel ---------------------------------------------------------------------------------


def collect_channel(
    channel_key: str,
    *,
    engine: Engine,
    run_id: str,
    now: datetime,
    window: Window | None = None,
    options: Options | None = None,
    final_attempt: bool = True,
    registry: Any = None,
) -> dict[str, Any]:
    """Collect one channel; returns its summary (counts only, no PII). See the module docstring."""
    options = options or Options()
    started = options.clock()
    with session_scope(engine) as session:
        channel = channel_ref(session, channel_key)
    progress = _Progress()
    summary = empty_channel_summary(channel.key, channel.platform)
    summary["mode"] = "window" if window else "incremental"
    error: BaseException | None = None
    try:
        if channel.platform == "facebook":
            _collect_facebook(engine, channel, run_id, now, window, options, progress)
        else:
            _collect_zalo(engine, channel, run_id, now, window, options, progress)
    except (PlatformError, ConfigError) as exc:
        error = exc
    _fill(summary, progress)
    if error is None:
        summary["status"] = "success"
    else:
        kind = error_kind(error)
        summary.update(
            status="failed",
            error=str(error)[:500],
            error_kind=kind,
            error_cause=failure_kind(error).value,  # what the collection health page shows
        )
        log.error("channel %s failed (%s): %s", channel.key, kind, summary["error"])
    _record_run(engine, channel, run_id, started, options.clock(), summary)
    log.info("%s", channel_block(summary))
    if error is None:
        return summary
    permanent = summary["error_kind"] != "transient"
    if permanent or final_attempt:
        notify_failure(engine, channel, error, summary, now, run_id, registry)
    if permanent:
        raise PermanentFailure(f"channel {channel.key}: {summary['error']}") from error
    retry_after = getattr(error, "retry_after", None) or 0.0
    if isinstance(error, PlatformError) and retry_after > options.max_wait:
        raise RateLimited(
            str(error),
            platform=error.platform,
            code=error.code,
            http_status=error.http_status,
            retryable=True,
            retry_after=retry_after,
        ) from error
    raise error


def _bounds(
    engine: Engine,
    channel: ChannelRef,
    sources: Sequence[str],
    window: Window | None,
    overlap: timedelta,
) -> tuple[dict[str, Bounds], Triaged]:
    """What each source reads, and the triage of what it reads (with the model of now: the store
    uses the results only if it triages with the same, `collect.pretriage`)."""
    with session_scope(engine) as session:
        triaged = Triaged.of_session(session, OFFLOAD_AFTER)  # big batches: `triage_worker`
        if window is not None:
            since, until = window.since - overlap, window.until
            return {s: Bounds(since=since, until=until) for s in sources}, triaged
        marks = {s: load_watermark(session, channel.id, s) for s in sources}
    bounds = {
        s: Bounds(since=mark - overlap if mark is not None else None, mark=mark)
        for s, mark in marks.items()
    }
    return bounds, triaged


def _known(engine: Engine, channel: ChannelRef) -> Callable[[Sequence[str]], set[str]]:
    def known(ids: Sequence[str]) -> set[str]:
        with session_scope(engine) as session:
            return existing_ids(session, channel.id, ids)

    return known


def _store(
    engine: Engine,
    channel: ChannelRef,
    batch: SourceBatch,
    run_id: str,
    now: datetime,
    window: Window | None,
    progress: _Progress,
    triaged: Triaged | None = None,
) -> None:
    with session_scope(engine) as session:
        result = store_batch(
            session,
            channel,
            batch,
            run_id=run_id,
            now=now,
            advance_watermark=window is None,
            triaged=triaged,
        )
    progress.results[batch.source] = result
    progress.read[batch.source] = {"read": len(batch.items), "rejected": len(batch.rejected)}


def _collect_facebook(
    engine: Engine,
    channel: ChannelRef,
    run_id: str,
    now: datetime,
    window: Window | None,
    options: Options,
    progress: _Progress,
) -> None:
    conn = options.connection(channel.connection_id)
    if not conn.password:
        raise TokenError(
            f"connection {channel.connection_id} has no page access token", platform="facebook"
        )
    base_url = graph_base_url(conn.extra)
    # End of life is about real time (a backfill's `now` is in the past): the operational clock.
    version = version_status(version_of(base_url), options.clock())
    if version.level != "ok":
        log.warning("channel %s: %s", channel.key, version.message)
        progress.warnings.append(version.message)
    client = GraphClient(base_url, conn.password, **options.client_options())
    progress.stats = client.stats
    bounds, triaged = _bounds(engine, channel, FACEBOOK_SOURCES, window, options.overlap)
    # The citizen messages are triaged while their source is read (`collect.pretriage`), and
    # the comments are read while the messages are written (the reads wait on the API, the
    # writes on the database). Each source still commits on its own, its watermark with its data:
    # a failure of either keeps what the other stored, as when they ran one after the other.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collect-read") as reader:
        reads = Reads(reader, triaged)
        messenger = reads.result(
            reads.start(read_messenger, client, channel.platform_id, bounds["messenger"])
        )
        comments = reads.start(
            read_comments,
            client,
            channel.platform_id,
            bounds["comments"],
            post_lookback=options.post_lookback,
        )
        _store(engine, channel, messenger, run_id, now, window, progress, triaged)
        batch = reads.result(comments)
    _store(engine, channel, batch, run_id, now, window, progress, triaged)


def _collect_zalo(
    engine: Engine,
    channel: ChannelRef,
    run_id: str,
    now: datetime,
    window: Window | None,
    options: Options,
    progress: _Progress,
) -> None:
    from citizen_desk.collect.tokens import ZaloTokenStore, fernet_from_connection

    conn = options.connection(channel.connection_id)
    if not conn.login or not conn.password:
        raise ConfigError(
            f"airflow connection {channel.connection_id}", "login/password", "app id and secret"
        )
    store = ZaloTokenStore(
        engine,
        channel.id,
        fernet=(options.fernet or fernet_from_connection)(),
        app_id=conn.login,
        secret_key=conn.password,
        oauth_url=str(conn.extra.get("oauth_url") or DEFAULT_OAUTH_URL),
        seed_refresh_token=conn.extra.get("refresh_token"),
        clock=options.clock,
        http=options.http,
        timeout=options.timeout,
    )
    try:
        client = ZaloClient(
            str(conn.extra.get("base_url") or ZALO_BASE_URL),
            store.access_token(),
            on_token_invalid=store.refresh,
            **options.client_options(),
        )
        progress.stats = client.stats
        mode = recent_mode(conn.extra, f"airflow connection {channel.connection_id}")
        bounds, triaged = _bounds(engine, channel, ("zalo",), window, options.overlap)
        # triaged while the OA's pages are read (`collect.pretriage`)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collect-read") as reader:
            reads = Reads(reader, triaged)
            batch = reads.result(
                reads.start(
                    read_zalo,
                    client,
                    bounds["zalo"],
                    known=_known(engine, channel),
                    oa_id=channel.platform_id,
                    recent_mode=mode,
                )
            )
    except TokenError as exc:
        # The access token was refused, one refresh was tried and failed (or its token was
        # refused too): say which channel and connection, never a token (the clients redact).
        raise TokenError(
            f"Zalo OA channel {channel.key}: authorisation failed ({exc}); re-authorise the OA "
            f"and put the new refresh_token in connection {channel.connection_id}",
            platform=exc.platform,
            code=exc.code,
            http_status=exc.http_status,
        ) from exc
    finally:
        progress.stats.calls += store.refreshes  # OAuth calls count too
    _store(engine, channel, batch, run_id, now, window, progress, triaged)


def _fill(summary: dict[str, Any], progress: _Progress) -> None:
    categories: Counter[str] = Counter()
    sources = {}
    for name, result in progress.results.items():
        data = result.as_dict()
        data.update(progress.read.get(name, {}))
        sources[name] = data
        categories.update(result.categories)
        for key in STORE_COUNTS:
            summary[key] += data[key]
    summary["categories"] = dict(sorted(categories.items()))
    summary["sources"] = sources
    summary["warnings"] = list(progress.warnings)
    summary.update(progress.stats.as_dict())


def _record_run(
    engine: Engine,
    channel: ChannelRef,
    run_id: str,
    started: datetime,
    finished: datetime,
    summary: Mapping[str, Any],
) -> None:
    with session_scope(engine) as session:
        stmt = dialect_insert(session, CollectionRun).values(
            run_id=run_id,
            channel_id=channel.id,
            status=summary["status"],
            started_at=started,
            finished_at=finished,
            stats=dict(summary),
            error=summary.get("error"),
        )
        excluded = stmt.excluded
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "channel_id"],
                set_={
                    "status": excluded.status,
                    "finished_at": excluded.finished_at,
                    "stats": excluded.stats,
                    "error": excluded.error,
                },
            )
        )


def run_summary(engine: Engine, run_id: str) -> dict[str, Any]:
    """The run's summary from `collection_runs` (failed channels included)."""
    from citizen_desk.collect.summary import summarise_run
    from citizen_desk.db.models import Channel

    with session_scope(engine) as session:
        rows = session.execute(
            select(Channel.key, CollectionRun.status, CollectionRun.stats, CollectionRun.error)
            .join(Channel, Channel.id == CollectionRun.channel_id)
            .where(CollectionRun.run_id == run_id)
            .order_by(Channel.key)
        ).all()
    channels = []
    for key, status, stats, error in rows:
        data = dict(stats or {})
        data.setdefault("channel", key)
        data["status"] = status
        data["error"] = error
        channels.append(data)
    return summarise_run(run_id, channels)
