"""The one dialect-specific INSERT: `ON CONFLICT` for PostgreSQL and SQLite (the two we support)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.orm import Session


def dialect_insert(session: Session, target: Any) -> Any:
    """`insert(target)` of the session's dialect, which has `on_conflict_do_nothing/_update`.

    Raises NotImplementedError on any other dialect: the project runs on these two only.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(target)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(target)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")


def insert_if_absent(
    session: Session, target: Any, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT (unique) DO NOTHING for one row; True when it was inserted.

    Told by `RETURNING`, not `rowcount`: psycopg 3 reports -1 for this statement."""
    stmt = dialect_insert(session, target).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=list(unique)).returning(literal_column("1"))
    return session.execute(stmt).first() is not None
