"""Engine and sessions for the domain DB.

URL resolution: explicit argument, then env `CITIZEN_DESK_DB_URL`, then the Airflow connection
`citizen_desk_db` (only when running inside Airflow), then a SQLite file in the data directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.config import settings

AIRFLOW_CONN_ID = "citizen_desk_db"


def _url_from_airflow() -> str | None:
    if not (os.environ.get("AIRFLOW_HOME") or os.environ.get("AIRFLOW__CORE__DAGS_FOLDER")):
        return None
    try:
        from airflow.sdk import BaseHook  # imported lazily: the package works without Airflow
    except ImportError:  # pragma: no cover - Airflow is always installed with the project
        return None
    try:
        conn = BaseHook.get_connection(AIRFLOW_CONN_ID)
    except Exception:  # Airflow raises its own not-found error type; absence means "use default"
        return None
    uri = conn.get_uri()
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg2://" + uri.removeprefix("postgresql://")
    return uri


def resolve_url(url: str | None = None) -> str:
    if url:
        return url
    env_url = os.environ.get("CITIZEN_DESK_DB_URL")
    if env_url:
        return env_url
    airflow_url = _url_from_airflow()
    if airflow_url:
        return airflow_url
    return f"sqlite:///{settings.data_dir() / 'citizen_desk.db'}"


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_conn.cursor()
    # WAL + busy timeout: mapped collection tasks write from several processes at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    # hide_parameters: a failing statement's exception (and so every log or alert quoting it)
    # never carries the bound values, which can be an informant's name or phone.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def get_engine(url: str | None = None) -> Engine:
    return _engine_for(resolve_url(url))


@contextmanager
def session_scope(url: str | Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    engine = url if isinstance(url, Engine) else get_engine(url)
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
