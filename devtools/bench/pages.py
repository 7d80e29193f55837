"""Citizen Desk page latency on PostgreSQL at 10k, 100k and 1M cases (1k, 10k, 100k tips).

One PostgreSQL database per size (10k, 100k, 1M cases), migrated with our Alembic migrations
(`bench.pages_seed`: rows generated inside PostgreSQL, distributions in its docstring). At each
size every Citizen Desk page — overview, SLA board, tips board, publications, collection health,
case, tip, with their common filters and second/last pages — is requested through the real
FastAPI app in-process, logged in as a user with every role over the province, after warm-up
requests, in rounds that visit every size in turn (`bench.pages_worker`, a separate process with
its own Airflow home). Figures per page and size: p50 and p95 latency (medians over the
rounds), SQL statements per request; the ratio of the 1M p95 to the 10k p95. Goal (issue #21):
every page ≤ 300 ms p95 at 1M cases and ≤ 1.5x its 10k time.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.common import REGISTRY, REPO, Env, pg_available
from bench.pages_worker import USER

GOAL_SECONDS = 0.300
GOAL_RATIO = 1.5


@dataclass(frozen=True)
class Size:
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    warmup: int = 3
    rounds: int = 5  # every size and page in each round; p50/p95: the median over the rounds
    repeats: int = 20  # timed requests per page, size and round
    min_repeats: int = 5  # per round: a page slower than its time budget stops there
    page_budget_seconds: float = 60.0


FULL = Size()
QUICK = Size(
    sizes=(500, 2_000), warmup=1, rounds=2, repeats=3, min_repeats=3, page_budget_seconds=5.0
)


def bench_registry(path: Path) -> Path:
    """The sample registry, plus the bench user with every role over the province."""
    raw = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    roles = ("chief", "publication_approver", "identity_custodian")
    raw["access"] = {
        **raw.get("access", {}),
        USER: [{"role": role, "units": ["TH"]} for role in roles],
    }
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def worker_env(workdir: Path, registry: Path) -> dict[str, str]:
    home = workdir / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(workdir / "no-plugins"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "CITIZEN_DESK_REGISTRY": str(registry),
            "CITIZEN_DESK_DATA_DIR": str(workdir / "data"),
            "PYTHONPATH": os.pathsep.join([str(REPO / "include"), str(REPO / "devtools")]),
        }
    )
    for name in ("CITIZEN_DESK_DB_URL", "CITIZEN_DESK_BASE_URL"):
        env.pop(name, None)
    return env


def run(size: Size, env: Env) -> dict[str, Any]:
    """See the module docstring."""
    if not pg_available(env.pg_url):
        return {"skipped": "PostgreSQL unreachable", "size": asdict(size)}
    workdir = Path(tempfile.mkdtemp(prefix="pages-", dir=env.workdir))
    out = workdir / "pages.json"
    spec = {
        **asdict(size),
        "goal_seconds": GOAL_SECONDS,
        "pg_url": env.pg_url,
        "registry": str(bench_registry(workdir / "registry.yaml")),
        "workdir": str(workdir),
        "out": str(out),
    }
    env.log(f"pages: {', '.join(f'{n:,}' for n in size.sizes)} cases, {size.repeats} requests")
    proc = subprocess.run(  # stderr passes through: the worker's progress lines
        [sys.executable, "-m", "bench.pages_worker", json.dumps(spec)],
        env=worker_env(workdir, Path(spec["registry"])),
        cwd=REPO,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"pages worker failed (exit {proc.returncode}); see its output above")
    rows: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))["rows"]
    return {"size": asdict(size), "goal_seconds": GOAL_SECONDS, "goal_ratio": GOAL_RATIO,
            "rows": rows, "verdicts": verdicts(rows)}  # fmt: skip


def verdicts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per page: p95 at the smallest and largest size, their ratio, and whether both goals hold."""
    if not rows:
        return {}
    small, large = rows[0], rows[-1]
    result = {}
    for name, item in large["pages"].items():
        base = small["pages"].get(name)
        ratio = round(item["p95"] / base["p95"], 2) if base and base["p95"] else None
        result[name] = {
            "p95_small": base["p95"] if base else None,
            "p95_large": item["p95"],
            "rows_small": base.get("rows") if base else None,
            "rows_large": item.get("rows"),
            "ratio": ratio,
            "within_time": item["p95"] <= GOAL_SECONDS,
            "within_ratio": ratio is not None and ratio <= GOAL_RATIO,
        }
    return result


# --- the report ----------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.0f}"


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The summary table's lines: the worst page by time and by growth, and the goal verdict."""
    verdict = result.get("verdicts") or {}
    if not verdict:
        return [("pages", str(result.get("error") or result.get("skipped", "?")), "")]
    rows = result["rows"]
    small, large = rows[0]["cases"], rows[-1]["cases"]
    slowest = max(verdict.items(), key=lambda kv: kv[1]["p95_large"])
    growing = max(verdict.items(), key=lambda kv: kv[1]["ratio"] or 0)
    missed = [n for n, v in verdict.items() if not (v["within_time"] and v["within_ratio"])]
    goal = f"goal ≤ {_ms(result['goal_seconds'])} ms and ≤ {result['goal_ratio']}x: " + (
        "met by every page" if not missed else f"MISSED by {len(missed)} of {len(verdict)}"
    )
    return [
        (
            f"pages p95 at {large:,} cases, slowest",
            f"{slowest[0]} {_ms(slowest[1]['p95_large'])} ms",
            goal,
        ),
        (
            f"pages p95 {large:,} / {small:,} cases, largest ratio",
            f"{growing[0]} {growing[1]['ratio']}x",
            "",
        ),
    ]


def _plan_lines(plan: str, limit: int = 12) -> list[str]:
    return [line.rstrip() for line in plan.splitlines()][:limit]


def section(result: dict[str, Any]) -> str:
    rows = result.get("rows") or []
    sizes = [r["cases"] for r in rows]
    at = " / ".join(f"{n:,}" for n in sizes) or "10k / 100k / 1M"
    title = f"## 7. Citizen Desk pages at {at} cases (PostgreSQL)"
    if not rows:
        return f"{title}\n\n{result.get('error') or result.get('skipped')}"
    header = ["page", *(f"p50 / p95 at {n:,}" for n in sizes), f"first at {sizes[-1]:,}",
              "SQL / request", "table rows", f"p95 {sizes[-1]:,} / {sizes[0]:,}",
              "goal"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    verdict = result.get("verdicts") or {}
    for name in rows[-1].get("order") or rows[-1]["pages"]:
        cells = [f"{name} (`{rows[-1]['pages'][name]['path']}`)"]
        for row in rows:
            item = row["pages"].get(name)
            cells.append(f"{_ms(item['p50'])} / {_ms(item['p95'])} ms" if item else "n/a")
        cells.append(f"{_ms(rows[-1]['pages'][name].get('first'))} ms")
        statements = [str(row["pages"][name]["statements"]) for row in rows if name in row["pages"]]
        shown = [str(row["pages"][name].get("rows", "?")) for row in rows if name in row["pages"]]
        v = verdict.get(name, {})
        ok = v.get("within_time") and v.get("within_ratio")
        cells += ["/".join(statements), "/".join(shown), f"{v.get('ratio')}x",
                  "met" if ok else "**missed**"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    counts = [
        f"- {r['cases']:,} cases: seeded in {r['seed_seconds']} s (+ VACUUM ANALYZE "
        f"{r['analyze_seconds']} s, the SLA check's rollup "
        f"{r.get('after_collection_seconds')} s); "
        f"{', '.join(f'{k} {v:,}' for k, v in r['counts'].items())}; "
        f"load average {r['load_avg_before']} → {r['load_avg_after']}"
        for r in rows
    ]
    plans = []
    for name, item in rows[-1]["pages"].items():
        if item.get("plan"):
            plans += [f"{name} — slowest statement, `EXPLAIN (ANALYZE, BUFFERS)`:", "```",
                      *_plan_lines(item["plan"]), "```"]  # fmt: skip
    size = result["size"]
    return "\n".join(
        [
            title,
            "",
            "One PostgreSQL database per size, migrated with our Alembic migrations and seeded "
            "inside PostgreSQL (`bench/pages_seed.py`: the demo registry's 18 channels "
            "weighted by unit level, categories, statuses, 180 days of dates in id order, 1–3 "
            "citizen messages and a reply per case, tips with their history, notifications, SLA "
            "events, weekly publications, hourly collection runs; then what the SLA check keeps "
            "after a collection, the overview's weekly rollup; the pages' clock is Sunday "
            "23:00 local, so the overview's week is a full one). Each page is requested through "
            "the real FastAPI app in-process (TestClient, an Airflow JWT of a user with every "
            f"role over the province): {size['warmup']} warm-up requests (the first one's time "
            f"is *first*), then {size['rounds']} rounds, each visiting every size (a different "
            f"one first) and every page with {size['repeats']} timed requests (at least "
            f"{size['min_repeats']} when a page exceeds its share of "
            f"{size['page_budget_seconds']:g} s), so that the sizes see the same spread of load. "
            "p50 / p95 in ms: the median over the rounds of each round's own; *SQL / request* "
            f"per size; goal (issue #21): p95 ≤ {_ms(result['goal_seconds'])} ms at "
            f"{sizes[-1]:,} cases and ≤ {result['goal_ratio']}x its p95 at {sizes[0]:,}. "
            "*Table rows*: the rows the page shows (its tables' bodies) per size; where they "
            "differ the ratio compares a short page with a full one (a filter that matches 6 "
            "open tips at 10,000 cases fills its page of 100 at 1,000,000).",
            "",
            *lines,
            "",
            *counts,
            *(["", *plans] if plans else []),
        ]
    )
