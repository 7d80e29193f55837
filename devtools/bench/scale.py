"""Scale: one daily collection through the real Airflow at 18 and ~330 channels (opt-in).

`python -m bench.run --only scale` (not part of a plain `make bench`: it starts `airflow
standalone` once per size, minutes each). Per size: the national world
(`platform_simulator.national`) cut to that many channels (Thanh Hóa's province page and OA, then
its communes), one day of history at the national traffic model; the e2e harness's
`LocalTopology` (what `make demo` runs: `airflow standalone`, LocalExecutor, SQLite) with that
registry; the channels' connections loaded through `citizen_desk.pipeline.connections` (the
REST bulk API) up to `API_CONNECTIONS_LIMIT`, as `AIRFLOW_CONN_*` variables above it (Airflow
3.3's masker makes API-created connections O(N²): see that module). Then `collect_citizen_messages`
is unpaused and triggered once through the REST API, and the section records its wall time (the
run's start to end, and trigger to end), the scheduler process's CPU seconds and the whole
standalone tree's (scheduler, api-server, dag-processor, triggerer, task processes) over the
run, the mapped tasks and the load average.

The national size (~6,570 channels) is not run by default: `python -m bench.run --only scale
--scale-channels 6570` would (env-var connections, ~1.45 MB of environment per process).
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Env, load_now

COLLECT = "collect_citizen_messages"
API_CONNECTIONS_LIMIT = 1000  # above: AIRFLOW_CONN_* (the API's masker cost is O(N²))
NO_SCHEDULE = "0 0 29 2 *"  # no scheduled run on unpause: only the REST-triggered one


@dataclass(frozen=True)
class Size:
    channels: tuple[int, ...] = (18, 330)
    days: int = 1  # history the first (= daily) collection reads
    seed: int = 42
    run_timeout: float = 1800.0


FULL = Size()
QUICK = Size(channels=(4,))


def national_cut(channels: int, seed: int, out_dir: Path) -> tuple[Path, Path, dict[str, Any]]:
    """The national world's first `channels` channels (whole provinces as needed, the last one
    cut), keeping only the units that own a channel and the provinces; writes registry.yaml and
    traffic.json into `out_dir`."""
    from platform_simulator.national import PROVINCES, national_world

    provinces = 1
    while provinces < len(PROVINCES):
        if len(national_world(provinces, seed=seed).channels) >= channels:
            break
        provinces += 1
    world = national_world(provinces, seed=seed)
    kept = world.channels[:channels]
    owners = {c["unit"] for c in kept}
    world.registry["channels"] = kept
    world.registry["units"] = [
        u for u in world.units if u["code"] in owners or u["kind"] == "province"
    ]
    traffic = {c["key"]: world.traffic[c["key"]] for c in kept}
    registry, traffic_path = type(world)(world.registry, traffic).write(out_dir)
    platforms = Counter(c["platform"] for c in kept)
    info = {
        "channels": len(kept),
        "facebook": platforms["facebook"],
        "zalo": platforms["zalo"],
        "units": len(world.registry["units"]),
        "messages_per_day": round(sum(traffic.values()), 1),
        "batch_size": world.registry["collection"]["batch_size"],
    }
    return registry, traffic_path, info


def channel_connection_env(simulator_url: str, registry: Path) -> dict[str, str]:
    """Every channel's connection as an `AIRFLOW_CONN_*` variable (the national path)."""
    import json

    from e2e.topology import _demo_env_module

    conns = _demo_env_module().channel_connections(simulator_url, str(registry))
    return {
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn, ensure_ascii=False)
        for conn_id, conn in conns.items()
    }


def _scale_topology(registry: Path, traffic: Path, days: int, channels: int) -> Any:
    from e2e.environment import REPO, base_process_env
    from e2e.processes import Proc
    from e2e.simulator import simulator_proc, wait_healthy
    from e2e.topology import LocalTopology

    @dataclass
    class ScaleTopology(LocalTopology):
        """The e2e `LocalTopology` on a generated registry and its per-channel traffic."""

        connections: str = field(init=False, default="api")
        connection_seconds: float | None = field(init=False, default=None)

        def __post_init__(self) -> None:
            super().__post_init__()
            shutil.copyfile(registry, self.registry_path)
            if channels > API_CONNECTIONS_LIMIT:
                self.connections = "env"
                sim_url = f"http://127.0.0.1:{self.sim_port}"
                self.env.update(channel_connection_env(sim_url, self.registry_path))

        def _run_simulator(self, log: Path, *extra_args: str) -> None:
            env = base_process_env({"PYTHONPATH": str(REPO / "include")})
            proc = simulator_proc(self.sim_port, self.world_now, self.sim_state, log, env)
            argv: list[str] = []
            for arg in proc.argv:  # the e2e canaries name the sample registry's channels
                if argv and argv[-1] == "--canary":
                    argv.pop()
                    continue
                argv.append(arg)
            argv[argv.index("--registry") + 1] = str(self.registry_path)
            argv[argv.index("--days") + 1] = str(days)
            rate = argv.index("--rate")
            del argv[rate : rate + 2]
            argv += ["--traffic", str(traffic), *extra_args]
            self.sim = Proc("simulator", argv, proc.env, log, REPO).start()
            wait_healthy(self.simulator, self.sim, timeout=600)

        def load_connections(self) -> None:
            if self.connections == "api":  # else they are AIRFLOW_CONN_* variables
                started = time.perf_counter()
                super().load_connections()
                self.connection_seconds = round(time.perf_counter() - started, 1)

    world_now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    extra = {"CITIZEN_DESK_COLLECT_SCHEDULE": NO_SCHEDULE}
    return ScaleTopology(f"scale{channels}", world_now, extra_env=extra)


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU (user + system) of a process tree: `scheduler` (processes whose command line is
    `airflow scheduler`: LocalExecutor's workers retitle themselves `airflow worker -- …`, so
    the tasks they run are not in it), `tree` (every live descendant plus what its reaped
    children used), and how many processes matched `scheduler`."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {"scheduler": 0.0, "tree": 0.0, "scheduler_processes": 0}
    scheduler = tree = 0.0
    matched = 0
    for proc in procs:
        with suppress(psutil.Error):
            times = proc.cpu_times()
            own = times.user + times.system
            tree += own + times.children_user + times.children_system
            if any(part == "scheduler" for part in proc.cmdline()[1:3]):
                scheduler += own
                matched += 1
    return {
        "scheduler": round(scheduler, 2),
        "tree": round(tree, 2),
        "scheduler_processes": matched,
    }


def _seconds(run: dict[str, Any]) -> float | None:
    start, end = run.get("start_date"), run.get("end_date")
    if not start or not end:
        return None
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds(), 1)


def measure(channels: int, size: Size, env: Env) -> dict[str, Any]:
    out = env.workdir / f"scale-{channels}"
    registry, traffic, info = national_cut(channels, size.seed, out)
    topo = _scale_topology(registry, traffic, size.days, channels)
    result: dict[str, Any] = {**info, "connections": topo.connections}
    try:
        started = time.perf_counter()
        topo.start()
        result["startup_seconds"] = round(time.perf_counter() - started, 1)
        result["connection_load_seconds"] = topo.connection_seconds
        if COLLECT not in topo.wait_dags([COLLECT], timeout=600):
            raise RuntimeError(f"{COLLECT} was not parsed")
        world = topo.simulator.get("/_sim/world")
        result["world"] = {k: v for k, v in world.items() if not isinstance(v, (dict, list))}
        pid = topo.procs["standalone"].pid
        topo.client.set_paused(COLLECT, False)
        time.sleep(2)
        result["load_avg_before"] = load_now()
        before = cpu_seconds(pid)
        triggered = time.perf_counter()
        run_id = f"scale_{channels}_{int(time.time())}"
        topo.client.trigger(COLLECT, run_id, conf={})
        run = topo.client.wait_run(COLLECT, run_id, timeout=size.run_timeout, poll=1.0)
        result["trigger_to_end_seconds"] = round(time.perf_counter() - triggered, 1)
        after = cpu_seconds(pid)
        result["load_avg_after"] = load_now()
        result["run_state"] = run["state"]
        result["run_seconds"] = _seconds(run)
        result["scheduler_cpu_seconds"] = round(after["scheduler"] - before["scheduler"], 2)
        result["scheduler_processes"] = after["scheduler_processes"]
        result["tree_cpu_seconds"] = round(after["tree"] - before["tree"], 2)
        tis = topo.client.task_instances(COLLECT, run_id)
        result["task_instances"] = len(tis)
        result["task_states"] = dict(Counter(str(t.get("state")) for t in tis))
        stats = topo.simulator.stats()
        result["api_requests"] = stats.get("requests")
    finally:
        topo.stop()
        topo.cleanup()
    return result


def run(size: Size, env: Env) -> dict[str, Any]:
    sizes: list[dict[str, Any]] = []
    for channels in size.channels:
        env.log(f"scale: {channels} channels through airflow standalone")
        sizes.append(measure(channels, size, env))
    return {"days": size.days, "sizes": sizes}


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for item in result.get("sizes") or []:
        rows.append(
            (
                f"daily collection, {item['channels']} channels (real Airflow, LocalExecutor)",
                f"{item.get('run_seconds')} s, scheduler CPU {item.get('scheduler_cpu_seconds')} s"
                f" ({item.get('run_state')})",
                "",
            )
        )
    return rows


def section(result: dict[str, Any]) -> str:
    head = (
        "## Scale: a daily collection through the real Airflow\n\n"
        "`airflow standalone` (LocalExecutor, SQLite) on the national world cut to N channels "
        f"({result.get('days')} day of history at the national traffic model); one REST-"
        "triggered `collect_citizen_messages` run. CPU: the scheduler process, and the whole "
        "standalone tree (api-server, dag-processor, triggerer, task processes) over the run."
    )
    header = "| channels (FB/Zalo) | connections | run s | trigger→end s | scheduler CPU s | tree CPU s | tasks | load before → after |"  # noqa: E501
    lines = [head, "", header, "|---|---|---|---|---|---|---|---|"]
    for item in result.get("sizes") or []:
        lines.append(
            f"| {item['channels']} ({item['facebook']}/{item['zalo']}) | "
            f"{item['connections']} ({item.get('connection_load_seconds')} s) | "
            f"{item.get('run_seconds')} | {item.get('trigger_to_end_seconds')} | "
            f"{item.get('scheduler_cpu_seconds')} | {item.get('tree_cpu_seconds')} | "
            f"{item.get('task_instances')} {item.get('task_states')} | "
            f"{item.get('load_avg_before')} → {item.get('load_avg_after')} |"
        )
    lines.append(
        "\nNot run: the national world (~6,570 channels; connections as `AIRFLOW_CONN_*`): "
        "`PYTHONPATH=include:devtools .venv/bin/python -m bench.run --only scale "
        "--scale-channels 6570`."
    )
    return "\n".join(lines)
