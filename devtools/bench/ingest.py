"""Ingest throughput: messages per second from the simulator to committed, triaged cases.

One simulated world (its size chosen by the target message count), collected channel by channel
with `collect_channel` (a first collection: everything) into a fresh domain DB, on SQLite and on
PostgreSQL. Baseline on the same backend: the same HTTP reads (the same readers and clients)
plus a bare bulk insert of the same rows into a table without constraints (SQLite
`executemany`, PostgreSQL `COPY`). The ratio collector time / baseline time is our overhead:
citizens, exactly-once inserts, triage, case and turn derivation, tips, watermarks, audit.
"""

from __future__ import annotations

import csv
import io
import json
import resource
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import (
    NOW,
    Collector,
    Env,
    SimProcess,
    local_session,
    migrated_engine,
    pg_available,
    pg_database,
    spread,
    sync_registry,
    world_registry,
)

CHANNELS = 50
DAYS = 14
MESSAGES_PER_CITIZEN_MESSAGE = 1.5  # page replies and follow-ups, measured on the simulator
CITIZEN_SHARE_OF_RATE = 0.93  # citizen messages per (rate x channel x day), measured


@dataclass(frozen=True)
class Size:
    # Target total (citizen + page) messages. 100k is the goal size: `--ingest-messages 100000`
    # runs it (~2.5 min for both backends on our 2-core machine in December 2026, ~25 min per
    # backend before); `make bench` (15 min budget for everything) keeps a smaller default.
    messages: int = 6_000
    channels: int = CHANNELS
    days: int = DAYS
    backends: tuple[str, ...] = ("sqlite", "postgresql")


FULL = Size()
QUICK = Size(messages=150, channels=2, days=2)


def rate_for(size: Size) -> float:
    """Citizen messages per channel per day that give about `size.messages` messages."""
    per_rate = size.channels * size.days * CITIZEN_SHARE_OF_RATE * MESSAGES_PER_CITIZEN_MESSAGE
    return max(0.5, round(size.messages / per_rate, 2))


# --- the collector -------------------------------------------------------------------------------


def _count_rows(engine: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from citizen_desk.db.engine import session_scope
    from citizen_desk.db.models import Case, Message, Tip

    with session_scope(engine) as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (("messages", Message), ("cases", Case), ("tips", Tip))
        }


def collect_all(
    engine: Any, sim: SimProcess, channels: dict[str, dict[str, Any]]
) -> tuple[float, list[float], list[dict[str, Any]]]:
    """(total seconds, per-channel messages/s, summaries) of one first collection."""
    # A collection runs inside an Airflow task, where Airflow is imported long before; the token
    # store's log masking imports it lazily (and, on its first call, the task runner, which runs
    # every task), which would otherwise be timed here.
    import airflow.sdk.execution_time.task_runner
    import airflow.sdk.log  # noqa: F401

    collector = Collector(engine, sim, channels)
    per_channel: list[float] = []
    summaries = []
    started = time.perf_counter()
    for key in sorted(channels):
        t0 = time.perf_counter()
        summary = collector.channel(key, "bench-ingest")
        seconds = time.perf_counter() - t0
        summaries.append(summary)
        if summary.get("messages_added"):
            per_channel.append(summary["messages_added"] / seconds)
    return time.perf_counter() - started, per_channel, summaries


# --- the baseline: same reads, bare bulk insert --------------------------------------------------


def read_all(sim: SimProcess, channels: dict[str, dict[str, Any]]) -> list[tuple[int, Any]]:
    """The collector's own readers and clients over every channel: [(channel index, item)]."""
    from citizen_desk.collect.comments import read_comments
    from citizen_desk.collect.messenger import read_messenger
    from citizen_desk.collect.records import Bounds
    from citizen_desk.collect.zalo import read_zalo
    from citizen_desk.platforms.graph import GraphClient
    from citizen_desk.platforms.zalo import ZaloClient

    http = local_session()
    zalo_tokens = sim.tokens()["zalo"]
    items: list[tuple[int, Any]] = []
    for index, key in enumerate(sorted(channels), start=1):
        channel = channels[key]
        pid = channel["platform_id"]
        if channel["platform"] == "facebook":
            graph = GraphClient(f"{sim.base_url}/v21.0/", f"sim-page-token-{pid}", session=http)
            batches = [
                read_messenger(graph, pid, Bounds()),
                read_comments(graph, pid, Bounds()),
            ]
        else:
            token = zalo_tokens[pid]["access_token"]
            zalo = ZaloClient(f"{sim.base_url}/", token, session=http)
            batches = [read_zalo(zalo, Bounds(), oa_id=pid)]
        for batch in batches:
            items.extend((index, item) for item in batch.items)
    return items


RAW_COLUMNS = (
    "channel_id",
    "platform_message_id",
    "direction",
    "kind",
    "thread_key",
    "parent_platform_id",
    "text",
    "created_at",
    "raw",
    "collected_at",
)


def _rows(items: list[tuple[int, Any]], now: datetime) -> list[tuple[Any, ...]]:
    return [
        (
            index,
            item.platform_message_id,
            item.direction,
            item.kind,
            item.thread_key,
            item.parent_platform_id,
            item.text,
            item.created_at,
            json.dumps(dict(item.raw), ensure_ascii=False),
            now,
        )
        for index, item in items
    ]


def bare_insert(url: str, items: list[tuple[int, Any]], now: datetime = NOW) -> float:
    """Seconds to bulk-insert the rows into a constraint-free table, one transaction."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    pg = engine.dialect.name == "postgresql"
    ts, js = ("timestamptz", "jsonb") if pg else ("timestamp", "text")
    ddl = (
        "CREATE TABLE bench_raw_messages (id "
        + ("bigserial" if pg else "integer")
        + " PRIMARY KEY, channel_id integer, platform_message_id varchar(128), "
        "direction varchar(3), kind varchar(16), thread_key varchar(128), "
        f"parent_platform_id varchar(128), text text, created_at {ts}, raw {js}, "
        f"collected_at {ts})"
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(ddl)
        raw.commit()
        started = time.perf_counter()
        rows = _rows(items, now)
        if pg:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerows(rows)
            buffer.seek(0)
            cursor.copy_expert(
                f"COPY bench_raw_messages ({', '.join(RAW_COLUMNS)}) FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
        else:
            marks = ", ".join("?" for _ in RAW_COLUMNS)
            cursor.executemany(
                f"INSERT INTO bench_raw_messages ({', '.join(RAW_COLUMNS)}) VALUES ({marks})",
                [(*r[:7], r[7].isoformat(), r[8], r[9].isoformat()) for r in rows],
            )
        raw.commit()
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_messages")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return seconds


# --- the benchmark -------------------------------------------------------------------------------


def _backend(
    name: str,
    url: str,
    registry_path: Path,
    sim: SimProcess,
    channels: dict[str, dict[str, Any]],
    items: list[tuple[int, Any]],
    read_seconds: float,
    env: Env,
) -> dict[str, Any]:
    engine = migrated_engine(url)
    sync_registry(engine, registry_path)
    env.log(f"ingest: collecting {len(channels)} channels into {name}")
    cpu_before = _process_cpu_seconds()
    seconds, per_channel, summaries = collect_all(engine, sim, channels)
    cpu_seconds = _process_cpu_seconds() - cpu_before
    rows = _count_rows(engine)
    engine.dispose()
    insert_seconds = bare_insert(url, items)
    baseline = read_seconds + insert_seconds
    messages = rows["messages"]
    failed = [s["channel"] for s in summaries if s.get("status") != "success"]
    return {
        "backend": name,
        "messages": messages,
        "cases": rows["cases"],
        "tips": rows["tips"],
        "failed_channels": failed,
        "collector_seconds": round(seconds, 2),
        # steadier than wall time on a shared machine: the load moves the simulator's answers
        # and the baseline's read more than it moves our own work
        "collector_cpu_seconds": round(cpu_seconds, 2),
        "collector_msgs_per_s": round(messages / seconds, 1) if seconds else None,
        "per_channel_msgs_per_s": spread(per_channel, 1),
        "baseline_read_seconds": round(read_seconds, 2),
        "baseline_insert_seconds": round(insert_seconds, 3),
        "baseline_msgs_per_s": round(len(items) / baseline, 1) if baseline else None,
        "overhead_ratio": round(seconds / baseline, 2) if baseline else None,
        "extrapolated_100k_minutes": round(100_000 / messages * seconds / 60, 1)
        if messages
        else None,
    }


def run(size: Size, env: Env) -> dict[str, Any]:
    """See the module docstring."""
    workdir = Path(tempfile.mkdtemp(prefix="ingest-", dir=env.workdir))
    registry_path, channels = world_registry(workdir / "registry.yaml", size.channels)
    rate = rate_for(size)
    env.log(f"ingest: generating ~{size.messages} messages ({len(channels)} channels, {rate}/day)")
    results: list[dict[str, Any]] = []
    skipped: list[str] = []
    with SimProcess(scale=len(channels), days=size.days, rate=rate, registry=registry_path) as sim:
        world = sim.get("/_sim/world")
        world_messages = sum(v["in"] + v["out"] for v in world["messages"].values())
        items, read_seconds = _timed_read(sim, channels, env)
        for backend in size.backends:
            if backend == "postgresql" and not pg_available(env.pg_url):
                skipped.append("postgresql (server unreachable)")
                continue
            if backend == "sqlite":
                url = f"sqlite:///{workdir / 'ingest.db'}"
                results.append(
                    _backend(backend, url, registry_path, sim, channels, items, read_seconds, env)
                )
            else:
                assert env.pg_url
                with pg_database(env.pg_url, "cd_bench_ingest") as url:
                    results.append(
                        _backend(
                            backend, url, registry_path, sim, channels, items, read_seconds, env
                        )
                    )
        generation = sim.startup_seconds
    return {
        "size": asdict(size),
        "rate_per_channel_day": rate,
        "channels": len(channels),
        "world_messages": world_messages,
        "read_items": len(items),
        "generation_seconds": round(generation, 1),
        "generation_msgs_per_s": round(world_messages / generation, 1) if generation else None,
        "backends": results,
        "skipped_backends": skipped,
    }


def _process_cpu_seconds() -> float:
    """User + system CPU of this process (the collector and its reader threads; the triage
    worker is a process of its own)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed_read(
    sim: SimProcess, channels: dict[str, dict[str, Any]], env: Env
) -> tuple[list[tuple[int, Any]], float]:
    env.log("ingest: baseline HTTP read")
    started = time.perf_counter()
    items = read_all(sim, channels)
    return items, time.perf_counter() - started
