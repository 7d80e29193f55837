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
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench import pages_seed
from bench.common import load_now, migrated_engine, pg_database, quiet_logging, sync_registry
from bench.pages_seed import NOW

SQL_CHARS = 240
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


def measure_page(
    client: Any, path: str, statements: StatementLog, spec: dict[str, Any]
) -> dict[str, Any]:
    headers = {"Accept": "text/html"}
    started = time.perf_counter()
    client.get(path, headers=headers)
    first = time.perf_counter() - started
    for _ in range(spec["warmup"] - 1):
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
    with statements.record() as seen:
        client.get(path, headers=headers)
    samples: list[float] = []
    budget_ends = time.perf_counter() + spec["page_budget_seconds"]
    while len(samples) < spec["repeats"]:
        started = time.perf_counter()
        client.get(path, headers=headers)
        samples.append(time.perf_counter() - started)
        if len(samples) >= spec["min_repeats"] and time.perf_counter() > budget_ends:
            break
    slowest = sorted(seen, key=lambda s: -s["seconds"])[:3]
    return {
        "path": path,
        "n": len(samples),
        "p50": round(statistics.median(samples), 5),
        "p95": round(percentile(samples, 0.95), 5),
        "max": round(max(samples), 5),
        "first": round(first, 5),
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


def measure_size(engine: Any, client: Any, spec: dict[str, Any], log_sql: StatementLog) -> dict:
    ids = pick_ids(engine)
    result: dict[str, Any] = {}
    for name, path in pages(ids).items():
        item = measure_page(client, path, log_sql, spec)
        if item["p95"] > spec["goal_seconds"] and item["slowest_sql"]:
            worst = item["slowest_sql"][0]
            item["plan"] = explain(engine, worst["sql"], worst["params"])
        for statement in item["slowest_sql"]:  # for the report: the statement's start, no values
            statement["sql"] = " ".join(statement["sql"].split())[:SQL_CHARS]
            del statement["params"]
        result[name] = item
        log(
            f"pages:   {name:<34} p50 {item['p50'] * 1000:8.1f} ms  p95 "
            f"{item['p95'] * 1000:8.1f} ms  n={item['n']}  {item['statements']} SQL"
        )
    return {"ids": ids, "order": list(result), "pages": result}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from airflow.utils import db as airflow_db

    quiet_logging()
    started = time.perf_counter()
    airflow_db.initdb()
    log(f"pages: Airflow metadata DB initialised in {time.perf_counter() - started:.0f} s")
    reports_dir = Path(tempfile.mkdtemp(prefix="pages-reports-", dir=spec["workdir"]))
    rows: list[dict[str, Any]] = []
    with pg_database(spec["pg_url"], "cd_bench_pages") as url:
        engine = migrated_engine(url)
        sync_registry(engine, Path(spec["registry"]), NOW - timedelta(days=400))
        pages_seed.seed_fixed(engine, reports_dir)
        statements = StatementLog(engine)
        client = make_client(engine, reports_dir)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
        seeded = 0
        for size in spec["sizes"]:
            started = time.perf_counter()
            tables = pages_seed.grow(engine, seeded + 1, size)
            seeded = size
            grow_seconds = time.perf_counter() - started
            started = time.perf_counter()
            pages_seed.analyze(engine)
            analyze_seconds = time.perf_counter() - started
            counts = pages_seed.table_counts(engine)
            log(
                f"pages: {size:,} cases seeded in {grow_seconds:.0f} s (+ analyze "
                f"{analyze_seconds:.0f} s): {counts}"
            )
            load = load_now()
            measured = measure_size(engine, client, spec, statements)
            rows.append(
                {
                    "cases": size,
                    "seed_seconds": round(grow_seconds, 1),
                    "seed_seconds_by_table": tables,
                    "analyze_seconds": round(analyze_seconds, 1),
                    "counts": counts,
                    "load_avg_before": load,
                    "load_avg_after": load_now(),
                    **measured,
                }
            )
        client.close()
        engine.dispose()
    return {"rows": rows}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = run(spec)
    Path(spec["out"]).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
