"""Fixtures for the tip tests: a migrated database holding the synced sample registry.

Same backends as `tests/conftest.py` (SQLite, plus PostgreSQL with CITIZEN_DESK_TEST_PG_URL), but
SQLite databases are copied from one migrated and synced template file instead of being migrated
for every test: these tests are many and each needs a fresh database.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import NOW, PG_URL, _db_params, _pg_admin, _pg_template


def _sync(engine: Engine, registry) -> None:
    from citizen_desk.config.registry import sync_registry

    with sessionmaker(engine)() as session:
        sync_registry(session, registry, now=NOW)
        session.commit()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory, registry) -> Path:
    from citizen_desk.db import migrate
    from citizen_desk.db.engine import _engine_for

    path = tmp_path_factory.mktemp("tips-template") / "domain.db"
    engine = _engine_for(f"sqlite:///{path}")
    migrate.upgrade(engine)
    _sync(engine, registry)
    engine.dispose()
    _engine_for.cache_clear()
    return path


@pytest.fixture(params=_db_params())
def tip_engine(request: pytest.FixtureRequest, tmp_path: Path, registry) -> Iterator[Engine]:
    """A fresh database at head with the sample registry's units and channels."""
    from citizen_desk.db.engine import _engine_for

    if request.param == "sqlite":
        target = tmp_path / "domain.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
        engine = _engine_for(f"sqlite:///{target}")
        yield engine
        engine.dispose()
        _engine_for.cache_clear()
        return
    name = f"cd_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template()}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = _engine_for(url)
    _sync(engine, registry)
    yield engine
    engine.dispose()
    _engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(tip_engine: Engine) -> Iterator[Session]:
    with sessionmaker(tip_engine, expire_on_commit=False)() as session:
        yield session
