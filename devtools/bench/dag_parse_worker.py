"""`python -m bench.dag_parse_worker SPEC_JSON`: time DAG parsing the way the dag-processor does.

This process imports what the long-lived dag-processor has loaded (`airflow.dag_processing.manager`)
and pre-imports every file's `airflow.*` imports (`_pre_import_airflow_modules`, as the manager
does before starting a parser; done for all files first, as after the manager's first loop), then
for every measurement forks a fresh child that runs the dag-processor's own
`_parse_file` (stability check, `BundleDagBag`, serialization) and reports the time it took.
Imports nothing else (no `bench.common`), so a child starts from Airflow's state only.
Prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import airflow.dag_processing.manager  # noqa: F401  (what the dag-processor process has loaded)
import structlog
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.dag_processing.processor import (
    DagFileParseRequest,
    _parse_file,
    _pre_import_airflow_modules,
    _serialize_dags,
)

LOG = structlog.get_logger(logger_name="bench.dag_parse")


def _phase_timer(phases: dict[str, float], name: str, fn: Any) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return timed


def _child_file(path: str, bundle: str) -> dict[str, Any]:
    from airflow.dag_processing import processor

    # Time the three steps of `_parse_file` by wrapping the globals it calls (in this child only).
    phases: dict[str, float] = {}
    for name, attr in (
        ("stability_check", "check_dag_file_stability"),
        ("import_and_build", "BundleDagBag"),
        ("serialize", "_serialize_dags"),
    ):
        setattr(processor, attr, _phase_timer(phases, name, getattr(processor, attr)))
    started = time.perf_counter()
    result = _parse_file(
        DagFileParseRequest(file=path, bundle_path=Path(bundle), bundle_name="dags-folder"), LOG
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "phases": phases,
        "dags": len(result.serialized_dags) if result else 0,
        "import_errors": sorted((result.import_errors or {}).keys()) if result else [],
    }


def _child_folder(folder: str) -> dict[str, Any]:
    started = time.perf_counter()
    bag = BundleDagBag(
        dag_folder=folder, bundle_path=Path(folder), bundle_name="dags-folder", load_op_links=False
    )
    serialized, errors = _serialize_dags(bag, LOG)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "dags": len(serialized),
        "import_errors": sorted({**bag.import_errors, **errors}),
    }


def _forked(fn: Any, *args: str) -> dict[str, Any]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: parse, report, leave without running the parent's atexit hooks
        os.close(read_fd)
        os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "client"
        try:
            payload = fn(*args)
        except BaseException as exc:
            payload = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write_fd, "w") as out:
            out.write(json.dumps(payload))
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as source:
        data = source.read()
    os.waitpid(pid, 0)
    return json.loads(data) if data else {"error": "no output from the parser process"}


def main(spec: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {}
    repeats = int(spec["repeats"])
    for target in spec["targets"]:
        _pre_import_airflow_modules(target["file"], LOG)
    for _ in range(repeats):  # interleaved, so machine load drifts hit every target alike
        for target in spec["targets"]:
            _pre_import_airflow_modules(target["file"], LOG)
            sample = _forked(_child_file, target["file"], target["bundle"])
            results.setdefault(target["name"], []).append(sample)
        if spec.get("folder"):
            results.setdefault("(whole folder)", []).append(_forked(_child_folder, spec["folder"]))
    return results


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
