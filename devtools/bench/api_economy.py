"""API economy: Graph/Zalo calls of a collection run, next to a lower bound and a naive collector.

The simulator's request counters (`/_sim/stats`, reset before each run) are the source. Runs:
a first collection (the whole history), steady-state incremental runs (after the simulated clock
moved and the live world generated traffic), and a run with no new traffic.

Lower bound per run (the issue's definition): for each channel source (Facebook: `messenger`,
`comments`; Zalo: `zalo`), `ceil(changed items / page size) + 1`, where the changed items are
what the source's listing returns one per row: conversations (page 25), posts with new comments
(page 25), Zalo users (page 10) that received a message in the interval (from `/_sim/truth`).
The naive baseline lists every conversation, post and Zalo user and reads all their messages
and comments, every run.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from bench.common import (
    Collector,
    Env,
    SimProcess,
    api_calls,
    local_session,
    migrated_engine,
    spread,
    sync_registry,
    world_registry,
)

PAGE = {"messenger": 25, "comments": 25, "zalo": 10}
SOURCES = {"facebook": ("messenger", "comments"), "zalo": ("zalo",)}
GOAL = 1.5  # incremental collector within 1.5x of the lower bound
NAIVE_MESSAGE_FIELDS = "id,message,from,to,created_time,attachments"
NAIVE_COMMENT_FIELDS = "id,message,from,created_time,parent{id},permalink_url"


@dataclass(frozen=True)
class Size:
    scale: int = 50  # channels
    days: int = 14
    steps: int = 4  # hourly incremental runs
    step_hours: float = 1.0
    daily: bool = True  # one more incremental run after a whole day (the default schedule)


FULL = Size()
QUICK = Size(scale=3, days=2, steps=1, daily=False)


# --- the lower bound -----------------------------------------------------------------------------


def _source_of(surface: str) -> str:
    return {"messenger": "messenger", "comment": "comments", "zalo": "zalo"}[surface]


def changed_items(
    truth: Iterable[dict[str, Any]], since_ms: int | None, until_ms: int
) -> dict[tuple[str, str], set[str]]:
    """{(channel, source): listing rows changed in (since, until]} from the simulator's truth."""
    changed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for message in truth:
        created = int(message["created_ms"])
        if created > until_ms or (since_ms is not None and created <= since_ms):
            continue
        source = _source_of(message["surface"])
        row = message.get("post_id") if source == "comments" else message["thread_id"]
        changed[(message["channel"], source)].add(str(row or message["thread_id"]))
    return changed


def lower_bound(channels: dict[str, dict[str, Any]], changed: dict[Any, set[str]]) -> int:
    """Σ over channel sources of ceil(changed / page size) + 1."""
    total = 0
    for key, channel in channels.items():
        for source in SOURCES[channel["platform"]]:
            total += math.ceil(len(changed.get((key, source), ())) / PAGE[source]) + 1
    return total


def strict_floor(channels: dict[str, dict[str, Any]], changed: dict[Any, set[str]]) -> int:
    """What any correct reader needs: the listing until one unchanged row shows. For Zalo the
    listing is `listrecentchat`, one row per message across users (platform-facts.md Z1), so no
    `conversation` call is needed; changed users (≤ changed messages) keep it a floor."""
    total = 0
    for key, channel in channels.items():
        for source in SOURCES[channel["platform"]]:
            rows = len(changed.get((key, source), ()))
            if source == "comments":
                total += 1  # one page of recent posts with their newest comments expanded
            else:
                total += max(1, math.ceil((rows + 1) / PAGE[source]))
    return total


# --- the naive collector -------------------------------------------------------------------------


def _graph_all(http: requests.Session, url: str, params: dict[str, Any], token: str) -> list[Any]:
    headers = {"Authorization": f"Bearer {token}"}
    items: list[Any] = []
    next_url: str | None = url
    query: dict[str, Any] | None = params
    while next_url:
        body = http.get(next_url, params=query, headers=headers, timeout=30).json()
        if "error" in body:
            raise RuntimeError(f"naive collector: Graph error {body['error'].get('code')}")
        items.extend(body.get("data") or [])
        next_url = (body.get("paging") or {}).get("next")
        query = None  # `next` carries every parameter
    return items


def _zalo_all(
    http: requests.Session, url: str, data: dict[str, Any], token: str
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        query = {"data": json.dumps({**data, "offset": offset, "count": 10})}
        body = http.get(url, params=query, headers={"access_token": token}, timeout=30).json()
        if body.get("error"):
            raise RuntimeError(f"naive collector: Zalo error {body.get('error')}")
        page = body.get("data") or []
        if not page:
            return items
        items.extend(page)
        offset += len(page)


def _naive_channel(base_url: str, channel: dict[str, Any], zalo_token: str | None) -> int:
    http = local_session()
    graph = f"{base_url}/v21.0/"
    pid = channel["platform_id"]
    read = 0
    if channel["platform"] == "facebook":
        token = f"sim-page-token-{pid}"
        conversations = _graph_all(
            http, f"{graph}{pid}/conversations", {"platform": "messenger", "limit": 25}, token
        )
        for conversation in conversations:
            params = {"fields": NAIVE_MESSAGE_FIELDS, "limit": 25}
            url = f"{graph}{conversation['id']}/messages"
            read += len(_graph_all(http, url, params, token))
        posts = _graph_all(http, f"{graph}{pid}/published_posts", {"limit": 25}, token)
        for post in posts:
            params = {"filter": "stream", "fields": NAIVE_COMMENT_FIELDS, "limit": 50}
            read += len(_graph_all(http, f"{graph}{post['id']}/comments", params, token))
    else:
        assert zalo_token
        recent = _zalo_all(http, f"{base_url}/v2.0/oa/listrecentchat", {}, zalo_token)
        users = dict.fromkeys(m["from_id"] if m.get("src") == 1 else m["to_id"] for m in recent)
        for user in users:
            url = f"{base_url}/v2.0/oa/conversation"
            read += len(_zalo_all(http, url, {"user_id": user}, zalo_token))
    return read


def naive_collect(sim: SimProcess, channels: dict[str, dict[str, Any]]) -> int:
    """Re-read everything: every conversation's messages, every post's comments, every Zalo
    user's history. Returns the number of messages/comments read. Channels are read by 4
    threads: only the call count matters here, not the time."""
    zalo_tokens = sim.tokens()["zalo"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        reads = pool.map(
            lambda c: _naive_channel(
                sim.base_url,
                c,
                zalo_tokens[c["platform_id"]]["access_token"] if c["platform"] == "zalo" else None,
            ),
            channels.values(),
        )
        return sum(reads)


# --- the benchmark -------------------------------------------------------------------------------


def _endpoints(stats: dict[str, Any]) -> dict[str, int]:
    return {
        k: v for k, v in sorted((stats.get("endpoints") or {}).items()) if not k.startswith("slack")
    }


def _phase(
    name: str,
    sim: SimProcess,
    collector: Collector,
    channels: dict[str, dict[str, Any]],
    since_ms: int | None,
    run_no: int,
) -> dict[str, Any]:
    until_ms = int(sim.now.timestamp() * 1000)
    truth = sim.truth()
    new_in = sum(
        1
        for m in truth
        if m["direction"] == "in"
        and int(m["created_ms"]) <= until_ms
        and (since_ms is None or int(m["created_ms"]) > since_ms)
    )
    changed = changed_items(truth, since_ms, until_ms)
    sim.reset_stats()
    started = time.perf_counter()
    summaries = collector.all(f"bench-economy-{run_no}")
    seconds = time.perf_counter() - started
    ours = sim.stats()
    failed = sorted(k for k, s in summaries.items() if s.get("status") != "success")
    added_in = sum(int(s.get("citizen_messages_added", 0)) for s in summaries.values())
    sim.reset_stats()
    naive_read = naive_collect(sim, channels)
    naive = sim.stats()
    calls, naive_calls = api_calls(ours), api_calls(naive)
    bound, floor = lower_bound(channels, changed), strict_floor(channels, changed)
    by_source: Counter[str] = Counter()
    for (_, source), rows in changed.items():
        by_source[source] += len(rows)
    return {
        "phase": name,
        "new_citizen_messages": new_in,
        "citizen_messages_added": added_in,
        "changed_rows": dict(sorted(by_source.items())),
        "calls": calls,
        "lower_bound": bound,
        "strict_floor": floor,
        "ratio_to_lower_bound": round(calls / bound, 3),
        "naive_calls": naive_calls,
        "naive_ratio_to_lower_bound": round(naive_calls / bound, 3),
        "naive_messages_read": naive_read,
        "calls_per_new_message": round(calls / new_in, 3) if new_in else None,
        "naive_calls_per_new_message": round(naive_calls / new_in, 3) if new_in else None,
        "endpoints": _endpoints(ours),
        "naive_endpoints": _endpoints(naive),
        "errors": ours.get("errors") or {},
        "failed_channels": failed,
        "seconds": round(seconds, 3),
    }


def run(size: Size, env: Env) -> dict[str, Any]:
    """First, incremental and quiet collections of one simulated world; see the module docstring."""
    workdir = Path(tempfile.mkdtemp(prefix="api-economy-", dir=env.workdir))
    registry_path, channels = world_registry(workdir / "registry.yaml", size.scale)
    env.log(f"api_economy: world of {len(channels)} channels, {size.days} days (live)")
    engine = migrated_engine(f"sqlite:///{workdir / 'domain.db'}")
    sync_registry(engine, registry_path)
    phases: list[dict[str, Any]] = []
    with SimProcess(scale=len(channels), days=size.days, live=True, registry=registry_path) as sim:
        collector = Collector(engine, sim, channels)
        phases.append(_phase("first", sim, collector, channels, None, 0))
        env.log(f"api_economy: first collection {phases[-1]['calls']} calls")
        steps = [size.step_hours] * size.steps + ([24.0] if size.daily else [])
        for number, hours in enumerate(steps, start=1):
            since = int(sim.now.timestamp() * 1000)
            sim.advance(timedelta(hours=hours))
            label = "incremental (1 day)" if hours == 24.0 else f"incremental ({hours:g} h)"
            phases.append(_phase(label, sim, collector, channels, since, number))
            env.log(f"api_economy: {label}: {phases[-1]['calls']} calls")
        since = int(sim.now.timestamp() * 1000)
        phases.append(_phase("no new traffic", sim, collector, channels, since, len(steps) + 1))
        startup = sim.startup_seconds
    engine.dispose()
    hourly = [p for p in phases if p["phase"].startswith("incremental") and "day" not in p["phase"]]
    incremental = [p for p in phases if p["phase"].startswith("incremental")]
    worst = max((p["ratio_to_lower_bound"] for p in incremental), default=None)
    return {
        "size": asdict(size),
        "channels": len(channels),
        "facebook_channels": sum(c["platform"] == "facebook" for c in channels.values()),
        "zalo_channels": sum(c["platform"] == "zalo" for c in channels.values()),
        "simulator_startup_seconds": round(startup, 1),
        "phases": phases,
        "incremental_ratio": spread([p["ratio_to_lower_bound"] for p in incremental], 3),
        "hourly_calls_per_new_message": spread(
            [p["calls_per_new_message"] for p in hourly if p["calls_per_new_message"]], 3
        ),
        "goal": GOAL,
        "goal_met": worst is not None and worst <= GOAL,
    }
