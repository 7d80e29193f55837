"""A real `publish_weekly_results` run waiting for its approvers, for the approval browser test.

Only the platforms are simulated: the platform simulator (a thread of the test process) plays
Facebook and Zalo, the domain DB (SQLite) holds what the collection code read from it, and
Airflow runs as its own processes (api-server, scheduler with the LocalExecutor, dag-processor,
triggerer) on a SQLite metadata DB, with the demo's users (`admin`, `officer`, scripts/demo.sh)
and the demo registry's `access:`. The registry is the demo's with the channels of two units only
(Nga Sơn town and Nga Thủy commune, a Facebook page and a Zalo OA each: `tests.conftest.CHANNELS`),
so the run asks for two approvals. The DAG folder holds `dags/publish_weekly_results.py` alone and
the scheduler makes no scheduled runs (`use_job_schedule = False`): the test's run is the only one.
The api-server also serves the Citizen Desk pages (our plugins folder), where approvers edit a post
before approving it; `CITIZEN_DESK_BASE_URL` points the request's link there.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from e2e.airflow_rest import AirflowClient
from e2e.environment import base_process_env, free_port
from e2e.processes import Proc
from e2e.topology import _demo_env_module, connection_env, load_channel_connections
from tests.conftest import CHANNELS, REGISTRY_PATH, REPO, Templates

DAG_ID = "publish_weekly_results"
RUN_ID = "browser_approval"
PASSWORD = "cd-browser-approval-pw"  # throwaway, local only
USERS = {"admin": "admin", "officer": "user"}  # the demo's users and their Airflow roles
SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def write_registry(path: Path) -> Path:
    """The demo registry (units, `access:`, policies) with only `CHANNELS`."""
    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    raw["channels"] = [c for c in raw["channels"] if c["key"] in CHANNELS]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def collect_all(engine: Engine, conns: dict[str, dict], fernet_key: str, now: datetime) -> None:
    """Read every channel from the simulator with the collection code, as the daily DAG does:
    the publication waits for a collection after the week, and counts what it stored."""
    from citizen_desk.collect.run import ConnInfo, Options, collect_channel

    def connection(conn_id: str) -> ConnInfo:
        conn = conns[conn_id]
        return ConnInfo(conn.get("login"), conn.get("password"), conn.get("extra") or {})

    http = requests.Session()
    http.trust_env = False
    options = Options(
        connection=connection,
        fernet=lambda: Fernet(fernet_key.encode()),
        http=http,
        timeout=10.0,
    )
    for key in CHANNELS:
        summary = collect_channel(
            key, engine=engine, run_id="browser-approval-collection", now=now, options=options
        )
        if summary["error"] or not summary["messages_added"]:
            raise RuntimeError(f"collecting {key} from the simulator failed: {summary}")


def airflow_env(root: Path, port: int, db_url: str, registry: Path, conns: dict[str, str]) -> dict:
    home = root / "airflow"
    return base_process_env(
        {
            **conns,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                f"{user}:{role}" for user, role in USERS.items()
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "5",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "citizen-desk-approval-test-secret-0123456789abcdef",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",  # a busy 2-core machine
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "CITIZEN_DESK_BASE_URL": f"http://127.0.0.1:{port}",
            "CITIZEN_DESK_DB_URL": db_url,
            "CITIZEN_DESK_DATA_DIR": str(root / "data"),
            "CITIZEN_DESK_REGISTRY": str(registry),
            "PYTHONPATH": str(REPO / "include"),
        }
    )


@dataclass
class HitlWorld:
    """The running world; `client` (REST, as the demo's `admin`) checks, it never answers."""

    base_url: str
    sim_url: str
    registry: Any
    engine: Engine
    client: AirflowClient
    procs: list[Proc]

    def requests(self) -> dict[str, dict[str, Any]]:
        """The run's approval requests by Facebook channel key (from the request's body)."""
        from scripts.approve_publication import channel_of

        details = self.client.hitl_details(DAG_ID, RUN_ID)
        return {str(channel_of(d)): d for d in details}

    def posts(self) -> dict[str, list[dict[str, Any]]]:
        """What was posted on each Facebook page (by page id), oldest first."""
        return self._sim("/_sim/posts")["pages"]

    def articles(self) -> dict[str, list[dict[str, Any]]]:
        """The Zalo OA articles by OA id, oldest first."""
        out: dict[str, list[dict[str, Any]]] = {}
        for article in self._sim("/_sim/zalo/articles")["articles"]:
            out.setdefault(article["oa_id"], []).append(article)
        return out

    def channel(self, key: str) -> Any:
        return next(c for c in self.registry.channels if c.key == key)

    def publication(self, key: str) -> Any:
        """The run's ledger row of a channel (the domain DB, read as the page does)."""
        from citizen_desk.db.models import Channel, Publication

        with sessionmaker(self.engine, expire_on_commit=False)() as session:
            return session.scalars(
                select(Publication)
                .join(Channel, Publication.channel_id == Channel.id)
                .where(Channel.key == key)
                .order_by(Publication.period.desc())
            ).first()

    def edits(self, publication_id: int) -> tuple[list[str], list[tuple[str, str | None]]]:
        """A post's stored revisions (texts) and its edit audit rows (action, note)."""
        from citizen_desk.db.models import AuditLog, PublicationRevision

        with sessionmaker(self.engine)() as session:
            texts = session.scalars(
                select(PublicationRevision.text)
                .where(PublicationRevision.publication_id == publication_id)
                .order_by(PublicationRevision.number)
            ).all()
            audit = session.execute(
                select(AuditLog.action, AuditLog.note)
                .where(
                    AuditLog.entity_type == "publication",
                    AuditLog.entity_id == str(publication_id),
                    AuditLog.action.like("publication_edit%"),
                )
                .order_by(AuditLog.id)
            ).all()
        return list(texts), [(action, note) for action, note in audit]

    def task_states(self) -> dict[str, str | None]:
        return {
            f"{ti['task_id']}[{ti['map_index']}]": ti["state"]
            for ti in self.client.task_instances(DAG_ID, RUN_ID)
        }

    def diagnostics(self) -> str:
        tails = "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in self.procs)
        states = self.task_states() if self.client.healthy() else "(api-server down)"
        return f"tasks: {states}\n{tails}"

    def _sim(self, path: str) -> Any:
        with requests.Session() as http:
            http.trust_env = False
            reply = http.get(f"{self.sim_url}{path}", timeout=10)
        reply.raise_for_status()
        return reply.json()

    def wait_for_requests(self, count: int, timeout: float) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.requests()
            if len(found) >= count:
                return found
            if any(s in ("failed", "upstream_failed") for s in self.task_states().values()):
                break
            if dead := [p.name for p in self.procs if not p.alive()]:
                raise RuntimeError(f"{dead} exited\n{self.diagnostics()}")
            time.sleep(0.5)
        raise TimeoutError(f"{count} approval requests did not appear\n{self.diagnostics()}")


@contextmanager
def hitl_world(root: Path, airflow_db: Path, templates: Templates) -> Iterator[HitlWorld]:
    """Simulator, Airflow processes, collected domain DB, and the run waiting at `approve`."""
    from citizen_desk.config.registry import load_registry, sync_registry
    from citizen_desk.db.engine import get_engine
    from platform_simulator import Simulator, SimulatorConfig

    registry_path = write_registry(root / "registry.yaml")
    registry = load_registry(registry_path)
    now = datetime.now(UTC).replace(microsecond=0)  # the run's week is the one before today
    sim = Simulator(SimulatorConfig(registry_path=registry_path, seed=42, days=14, now=now, rate=3))
    server = sim.serve_in_thread(host="127.0.0.1", port=0)
    procs: list[Proc] = []
    engine = None
    try:
        fernet_key = Fernet.generate_key().decode()
        conns = connection_env(server.base_url, fernet_key)  # exactly as `make demo` makes them
        channel_conns = _demo_env_module().channel_connections(server.base_url, str(registry_path))
        (root / "data" / "reports").mkdir(parents=True)
        db_url = f"sqlite:///{root / 'data' / 'citizen_desk.db'}"
        port = free_port()
        env = airflow_env(root, port, db_url, registry_path, conns)
        home = Path(env["AIRFLOW_HOME"])
        home.mkdir()
        shutil.copyfile(airflow_db, home / "airflow.db")  # the session's pristine metadata DB
        (home / "passwords.json").write_text(json.dumps(dict.fromkeys(USERS, PASSWORD)))
        (root / "dags").mkdir()
        shutil.copy(REPO / "dags" / f"{DAG_ID}.py", root / "dags")
        for name in SERVICES:
            proc = Proc(name, [AIRFLOW, name], env, root / "logs" / f"{name}.log", REPO)
            procs.append(proc.start())

        # while Airflow starts: the domain DB, and a collection after the week (the run's
        # `wait_for_collection` pokes only every 5 minutes)
        templates.sqlite_copy("migrated", root / "data" / "citizen_desk.db")
        engine = get_engine(db_url)
        with sessionmaker(engine)() as session:
            sync_registry(session, registry, now=now)
            session.commit()
        collect_all(engine, channel_conns, fernet_key, now)

        client = AirflowClient(f"http://127.0.0.1:{port}", "admin", PASSWORD)
        world = HitlWorld(client.base_url, server.base_url, registry, engine, client, procs)
        _wait(client.healthy, 120, "the api-server", world)
        # the page tokens go to the metadata DB through the REST API, as under `make demo`
        load_channel_connections(client.base_url, "admin", PASSWORD, server.base_url, registry_path)
        _wait(lambda: _dag_known(client), 120, "the DAG to be serialized", world)
        client.trigger(DAG_ID, RUN_ID)
        client.set_paused(DAG_ID, False)
        yield world
    finally:
        with ThreadPoolExecutor(len(procs) or 1) as pool:  # each waits for its own shutdown
            list(pool.map(lambda proc: proc.stop(grace=12), procs))
        server.shutdown()
        if engine is not None:
            engine.dispose()


def _dag_known(client: AirflowClient) -> bool:
    return DAG_ID in client.dag_ids()


def _wait(ready: Any, timeout: float, what: str, world: HitlWorld) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}\n{world.diagnostics()}")
        if dead := [p.name for p in world.procs if not p.alive()]:
            raise RuntimeError(f"{dead} exited while waiting for {what}\n{world.diagnostics()}")
        time.sleep(0.25)
