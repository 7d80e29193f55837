"""Column types: timezone-aware UTC timestamps and portable JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC; refuses naive datetimes; always returns aware UTC datetimes.

    PostgreSQL gets `timestamptz`; SQLite stores naive UTC text, re-tagged as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: every timestamp must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonType = JSON().with_variant(postgresql.JSONB(), "postgresql")


def utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC (raises on naive input)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime refused")
    return value.astimezone(UTC)
