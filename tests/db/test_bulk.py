"""Set-based writes: many rows per statement, each natural key still written once."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

import citizen_desk.db.bulk as bulk
from citizen_desk.db.bulk import insert_many_if_absent, insert_rows, update_by_id
from citizen_desk.db.models import Channel, Message, Notification, Unit
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


# --- insert_rows: COPY on PostgreSQL, multi-row VALUES on SQLite ---------------------------------

TRICKY = ["tab\there", "line\nbreak\r\nend", "back\\slash \\N", "\\N", "", "Nguyễn Thị Hoa 🙏"]
MESSAGE_COLUMNS = (
    "channel_id",
    "platform_message_id",
    "direction",
    "kind",
    "thread_key",
    "parent_platform_id",
    "urgent",
    "raw",
    "created_at",
    "collected_at",
    "text",
)


@pytest.fixture
def synced_session(synced_engine: Engine) -> Iterator[Session]:
    with Session(synced_engine) as db_session:
        yield db_session


def _message_rows(channel_id: int, texts: list[str], prefix: str = "m") -> list[tuple[Any, ...]]:
    vietnam = timezone(timedelta(hours=7))
    return [
        (channel_id, f"{prefix}{i}", "in", "messenger", "t\t1", None if i % 2 else f"p{i}",
         bool(i % 2), {"text": text, "n": i, "nested": [1.5, None, True]} if i != 1 else None,
         datetime(2026, 11, 23, 10, i, tzinfo=vietnam), NOW, text)
        for i, text in enumerate(texts)
    ]  # fmt: skip


@pytest.mark.parametrize("copy_from", [0, 10**9], ids=["copy", "values"])
def test_insert_rows_stores_every_value_as_an_insert_would(
    synced_session: Session, monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_from)
    channel_id = synced_session.scalar(select(Channel.id).order_by(Channel.id).limit(1))
    rows = _message_rows(channel_id, TRICKY)
    returned = insert_rows(synced_session, Message, MESSAGE_COLUMNS, rows,
                           unique=("channel_id", "platform_message_id"),
                           returning=("platform_message_id", "id"))  # fmt: skip
    assert [key for key, _ in returned] == [f"m{i}" for i in range(len(TRICKY))]
    assert [i for _, i in returned] == sorted(i for _, i in returned)  # numbered in order
    stored = synced_session.execute(
        select(*(getattr(Message, c) for c in MESSAGE_COLUMNS), Message.category).order_by(
            Message.id
        )
    ).all()
    assert [tuple(row[:-1]) for row in stored] == [
        (*row[:8], row[8].astimezone(UTC), *row[9:]) for row in rows
    ]
    assert {row[-1] for row in stored} == {None}
    # None in a JSON column is JSON null, as in any insert through the column's type
    assert synced_session.scalar(
        select(func.count()).select_from(Message).where(Message.raw.is_(None))
    ) == 0  # fmt: skip
    again = insert_rows(synced_session, Message, MESSAGE_COLUMNS,
                        _message_rows(channel_id, ["new", *TRICKY[1:]], prefix="m")
                        + _message_rows(channel_id, ["x"], prefix="n"),
                        unique=("channel_id", "platform_message_id"),
                        returning=("platform_message_id",))  # fmt: skip
    assert again == [("n0",)]  # only the new key


@pytest.mark.parametrize("copy_from", [0, 10**9], ids=["copy", "values"])
def test_insert_rows_fills_constant_defaults_and_refuses_to_guess_others(
    session: Session, monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_from)
    columns = ("idempotency_key", "kind", "recipient", "payload", "payload_hash", "created_at")
    rows = [(f"k{i}", "sla_breach", "U1", {"i": i}, f"h{i}", NOW) for i in range(3)]
    with pytest.raises(ValueError, match=r"notifications\.priority"):
        insert_rows(session, Notification, columns, rows)
    insert_rows(session, Notification, (*columns, "priority"), [(*r, 3) for r in rows])
    stored = session.execute(select(Notification.status, Notification.attempts)).all()
    assert stored == [("pending", 0)] * 3
    assert insert_rows(session, Notification, columns, []) == []


def test_a_refused_copy_names_no_value(synced_session: Session, monkeypatch) -> None:
    """COPY's own error quotes the offending value: it must not reach the exception."""
    if synced_session.get_bind().dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 0)
    secret = "Nguyễn Văn A 0912 345 678"
    row = (secret, "x", "in", "messenger", "t", None, False, {}, NOW, NOW, "")
    with pytest.raises(bulk.CopyFailed) as refused:
        insert_rows(synced_session, Message, MESSAGE_COLUMNS, [row])
    shown = "".join(traceback.format_exception(refused.value))
    assert "0912" not in shown
    assert "Nguyễn" not in shown
    assert "cd_stage_messages" in str(refused.value)


@pytest.mark.parametrize("copy_from", [0, 10**9], ids=["copy", "values"])
def test_a_json_value_with_its_text_stores_the_value_as_the_value_alone_would(
    session: Session, monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_from)
    columns = ("idempotency_key", "kind", "recipient", "payload", "payload_hash", "created_at",
               "priority")  # fmt: skip
    payloads = [
        {"text": "Tin báo\tmới\n> \\ “trích” <@U1> & ok", "blocks": [{"type": "divider"}]},
        {"b": [1, 2.5, None, True], "a": {"z": "", "y": "ấp 3"}},
    ]
    # the text as `payload_json` makes it: keys sorted, not ASCII-escaped
    texts = [json.dumps(p, sort_keys=True, ensure_ascii=False) for p in payloads]
    rows = [
        (f"j{i}", "sla_breach", "U1", bulk.JsonValue(p, t), f"h{i}", NOW, 3)
        for i, (p, t) in enumerate(zip(payloads, texts, strict=True))
    ]
    insert_rows(session, Notification, columns, rows, unique=["idempotency_key"])
    stored = session.scalars(select(Notification.payload).order_by(Notification.id)).all()
    assert stored == payloads
