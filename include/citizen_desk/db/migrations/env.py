"""Alembic environment: uses the engine handed over by citizen_desk.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from citizen_desk.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise ValueError("alembic: no engine handed over and no sqlalchemy.url configured")
        engine = create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two DAG runs migrating at once must not race: serialise on an advisory lock.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727210001)")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
