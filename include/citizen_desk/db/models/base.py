"""The declarative base of the domain schema: constraint naming, aware UTC timestamps, JSON
columns, and the value sets of the enumerated columns (each one a CHECK constraint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from citizen_desk.db.types import JsonType, UtcDateTime
from citizen_desk.domain.vocabulary import (
    CaseStatus,
    Direction,
    InboxStatus,
    MessageKind,
    NotificationStatus,
    Platform,
    PublicationStatus,
    SlaEventKind,
    TipStatus,
    UnitKind,
    values,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PLATFORMS = values(Platform)
UNIT_KINDS = values(UnitKind)
MESSAGE_KINDS = values(MessageKind)
DIRECTIONS = values(Direction)
CASE_STATUSES = values(CaseStatus)
TIP_STATUSES = values(TipStatus)
NOTIFICATION_STATUSES = values(NotificationStatus)
PUBLICATION_STATUSES = values(PublicationStatus)
SLA_EVENT_KINDS = values(SlaEventKind)
INBOX_STATUSES = values(InboxStatus)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The text of a CHECK constraint: `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonType,
    }
