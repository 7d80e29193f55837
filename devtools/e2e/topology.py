"""The two topologies under test, as plain processes on this machine.

- `LocalTopology`: what `make demo` runs: `airflow standalone` (SQLite metadata DB,
  LocalExecutor), a SQLite domain DB; environment from `scripts/demo.sh env`.
- `CeleryTopology`: what docker-compose.yml runs: PostgreSQL metadata + domain databases, Redis,
  api-server, scheduler, dag-processor, triggerer and two Celery workers; environment derived
  from the compose file's `x-airflow-common.environment` (see `environment.py`).

Both get a fresh temporary directory (AIRFLOW_HOME, data dir, logs), free ports, a fixed
SimpleAuthManager password, and the simulator's connections from `scripts/demo_env.py`.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from e2e.airflow_rest import AirflowClient
from e2e.environment import (
    REPO,
    base_process_env,
    compose_environment,
    demo_environment,
    free_port,
    generated_secrets,
)
from e2e.processes import Proc, run
from e2e.simulator import SimulatorClient, simulator_proc, wait_healthy

VENV_BIN = Path(sys.executable).parent
AIRFLOW = str(VENV_BIN / "airflow")
E2E_USER = "admin"
E2E_PASSWORD = "citizen-desk-e2e"  # throwaway, local-only
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# the platforms' webhook retry ladders at half length: Meta's 2 min step is 1 min, Zalo's 5 min
# step 2.5 min (an api-server restart on a busy 2-core machine takes about a minute)
WEBHOOK_RETRY_SPEED = 2
LIVE_RATE = 120  # citizen messages per hour across the world once the simulator goes live
# Shared by both topologies: faster reaction to dead tasks (chaos), quick DAG discovery.
E2E_TUNING = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "45",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "5",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    # a busy 2-core machine can keep the execution API (SQLite locks) busy for more than 5 s;
    # the default timeout then fails a task before it even starts
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
}


def _demo_env_module() -> Any:
    spec = importlib.util.spec_from_file_location("demo_env", REPO / "scripts" / "demo_env.py")
    if spec is None or spec.loader is None:
        raise ImportError("scripts/demo_env.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def registry_pools(env: Mapping[str, str]) -> dict[str, tuple[int, str]]:
    """The pools the topology's registry (its `CITIZEN_DESK_REGISTRY`) asks for, as production
    derives them (`citizen_desk.config.collection.pools_for`)."""
    from citizen_desk.config.collection import pools_for
    from citizen_desk.config.registry import load_registry

    return pools_for(load_registry(env.get("CITIZEN_DESK_REGISTRY") or None))


def connection_env(simulator_url: str, fernet_key: str) -> dict[str, str]:
    """`AIRFLOW_CONN_*` for Slack, secrets and webhooks, exactly as `make demo` makes them; the
    channels' connections go to Airflow's metadata DB (`load_channel_connections`)."""
    conns = _demo_env_module().service_connections(simulator_url, fernet_key)
    return {
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn, ensure_ascii=False)
        for conn_id, conn in conns.items()
    }


def load_channel_connections(
    api_url: str, username: str, password: str, simulator_url: str, registry: Path
) -> int:
    """Every channel's connection into Airflow's metadata DB through the REST API, as
    `make demo` (scripts/demo_ready.py) and `citizen-desk connections` load them."""
    from citizen_desk.pipeline.connections import TIMEOUT, apply_connections, connection_body
    from citizen_desk.pipeline.pools import ApiAccess, PoolsApi

    conns = _demo_env_module().channel_connections(simulator_url, str(registry))
    bodies = [connection_body(conn_id, conn) for conn_id, conn in conns.items()]
    api = PoolsApi(ApiAccess(api_url, username, password), timeout=TIMEOUT)
    result = apply_connections(api, bodies)
    if result["refused"]:
        raise RuntimeError(f"Airflow refused connections: {result['errors'][:3]}")
    return int(result["loaded"])


@dataclass
class Topology:
    """Common parts: temp dirs, ports, the simulator, the REST client, process bookkeeping."""

    name: str
    world_now: datetime
    extra_env: dict[str, str] = field(default_factory=dict)
    keep: bool = False
    root: Path = field(init=False)
    api_port: int = field(init=False)
    sim_port: int = field(init=False)
    procs: dict[str, Proc] = field(init=False, default_factory=dict)
    env: dict[str, str] = field(init=False, default_factory=dict)
    sim: Proc | None = field(init=False, default=None)
    sim_state: Path = field(init=False)
    registry_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"cd-e2e-{self.name}-"))
        self.api_port = free_port()
        self.sim_port = free_port()
        self.fernet_key = generated_secrets()["FERNET_KEY"]
        self.client = AirflowClient(f"http://127.0.0.1:{self.api_port}", E2E_USER, E2E_PASSWORD)
        self.simulator = SimulatorClient(f"http://127.0.0.1:{self.sim_port}")
        # a copy the scenario may break (and restore) while Airflow runs on it
        self.registry_path = self.root / "registry.yaml"
        shutil.copyfile(REPO / "include" / "config" / "registry.yaml", self.registry_path)

    # --- paths ---------------------------------------------------------------------------------

    @property
    def airflow_home(self) -> Path:
        return Path(self.env["AIRFLOW_HOME"])

    @property
    def data_dir(self) -> Path:
        return Path(self.env["CITIZEN_DESK_DATA_DIR"])

    @property
    def logs_dir(self) -> Path:
        return self.root / "process-logs"

    @property
    def domain_url(self) -> str:
        raise NotImplementedError

    @property
    def metadata_url(self) -> str:
        raise NotImplementedError

    # --- the simulator -------------------------------------------------------------------------

    def start_simulator(self, tag: str = "") -> None:
        """A fresh simulator world (seed 42, frozen at `world_now`, the canaries planted)."""
        if self.sim is not None:
            self.sim.stop(grace=5)
        self.sim_state = self.root / f"simulator{tag}"
        if self.sim_state.exists():
            shutil.rmtree(self.sim_state)
        self._run_simulator(self.logs_dir / f"simulator{tag}.log")

    def go_live(self) -> None:
        """The same world, now running in real time: new citizen messages are pushed to the
        api-server's webhook receivers, and a failed push is retried on Meta's and Zalo's real
        ladders (a restarted api-server must not lose them)."""
        assert self.sim is not None
        self.sim.stop(grace=5)
        api = self.client.base_url
        self._run_simulator(
            self.logs_dir / "simulator-live.log",
            "--live",
            "--live-rate",
            str(LIVE_RATE),
            "--webhook-facebook-url",
            f"{api}/citizen-desk/webhooks/facebook",
            "--webhook-zalo-url",
            f"{api}/citizen-desk/webhooks/zalo",
            "--webhook-retry-speed",
            str(WEBHOOK_RETRY_SPEED),
            "--webhook-duplicate-rate",
            "0.1",  # both platforms document duplicate deliveries
        )

    def _run_simulator(self, log: Path, *extra_args: str) -> None:
        env = base_process_env({"PYTHONPATH": str(REPO / "include")})
        self.sim = simulator_proc(
            self.sim_port, self.world_now, self.sim_state, log, env, extra_args
        ).start()
        wait_healthy(self.simulator, self.sim)

    # --- Airflow -------------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 300) -> None:
        run([AIRFLOW, *args], self.env, REPO, self.logs_dir / "cli.log", timeout=timeout)

    def domain_cli(self, *args: str) -> None:
        env = {**self.env, "CITIZEN_DESK_DB_URL": self.domain_url}
        run(
            [sys.executable, "-m", "citizen_desk", *args],
            env,
            REPO,
            self.logs_dir / "domain-cli.log",
        )

    def write_passwords(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({E2E_USER: E2E_PASSWORD}), encoding="utf-8")

    def wait_api(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.client.healthy():
                return
            dead = [p.name for p in self.procs.values() if not p.alive()]
            if dead:
                raise RuntimeError(f"{dead} exited early:\n{self.procs[dead[0]].tail()}")
            time.sleep(1)
        raise TimeoutError(f"the api-server did not come up within {timeout:.0f}s")

    def wait_dags(self, expected: list[str], timeout: float = 180) -> list[str]:
        """Wait until the DAG processor has serialized the expected DAGs; returns those seen."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while time.monotonic() < deadline:
            seen = self.client.dag_ids()
            if set(expected) <= set(seen):
                return seen
            time.sleep(2)
        return seen

    def create_pools(self) -> None:
        """The registry's pools, and the channels' connections (before any DAG runs)."""
        for pool, (slots, description) in registry_pools(self.env).items():
            self.client.ensure_pool(pool, slots, description)
        self.load_connections()

    def load_connections(self) -> None:
        """Every channel's connection into Airflow's metadata DB, as `make demo` loads them."""
        load_channel_connections(
            self.client.base_url,
            E2E_USER,
            E2E_PASSWORD,
            self.simulator.base_url,
            self.registry_path,
        )

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop(grace=12)
        if self.sim is not None:
            self.sim.stop(grace=5)

    def restart_scheduler(self) -> None:
        raise NotImplementedError

    def restart_services(self) -> list[str]:
        """Restart the api-server and the scheduler (what restarted, in order)."""
        raise NotImplementedError

    def kill_worker(self) -> str | None:
        """kill -9 one task executor (celery: a worker); returns its name, None if n/a."""
        return None

    def reset_domain(self) -> None:
        """A fresh, empty domain database (prepared like airflow-init does)."""
        raise NotImplementedError

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def describe(self) -> dict[str, str]:
        return {
            "root": str(self.root),
            "api": self.client.base_url,
            "simulator": self.simulator.base_url,
            "domain_db": self.domain_url,
            "metadata_db": self.metadata_url,
        }


@dataclass
class LocalTopology(Topology):
    """`airflow standalone` + SQLite, as `make demo` runs it (environment via `demo.sh env`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        state = self.root / "airflow"
        data = self.root / "data"
        data.mkdir(parents=True)
        demo = demo_environment(
            state,
            {
                "AIRFLOW_PORT": str(self.api_port),
                "SIM_PORT": str(self.sim_port),
                "CITIZEN_DESK_DEMO_USER": E2E_USER,
                "CITIZEN_DESK_DEMO_PASSWORD": E2E_PASSWORD,
                "CITIZEN_DESK_DATA_DIR": str(data),
                "CITIZEN_DESK_DB_URL": f"sqlite:///{data / 'citizen_desk.db'}",
            },
        )
        if demo.get("CITIZEN_DESK_DATA_DIR") != str(data):
            raise RuntimeError("scripts/demo.sh does not honour CITIZEN_DESK_DATA_DIR")
        self.env = base_process_env(
            {
                **demo,
                **E2E_TUNING,
                # beside a running demo: no fixed ports at all
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
                "CITIZEN_DESK_REGISTRY": str(self.registry_path),
                **self.extra_env,
            }
        )

    @property
    def domain_url(self) -> str:
        return self.env["CITIZEN_DESK_DB_URL"]

    @property
    def metadata_url(self) -> str:
        return f"sqlite:///{self.airflow_home / 'airflow.db'}"

    def start(self) -> None:
        self.start_simulator()
        self.domain_cli("db", "upgrade")
        self.domain_cli("registry", "sync", "--actor", "e2e")
        # `airflow standalone` migrates the metadata DB itself (as under `make demo`)
        self.procs["standalone"] = Proc(
            "standalone", [AIRFLOW, "standalone"], self.env, self.logs_dir / "standalone.log", REPO
        ).start()
        self.wait_api()
        self.create_pools()

    def restart_scheduler(self) -> None:
        """Standalone owns its scheduler: restart the whole standalone process tree."""
        proc = self.procs["standalone"]
        proc.stop(grace=15)
        proc.restart()
        self.wait_api()

    def restart_services(self) -> list[str]:
        """Standalone owns the api-server, scheduler and triggerer: one restart restarts all."""
        self.restart_scheduler()
        return ["standalone (api-server, scheduler, triggerer)"]

    def reset_domain(self) -> None:
        path = Path(self.domain_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.domain_cli("db", "upgrade")
        self.domain_cli("registry", "sync", "--actor", "e2e")


@dataclass
class CeleryTopology(Topology):
    """docker-compose.yml's services as local processes (PostgreSQL, Redis, two Celery workers)."""

    workers: int = 2
    worker_concurrency: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        suffix = secrets.token_hex(4)
        self.metadata_db = f"cd_e2e_airflow_{suffix}"
        self.domain_db = f"cd_e2e_domain_{suffix}"
        self.redis_db = 0
        home = self.root / "airflow"
        config = self.root / "config"
        data = self.root / "data"
        for path in (home, config, data):
            path.mkdir(parents=True)
        variables = {**generated_secrets(), "FERNET_KEY": self.fernet_key}
        self.jwt_secret = variables["JWT_SECRET"]
        api = f"http://127.0.0.1:{self.api_port}"
        self.env_from_compose = compose_environment(
            variables=variables,
            databases={
                "airflow": f"postgresql://postgres@127.0.0.1:5432/{self.metadata_db}",
                "citizen_desk": f"postgresql://postgres@127.0.0.1:5432/{self.domain_db}",
            },
            services={"airflow-apiserver": f"127.0.0.1:{self.api_port}"},
            paths={"/opt/airflow/config": str(config), "/opt/airflow/data": str(data)},
            redis_url="redis://127.0.0.1:6379/0",  # db number fixed in start()
            overrides={"AIRFLOW__API__BASE_URL": api},
        )
        self.write_passwords(
            Path(self.env_from_compose["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
        )
        self.env = base_process_env(
            {
                **self.env_from_compose,
                **connection_env(self.simulator.base_url, self.fernet_key),
                **E2E_TUNING,
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "2",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
                "CITIZEN_DESK_REGISTRY": str(self.registry_path),
                **self.extra_env,
            }
        )

    @property
    def domain_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.domain_db}"

    @property
    def metadata_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.metadata_db}"

    # --- infrastructure ------------------------------------------------------------------------

    def _pg(self, *statements: str) -> None:
        import psycopg2

        conn = psycopg2.connect(PG_ADMIN_URL)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def _pick_redis_db(self) -> None:
        import redis

        for db in range(15, 0, -1):
            client = redis.Redis(host="127.0.0.1", port=6379, db=db)
            if client.dbsize() == 0:
                client.set("cd_e2e_lock", self.metadata_db)
                self.redis_db = db
                break
        else:
            raise RuntimeError("no empty Redis database (1-15) for the e2e broker")
        url = f"redis://127.0.0.1:6379/{self.redis_db}"
        self.env["AIRFLOW__CELERY__BROKER_URL"] = url

    def _flush_redis(self) -> None:
        import redis

        if self.redis_db:
            redis.Redis(host="127.0.0.1", port=6379, db=self.redis_db).flushdb()

    def _proc(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, [AIRFLOW, *args], env or self.env, self.logs_dir / f"{name}.log", REPO)
        self.procs[name] = proc.start()
        return proc

    def start(self) -> None:
        self._pg(
            f'CREATE DATABASE "{self.metadata_db}"',
            f'CREATE DATABASE "{self.domain_db}"',
        )
        self._pick_redis_db()
        self.start_simulator()
        # what the compose file's airflow-init service does
        self.cli("db", "migrate")
        self.domain_cli("db", "upgrade")
        self.domain_cli("registry", "sync", "--actor", "airflow-init")
        self._proc("api-server", "api-server")
        self._proc("scheduler", "scheduler")
        self._proc("dag-processor", "dag-processor")
        self._proc("triggerer", "triggerer")
        for index in range(1, self.workers + 1):
            self._start_worker(index)
        self.wait_api()
        self.create_pools()

    def _start_worker(self, index: int) -> Proc:
        env = {**self.env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
        return self._proc(
            f"worker-{index}",
            "celery",
            "worker",
            "--celery-hostname",
            f"e2e-worker-{index}@{self.metadata_db}",
            "--concurrency",
            str(self.worker_concurrency),
            env=env,
        )

    def restart_scheduler(self) -> None:
        proc = self.procs["scheduler"]
        proc.terminate(grace=20)
        proc.restart()

    def restart_services(self) -> list[str]:
        api = self.procs["api-server"]
        api.terminate(grace=20)
        api.restart()
        self.wait_api()
        time.sleep(10)
        self.restart_scheduler()
        return ["api-server", "scheduler"]

    def kill_worker(self, index: int = 1) -> str:
        name = f"worker-{index}"
        self.procs[name].kill9()
        return name

    def restart_worker(self, index: int = 1) -> None:
        self.procs[f"worker-{index}"].restart()

    def reset_domain(self) -> None:
        self._pg(
            f'DROP DATABASE IF EXISTS "{self.domain_db}" WITH (FORCE)',
            f'CREATE DATABASE "{self.domain_db}"',
        )
        self.domain_cli("db", "upgrade")
        self.domain_cli("registry", "sync", "--actor", "airflow-init")

    def stop(self) -> None:
        super().stop()
        self._flush_redis()
        try:
            self._pg(
                f'DROP DATABASE IF EXISTS "{self.metadata_db}" WITH (FORCE)',
                f'DROP DATABASE IF EXISTS "{self.domain_db}" WITH (FORCE)',
            )
        except Exception as exc:  # report, never mask the run's own result
            print(f"warning: could not drop the e2e databases: {exc}", file=sys.stderr)
