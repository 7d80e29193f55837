"""The `pages` bench's measuring process: `python -m bench.pages_worker SPEC_JSON`.

A separate process because Airflow reads its configuration at import: `bench.pages` starts this
one with a throwaway AIRFLOW_HOME (its SQLite metadata DB holds the revoked-token table that every
login check reads) and a registry whose `access:` gives the bench user every role over the
province. Here: the metadata DB is initialised, a fresh PostgreSQL database migrated with our
Alembic migrations and synced with the registry, then for each size the database grows
(`bench.pages_seed`), is analysed, and every page is requested through the real FastAPI app
(`citizen_desk.web.app.create_app`, Starlette's TestClient, the login a JWT issued by Airflow's
auth manager): warm-up requests, then `repeats` timed ones. Per page: the latency samples, the SQL
statements of one request, and for a page over the goal the `EXPLAIN (ANALYZE, BUFFERS)` of its
slowest statement. Progress goes to stderr, the results to the file named in the spec.
"""

from __future__ import annotations

import json
import logging
import math
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench import pages_seed
from bench.common import load_now, migrated_engine, pg_database, quiet_logging, sync_registry
from bench.pages_seed import NOW

SQL_CHARS = 240
HEADERS = {"Accept": "text/html"}
USER = "bench.pages"  # given every role over the province by `bench.pages.bench_registry`


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between closest ranks (q in 0..1)."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class StatementLog:
    """The SQL statements (text, parameters, seconds) sent while `recording`."""

    def __init__(self, engine: Any) -> None:
        self.recording = False
        self.statements: list[dict[str, Any]] = []
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.count += 1
        if self.recording:
            seconds = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
            self.statements.append({"sql": statement, "params": parameters, "seconds": seconds})

    @contextmanager
    def record(self) -> Any:
        self.statements = []
        self.recording = True
        try:
            yield self.statements
        finally:
            self.recording = False


def explain(engine: Any, statement: str, parameters: Any) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan


def pick_ids(engine: Any) -> dict[str, int]:
    """The detail pages' subjects: an open tip of the newest cases, an old answered case."""
    queries = {
        "open_tip": "SELECT id FROM tips ORDER BY status IN ('new', 'verifying') DESC, "
        "escalation_level >= 1 DESC, id DESC LIMIT 1",
        "answered_case": "SELECT min(c.id) FROM cases c JOIN messages m ON m.case_id = c.id "
        "WHERE c.status = 'answered' AND c.category = 'question' AND m.direction = 'out'",
    }
    with engine.connect() as conn:
        return {k: int(conn.execute(text(q)).scalar() or 1) for k, q in queries.items()}


def pages(ids: dict[str, int]) -> dict[str, str]:
    """Every Citizen Desk page (GET), with its common filters, second pages and details."""
    tip = ids["open_tip"]
    return {
        "overview": "/",
        "overview (json)": "/api/overview",
        "SLA board": "/sla",
        "SLA board, breached": "/sla?state=breach",
        "SLA board, district TH-NS": "/sla?unit=TH-NS",
        "SLA board, category tip": "/sla?category=tip",
        "SLA board, channel fb-th": "/sla?channel=fb-th",
        "tips board (open)": "/tips",
        "tips board (open), page 2": "/tips?page=2",
        "tips board, level 2": "/tips?level=2",
        "tips board, district TH-NS": "/tips?unit=TH-NS",
        "tips board, all tips": "/tips?closed=true",
        "tips board, all tips, page 2": "/tips?closed=true&page=2",
        "tips board, all tips, last page": "/tips?closed=true&page=1000000",
        "publications": "/publications",
        "collection health": "/collection",
        "case (open tip)": f"/cases/{tip}",
        "case (answered question)": f"/cases/{ids['answered_case']}",
        "case identity form": f"/cases/{tip}/identity",
        "tip": f"/tips/{tip}",
        "tip action confirm": f"/tips/{tip}/actions/verified",
    }


def table_rows(html: str) -> int:
    """The rows a page shows in its tables' bodies (a list page: its rows, or its "none" line).

    A list page's cost grows with the rows it renders (a page of 6 tips at 10k cases, a full one
    of 100 at 1M): the report shows them beside the ratio, which then compares unlike pages."""
    return sum(body.count("<tr") for body in re.findall(r"<tbody>(.*?)</tbody>", html, re.S))


def warm_page(
    client: Any, path: str, statements: StatementLog, spec: dict[str, Any]
) -> dict[str, Any]:
    """The page's first request (timed: *first*), its warm-up, one request's SQL, its rows."""
    started = time.perf_counter()
    response = client.get(path, headers=HEADERS)
    first = time.perf_counter() - started
    for _ in range(spec["warmup"] - 1):
        response = client.get(path, headers=HEADERS)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
    with statements.record() as seen:
        client.get(path, headers=HEADERS)
    return {"path": path, "first": round(first, 5), "seen": list(seen),
            "rows": table_rows(response.text)}  # fmt: skip


def sample_page(client: Any, path: str, spec: dict[str, Any]) -> list[float]:
    """One round's timed requests of a page (fewer, at least `min_repeats`, past its budget)."""
    samples: list[float] = []
    budget_ends = time.perf_counter() + spec["page_budget_seconds"] / spec["rounds"]
    while len(samples) < spec["repeats"]:
        started = time.perf_counter()
        client.get(path, headers=HEADERS)
        samples.append(time.perf_counter() - started)
        if len(samples) >= spec["min_repeats"] and time.perf_counter() > budget_ends:
            break
    return samples


def page_figures(warm: dict[str, Any], rounds: list[list[float]]) -> dict[str, Any]:
    """p50 and p95 of a page: the median over the rounds of each round's own (a burst of load
    in one round moves one of them, not the figure), the pooled ones beside."""
    pooled = [x for samples in rounds for x in samples]
    seen = warm["seen"]
    slowest = sorted(seen, key=lambda s: -s["seconds"])[:3]
    return {
        "path": warm["path"],
        "n": len(pooled),
        "rounds": len(rounds),
        "p50": round(statistics.median(statistics.median(r) for r in rounds), 5),
        "p95": round(statistics.median(percentile(r, 0.95) for r in rounds), 5),
        "p95_rounds": [round(percentile(r, 0.95), 5) for r in rounds],
        "p50_pooled": round(statistics.median(pooled), 5),
        "p95_pooled": round(percentile(pooled, 0.95), 5),
        "max": round(max(pooled), 5),
        "first": warm["first"],
        "rows": warm["rows"],
        "statements": len(seen),
        "sql_seconds": round(sum(s["seconds"] for s in seen), 5),
        "slowest_sql": [
            {"sql": s["sql"], "params": s["params"], "seconds": round(s["seconds"], 5)}
            for s in slowest
        ],
    }


def make_client(engine: Any, reports_dir: Path) -> Any:
    from airflow.api_fastapi.app import init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    from citizen_desk.web.app import create_app
    from citizen_desk.web.deps import request_now

    token = init_auth_manager().generate_jwt(SimpleAuthManagerUser(username=USER, role="admin"))
    app = create_app(engine_factory=lambda: engine, reports_dir=lambda: reports_dir)
    app.dependency_overrides[request_now] = lambda: NOW
    client = TestClient(app, follow_redirects=False)
    client.cookies.set("_token", token)
    return client


@dataclass
class World:
    """One size: its own database, app and client, and what was measured on it."""

    cases: int
    engine: Any
    client: Any
    statements: StatementLog
    pages: dict[str, str]
    facts: dict[str, Any]
    warm: dict[str, dict[str, Any]] = field(default_factory=dict)
    rounds: dict[str, list[list[float]]] = field(default_factory=dict)


def seed_world(url: str, size: int, spec: dict[str, Any], reports_dir: Path) -> World:
    """A database of `size` cases, as the collection and the SLA check leave it."""
    engine = migrated_engine(url)
    sync_registry(engine, Path(spec["registry"]), NOW - timedelta(days=400))
    pages_seed.seed_fixed(engine, reports_dir)
    started = time.perf_counter()
    tables = pages_seed.grow(engine, 1, size)
    grow_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pages_seed.analyze(engine)
    analyze_seconds = time.perf_counter() - started
    started = time.perf_counter()
    kept = pages_seed.after_collection(engine)
    kept_seconds = time.perf_counter() - started
    counts = pages_seed.table_counts(engine)
    log(
        f"pages: {size:,} cases seeded in {grow_seconds:.0f} s (+ analyze "
        f"{analyze_seconds:.0f} s, the SLA check's rollup {kept_seconds:.2f} s): {counts}"
    )
    statements = StatementLog(engine)
    client = make_client(engine, reports_dir)
    facts = {
        "cases": size,
        "seed_seconds": round(grow_seconds, 1),
        "seed_seconds_by_table": tables,
        "analyze_seconds": round(analyze_seconds, 1),
        "after_collection": kept,
        "after_collection_seconds": round(kept_seconds, 3),
        "counts": counts,
    }
    facts["ids"] = ids = pick_ids(engine)
    return World(size, engine, client, statements, pages(ids), facts)


def measure(worlds: list[World], spec: dict[str, Any]) -> None:
    """Warm every page of every size, then `rounds` rounds, each visiting every size (in turn
    first) and every page: the sizes are compared under the same spread of load."""
    for world in worlds:
        load = load_now()
        for name, path in world.pages.items():
            world.warm[name] = warm_page(world.client, path, world.statements, spec)
            world.rounds[name] = []
        world.facts["load_avg_before"] = load
    for number in range(spec["rounds"]):
        turn = worlds[number % len(worlds) :] + worlds[: number % len(worlds)]
        for world in turn:
            for name, path in world.pages.items():
                world.rounds[name].append(sample_page(world.client, path, spec))
        log(f"pages: round {number + 1} of {spec['rounds']} done, load {load_now()}")
    for world in worlds:
        world.facts["load_avg_after"] = load_now()


def report_world(world: World, spec: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in world.pages:
        item = page_figures(world.warm[name], world.rounds[name])
        if item["p95"] > spec["goal_seconds"] and item["slowest_sql"]:
            worst = item["slowest_sql"][0]
            item["plan"] = explain(world.engine, worst["sql"], worst["params"])
        for statement in item["slowest_sql"]:  # for the report: the statement's start, no values
            statement["sql"] = " ".join(statement["sql"].split())[:SQL_CHARS]
            del statement["params"]
        result[name] = item
        log(
            f"pages: {world.cases:>9,} {name:<34} p50 {item['p50'] * 1000:8.1f} ms  p95 "
            f"{item['p95'] * 1000:8.1f} ms  n={item['n']}  {item['statements']} SQL"
        )
    return {**world.facts, "order": list(result), "pages": result}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from airflow.utils import db as airflow_db

    quiet_logging()
    started = time.perf_counter()
    airflow_db.initdb()
    log(f"pages: Airflow metadata DB initialised in {time.perf_counter() - started:.0f} s")
    reports_dir = Path(tempfile.mkdtemp(prefix="pages-reports-", dir=spec["workdir"]))
    for name in ("httpx", "httpx2"):  # one line per request otherwise, through the PII filter
        logging.getLogger(name).setLevel(logging.WARNING)
    with ExitStack() as stack:
        worlds = []
        for size in spec["sizes"]:
            url = stack.enter_context(pg_database(spec["pg_url"], f"cd_bench_pages{size}"))
            worlds.append(seed_world(url, size, spec, reports_dir))
        try:
            measure(worlds, spec)
            rows = [report_world(world, spec) for world in worlds]
        finally:
            for world in worlds:
                world.client.close()
                world.engine.dispose()
    return {"rows": rows}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = run(spec)
    Path(spec["out"]).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
