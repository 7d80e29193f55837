"""Fixtures for the tip tests: a migrated database holding the synced sample registry.

Same backends and templates as `tests/conftest.py` (SQLite, plus PostgreSQL with
CITIZEN_DESK_TEST_PG_URL): every test gets a fresh copy of the synced template.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


@pytest.fixture
def tip_engine(synced_engine: Engine) -> Engine:
    """A fresh database at head with the sample registry's units and channels."""
    return synced_engine


@pytest.fixture
def db(tip_engine: Engine) -> Iterator[Session]:
    with sessionmaker(tip_engine, expire_on_commit=False)() as session:
        yield session
