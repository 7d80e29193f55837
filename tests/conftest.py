"""Shared fixtures.

Airflow's environment is set here, before anything imports airflow: a throwaway AIRFLOW_HOME
(SQLite metadata DB, created only by tests that need `dag.test()`), our dags/ and plugins/.

Database tests use the `engine` fixture, which runs on SQLite and, when
`CITIZEN_DESK_TEST_PG_URL` is set (CI sets it), also on PostgreSQL: each test gets a fresh,
migrated database either way.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

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
for _var in ("CITIZEN_DESK_DB_URL", "CITIZEN_DESK_REGISTRY", "HTTP_PROXY", "HTTPS_PROXY"):
    os.environ.pop(_var, None)

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

PG_URL = os.environ.get("CITIZEN_DESK_TEST_PG_URL")
REGISTRY_PATH = REPO / "include" / "config" / "registry.yaml"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 in Asia/Ho_Chi_Minh

_PG_TEMPLATE: str | None = None


def _pg_admin() -> Engine:
    assert PG_URL
    return create_engine(
        make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=None
    )


def _pg_template() -> str:
    """A migrated template database, built once per session; tests clone it (fast)."""
    global _PG_TEMPLATE
    if _PG_TEMPLATE is None:
        from citizen_desk.db import migrate

        name = f"cd_tmpl_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(make_url(PG_URL).set(database=name))
        migrate.upgrade(engine)
        engine.dispose()
        admin.dispose()
        _PG_TEMPLATE = name
    return _PG_TEMPLATE


def _drop_pg_databases(prefix: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"}
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if PG_URL and _PG_TEMPLATE:
        _drop_pg_databases(_PG_TEMPLATE)


def _db_params() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not PG_URL, reason="CITIZEN_DESK_TEST_PG_URL not set"),
        )
    )
    return params


@pytest.fixture(params=_db_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty (unmigrated) database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'domain.db'}"
        return
    name = f"cd_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=_db_params())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database migrated to head: SQLite, and PostgreSQL with CITIZEN_DESK_TEST_PG_URL."""
    from citizen_desk.db import migrate
    from citizen_desk.db.engine import _engine_for

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'domain.db'}"
        eng = _engine_for(url)
        migrate.upgrade(eng)
        yield eng
        eng.dispose()
        _engine_for.cache_clear()
        return
    template = _pg_template()
    name = f"cd_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    eng = _engine_for(url)
    yield eng
    eng.dispose()
    _engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with sessionmaker(engine, expire_on_commit=False)() as db_session:
        yield db_session


@pytest.fixture(scope="session")
def registry():
    from citizen_desk.config.registry import load_registry

    return load_registry(REGISTRY_PATH)


@pytest.fixture
def synced_engine(engine: Engine, registry) -> Engine:
    """A migrated database holding the sample registry's units and channels."""
    from citizen_desk.config.registry import sync_registry

    with sessionmaker(engine)() as db_session:
        sync_registry(db_session, registry, now=NOW)
        db_session.commit()
    return engine


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata DB (SQLite in the throwaway AIRFLOW_HOME), for dag.test()."""
    from airflow.utils import db

    db.initdb()
