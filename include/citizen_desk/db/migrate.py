"""Alembic migrations, run programmatically (CLI: `python -m citizen_desk db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from citizen_desk.db.engine import get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(url: str | Engine | None = None, revision: str = "head") -> None:
    """Idempotent: safe to call from every DAG run; concurrent callers serialise on the DB."""
    engine = url if isinstance(url, Engine) else get_engine(url)
    command.upgrade(alembic_config(engine), revision)


def downgrade(url: str | Engine | None = None, revision: str = "base") -> None:
    engine = url if isinstance(url, Engine) else get_engine(url)
    command.downgrade(alembic_config(engine), revision)


def current_revision(url: str | Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = url if isinstance(url, Engine) else get_engine(url)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
