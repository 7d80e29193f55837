"""DAG parse cost: each file of `dags/` as the dag-processor parses it, next to an empty DAG.

`bench.dag_parse_worker` (a separate, clean process with Airflow imported) forks one fresh
child per measurement that runs Airflow 3.3's own `dag_processing.processor._parse_file`
(stability check, `BundleDagBag`, serialization); the whole folder is parsed in one child with
`BundleDagBag(dag_folder=dags/)`. Goal: every DAG file within 2x of an empty DAG (a minimal
`@dag` with one `@task`). A file over the goal gets an `-X importtime` breakdown of what it
imports beyond Airflow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import REPO, Env, spread

GOAL = 2.0
EMPTY_DAG = '''"""An empty DAG: the parse-cost yardstick."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"), catchup=False)
def bench_empty_dag():
    @task
    def noop() -> None:
        return None

    noop()


bench_empty_dag()
'''
IMPORTTIME_SCRIPT = """
import sys
from pathlib import Path
import airflow.dag_processing.manager
import structlog
from airflow.dag_processing.processor import (
    DagFileParseRequest, _parse_file, _pre_import_airflow_modules)
log = structlog.get_logger(logger_name="bench")
_pre_import_airflow_modules(sys.argv[1], log)
print("=== BENCH MARK ===", file=sys.stderr, flush=True)
_parse_file(DagFileParseRequest(file=sys.argv[1], bundle_path=Path(sys.argv[2]),
                                bundle_name="dags-folder"), log)
"""
IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\| (\s*)(\S+)")


@dataclass(frozen=True)
class Size:
    repeats: int = 5
    folder: bool = True
    importtime: bool = True
    files: tuple[str, ...] | None = None  # names in dags/ (None: all)


FULL = Size()
QUICK = Size(repeats=1, folder=False, importtime=False)


def airflow_env(workdir: Path) -> dict[str, str]:
    home = workdir / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "PYTHONPATH": os.pathsep.join([str(REPO / "include"), str(REPO / "devtools")]),
        }
    )
    return env


def dag_files() -> list[Path]:
    return sorted(p for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_"))


def import_breakdown(file: Path, bundle: Path, env: dict[str, str], top: int = 12) -> list[dict]:
    """The slowest imports (cumulative µs) a file adds on top of Airflow, via `-X importtime`."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTTIME_SCRIPT, str(file), str(bundle)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    _, _, after = proc.stderr.partition("=== BENCH MARK ===")
    rows = []
    for line in after.splitlines():
        match = IMPORT_LINE.search(line)
        if match:
            self_us, cumulative, indent, name = match.groups()
            depth = len(indent) // 2
            rows.append(
                {"module": name, "cumulative_ms": int(cumulative) / 1000, "depth": depth}
                | {"self_ms": int(self_us) / 1000}
            )
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]


def run(size: Size, env: Env) -> dict[str, Any]:
    """See the module docstring."""
    workdir = Path(tempfile.mkdtemp(prefix="dag-parse-", dir=env.workdir))
    empty_bundle = workdir / "empty-bundle"
    empty_bundle.mkdir()
    empty = empty_bundle / "bench_empty_dag.py"
    empty.write_text(EMPTY_DAG, encoding="utf-8")
    bundle = REPO / "dags"
    targets = [{"name": "(empty DAG)", "file": str(empty), "bundle": str(empty_bundle)}]
    files = [f for f in dag_files() if size.files is None or f.name in size.files]
    targets += [{"name": f.name, "file": str(f), "bundle": str(bundle)} for f in files]
    spec = {
        "repeats": size.repeats,
        "targets": targets,
        "folder": str(bundle) if size.folder else None,
    }
    airflow = airflow_env(workdir)
    env.log(f"dag_parse: {len(targets)} files x {size.repeats} (forked parser processes)")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.dag_parse_worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=airflow,
        cwd=REPO,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"dag_parse worker failed: {proc.stderr[-3000:]}")
    raw: dict[str, list[dict[str, Any]]] = json.loads(proc.stdout.strip().splitlines()[-1])
    empty_median = spread([s["seconds"] for s in raw["(empty DAG)"]])["median"]
    files = []
    for name, samples in raw.items():
        times = [s["seconds"] for s in samples if "seconds" in s]
        stats = spread(times)
        errors = sorted({e for s in samples for e in s.get("import_errors", [])})
        failures = sorted({s["error"] for s in samples if "error" in s})
        ratio = (
            round(stats["median"] / empty_median, 2)
            if stats["median"] is not None and empty_median
            else None
        )
        phase_names = sorted({k for s in samples for k in s.get("phases", {})})
        phases = {
            k: spread([s["phases"][k] for s in samples if k in s.get("phases", {})])["median"]
            for k in phase_names
        }
        files.append(
            {
                "file": name,
                "seconds": stats,
                "phase_medians": phases,
                "ratio_to_empty": ratio,
                "dags": samples[0].get("dags") if samples else None,
                "import_errors": errors,
                "failures": failures,
                "within_goal": ratio is not None and ratio <= GOAL,
            }
        )
    special = ("(empty DAG)", "(whole folder)")
    slow = [f for f in files if f["file"] not in special and not f["within_goal"]]
    if size.importtime:
        for item in slow:
            env.log(f"dag_parse: -X importtime for {item['file']}")
            item["slowest_imports"] = import_breakdown(bundle / item["file"], bundle, airflow)
    per_file = [f for f in files if f["file"] not in ("(empty DAG)", "(whole folder)")]
    return {
        "size": asdict(size),
        "goal": GOAL,
        "empty_dag_median_seconds": empty_median,
        "files": files,
        "sum_of_file_medians_seconds": round(sum(f["seconds"]["median"] or 0 for f in per_file), 4),
        "all_within_goal": all(f["within_goal"] for f in per_file),
    }
