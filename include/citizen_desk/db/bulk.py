"""Set-based writes: many rows in a few statements, keeping the natural keys' exactly-once."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from citizen_desk.db.batching import chunks
from citizen_desk.db.types import UtcDateTime
from citizen_desk.db.upsert import dialect_insert


def insert_many_if_absent(
    session: Session,
    target: Any,
    rows: Sequence[Mapping[str, Any]],
    unique: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """`insert_if_absent` for many rows: INSERT … ON CONFLICT (unique) DO NOTHING RETURNING.

    SQLAlchemy sends the rows as multi-row statements (its "insertmanyvalues", on PostgreSQL and
    SQLite alike); column defaults are applied per row as in a single insert. Returns the
    `returning` columns of the rows this call inserted: a row whose key existed (another run's,
    or an earlier row of `rows`) returns nothing. Every row must have the same keys.
    """
    if not rows:
        return []
    table = getattr(target, "__table__", target)
    stmt = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(*(table.c[name] for name in returning))
    )
    return [tuple(row) for row in session.execute(stmt, [dict(row) for row in rows])]


def update_by_id(
    session: Session, target: Any, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]
) -> int:
    """UPDATE target SET columns… WHERE id = :id for each row (`{"id": …, column: …}`); returns
    how many rows were given.

    PostgreSQL: one `UPDATE … FROM (SELECT unnest(:ids), unnest(:values)…)` per 5,000 rows, one
    array parameter per column (an executemany would be a round trip per row: 10k cases took
    9 s). SQLite, in process: one executemany per 1,000 rows."""
    table = getattr(target, "__table__", target)
    batch = [dict(row) for row in rows]
    postgresql = session.get_bind().dialect.name == "postgresql"
    for chunk in chunks(batch, 5000 if postgresql else 1000):
        if postgresql:
            from sqlalchemy.dialects.postgresql import ARRAY

            arrays = [
                func.unnest(
                    bindparam(
                        f"new_{name}", [row[name] for row in chunk], ARRAY(table.c[name].type)
                    )
                ).label(f"new_{name}")
                for name in columns
            ]
            ids = bindparam("row_ids", [row["id"] for row in chunk], ARRAY(table.c.id.type))
            given = select(func.unnest(ids).label("row_id"), *arrays).subquery("given")
            session.execute(
                update(table)
                .where(table.c.id == given.c.row_id)
                .values({name: given.c[f"new_{name}"] for name in columns})
            )
        else:
            stmt = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(f"new_{name}") for name in columns})
            )
            session.execute(
                stmt,
                [{"row_id": row["id"], **{f"new_{n}": row[n] for n in columns}} for row in chunk],
            )
    return len(batch)


# --- many new rows: COPY on PostgreSQL ----------------------------------------------------------

# Fewer rows go as one multi-row VALUES on PostgreSQL too: a COPY costs two more round trips.
COPY_MIN_ROWS = 20


class CopyFailed(RuntimeError):
    """A COPY was refused. The database's message is left out: for COPY it quotes the offending
    row's value, which can be an informant's text."""


@dataclass(frozen=True)
class JsonValue:
    """A JSON column's value with its JSON text, made already by the caller (who hashed it): a
    COPY into a JSONB column sends that text as is (JSONB keeps the value parsed, not the text),
    instead of serialising the value a second time; everywhere else the value goes through the
    column's type as any other. `text` must be JSON of `value` (`json.dumps` of it)."""

    value: Any
    text: str


def insert_rows(
    session: Session,
    target: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: Sequence[str] | None = None,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT `rows` (tuples, in `columns` order) [ON CONFLICT (unique) DO NOTHING] [RETURNING].

    PostgreSQL, from `COPY_MIN_ROWS` rows: the rows are COPYed into a temporary staging table
    (created once per connection), then moved by one `INSERT … SELECT` that empties it, in the
    order given, so ids are numbered in that order. Otherwise (and on SQLite) one executemany
    (insertmanyvalues). Values go through the columns' types as in any insert (UTC timestamps,
    JSON, None in a JSON column is JSON null); a scalar Python-side default fills a column not in
    `columns`. Returns the `returning` columns of the inserted rows (a row whose key existed
    returns nothing).
    """
    if not rows:
        return []
    table = getattr(target, "__table__", target)
    columns, rows = _with_defaults(table, columns, rows)
    if not copy_possible(session, rows):
        return _insert_executemany(session, table, columns, rows, unique, returning)
    sql = _staged_insert(session, table, columns, rows)
    if unique:
        sql += f" ON CONFLICT ({', '.join(unique)}) DO NOTHING"
    if not returning:
        session.execute(text(sql))
        return []
    return [tuple(row) for row in session.execute(text(f"{sql} RETURNING {', '.join(returning)}"))]


def copy_possible(session: Session, rows: Sequence[object]) -> bool:
    """Whether these rows go through COPY (`insert_rows`) or may be given to `upsert_rows`:
    PostgreSQL through psycopg2, and `COPY_MIN_ROWS` rows or more."""
    dialect = session.get_bind().dialect
    return (dialect.name, dialect.driver) == ("postgresql", "psycopg2") and len(
        rows
    ) >= COPY_MIN_ROWS


def upsert_rows(
    session: Session,
    target: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: Sequence[str],
    set_sql: Mapping[str, str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """`INSERT … ON CONFLICT (unique) DO UPDATE SET column = expression … RETURNING` of many
    rows through the staging table of `insert_rows` (PostgreSQL only: see
    `copy_possible`). `set_sql`: SQL expressions over `EXCLUDED` and the table, trusted
    text (never a value). No two rows may share a `unique` key. Every row is inserted or
    updated, so every row returns."""
    if not copy_possible(session, rows):
        raise ValueError("upsert_rows: PostgreSQL (psycopg2) and COPY_MIN_ROWS rows or more")
    table = getattr(target, "__table__", target)
    columns, rows = _with_defaults(table, columns, rows)
    sets = ", ".join(f"{name} = {expression}" for name, expression in set_sql.items())
    sql = (
        f"{_staged_insert(session, table, columns, rows)} "
        f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {sets} "
        f"RETURNING {', '.join(returning)}"
    )
    return [tuple(row) for row in session.execute(text(sql))]


def _staged_insert(
    session: Session, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> str:
    """COPY the rows into the table's staging table; the `INSERT … SELECT` that moves them (in
    the order given) and empties it, to be completed (ON CONFLICT, RETURNING) and run."""
    names = ", ".join(columns)
    # one staging table per column list, so a table that gained a column gets a new one
    stage = f"cd_stage_{table.name}_{hashlib.sha1(names.encode()).hexdigest()[:8]}"
    # Created with the COPY, in the same round trip (a no-op once the connection has it); its rows
    # are emptied by the INSERT, and at the latest by the commit.
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
        f"SELECT 0 AS cd_ord, {names} FROM {table.name} WITH NO DATA"
    )
    _copy(session, create, stage, ("cd_ord", *columns), _copy_lines(session, table, columns, rows))
    return (
        f"WITH staged AS (DELETE FROM {stage} RETURNING *) "
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM staged ORDER BY cd_ord"
    )


def _with_defaults(
    table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[tuple[str, ...], Sequence[Sequence[Any]]]:
    """`columns` and `rows` plus the columns with a scalar Python-side default not given."""
    given = set(columns)
    extra = [
        (column.name, column.default)
        for column in table.columns
        if column.name not in given and column.default is not None and not column.primary_key
    ]
    if not extra:
        return tuple(columns), rows
    for name, default in extra:
        if not default.is_scalar:
            raise ValueError(f"{table.name}.{name}: give a value (its default is not a constant)")
    values = tuple(default.arg for _, default in extra)
    return (*columns, *(name for name, _ in extra)), [(*row, *values) for row in rows]


def _insert_executemany(
    session: Session,
    table: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    unique: Sequence[str] | None,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    stmt = dialect_insert(session, table)
    if unique:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(unique))
    params = [
        {c: v.value if isinstance(v, JsonValue) else v for c, v in zip(columns, row, strict=True)}
        for row in rows
    ]
    if not returning:
        session.execute(stmt, params)
        return []
    stmt = stmt.returning(*(table.c[name] for name in returning))
    return [tuple(row) for row in session.execute(stmt, params)]


def _copy_lines(
    session: Session, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> str:
    """The rows in COPY's text format (numbered), each value through its column's type."""
    dialect = session.get_bind().dialect
    convert = [_converter(table.c[name].type, dialect) for name in columns]
    lines = [
        f"{number}\t" + "\t".join([c(v) for c, v in zip(convert, row, strict=True)])
        for number, row in enumerate(rows)
    ]
    lines.append("")
    return "\n".join(lines)


def _converter(column_type: Any, dialect: Any) -> Callable[[Any], str]:
    """A column's value -> its COPY text: through the column's bind processor, as in an insert.
    An aware UTC datetime in a `UtcDateTime` column and a bool in a Boolean one, which their
    processors return as they are, skip them (a first collection converts millions of values)."""
    impl = column_type.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    text_of = _COPY_TEXT.get
    if isinstance(impl, postgresql.JSONB):

        def jsonb(value: Any) -> str:
            if isinstance(value, JsonValue):
                return _copy_str(value.text)  # the caller's JSON text, not serialised again
            if process is not None:
                value = process(value)
            return text_of(type(value), _copy_other)(value)

        return jsonb
    if process is None:

        def plain(value: Any) -> str:
            if isinstance(value, JsonValue):
                value = value.value
            return text_of(type(value), _copy_other)(value)

        return plain
    shortcut: Callable[[Any], str | None] = _no_shortcut
    if (
        isinstance(impl, UtcDateTime)
        and impl.impl.dialect_impl(dialect).bind_processor(dialect) is None
    ):
        shortcut = _utc_shortcut
    elif isinstance(impl, Boolean):
        shortcut = _bool_shortcut

    def processed(value: Any) -> str:
        done = shortcut(value)
        if done is not None:
            return done
        if isinstance(value, JsonValue):
            value = value.value
        value = process(value)
        return text_of(type(value), _copy_other)(value)

    return processed


def _no_shortcut(_value: Any) -> str | None:
    return None


def _utc_shortcut(value: Any) -> str | None:
    """What `UtcDateTime` would send (on PostgreSQL): None and aware UTC datetimes as they are."""
    if value is None:
        return "\\N"
    if type(value) is datetime and value.tzinfo is UTC:
        return value.isoformat()
    return None


def _bool_shortcut(value: Any) -> str | None:
    if value is None:
        return "\\N"
    if type(value) is bool:
        return "t" if value else "f"
    return None


def _copy_str(value: str) -> str:
    if not _NEEDS_ESCAPE(value):
        return value
    # four passes of str.replace beat one str.translate with a mapping (JSON text is full of
    # backslashes: SQLAlchemy's serializer escapes every non-ASCII character)
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_other(value: Any) -> str:
    if isinstance(value, str):
        return _copy_str(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"no COPY text for a {type(value).__name__}")


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search
_COPY_TEXT: dict[type, Callable[[Any], str]] = {
    str: _copy_str,
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: int.__repr__,
    float: float.__repr__,
    datetime: datetime.isoformat,
    date: date.isoformat,
}


def _copy(session: Session, before: str, table: str, columns: Sequence[str], data: str) -> None:
    """`before`; COPY `data` into `table` (one round trip)."""
    import psycopg2

    sql = f"{before}; COPY {table} ({', '.join(columns)}) FROM STDIN"
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(sql, io.StringIO(data))
    except psycopg2.Error as exc:
        raise CopyFailed(f"COPY into {table} refused (SQLSTATE {exc.pgcode})") from None
    finally:
        cursor.close()
