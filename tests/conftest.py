"""Shared fixtures.

Airflow's environment is set here, before anything imports airflow: a throwaway AIRFLOW_HOME
(SQLite metadata DB, created only by tests that need `dag.test()`), our dags/ and plugins/.

Database tests use the `engine` (migrated) or `synced_engine` (plus the sample registry) fixture,
which runs on SQLite and, when `CITIZEN_DESK_TEST_PG_URL` is set (CI sets it), also on PostgreSQL:
each test gets a private copy of a template database that is migrated once per session (a file
copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="cd-airflow-home-")
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "CITIZEN_DESK_DATA_DIR": tempfile.mkdtemp(prefix="cd-data-"),
        # dag.test() crashes on DAGs with Deadline Alerts in 3.3.2 (apache/airflow#73428)
        "CITIZEN_DESK_DEADLINES": "off",
    }
)
for _var in (
    "CITIZEN_DESK_DB_URL",
    "CITIZEN_DESK_REGISTRY",
    "CITIZEN_DESK_BASE_URL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
):
    os.environ.pop(_var, None)

from sqlalchemy import Engine, create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

PG_URL = os.environ.get("CITIZEN_DESK_TEST_PG_URL")
REGISTRY_PATH = REPO / "include" / "config" / "registry.yaml"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 in Asia/Ho_Chi_Minh

# Every PostgreSQL database this process creates starts with this prefix (parallel runs differ);
# whatever is left at session end is dropped.
PG_PREFIX = f"cd_t{uuid.uuid4().hex[:8]}_"
TEMPLATES = ("migrated", "synced")


def _pg_admin() -> Engine:
    assert PG_URL
    return create_engine(
        make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=None
    )


def _pg_execute(statement: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(statement))
    admin.dispose()


def _pg_url(name: str) -> str:
    assert PG_URL
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _build(engine: Engine, kind: str) -> None:
    """Bring an empty database to a template: `migrated` (head) or `synced` (plus the registry)."""
    from citizen_desk.config.registry import load_registry, sync_registry
    from citizen_desk.db import migrate

    migrate.upgrade(engine)
    if kind == "synced":
        with sessionmaker(engine)() as db_session:
            sync_registry(db_session, load_registry(REGISTRY_PATH), now=NOW)
            db_session.commit()


class Templates:
    """Template databases, each built once per session on first use; tests get copies.

    SQLite: a file copied per test. PostgreSQL: `CREATE DATABASE … TEMPLATE …` per test.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite: dict[str, Path] = {}
        self._pg: dict[str, str] = {}

    def sqlite(self, kind: str) -> Path:
        if kind not in self._sqlite:
            from citizen_desk.db.engine import _sqlite_pragmas

            path = self.root / f"{kind}.db"
            engine = create_engine(f"sqlite:///{path}")
            event.listen(engine, "connect", _sqlite_pragmas)
            _build(engine, kind)
            with engine.connect() as conn:  # one self-contained file: no -wal beside it
                conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
            engine.dispose()
            self._sqlite[kind] = path
        return self._sqlite[kind]

    def pg(self, kind: str) -> str:
        if kind not in self._pg:
            name = f"{PG_PREFIX}tmpl_{kind}"
            _pg_execute(f'CREATE DATABASE "{name}"')
            engine = create_engine(_pg_url(name), poolclass=NullPool)
            _build(engine, kind)
            engine.dispose()
            self._pg[kind] = name
        return self._pg[kind]

    def sqlite_copy(self, kind: str, target: Path) -> str:
        shutil.copyfile(self.sqlite(kind), target)
        return f"sqlite:///{target}"


_TEMPLATES: Templates | None = None


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    global _TEMPLATES
    _TEMPLATES = Templates(tmp_path_factory.mktemp("db-templates"))
    return _TEMPLATES


def _drop_pg_databases(prefix: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"}
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Fixtures that give a test a database or Airflow's metadata DB: such tests get the `db` or
# `airflow` marker automatically (`make test-fast` leaves them out).
_DB_FIXTURES = frozenset({"db_templates", "db_url"})
_AIRFLOW_FIXTURES = frozenset({"airflow_db"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dags_dir = REPO / "tests" / "dags"
    tooling_dir = REPO / "tests" / "devtools"
    for item in items:
        if tooling_dir in item.path.parents:
            item.add_marker(pytest.mark.tooling)
        names = set(getattr(item, "fixturenames", ()))
        if names & _DB_FIXTURES:
            item.add_marker(pytest.mark.db)
        if names & _AIRFLOW_FIXTURES or dags_dir in item.path.parents:
            item.add_marker(pytest.mark.airflow)
    # Longest first: a module marked slow as a whole (the real-browser tests, each running its
    # own Airflow for a minute or more) starts at once on one worker while the others share the
    # rest, instead of starting last and running alone at the end; then the other long tests
    # (`LONG_TESTS`, then slow and Airflow ones), so that the last tests handed out are short and
    # the workers finish together. Done last (`_StartOrder`): after `-m`, `-k` and any other
    # plugin have deselected what does not run.


class _StartOrder:
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=_start_order)
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        if workers > 1:
            items[:] = _share_out(items, workers)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_StartOrder(), "citizen-desk-start-order")


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`-n N` without `--dist`: work stealing instead of xdist's default `load`.

    `load` hands each worker a fixed first chunk of the (longest-first) tests, so one worker got
    every long test while the other ran out of work; with work stealing, a worker that runs dry
    takes half of what the busiest one has left (its short tests, at the end of its queue).
    """
    args = [str(arg) for arg in config.invocation_params.args]
    chosen = any(arg in ("-d", "--distload") or arg.startswith("--dist") for arg in args)
    if chosen or config.getoption("dist") != "load":
        return None
    from xdist.scheduler import WorkStealingScheduling

    return WorkStealingScheduling(config, log)


# The longest tests outside wholly slow modules (seconds each, `--durations`); the order of the
# rest is kept.
LONG_TESTS = (
    "tests/dags/test_publish_weekly_results.py::test_dag_run_with_approval_through_the_rest_api",
    "tests/dags/test_check_reply_sla.py::test_run_sends_exact_alerts_without_pii",
    "tests/devtools/test_bench_smoke.py::test_dag_parse",
    "tests/devtools/test_bench_smoke.py::test_import_breakdown_parses_importtime",
    "tests/dags/test_collect_citizen_messages.py",
    "tests/dags/test_escalate_unverified_tips.py",
    "tests/tips/test_confidentiality.py",
)


def _start_order(item: pytest.Item) -> tuple[bool, int, bool, bool]:
    long = next((i for i, prefix in enumerate(LONG_TESTS) if item.nodeid.startswith(prefix)), None)
    return (
        not _slow_module(item),
        len(LONG_TESTS) if long is None else long,
        item.get_closest_marker("slow") is None,
        item.get_closest_marker("airflow") is None,
    )


def _share_out(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """Work stealing gives worker k the k-th contiguous share of the list: head every share with
    its part of the long tests (whole modules, their fixtures set up once), so that all workers
    start on long tests, and what is left to steal at the end is short."""
    heavy = [item for item in items if _start_order(item) < (True, len(LONG_TESTS), True, True)]
    light = items[len(heavy) :]  # sorted: the heavy ones come first
    modules: dict[Path, list[pytest.Item]] = {}
    for item in heavy:
        modules.setdefault(item.path, []).append(item)
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    load = [0] * workers
    for group in modules.values():  # in their sorted order, each to the least loaded share
        k = load.index(min(load))
        heads[k] += group
        load[k] += sum(_weight(item) for item in group)
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for k in range(workers):
        share = remaining // (workers - k)  # what work stealing sends worker k first
        remaining -= share
        fill = max(0, share - len(heads[k]))
        ordered += heads[k] + light[:fill]
        light = light[fill:]
    return ordered + light


def _weight(item: pytest.Item) -> int:
    """A rough cost: 10 for a long test, 1 for another, 0 for one that is skipped at once."""
    for mark in item.iter_markers():
        if mark.name == "skip" or (mark.name == "skipif" and mark.args and mark.args[0] is True):
            return 0
    return 10 if _start_order(item)[:2] < (True, len(LONG_TESTS)) else 1


def _slow_module(item: pytest.Item) -> bool:
    marks = getattr(getattr(item, "module", None), "pytestmark", [])
    if not isinstance(marks, list):
        marks = [marks]
    return any(mark.name == "slow" for mark in marks)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if PG_URL and _TEMPLATES is not None:
        _drop_pg_databases(PG_PREFIX)


def _freeze_what_lives() -> None:
    """Collect the garbage, then exempt every surviving object from later garbage collections.

    Python's full collections walk every object in the process: once Airflow, FastAPI and
    SQLAlchemy are loaded that is seconds of each worker's time over a run. What is alive
    after collection, or after Airflow's metadata DB is set up, is mostly modules, classes and
    caches that live as long as the process; freezing them leaves the collections the objects
    tests create.
    """
    gc.collect()
    gc.freeze()


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_what_lives()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    if nextitem is None or nextitem.path != item.path:  # a test module's fixtures are gone now
        _freeze_what_lives()


@atexit.register
def _skip_the_teardown_collections() -> None:
    """Exempt every object left from the interpreter's own garbage collections at exit.

    A test process that ran Airflow holds millions of objects; the collections that finalising
    the interpreter runs over them took seconds per pytest process (each xdist worker included),
    all after the last test. The memory goes back to the OS with the process anyway. Registered
    first, so it runs after every other exit handler (pytest's own clean-up is long done then).
    """
    gc.freeze()


def _db_params() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not PG_URL, reason="CITIZEN_DESK_TEST_PG_URL not set"),
        )
    )
    return params


@contextmanager
def fresh_engine(
    backend: str, kind: str, templates: Templates, tmp_path: Path, filename: str = "domain.db"
) -> Iterator[Engine]:
    """An engine on a private copy of the `kind` template; disposed (and dropped) afterwards."""
    from citizen_desk.db.engine import _engine_for

    if backend == "sqlite":
        eng = _engine_for(templates.sqlite_copy(kind, tmp_path / filename))
        yield eng
        eng.dispose()
        _engine_for.cache_clear()
        return
    name = f"{PG_PREFIX}{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{templates.pg(kind)}"')
    eng = _engine_for(_pg_url(name))
    try:
        yield eng
    finally:
        eng.dispose()
        _engine_for.cache_clear()
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=_db_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty (unmigrated) database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'domain.db'}"
        return
    name = f"{PG_PREFIX}{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=_db_params())
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: Templates
) -> Iterator[Engine]:
    """A fresh database migrated to head: SQLite, and PostgreSQL with CITIZEN_DESK_TEST_PG_URL."""
    with fresh_engine(request.param, "migrated", db_templates, tmp_path) as eng:
        yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with sessionmaker(engine, expire_on_commit=False)() as db_session:
        yield db_session


@pytest.fixture(params=_db_params())
def synced_engine(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: Templates
) -> Iterator[Engine]:
    """A fresh migrated database holding the sample registry's units and channels."""
    with fresh_engine(request.param, "synced", db_templates, tmp_path) as eng:
        yield eng


@pytest.fixture
def sqlite_engine(tmp_path: Path, db_templates: Templates) -> Iterator[Engine]:
    """A fresh migrated SQLite database only (simulator-heavy tests, for speed)."""
    with fresh_engine("sqlite", "migrated", db_templates, tmp_path, "collect.db") as eng:
        yield eng


@pytest.fixture(scope="session")
def registry():
    from citizen_desk.config.registry import load_registry

    return load_registry(REGISTRY_PATH)


# --- simulators: Slack (outbox, SLA, DAGs) and the collection world -------------------------------

SIM_TOKEN = "xoxb-sim-citizen-desk"


@pytest.fixture
def sim() -> Iterator[Any]:
    """The simulator (Slack at `sim.base_url + "/api/"`), fast rate limits, fixed clock."""
    from platform_simulator import Simulator, SimulatorConfig

    simulator = Simulator(
        SimulatorConfig(
            registry_path=REGISTRY_PATH,
            seed=42,
            days=1,
            now=NOW,
            slack_rate_per_second=100.0,
            slack_burst=100,
        )
    )
    server = simulator.serve_in_thread(host="127.0.0.1", port=0)
    simulator.base_url = server.base_url
    yield simulator
    server.shutdown()


@pytest.fixture
def slack(sim):
    from citizen_desk.notify.slack import build_client

    return build_client(SIM_TOKEN, base_url=sim.base_url + "/api/", rate_limit_retries=0)


CHANNELS = ("fb-th-ns-ttns", "fb-th-ns-ngathuy", "zalo-th-ns-ttns", "zalo-th-ns-ngathuy")


@pytest.fixture
def small_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    raw["channels"] = [c for c in raw["channels"] if c["key"] in CHANNELS]
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(path))
    return path


@dataclass
class World:
    """The running simulator plus what the tests need to know about it."""

    sim: Any
    base_url: str
    channels: dict[str, dict[str, Any]]
    fernet_key: str

    def page_id(self, key: str) -> str:
        return str(self.channels[key]["platform_id"])

    def truth(self) -> list[dict[str, Any]]:
        return list(self.sim.truth()["messages"])

    def clock(self) -> datetime:
        return self.sim.clock


def connection_env(world_channels: dict[str, dict[str, Any]], base_url: str, sim: Any) -> dict:
    env: dict[str, str] = {}
    for key, channel in world_channels.items():
        conn_id = channel["connection_id"].upper()
        if channel["platform"] == "facebook":
            conn = {
                "conn_type": "http",
                "password": sim.page_token(channel["platform_id"]),
                "extra": {"base_url": f"{base_url}/", "graph_version": "v25.0"},
            }
        else:
            creds = sim.zalo_credentials(channel["platform_id"])
            conn = {
                "conn_type": "http",
                "login": creds["app_id"],
                "password": creds["secret_key"],
                "extra": {
                    "refresh_token": creds["refresh_token"],
                    "base_url": f"{base_url}/",
                    "oauth_url": f"{base_url}/v4/oa/access_token",
                },
            }
        env[f"AIRFLOW_CONN_{conn_id}"] = json.dumps(conn)
        assert key
    return env


@pytest.fixture
def world(
    small_registry: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[World]:
    """The simulator on a free port; `parametrize("world", [3], indirect=True)`: 3 days only."""
    days = int(getattr(request, "param", 14))
    from platform_simulator import Simulator, SimulatorConfig

    sim = Simulator(SimulatorConfig(registry_path=small_registry, seed=42, days=days, now=NOW))
    server = sim.serve_in_thread(host="127.0.0.1", port=0)
    raw = yaml.safe_load(small_registry.read_text(encoding="utf-8"))
    channels = {c["key"]: c for c in raw["channels"]}
    key = Fernet.generate_key().decode()
    for name, value in connection_env(channels, server.base_url, sim).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(
        "AIRFLOW_CONN_CITIZEN_DESK_SECRETS", json.dumps({"conn_type": "generic", "password": key})
    )
    try:
        yield World(sim=sim, base_url=server.base_url, channels=channels, fernet_key=key)
    finally:
        server.shutdown()


@dataclass
class Sim:
    """The platform simulator serving Graph on a local port, with page lookups by connection."""

    sim: Any
    server: Any
    pages: dict[str, str]  # connection id → page id

    @property
    def graph_url(self) -> str:
        return self.server.base_url + "/v21.0/"

    def client(self, conn_id: str) -> Any:
        from citizen_desk.platforms.graph import GraphClient

        page_id = self.pages[conn_id]
        return GraphClient(
            self.graph_url, f"sim-page-token-{page_id}", max_attempts=1, sleep=lambda _s: None
        )

    def posts(self) -> dict[str, list[dict[str, Any]]]:
        """`GET /_sim/posts`: what our code posted, by page id."""
        import requests

        return requests.get(self.server.base_url + "/_sim/posts", timeout=10).json()["pages"]

    def oa_id(self, conn_id: str) -> str:
        """The Zalo OA id of a connection id."""
        return next(c.platform_id for c in self.sim.registry.channels if c.connection_id == conn_id)

    def article_client(self, conn_id: str, channel_id: int = 0, **kwargs: Any) -> Any:
        """The Zalo Article API client of an OA (its current simulated access token)."""
        from citizen_desk.platforms.zalo import ZaloClient
        from citizen_desk.platforms.zalo_articles import ArticleClient

        token = self.sim.zalo_credentials(self.oa_id(conn_id))["access_token"]
        client = ZaloClient(self.server.base_url + "/", token, sleep=lambda _s: None)
        return ArticleClient(client, **kwargs)

    def zalo_articles(self) -> dict[str, list[dict[str, Any]]]:
        """`GET /_sim/zalo/articles`: the articles on each OA (by OA id), oldest first."""
        import requests

        body = requests.get(self.server.base_url + "/_sim/zalo/articles", timeout=10).json()
        out: dict[str, list[dict[str, Any]]] = {}
        for article in body["articles"]:
            out.setdefault(article["oa_id"], []).append(article)
        return out

    def zalo_broadcasts(self) -> list[dict[str, Any]]:
        import requests

        body = requests.get(self.server.base_url + "/_sim/zalo/articles", timeout=10).json()
        return list(body["broadcasts"])


@pytest.fixture
def simulator(registry) -> Iterator[Sim]:
    """The simulator serving Graph (publication: posts and page feeds), fixed clock."""
    from platform_simulator import Simulator, SimulatorConfig

    sim = Simulator(SimulatorConfig(registry_path=REGISTRY_PATH, seed=7, days=1, now=NOW))
    server = sim.serve_in_thread(host="127.0.0.1", port=0)
    pages = {c.connection_id: c.platform_id for c in registry.channels if c.platform == "facebook"}
    try:
        yield Sim(sim, server, pages)
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def airflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Airflow's metadata DB (SQLite in the throwaway AIRFLOW_HOME), for dag.test(); initialised
    once per session. Returns a pristine copy, taken before any test ran a DAG, that tests which
    start their own Airflow processes copy instead of running `airflow db migrate` again."""
    import sqlite3

    from airflow.configuration import conf
    from airflow.utils import db

    db.initdb()
    source = make_url(conf.get("database", "sql_alchemy_conn")).database
    assert source, "the test metadata DB is a SQLite file"
    pristine = tmp_path_factory.mktemp("airflow-db") / "airflow.db"
    with sqlite3.connect(source) as src, sqlite3.connect(pristine) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    _freeze_what_lives()  # Airflow is loaded now
    return pristine


@pytest.fixture
def factory(engine):
    """A session factory on the test's database (outbox and delivery tests)."""
    return sessionmaker(engine, expire_on_commit=False)


# Property tests explore new inputs on developers' machines; CI replays a fixed sequence, so a
# red CI run always reproduces (new finds go into the examples as regression tests).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

from tests.budget import FAST as _FAST  # noqa: E402

# `make test-fast` (tests/budget.py): a tenth of the examples for the default-budget tests too.
_hypothesis_settings.register_profile(
    "selected",
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
    max_examples=10 if _FAST else 100,
    # no time limit per example: a loaded CI machine is no failure (timings live in make bench)
    deadline=None,
)
_hypothesis_settings.load_profile("selected")
