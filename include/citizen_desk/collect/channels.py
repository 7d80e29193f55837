"""The channel a batch is written for, and the SQL the store and the case derivation share.

`insert` gives the dialect's INSERT (with ON CONFLICT) for PostgreSQL and SQLite; `lock_channel`
serialises the writers of one channel (PostgreSQL advisory transaction lock; SQLite's single
writer), so two runs cannot derive a case from different snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from citizen_desk.db.models import Channel

CHUNK = 300  # rows per multi-row INSERT / IN (...) list
LOCK_NAMESPACE = 0x43440001  # pg_advisory_xact_lock(namespace, channel_id)


@dataclass(frozen=True)
class ChannelRef:
    """What collection needs to know about a channel (no token: that lives in Airflow)."""

    id: int
    key: str
    unit_id: int
    platform: str
    platform_id: str
    connection_id: str
    active: bool = True


def channel_ref(session: Session, key: str) -> ChannelRef:
    channel = session.scalars(select(Channel).where(Channel.key == key)).one_or_none()
    if channel is None:
        from citizen_desk.errors import NotFoundError

        raise NotFoundError(f"unknown channel {key!r}")
    return ChannelRef(
        id=channel.id,
        key=channel.key,
        unit_id=channel.unit_id,
        platform=channel.platform,
        platform_id=channel.platform_id,
        connection_id=channel.connection_id,
        active=channel.active,
    )


def lock_channel(session: Session, channel_id: int) -> None:
    """Serialise writers of one channel until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :id)"), {"ns": LOCK_NAMESPACE, "id": channel_id}
        )
    else:
        # A statement that writes no row still takes SQLite's write lock for the transaction, and
        # every later read in it sees the latest committed data.
        session.execute(text("UPDATE collection_watermarks SET watermark = watermark WHERE 0 = 1"))
