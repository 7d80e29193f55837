"""Scale: one daily collection through the real Airflow at 18 and ~330 channels (opt-in).

`python -m bench.run --only scale` (not part of a plain `make bench`: it starts Airflow once per
size, minutes each). Per size: the national world (`platform_simulator.national`) cut to that
many channels (Thanh Hóa's province page and OA, then its communes, then the next provinces), one
day of history at the national traffic model; an e2e topology (`--scale-topology`: `local` is
`LocalTopology`, what `make demo` runs: `airflow standalone`, LocalExecutor, SQLite; `celery` is
`CeleryTopology`, what docker-compose.yml runs: PostgreSQL, Redis, two Celery workers) with that
registry, through `ScaleMixin`. The channels' connections (`--scale-connections`, `auto` by
default): through `citizen_desk.pipeline.connections` (the REST bulk API) up to
`API_CONNECTIONS_LIMIT` channels, from a secrets backend above it (`e2e.secrets_backend`: one
file per connection id, the stand-in for Vault; Airflow 3.3's masker makes API-created
connections O(N²), see that module), or as `AIRFLOW_CONN_*` variables (`env`). Then
`collect_citizen_messages` is unpaused and triggered once through the REST API, and the section
records its wall time (the run's start to end, and trigger to end), the scheduler process's CPU
seconds (and their share of a core) and every Airflow process tree's (scheduler, api-server,
dag-processor, triggerer, workers and their task processes) over the run, the task instances and
the load average.

The national size: `python -m bench.run --only scale --scale-topology celery --scale-channels
6570`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Env, load_now
from e2e.environment import REPO, base_process_env
from e2e.processes import Proc
from e2e.simulator import simulator_proc, wait_healthy
from e2e.topology import CeleryTopology, LocalTopology, Topology, _demo_env_module

COLLECT = "collect_citizen_messages"
API_CONNECTIONS_LIMIT = 1000  # above: AIRFLOW_CONN_* (the API's masker cost is O(N²))
NO_SCHEDULE = "0 0 29 2 *"  # no scheduled run on unpause: only the REST-triggered one


@dataclass(frozen=True)
class Size:
    channels: tuple[int, ...] = (18, 330)
    days: int = 1  # history the first (= daily) collection reads
    seed: int = 42
    run_timeout: float = 3600.0
    topology: str = "local"  # local | celery (the e2e topologies)
    connections: str = "auto"  # auto | api | env | secrets (`connection_mode`)


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
        "batch_size": {
            platform: world.registry["collection"].get(f"{platform}_batch_size")
            or world.registry["collection"]["batch_size"]
            for platform in ("facebook", "zalo")
        },
    }
    return registry, traffic_path, info


def channel_connection_env(simulator_url: str, registry: Path) -> dict[str, str]:
    """Every channel's connection as an `AIRFLOW_CONN_*` variable (the national path)."""
    conns = _demo_env_module().channel_connections(simulator_url, str(registry))
    return {
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn, ensure_ascii=False)
        for conn_id, conn in conns.items()
    }


CONNECTION_MODES = ("auto", "api", "env", "secrets")
TOPOLOGIES = ("local", "celery")


def connection_mode(requested: str, channels: int) -> str:
    """How the channels' connections reach Airflow: `api` (REST bulk into the metadata DB, as
    `make demo` and `citizen-desk connections` load them), `env` (`AIRFLOW_CONN_*`) or `secrets`
    (`e2e.secrets_backend`, the stand-in for Vault); `auto`: `api` up to
    `API_CONNECTIONS_LIMIT` channels, `secrets` above."""
    if requested not in CONNECTION_MODES:
        raise ValueError(f"connections: {requested!r} is not one of {CONNECTION_MODES}")
    if requested != "auto":
        return requested
    return "api" if channels <= API_CONNECTIONS_LIMIT else "secrets"


@dataclass(frozen=True)
class ScaleWorld:
    registry: Path
    traffic: Path
    days: int
    connections: str  # api | env | secrets (already resolved)


def _scale_topology(world: ScaleWorld, topology: str, channels: int) -> Topology:
    """The e2e topology class named by `topology` (`LocalTopology`: `airflow standalone`,
    LocalExecutor, SQLite; `CeleryTopology`: PostgreSQL, Redis, two Celery workers) with
    `ScaleMixin` in front of it."""
    bases: dict[str, type[Topology]] = {"local": LocalTopology, "celery": CeleryTopology}
    if topology not in bases:
        raise ValueError(f"topology: {topology!r} is not one of {TOPOLOGIES}")
    base = bases[topology]
    cls = type(f"Scale{base.__name__}", (ScaleMixin, base), {"world": world})
    world_now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    extra = {"CITIZEN_DESK_COLLECT_SCHEDULE": NO_SCHEDULE}
    topo: Topology = cls(f"scale{channels}", world_now, extra_env=extra)
    return topo


class ScaleMixin(Topology):
    """Mixed in before an e2e topology class (`_scale_topology`): a generated registry and its
    per-channel traffic instead of the sample world, and the channels' connections loaded the
    way `world.connections` says."""

    world: ScaleWorld  # set on the class by `_scale_topology`
    connection_seconds: float | None = None

    @property
    def connections(self) -> str:
        return self.world.connections

    def __post_init__(self) -> None:
        super().__post_init__()
        shutil.copyfile(self.world.registry, self.registry_path)
        sim_url = f"http://127.0.0.1:{self.sim_port}"
        if self.connections == "env":
            self.env.update(channel_connection_env(sim_url, self.registry_path))
        elif self.connections == "secrets":
            started = time.perf_counter()
            self.env.update(channel_secrets(sim_url, self.registry_path, self.root / "vault"))
            self.connection_seconds = round(time.perf_counter() - started, 1)

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
        argv[argv.index("--days") + 1] = str(self.world.days)
        rate = argv.index("--rate")
        del argv[rate : rate + 2]
        argv += ["--traffic", str(self.world.traffic), *extra_args]
        self.sim = Proc("simulator", argv, proc.env, log, REPO).start()
        wait_healthy(self.simulator, self.sim, timeout=600)

    def load_connections(self) -> None:
        if self.connections == "api":  # else a secrets backend or AIRFLOW_CONN_* variables
            started = time.perf_counter()
            super().load_connections()
            self.connection_seconds = round(time.perf_counter() - started, 1)


def channel_secrets(simulator_url: str, registry: Path, directory: Path) -> dict[str, str]:
    """Every channel's connection as one file per id in `directory`, served by
    `e2e.secrets_backend.DirectorySecretsBackend` (the stand-in for Vault); returns the
    environment that configures it in every Airflow process (`devtools` joins PYTHONPATH)."""
    from e2e.secrets_backend import backend_env, write_connections

    conns = _demo_env_module().channel_connections(simulator_url, str(registry))
    write_connections(directory, conns)
    return {
        **backend_env(directory),
        "PYTHONPATH": os.pathsep.join([str(REPO / "include"), str(REPO / "devtools")]),
    }


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


def _run_seconds(run: dict[str, Any]) -> float | None:
    start, end = run.get("start_date"), run.get("end_date")
    if not start or not end:
        return None
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds(), 1)


def topology_cpu(topo: Topology) -> dict[str, float]:
    """`cpu_seconds` summed over the topology's Airflow process trees (local: the standalone
    tree; celery: api-server, scheduler, dag-processor, triggerer, workers); the simulator is
    not in it."""
    total = {"scheduler": 0.0, "tree": 0.0, "scheduler_processes": 0}
    for proc in topo.procs.values():
        if proc.pid is None or not proc.alive():
            continue
        for key, value in cpu_seconds(proc.pid).items():
            total[key] = round(total[key] + value, 2)
    return total


def _task_counts(topo: Topology, run_id: str) -> dict[str, Any]:
    tis = topo.client.task_instances(COLLECT, run_id)
    mapped = Counter(
        str(t.get("task_id"))
        for t in tis
        if isinstance(t.get("map_index"), int) and t["map_index"] >= 0
    )
    return {
        "task_instances": len(tis),
        "task_states": dict(Counter(str(t.get("state")) for t in tis)),
        "mapped_tasks": dict(mapped),
    }


def measure(channels: int, size: Size, env: Env) -> dict[str, Any]:
    out = env.workdir / f"scale-{channels}"
    registry, traffic, info = national_cut(channels, size.seed, out)
    world = ScaleWorld(registry, traffic, size.days, connection_mode(size.connections, channels))
    topo = _scale_topology(world, size.topology, channels)
    result: dict[str, Any] = {**info, "topology": size.topology, "connections": world.connections}
    try:
        started = time.perf_counter()
        topo.start()
        result["startup_seconds"] = round(time.perf_counter() - started, 1)
        result["connection_load_seconds"] = getattr(topo, "connection_seconds", None)
        if COLLECT not in topo.wait_dags([COLLECT], timeout=600):
            raise RuntimeError(f"{COLLECT} was not parsed")
        sim_world = topo.simulator.get("/_sim/world")
        result["world"] = {k: v for k, v in sim_world.items() if not isinstance(v, (dict, list))}
        topo.client.set_paused(COLLECT, False)
        time.sleep(2)
        result["load_avg_before"] = load_now()
        before = topology_cpu(topo)
        triggered = time.perf_counter()
        run_id = f"scale_{channels}_{int(time.time())}"
        topo.client.trigger(COLLECT, run_id, conf={})
        try:
            run = topo.client.wait_run(COLLECT, run_id, timeout=size.run_timeout, poll=2.0)
        except TimeoutError:  # what it reached is the figure: recorded, not dropped
            run = {"state": f"not finished after {size.run_timeout:.0f} s"}
        elapsed = time.perf_counter() - triggered
        result["trigger_to_end_seconds"] = round(elapsed, 1)
        after = topology_cpu(topo)
        result["load_avg_after"] = load_now()
        result["run_state"] = run["state"]
        result["run_seconds"] = _run_seconds(run)
        scheduler = after["scheduler"] - before["scheduler"]
        result["scheduler_cpu_seconds"] = round(scheduler, 2)
        result["scheduler_cores"] = round(scheduler / elapsed, 3) if elapsed else None
        result["scheduler_processes"] = after["scheduler_processes"]
        result["tree_cpu_seconds"] = round(after["tree"] - before["tree"], 2)
        result.update(_task_counts(topo, run_id))
        result["api_requests"] = topo.simulator.stats().get("requests")
        result["messages"] = stored_against_world(topo)
    finally:
        topo.stop()
        topo.cleanup()
    return result


def stored_against_world(topo: Topology) -> dict[str, Any]:
    """Nothing lost, nothing doubled at this size: the e2e's own check of the domain DB against
    the simulator's ground truth (every world message stored exactly once, none invented)."""
    from e2e import checks

    try:
        state, truth = checks.load_domain(topo.domain_url), topo.simulator.truth()
    except Exception as exc:  # a figure the bench could not read is reported, not fatal
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    problems, _info = checks.check_messages(state, truth)
    return {
        "world": len(truth["messages"]),
        "stored": len(state.messages),
        "problems": problems[:5],
    }


def run(size: Size, env: Env) -> dict[str, Any]:
    sizes: list[dict[str, Any]] = []
    for channels in size.channels:
        env.log(f"scale: {channels} channels through the {size.topology} topology")
        sizes.append(measure(channels, size, env))
    return {"days": size.days, "topology": size.topology, "sizes": sizes}


EXECUTORS = {"local": "LocalExecutor, SQLite", "celery": "CeleryExecutor, PostgreSQL"}


def _seconds(value: float | None) -> str:
    return "not recorded" if value is None else f"{value} s"


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for item in result.get("sizes") or []:
        executor = EXECUTORS.get(item.get("topology", "local"), "")
        rows.append(
            (
                f"daily collection, {item['channels']} channels (real Airflow, {executor})",
                f"{_seconds(item.get('run_seconds'))}, scheduler CPU"
                f" {_seconds(item.get('scheduler_cpu_seconds'))} ({item.get('run_state')})",
                "",
            )
        )
    return rows


def missing_or_doubled(check: dict[str, Any]) -> list[str]:
    """The problems of a size's message check (`stored_against_world`); [] when all is well."""
    if "error" in check:
        return [f"not read: {check['error']}"]
    if check["problems"] or check["stored"] != check["world"]:
        return list(check["problems"]) or [f"{check['stored']} stored, {check['world']} expected"]
    return []


def _stored(check: dict[str, Any] | None) -> str:
    if not check:
        return "not checked"
    if "error" in check:
        return f"not read ({check['error']})"
    verdict = "; ".join(check["problems"]) or "each once"
    return f"{check['stored']:,} / {check['world']:,} ({verdict})"


def section(result: dict[str, Any]) -> str:
    head = (
        "## Scale: a daily collection through the real Airflow\n\n"
        "The national world cut to N channels "
        f"({result.get('days')} day of history at the national traffic model) on an e2e "
        "topology: `local` = `airflow standalone` (LocalExecutor, SQLite), `celery` = the "
        "compose services as processes (CeleryExecutor, PostgreSQL, Redis, 2 workers × 4); one "
        "REST-triggered `collect_citizen_messages` run. Connections: `api` = REST bulk into the "
        "metadata DB, `secrets` = one file per id through `e2e.secrets_backend` (the stand-in "
        "for Vault). CPU: the scheduler process (and its share of a core over the run), and "
        "every Airflow process tree (api-server, scheduler, dag-processor, triggerer, workers "
        "and their task processes)."
    )
    header = "| topology | channels (FB/Zalo) | connections | run s | trigger→end s | scheduler CPU s (cores) | tree CPU s | tasks | messages stored / world | load before → after |"  # noqa: E501
    lines = [head, "", header, "|---|---|---|---|---|---|---|---|---|---|"]
    for item in result.get("sizes") or []:
        lines.append(
            f"| {item.get('topology', 'local')} | "
            f"{item['channels']} ({item['facebook']}/{item['zalo']}) | "
            f"{item['connections']} ({item.get('connection_load_seconds')} s) | "
            f"{item.get('run_seconds') or item.get('run_state')} | "
            f"{item.get('trigger_to_end_seconds')} | "
            f"{item.get('scheduler_cpu_seconds')} ({item.get('scheduler_cores')}) | "
            f"{item.get('tree_cpu_seconds')} | "
            f"{item.get('task_instances')} {item.get('task_states')} | "
            f"{_stored(item.get('messages'))} | "
            f"{item.get('load_avg_before')} → {item.get('load_avg_after')} |"
        )
    lines.append(
        "\nThe national world (6,570 channels, tokens from the secrets backend): "
        "`PYTHONPATH=include:devtools .venv/bin/python -m bench.run --only scale "
        "--scale-topology celery --scale-channels 6570`."
    )
    return "\n".join(lines)
