"""`python -m bench.run [--quick] [--only NAME ...] [--ingest-messages N] [--scale-channels N ...]
[--scale-topology local|celery] [--scale-connections auto|api|env|secrets] [--scale-timeout S]`:
run the benchmarks.

Full mode writes `bench/results.json` and `bench/REPORT.md` (a partial run with `--only` updates
its sections and keeps the others); `--quick` runs tiny sizes into `bench/out/` (smoke test).
Prints the summary table at the end. PostgreSQL: `CITIZEN_DESK_BENCH_PG_URL` (default
`postgresql+psycopg2://postgres@127.0.0.1:5432/postgres`; throwaway databases are created and
dropped); without a reachable server the PostgreSQL parts are skipped and say so.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api_economy, dag_parse, ingest, pages, receiver, scale, sweeps, triage_speed
from bench.common import PG_URL, REPO, Env, load_now, machine, quiet_logging
from bench.report import render_report, summary_rows

BENCHMARKS: dict[str, tuple[Any, Any, Any]] = {
    "api_economy": (api_economy.run, api_economy.FULL, api_economy.QUICK),
    "ingest": (ingest.run, ingest.FULL, ingest.QUICK),
    "sweeps": (sweeps.run, sweeps.FULL, sweeps.QUICK),
    "dag_parse": (dag_parse.run, dag_parse.FULL, dag_parse.QUICK),
    "triage_speed": (triage_speed.run, triage_speed.FULL, triage_speed.QUICK),
    "receiver": (receiver.run, receiver.FULL, receiver.QUICK),
    "pages": (pages.run, pages.FULL, pages.QUICK),
    "scale": (scale.run, scale.FULL, scale.QUICK),
}
OPT_IN = ("scale",)  # minutes of real Airflow per size: only with `--only scale`
OUT_FULL = REPO / "devtools" / "bench"
OUT_QUICK = REPO / "devtools" / "bench" / "out"
BUDGET_SECONDS = 15 * 60


def _size(
    name: str,
    quick: bool,
    ingest_messages: int | None,
    scale_channels: list[int] | None = None,
    scale_topology: str | None = None,
    scale_connections: str | None = None,
    scale_timeout: float | None = None,
) -> Any:
    _, full, small = BENCHMARKS[name]
    size = small if quick else full
    if name == "ingest" and ingest_messages:
        size = replace(size, messages=ingest_messages)
    if name == "scale" and scale_channels:
        size = replace(size, channels=tuple(scale_channels))
    if name == "scale" and scale_topology:
        size = replace(size, topology=scale_topology)
    if name == "scale" and scale_connections:
        size = replace(size, connections=scale_connections)
    if name == "scale" and scale_timeout:
        size = replace(size, run_timeout=scale_timeout)
    return size


def run_one(name: str, size: Any, env: Env, command: str = "") -> dict[str, Any]:
    fn: Callable[[Any, Env], dict[str, Any]] = BENCHMARKS[name][0]
    started = time.perf_counter()
    load_before = load_now()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")  # the bench's own clock: fine here
    try:
        result = fn(size, env)
        status = "ok"
    except Exception as exc:  # one broken benchmark must not hide the others
        env.log(f"{name}: FAILED: {type(exc).__name__}: {exc}")
        result = {"error": f"{type(exc).__name__}: {exc}"}
        status = "failed"
    result["_meta"] = {
        "status": status,
        "started_at": stamp,
        "seconds": round(time.perf_counter() - started, 1),
        "load_avg_before": load_before,
        "load_avg_after": load_now(),
        "command": command,
    }
    env.log(f"{name}: {status} in {result['_meta']['seconds']} s")
    return result


def _merge(path: Path, fresh: dict[str, Any]) -> dict[str, Any]:
    if not path.exists():
        return fresh
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return fresh
    merged = dict(old)
    merged["benchmarks"] = {**old.get("benchmarks", {}), **fresh["benchmarks"]}
    merged["machine"] = fresh["machine"]
    merged["run"] = fresh["run"]
    return merged


def print_table(results: dict[str, Any], stream: Any = None) -> None:
    stream = stream or sys.stdout  # the current one (a default would be bound at import)
    rows = summary_rows(results)
    width = max((len(r[0]) for r in rows), default=10)
    print("\n" + "=" * 100, file=stream)
    print(f"{'figure':<{width}}  value", file=stream)
    print("-" * 100, file=stream)
    for figure, value, _goal in rows:
        print(f"{figure:<{width}}  {value}", file=stream)
    print("=" * 100, file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="run only these (repeatable)"
    )
    parser.add_argument("--ingest-messages", type=int, help="target world size for `ingest`")
    parser.add_argument(
        "--scale-channels", type=int, action="append", help="channel counts for `scale`"
    )
    parser.add_argument(
        "--scale-topology",
        choices=scale.TOPOLOGIES,
        help="`scale`'s e2e topology: local (airflow standalone, default) or celery",
    )
    parser.add_argument(
        "--scale-connections",
        choices=scale.CONNECTION_MODES,
        help="`scale`'s channel connections: api, env, secrets (default auto: api up to "
        f"{scale.API_CONNECTIONS_LIMIT} channels, secrets above)",
    )
    parser.add_argument(
        "--scale-timeout",
        type=float,
        help=f"`scale`: seconds a run may take (default {scale.FULL.run_timeout:.0f}); a run "
        "still going then is recorded as it stands",
    )
    parser.add_argument("--out", type=Path, help="where results.json and REPORT.md go")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL parts")
    parser.add_argument(
        "--report-only", action="store_true", help="re-render REPORT.md from results.json"
    )
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])])
    if args.report_only:
        out = args.out or (OUT_QUICK if args.quick else OUT_FULL)
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        (out / "REPORT.md").write_text(render_report(results), encoding="utf-8")
        print_table(results)
        return 0

    quiet_logging()
    names = args.only or [name for name in BENCHMARKS if name not in OPT_IN]
    out = args.out or (OUT_QUICK if args.quick else OUT_FULL)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="citizen-desk-bench-"))
    env = Env(workdir=workdir, pg_url=None if args.no_pg else PG_URL)
    started = time.perf_counter()
    info = machine(env.pg_url)
    env.log(f"bench: {', '.join(names)} ({'quick' if args.quick else 'full'}); scratch {workdir}")
    benchmarks: dict[str, Any] = {}
    try:
        for name in names:
            size = _size(
                name,
                args.quick,
                args.ingest_messages,
                args.scale_channels,
                args.scale_topology,
                args.scale_connections,
                args.scale_timeout,
            )
            benchmarks[name] = run_one(name, size, env, command)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - started
    fresh = {
        "machine": info,
        "run": {
            "mode": "quick" if args.quick else "full",
            "benchmarks": names,
            "seconds": round(total, 1),
            "budget_seconds": BUDGET_SECONDS,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_avg_at_end": load_now(),
            "command": command,
        },
        "benchmarks": benchmarks,
    }
    results_path = out / "results.json"
    results = fresh if args.quick else _merge(results_path, fresh)
    results_path.write_text(
        json.dumps(results, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    (out / "REPORT.md").write_text(render_report(results), encoding="utf-8")
    print_table(results)
    print(f"total {total:.0f} s (budget {BUDGET_SECONDS} s); wrote {results_path} and REPORT.md")
    failed = [n for n, r in benchmarks.items() if r.get("_meta", {}).get("status") != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
