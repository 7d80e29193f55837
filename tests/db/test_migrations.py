"""Migrations upgrade from empty, downgrade to empty, and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from citizen_desk.db import migrate
from citizen_desk.db.models import Base


def test_upgrade_from_empty_then_downgrade_then_upgrade(db_url: str) -> None:
    engine = create_engine(db_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0001"
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    migrate.upgrade(engine)  # idempotent: a second run is a no-op
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0001"
    engine.dispose()


def test_migrated_schema_matches_models(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
