"""The ingest bench's collector alone, for comparing two versions of the code: wall and CPU
seconds of one first collection of the ingest world, nothing else in the process (no baseline
read held in memory, no second backend before it).

    PYTHONPATH=include:devtools python -m bench.ingest_cpu postgresql 100000

Prints one JSON line. CPU seconds are this process's (the collector and its reader threads);
the triage worker is a process of its own and is reported apart. Run each version in turn, more
than once: on a shared machine wall time moves with the load, CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
from pathlib import Path

from bench.common import (
    PG_URL,
    SimProcess,
    migrated_engine,
    pg_database,
    quiet_logging,
    sync_registry,
    world_registry,
)
from bench.ingest import Size, collect_all, rate_for


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(backend: str, size: Size) -> dict[str, object]:
    from citizen_desk.collect import triage_worker

    workdir = Path(tempfile.mkdtemp(prefix="ingest-cpu-"))
    registry_path, channels = world_registry(workdir / "registry.yaml", size.channels)
    with SimProcess(
        scale=len(channels), days=size.days, rate=rate_for(size), registry=registry_path
    ) as sim:

        def collect(url: str) -> dict[str, object]:
            engine = migrated_engine(url)
            sync_registry(engine, registry_path)
            cpu_before = _cpu(resource.RUSAGE_SELF)
            seconds, _, summaries = collect_all(engine, sim, channels)
            cpu = _cpu(resource.RUSAGE_SELF) - cpu_before
            worker_before = _cpu(resource.RUSAGE_CHILDREN)
            triage_worker.close_shared()  # a child's CPU is counted once it has ended
            engine.dispose()
            return {
                "backend": backend,
                "messages": sum(s.get("messages_added", 0) for s in summaries),
                "wall_seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "triage_worker_cpu_seconds": round(
                    _cpu(resource.RUSAGE_CHILDREN) - worker_before, 2
                ),
                "load": Path("/proc/loadavg").read_text().split()[:3],
            }

        if backend == "sqlite":
            return collect(f"sqlite:///{workdir / 'ingest.db'}")
        with pg_database(PG_URL, "cd_bench_cpu") as url:
            return collect(url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=("postgresql", "sqlite"))
    parser.add_argument("messages", type=int, nargs="?", default=100_000)
    args = parser.parse_args(argv)
    quiet_logging()
    print(json.dumps(measure(args.backend, Size(messages=args.messages))))


if __name__ == "__main__":
    main()
