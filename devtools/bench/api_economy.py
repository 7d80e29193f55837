"""API economy: the Graph/Zalo calls of a collection run, its strict floor, a naive collector.

The simulator's request counters (`/_sim/stats`, reset before each run) are the source. Runs:
a first collection (the whole history), hourly incremental runs and one after a whole day (the
simulated clock moved and the live world generated traffic), and a run with no new traffic.

The strict floor of a run is the fewest calls any correct collector needs for the simulator's
data at the platforms' largest page sizes (Graph `limit` 100, nested expansions included; Zalo
`count` 10), from `/_sim/truth` (every message, comment and staff reply) and the posts
`published_posts` lists (`/_sim/world`):
- Messenger: `/{page}/conversations` is newest `updated_time` first without a time filter: read
  until one conversation older than the previous run shows, or to the end of the list (its
  last page has no `next`); a conversation's new messages come expanded in the listing, 100 at
  most; more (plus one older message, or the end) cost `/messages` pages of 100;
- comments: `/{page}/published_posts` over the collector's post lookback (every post on a first
  run), with each post's newest comments expanded (100); a post with more new comments pages on;
- Zalo: `listrecentchat` lists messages (one row per message, every user): read until one row
  older than the previous run, or to the end, counted as a short page (a last full page needs
  one more). This is below what the documented protocol allows: platform-apis.md §7 pages "by
  raising `offset` until an empty `data`", so our collector, which does (a short page may come
  in the middle of the list; taking it for the end would lose every older row for good), spends
  one call above the floor per OA whose walk reaches the end of its list on a short page (a
  first collection). The floor keeps the stricter count;
- Zalo OAuth: one token refresh per OA on the first run and whenever its access token (25 h)
  has expired.
The naive baseline lists every conversation, post and Zalo user and reads all their messages
and comments, every run.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
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

GRAPH_PAGE = 100  # Graph's largest `limit`, for listings and nested expansions alike
ZALO_PAGE = 10  # Zalo's largest `count`
TOKEN_LIFETIME = timedelta(hours=25)  # a Zalo OA access token (platform-apis.md §7)
POST_LOOKBACK = timedelta(days=30)  # the collector's (collect.comments.DEFAULT_POST_LOOKBACK)
GOAL = 1.2  # every run within 1.2x of its strict floor
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


# --- the strict floor ----------------------------------------------------------------------------


def graph_listing(total: int, new: int) -> int:
    """Calls to read a newest-first Graph listing of `total` rows, `new` of them new, until a row
    that is not new shows or the list ends (its last page carries no `next`)."""
    need = total if new >= total else new + 1
    return max(1, math.ceil(need / GRAPH_PAGE))


def graph_nested_extra(total: int, new: int) -> int:
    """`/messages` or `/comments` pages beyond the expanded first page (100 newest) that a row
    with `new` of `total` items changed needs."""
    if new <= 0:
        return 0
    need = total if new >= total else new + 1
    return max(0, math.ceil(need / GRAPH_PAGE) - 1)


def zalo_listing(total: int, new: int) -> int:
    """Calls to read `listrecentchat` (`total` messages, `new` of them new): until a row that is
    not new, or to a short (or empty) page (the documented protocol needs the empty one: one
    more call when `total` is not a multiple of the page; module docstring)."""
    if new < total:
        return math.ceil((new + 1) / ZALO_PAGE)
    return total // ZALO_PAGE + 1


def strict_floor(
    channels: Mapping[str, Mapping[str, Any]],
    truth: Iterable[Mapping[str, Any]],
    post_times: Mapping[str, Iterable[int]],
    since_ms: int | None,
    until_ms: int,
    oauth: int = 0,
) -> dict[str, int]:
    """The strict floor of one run (module doc), by part, and its `total`."""
    rows: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for item in truth:
        created = int(item["created_ms"])
        if created > until_ms:
            continue
        surface = item["surface"]
        thread = item.get("post_id") if surface == "comment" else item["thread_id"]
        rows[(item["channel"], surface)][str(thread)].append(created)

    def new(times: list[int]) -> int:
        return sum(1 for t in times if since_ms is None or t > since_ms)

    parts: Counter[str] = Counter()
    lookback = None if since_ms is None else since_ms - int(POST_LOOKBACK.total_seconds() * 1000)
    for key, channel in channels.items():
        if channel["platform"] == "zalo":
            times = [t for thread in rows[(key, "zalo")].values() for t in thread]
            parts["zalo.listrecentchat"] += zalo_listing(len(times), new(times))
            continue
        threads = rows[(key, "messenger")]
        changed = [times for times in threads.values() if new(times)]
        parts["graph.conversations"] += graph_listing(len(threads), len(changed))
        parts["graph.messages"] += sum(graph_nested_extra(len(t), new(t)) for t in changed)
        posts = [t for t in post_times.get(key, ()) if lookback is None or t >= lookback]
        parts["graph.feed"] += max(1, math.ceil(len(posts) / GRAPH_PAGE))
        comments = rows[(key, "comment")].values()
        parts["graph.comments"] += sum(graph_nested_extra(len(t), new(t)) for t in comments)
    parts["zalo.oauth"] += oauth
    floor = {k: v for k, v in sorted(parts.items()) if v}
    floor["total"] = sum(parts.values())
    return floor


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
    oauth: int,
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
    floor = strict_floor(
        channels, truth, sim.get("/_sim/world")["post_times"], since_ms, until_ms, oauth
    )
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
    return {
        "phase": name,
        "new_citizen_messages": new_in,
        "citizen_messages_added": added_in,
        "complete": added_in == new_in and not failed,
        "calls": calls,
        "strict_floor": floor["total"],
        "floor_by_endpoint": {k: v for k, v in floor.items() if k != "total"},
        "ratio_to_floor": round(calls / floor["total"], 3),
        "naive_calls": naive_calls,
        "naive_ratio_to_floor": round(naive_calls / floor["total"], 3),
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
    zalo = sum(c["platform"] == "zalo" for c in channels.values())
    phases: list[dict[str, Any]] = []
    with SimProcess(scale=len(channels), days=size.days, live=True, registry=registry_path) as sim:
        collector = Collector(engine, sim, channels)
        token_at = sim.now  # the first run gets every OA's first access token
        phases.append(_phase("first", sim, collector, channels, None, 0, zalo))
        env.log(f"api_economy: first collection {phases[-1]['calls']} calls")
        steps = [size.step_hours] * size.steps + ([24.0] if size.daily else [])
        for number, hours in enumerate(steps, start=1):
            since = int(sim.now.timestamp() * 1000)
            sim.advance(timedelta(hours=hours))
            expired = sim.now - token_at >= TOKEN_LIFETIME
            token_at = sim.now if expired else token_at
            label = "daily (24 h)" if hours == 24.0 else f"hourly ({hours:g} h)"
            oauth = zalo if expired else 0
            phases.append(_phase(label, sim, collector, channels, since, number, oauth))
            env.log(f"api_economy: {label}: {phases[-1]['calls']} calls")
        since = int(sim.now.timestamp() * 1000)
        phases.append(_phase("no new traffic", sim, collector, channels, since, len(steps) + 1, 0))
        startup = sim.startup_seconds
    engine.dispose()
    later = phases[1:]
    worst = max(p["ratio_to_floor"] for p in phases)
    return {
        "size": asdict(size),
        "channels": len(channels),
        "facebook_channels": len(channels) - zalo,
        "zalo_channels": zalo,
        "simulator_startup_seconds": round(startup, 1),
        "phases": phases,
        "first_ratio": phases[0]["ratio_to_floor"],
        "incremental_ratio": spread([p["ratio_to_floor"] for p in later], 3),
        "worst_ratio": worst,
        "hourly_calls_per_new_message": spread(
            [
                p["calls_per_new_message"]
                for p in later
                if p["phase"].startswith("hourly") and p["calls_per_new_message"]
            ],
            3,
        ),
        "complete": all(p["complete"] for p in phases),
        "goal": GOAL,
        "goal_met": worst <= GOAL,
    }
