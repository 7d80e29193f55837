"""Webhook receiver: sustained events/s accepted and persisted, and latency, vs a bare handler.

Ours: the Citizen Desk app the Airflow plugin mounts (signature, freshness, size and rate checks,
`inbox.accept`), served by uvicorn in its own process (`bench.receiver_server ours`). Baseline: a
bare FastAPI handler that parses the JSON body and INSERTs the same rows into the same table with
no check (`bench.receiver_server bare`). Both on one fresh, migrated PostgreSQL database.

A closed-loop client (aiohttp, `concurrency` requests in flight) sends correctly signed Messenger
batches (`fb_batch` messages each) and Zalo `user_send_text` events, alternately, built with the
platform simulator's own webhook functions; every event id is new. After each timed window the
inbox is read back: the rate counts the events that were answered 200 *and* are in the table,
and every accepted event must be there exactly once. Rounds alternate which side goes first.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.common import REGISTRY, REPO, Env, local_session, pg_available, pg_database, spread

GOAL = 0.5  # ours ≥ 0.5x the bare handler's events/s (issue 22)
TEXTS = (
    "Có người bán ma túy ở đầu ngõ 12 phố Lê Lai, tối nào cũng tụ tập",
    "Cho em hỏi thủ tục làm căn cước cho con dưới 14 tuổi cần giấy tờ gì ạ?",
    "Em bị mất ví ở chợ Vườn Hoa sáng nay, trong có giấy phép lái xe",
    "Xe tải chở đất đi qua xã gây bụi và ồn cả đêm, đề nghị công an kiểm tra",
)
PATHS = {
    "ours": {"facebook": "/citizen-desk/webhooks/facebook", "zalo": "/citizen-desk/webhooks/zalo"},
    "bare": {"facebook": "/bare/facebook", "zalo": "/bare/zalo"},
}
SIDES = ("ours", "bare")


@dataclass(frozen=True)
class Size:
    seconds: float = 15.0  # timed window per side and round
    rounds: int = 2
    warmup_seconds: float = 2.0
    concurrency: int = 16
    fb_batch: int = 5  # Messenger messages per Meta request (Zalo: one event per request)


FULL = Size()
QUICK = Size(seconds=1.0, rounds=1, warmup_seconds=0.3, concurrency=4, fb_batch=2)


@dataclass(frozen=True)
class Secrets:
    """The `citizen_desk_webhooks` connection of the bench (the simulator's defaults)."""

    app_secret: str = "sim-meta-app-secret"
    verify_token: str = "bench-verify-token"
    zalo_app_id: str = "sim-zalo-app"
    zalo_oa_secret: str = "sim-zalo-oa-secret"

    def connection(self) -> str:
        return json.dumps({"conn_type": "generic", "extra": asdict(self)})


# --- the workload (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    platform: str
    body: bytes
    headers: dict[str, str]
    keys: tuple[str, ...]  # the event ids the body carries


def accounts(registry: Path = REGISTRY) -> dict[str, list[str]]:
    """The sample registry's page and OA ids, by platform."""
    raw = yaml.safe_load(registry.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {"facebook": [], "zalo": []}
    for channel in raw["channels"]:
        found[channel["platform"]].append(str(channel["platform_id"]))
    return found


def make_request(seq: int, tag: str, *, fb_batch: int, now_ms: int,
                 ids: dict[str, list[str]], secrets: Secrets) -> Request:  # fmt: skip
    """Request `seq` of a run: even ones a Messenger batch, odd ones a Zalo event, signed as the
    platforms sign them (bodies and headers from the platform simulator's pusher)."""
    from platform_simulator.webhooks import (
        messenger_item,
        meta_body,
        meta_headers,
        zalo_body,
        zalo_headers,
    )

    text = TEXTS[seq % len(TEXTS)]
    if seq % 2 == 0:
        page = ids["facebook"][seq // 2 % len(ids["facebook"])]
        keys = tuple(f"m_{tag}-{seq}-{i}" for i in range(fb_batch))
        messages = [
            {"id": key, "from_id": f"61{seq:012d}{i}", "page_id": page,
             "citizen_id": f"61{seq:012d}{i}", "message": text, "created_ms": now_ms}
            for i, key in enumerate(keys)
        ]  # fmt: skip
        items = [item for item in map(messenger_item, messages) if item is not None]
        body = meta_body(page, items, [], now_ms)
        return Request("facebook", body, meta_headers(body, secrets.app_secret), keys)
    oa = ids["zalo"][seq // 2 % len(ids["zalo"])]
    key = f"z{tag}-{seq}"
    message = {"src": 1, "time": now_ms, "user_id": f"24{seq:012d}", "oa_id": oa, "type": "text",
               "message": text, "id": key}  # fmt: skip
    made = zalo_body(message, secrets.zalo_app_id)
    assert made is not None
    body, timestamp = made
    headers = zalo_headers(body, secrets.zalo_app_id, timestamp, secrets.zalo_oa_secret)
    return Request("zalo", body, headers, (key,))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_ms(latencies: Sequence[float]) -> dict[str, float | None]:
    return {
        name: None if (value := percentile(latencies, q)) is None else round(value * 1000, 2)
        for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
    }


@dataclass
class Tally:
    """What the client saw in one timed window."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)


def window_figures(tally: Tally, stored: Sequence[str], seconds: float,
                   earlier: set[str]) -> dict[str, Any]:  # fmt: skip
    """A window's figures from the client's tally and the event keys read back from the inbox
    (`earlier`: keys sent before the window, e.g. the warm-up's)."""
    rows = Counter(stored)
    persisted = {key for key in rows if key in tally.sent}
    accepted_persisted = tally.accepted & persisted
    return {
        "seconds": round(seconds, 2),
        "requests": sum(tally.statuses.values()),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "events_sent": len(tally.sent),
        "events_accepted": len(tally.accepted),
        "events_persisted": len(persisted),
        "accepted_not_persisted": len(tally.accepted - persisted),
        "persisted_not_accepted": len(persisted - tally.accepted),
        "rows_more_than_once": sum(1 for n in rows.values() if n > 1),
        "unexpected_rows": len(set(rows) - tally.sent - earlier),
        "events_per_s": round(len(accepted_persisted) / seconds, 1) if seconds else None,
        "requests_per_s": round(sum(tally.statuses.values()) / seconds, 1) if seconds else None,
        "latency_ms": latency_ms(tally.latencies),
    }


def exactly_once(window: dict[str, Any]) -> bool:
    return not (
        window["accepted_not_persisted"]
        or window["rows_more_than_once"]
        or window["unexpected_rows"]
    )


# --- the servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`python -m bench.receiver_server SIDE` on a free port, until stopped."""

    def __init__(self, side: str, db_url: str, workdir: Path, secrets: Secrets,
                 rate_limit: float) -> None:  # fmt: skip
        self.side = side
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            PYTHONPATH=os.pathsep.join([str(REPO / "include"), str(REPO / "devtools")]),
            CITIZEN_DESK_DB_URL=db_url,
            AIRFLOW_HOME=str(workdir / "airflow-home"),
            AIRFLOW_CONN_CITIZEN_DESK_WEBHOOKS=secrets.connection(),
        )
        args = [sys.executable, "-m", "bench.receiver_server", side, "--port", str(self.port),
                "--rate-limit", str(rate_limit)]  # fmt: skip
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr)  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120.0) -> None:
        http = local_session()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                http.get(self.base_url + PATHS[self.side]["facebook"], timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self._stderr.seek(0)
        tail = self._stderr.read()[-2000:]
        self.stop()
        raise RuntimeError(f"receiver_server {self.side} did not start: {tail}")

    def cpu_seconds(self) -> float:
        import psutil

        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


# --- the client ----------------------------------------------------------------------------------


async def drive(base_url: str, paths: dict[str, str], make: Callable[[int], Request],
                concurrency: int, seconds: float, tally: Tally) -> float:  # fmt: skip
    """Keep `concurrency` requests in flight for `seconds`; returns the window's length (until the
    last answer)."""
    import aiohttp

    numbers = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                request = make(next(numbers))
                tally.sent.update(request.keys)
                sent_at = time.perf_counter()
                try:
                    url = base_url + paths[request.platform]
                    async with session.post(url, data=request.body,
                                            headers=request.headers) as response:  # fmt: skip
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                tally.latencies.append(time.perf_counter() - sent_at)
                tally.statuses[status] += 1
                if status == 200:
                    tally.accepted.update(request.keys)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def _maker(tag: str, size: Size, ids: dict[str, list[str]],
           secrets: Secrets) -> Callable[[int], Request]:  # fmt: skip
    def make(seq: int) -> Request:
        now_ms = int(time.time() * 1000)  # Zalo's timestamp must be fresh: the wall clock
        return make_request(seq, tag, fb_batch=size.fb_batch, now_ms=now_ms, ids=ids,
                            secrets=secrets)  # fmt: skip

    return make


def refusals(server: Server, ids: dict[str, list[str]], secrets: Secrets) -> dict[str, int]:
    """Status codes of a forged, a stale and an oversized request to our measured server: the
    bench must not measure a receiver with its checks off."""
    http = local_session()
    forged = make_request(0, "forged", fb_batch=1, now_ms=int(time.time() * 1000), ids=ids,
                          secrets=Secrets(app_secret="guessed"))  # fmt: skip
    stale = make_request(1, "stale", fb_batch=1, now_ms=int((time.time() - 4 * 3600) * 1000),
                         ids=ids, secrets=secrets)  # fmt: skip
    big = b'{"object":"page","entry":[]}' + b" " * (1 << 20)
    codes = {}
    for name, platform, body, headers in (
        ("forged_facebook", "facebook", forged.body, forged.headers),
        ("stale_zalo", "zalo", stale.body, stale.headers),
        ("oversized_facebook", "facebook", big, {"Content-Type": "application/json"}),
    ):
        url = server.base_url + PATHS["ours"][platform]
        codes[name] = http.post(url, data=body, headers=headers, timeout=30).status_code
    return codes


# --- the benchmark -------------------------------------------------------------------------------


def _inbox_keys(engine: Any) -> list[str]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT event_key FROM inbox_events"))]


def _empty_inbox(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("TRUNCATE inbox_events RESTART IDENTITY"))


def _window(server: Server, engine: Any, size: Size, tag: str, ids: dict[str, list[str]],
            secrets: Secrets) -> dict[str, Any]:  # fmt: skip
    paths = PATHS[server.side]
    _empty_inbox(engine)
    warm = Tally()
    asyncio.run(drive(server.base_url, paths, _maker(f"w{tag}", size, ids, secrets),
                      size.concurrency, size.warmup_seconds, warm))  # fmt: skip
    tally = Tally()
    cpu_before = server.cpu_seconds()
    seconds = asyncio.run(drive(server.base_url, paths, _maker(tag, size, ids, secrets),
                                size.concurrency, size.seconds, tally))  # fmt: skip
    cpu = server.cpu_seconds() - cpu_before
    figures = window_figures(tally, _inbox_keys(engine), seconds, warm.sent)
    persisted = figures["events_persisted"]
    figures["server_cpu_ms_per_event"] = round(cpu * 1000 / persisted, 3) if persisted else None
    figures["exactly_once"] = exactly_once(figures)
    figures["_latencies"] = tally.latencies  # pooled over rounds, then dropped
    return figures


def _side_summary(windows: list[dict[str, Any]]) -> dict[str, Any]:
    pooled = [x for w in windows for x in w.pop("_latencies")]
    seconds = sum(w["seconds"] for w in windows)
    persisted = sum(w["events_per_s"] * w["seconds"] for w in windows)
    return {
        "events_per_s": round(persisted / seconds, 1) if seconds else None,
        "events_per_s_by_round": spread([w["events_per_s"] for w in windows], 1),
        "latency_ms": latency_ms(pooled),
        "requests": sum(w["requests"] for w in windows),
        "events_persisted": sum(w["events_persisted"] for w in windows),
        "server_cpu_ms_per_event": spread(
            [w["server_cpu_ms_per_event"] for w in windows if w["server_cpu_ms_per_event"]], 3
        ),
        "exactly_once": all(w["exactly_once"] for w in windows),
        "windows": windows,
    }


def run(size: Size, env: Env) -> dict[str, Any]:
    """See the module docstring."""
    import uvicorn

    from bench.common import migrated_engine

    if not pg_available(env.pg_url):
        return {"skipped": "PostgreSQL not reachable"}
    assert env.pg_url
    ids = accounts()
    secrets = Secrets()
    # One bench client is one source (platform, address): its bucket is raised far above what
    # the client can send, so the limiter is still consulted on every request but never refuses.
    rate_limit = 1_000_000.0
    workdir = Path(tempfile.mkdtemp(prefix="receiver-", dir=env.workdir))
    by_side: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    ratios: list[float] = []
    with pg_database(env.pg_url, "cd_bench_receiver") as url:
        engine = migrated_engine(url)
        servers = {side: Server(side, url, workdir, secrets, rate_limit) for side in SIDES}
        try:
            checks = refusals(servers["ours"], ids, secrets)
            for round_no in range(size.rounds):
                order = SIDES if round_no % 2 == 0 else SIDES[::-1]
                for side in order:
                    env.log(f"receiver: round {round_no + 1}/{size.rounds}, {side}, "
                            f"{size.seconds:g} s at {size.concurrency} in flight")  # fmt: skip
                    tag = f"{side[0]}{round_no}"
                    by_side[side].append(_window(servers[side], engine, size, tag, ids, secrets))
                ours, bare = by_side["ours"][-1], by_side["bare"][-1]
                ratios.append(round(ours["events_per_s"] / bare["events_per_s"], 3))
        finally:
            for server in servers.values():
                server.stop()
            engine.dispose()
    sides = {side: _side_summary(windows) for side, windows in by_side.items()}
    ratio = round(sides["ours"]["events_per_s"] / sides["bare"]["events_per_s"], 3)
    return {
        "size": asdict(size),
        "server": f"uvicorn {uvicorn.__version__}, 1 worker, PostgreSQL (fresh migrated DB)",
        "rate_limit_per_s": rate_limit,
        "refusals": checks,
        "sides": sides,
        "ratio": ratio,
        "ratio_by_round": spread(ratios, 3),
        "goal": GOAL,
        "goal_met": ratio >= GOAL,
        "exactly_once": all(s["exactly_once"] for s in sides.values()),
    }


# --- report --------------------------------------------------------------------------------------


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The report's summary lines for this section."""
    if "sides" not in result:
        return [("webhook receiver", str(result.get("error") or result.get("skipped")), "")]
    ours, bare = result["sides"]["ours"], result["sides"]["bare"]
    value = (
        f"ours {ours['events_per_s']:,.0f} (p95 {ours['latency_ms']['p95']} ms); bare "
        f"{bare['events_per_s']:,.0f} (p95 {bare['latency_ms']['p95']} ms) = {result['ratio']}x"
    )
    verdict = f"goal ≥ {result['goal']}x: {'met' if result['goal_met'] else 'MISSED'}"
    if not result["exactly_once"]:
        verdict += "; NOT exactly once"
    return [("webhook events/s persisted (PostgreSQL)", value, verdict)]


def render(result: dict[str, Any]) -> str:
    """The REPORT.md section."""
    title = "## 6. Webhook receiver (PostgreSQL)"
    if "sides" not in result:
        return f"{title}\n\n{result.get('error') or result.get('skipped')}"
    size = result["size"]
    rows = []
    for side in SIDES:
        item = result["sides"][side]
        lat = item["latency_ms"]
        rows.append(
            "| "
            + " | ".join(
                str(v)
                for v in (
                    side,
                    f"{item['events_per_s']:,.1f}",
                    _spread_text(item["events_per_s_by_round"]),
                    lat["p50"],
                    lat["p95"],
                    lat["p99"],
                    f"{item['requests']:,}",
                    f"{item['events_persisted']:,}",
                    _spread_text(item["server_cpu_ms_per_event"]),
                    "yes" if item["exactly_once"] else "**NO**",
                )
            )
            + " |"
        )
    header = (
        "| side | events/s | by round | p50 ms | p95 ms | p99 ms | requests | events persisted "
        "| server CPU ms/event | exactly once |\n|" + "---|" * 10
    )
    verdict = (
        f"**Goal (ours ≥ {result['goal']}x the bare handler): "
        f"{'met' if result['goal_met'] else 'missed'}** — {result['ratio']}x over all rounds "
        f"(by round {_spread_text(result['ratio_by_round'])})."
    )
    return "\n".join(
        [
            title,
            "",
            f"{size['rounds']} rounds x {size['seconds']:g} s per side (after "
            f"{size['warmup_seconds']:g} s of warm-up), {size['concurrency']} requests in flight "
            f"(aiohttp, closed loop), alternating a signed Messenger batch of {size['fb_batch']} "
            "messages and a signed Zalo `user_send_text` event, every id new; "
            f"{result['server']}.",
            "",
            header,
            *rows,
            "",
            verdict,
            "",
            "- ours: the app object of `plugins/citizen_desk_plugin.py` mounted at "
            "`/citizen-desk` as the api-server mounts it; secrets from the "
            "`citizen_desk_webhooks` connection (an `AIRFLOW_CONN_` variable); signature, "
            "freshness, size and rate checks all on. The over-rate limit (50 requests/s per "
            "platform and address) would refuse the bench's single client, so the bench gives "
            f"that server's limiter {result['rate_limit_per_s']:,.0f} requests/s "
            "(`app.state.webhook_limiter`): still consulted on every request.",
            "- bare: a FastAPI handler that parses the JSON and INSERTs the same rows (same "
            "table, columns and values) in one statement and transaction, no check "
            "(`bench/receiver_server.py`).",
            "- events/s: events answered 200 *and* found in `inbox_events` afterwards, over the "
            "window (until the last answer). Latency: per request, at the client, pooled over "
            "rounds. Server CPU: the uvicorn process only (PostgreSQL and the client excluded).",
            "- The same machine runs client, server and PostgreSQL (2 cores): the ratio is the "
            "robust figure.",
            f"- Refusals of the measured server (forged signature, 4 h-old Zalo timestamp, "
            f"body over 1 MiB): {result['refusals']}.",
        ]
    )


def _spread_text(item: dict[str, Any] | None) -> str:
    if not item or item.get("median") is None:
        return "n/a"
    if item["n"] == 1:
        return f"{item['median']}"
    return f"{item['median']} ({item['min']}–{item['max']})"
