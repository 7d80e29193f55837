"""The database itself refuses duplicates, nonsense values and history rewrites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from citizen_desk.db.models import (
    AuditLog,
    Case,
    Channel,
    Message,
    Notification,
    Publication,
    Tip,
    Unit,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _unit(session: Session, code: str = "TH") -> Unit:
    unit = Unit(code=code, name="Công an tỉnh Thanh Hóa", kind="province", updated_at=NOW)
    session.add(unit)
    session.flush()
    return unit


def _channel(session: Session, unit: Unit, key: str = "fb-th", pid: str = "1001") -> Channel:
    channel = Channel(
        key=key,
        unit_id=unit.id,
        platform="facebook",
        platform_id=pid,
        name="Trang",
        connection_id="fb_th",
        updated_at=NOW,
    )
    session.add(channel)
    session.flush()
    return channel


def _message(channel: Channel, mid: str) -> Message:
    return Message(
        channel_id=channel.id,
        platform_message_id=mid,
        direction="in",
        kind="messenger",
        thread_key="t_1",
        text="xin chào",
        created_at=NOW,
        collected_at=NOW,
    )


def _case(channel: Channel, unit: Unit, thread: str = "t_1", **extra) -> Case:
    values = {
        "channel_id": channel.id,
        "unit_id": unit.id,
        "thread_key": thread,
        "kind": "messenger",
        "category": "question",
        "opened_at": NOW,
        "updated_at": NOW,
    }
    values.update(extra)
    return Case(**values)


def test_duplicate_message_is_rejected(session: Session) -> None:
    channel = _channel(session, _unit(session))
    session.add(_message(channel, "m_1"))
    session.flush()
    session.add(_message(channel, "m_1"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_same_message_id_on_two_channels_is_fine(session: Session) -> None:
    unit = _unit(session)
    first, second = _channel(session, unit), _channel(session, unit, "fb-2", "1002")
    session.add_all([_message(first, "m_1"), _message(second, "m_1")])
    session.flush()
    assert session.scalar(select(Message.id).where(Message.channel_id == second.id))


@pytest.mark.parametrize(
    "make_duplicate",
    [
        pytest.param(
            lambda s, u, c: Unit(code="TH", name="x", kind="province", updated_at=NOW),
            id="unit-code",
        ),
        pytest.param(
            lambda s, u, c: Channel(
                key="fb-th",
                unit_id=u.id,
                platform="zalo",
                platform_id="9",
                name="x",
                connection_id="c",
                updated_at=NOW,
            ),
            id="channel-key",
        ),
        pytest.param(
            lambda s, u, c: Channel(
                key="other",
                unit_id=u.id,
                platform="facebook",
                platform_id="1001",
                name="x",
                connection_id="c",
                updated_at=NOW,
            ),
            id="channel-platform-id",
        ),
        pytest.param(lambda s, u, c: _case(c, u), id="case-thread"),
    ],
)
def test_natural_keys_are_unique(session: Session, make_duplicate) -> None:
    unit = _unit(session)
    channel = _channel(session, unit)
    session.add(_case(channel, unit))
    session.flush()
    session.add(make_duplicate(session, unit, channel))
    with pytest.raises(IntegrityError):
        session.flush()


def test_notification_key_and_publication_period_are_unique(session: Session) -> None:
    channel = _channel(session, _unit(session))
    for _ in range(2):
        session.add(
            Notification(
                idempotency_key="sla:1:1:breach",
                kind="sla_breach",
                recipient="C07THDUTY01",
                payload={"text": "x"},
                payload_hash="h",
                created_at=NOW,
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    channel = _channel(session, _unit(session))
    for _ in range(2):
        session.add(
            Publication(
                channel_id=channel.id, period="2026-W47", marker="#tuan47", text="x", updated_at=NOW
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_check_constraints_refuse_unknown_values(session: Session) -> None:
    unit = _unit(session)
    channel = _channel(session, unit)
    session.add(_case(channel, unit, category="gossip"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    unit = _unit(session)
    channel = _channel(session, unit)
    case = _case(channel, unit, category="tip")
    session.add(case)
    session.flush()
    session.add(
        Tip(case_id=case.id, unit_id=unit.id, status="forwarded", received_at=NOW, updated_at=NOW)
    )
    with pytest.raises(IntegrityError):  # forwarded needs a target
        session.flush()


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(Unit(code="X", name="x", kind="province", updated_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_timestamps_come_back_aware_utc(session: Session) -> None:
    local = datetime(2026, 11, 23, 10, 0, tzinfo=UTC) + timedelta(hours=0)
    unit = Unit(code="Y", name="y", kind="province", updated_at=local)
    session.add(unit)
    session.commit()
    session.expire_all()
    loaded = session.scalar(select(Unit).where(Unit.code == "Y"))
    assert loaded.updated_at == local
    assert loaded.updated_at.utcoffset() == timedelta(0)


def test_audit_log_is_append_only(session: Session) -> None:
    session.add(
        AuditLog(at=NOW, actor="tester", action="x", entity_type="tip", entity_id="1", note="n")
    )
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(update(AuditLog).values(note="rewritten"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(delete(AuditLog))
    session.rollback()
    assert session.scalar(select(AuditLog.note)) == "n"
