"""Set-based writes: many rows per statement, each natural key still written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from citizen_desk.db.bulk import insert_many_if_absent, update_by_id
from citizen_desk.db.models import Notification, Unit
from citizen_desk.domain.lanes import lane_for

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _note(key: str, kind: str = "sla_breach") -> dict:
    return {
        "idempotency_key": key,
        "kind": kind,
        "recipient": "U1",
        "payload": {"text": key},
        "payload_hash": key,
        "status": "pending",
        "attempts": 0,
        "created_at": NOW,
        "source": "test",
    }


def _statements(session: Session) -> list[str]:
    seen: list[str] = []
    event.listen(
        session.get_bind(), "before_cursor_execute", lambda _c, _k, sql, *_: seen.append(sql)
    )
    return seen


def test_only_the_rows_whose_key_is_new_are_inserted_and_returned(session: Session) -> None:
    first = insert_many_if_absent(
        session,
        Notification,
        [_note("a"), _note("b"), _note("c", "admin_alert")],
        ["idempotency_key"],
        ["idempotency_key", "priority"],
    )
    assert sorted(first) == [("a", lane_for("sla_breach")), ("b", lane_for("sla_breach")),
                             ("c", lane_for("admin_alert"))]  # fmt: skip
    again = insert_many_if_absent(
        session,
        Notification,
        [_note("b"), _note("d"), _note("d"), _note("a")],
        ["idempotency_key"],
        ["idempotency_key"],
    )
    assert again == [("d",)]
    keys = session.scalars(select(Notification.idempotency_key).order_by(Notification.id))
    assert list(keys) == ["a", "b", "c", "d"]
    assert insert_many_if_absent(session, Notification, [], ["idempotency_key"], ["id"]) == []


def test_a_thousand_rows_take_one_statement_not_a_thousand(session: Session) -> None:
    seen = _statements(session)
    rows = [_note(f"k{i}") for i in range(1000)]
    added = insert_many_if_absent(session, Notification, rows, ["idempotency_key"], ["id"])
    assert len(added) == 1000
    assert len([s for s in seen if s.startswith("INSERT INTO notifications")]) == 1


def test_update_by_id_sets_each_row_its_own_values(session: Session) -> None:
    units = [
        Unit(code=f"U{i}", name=f"Đơn vị {i}", kind="commune", updated_at=NOW) for i in range(5)
    ]
    session.add_all(units)
    session.flush()
    seen = _statements(session)
    changed = [
        {"id": unit.id, "name": f"Đơn vị mới {i}", "updated_at": NOW + timedelta(hours=i)}
        for i, unit in enumerate(units[:4])
    ]
    assert update_by_id(session, Unit, changed, ["name", "updated_at"]) == 4
    assert len([s for s in seen if s.startswith("UPDATE units")]) == 1
    session.expire_all()
    stored = {u.code: (u.name, u.updated_at) for u in session.scalars(select(Unit))}
    assert stored == {
        **{f"U{i}": (f"Đơn vị mới {i}", NOW + timedelta(hours=i)) for i in range(4)},
        "U4": ("Đơn vị 4", NOW),
    }
    assert update_by_id(session, Unit, [], ["name"]) == 0


def test_update_by_id_writes_nulls_and_typed_values(session: Session) -> None:
    insert_many_if_absent(
        session, Notification, [_note(f"n{i}") for i in range(3)], ["idempotency_key"], ["id"]
    )
    ids = dict(session.execute(select(Notification.idempotency_key, Notification.id)).all())
    later = NOW + timedelta(minutes=5)
    changed = [
        {"id": ids["n0"], "next_attempt_at": None, "last_error": None, "attempts": 2},
        {"id": ids["n1"], "next_attempt_at": later, "last_error": "tạm lỗi", "attempts": 1},
    ]
    update_by_id(session, Notification, changed, ["next_attempt_at", "last_error", "attempts"])
    session.expire_all()
    rows = {
        n.idempotency_key: (n.next_attempt_at, n.last_error, n.attempts)
        for n in session.scalars(select(Notification))
    }
    assert rows == {"n0": (None, None, 2), "n1": (later, "tạm lỗi", 1), "n2": (None, None, 0)}
