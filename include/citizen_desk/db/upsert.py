"""The one dialect-specific INSERT: `ON CONFLICT` for PostgreSQL and SQLite (the two we support)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session


def dialect_insert(session: Session, target: Any) -> Any:
    """`insert(target)` of the session's dialect, which has `on_conflict_do_nothing/_update`.

    Raises NotImplementedError on any other dialect: the project runs on these two only.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    return insert(target)


def insert_if_absent(
    session: Session, target: Any, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT (unique) DO NOTHING for one row; True when it was inserted."""
    stmt = dialect_insert(session, target).values(**values)
    return session.execute(stmt.on_conflict_do_nothing(index_elements=list(unique))).rowcount == 1
