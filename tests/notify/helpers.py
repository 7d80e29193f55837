"""Shared by the outbox and delivery tests: recipients of the registry, enqueue and read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from citizen_desk.db.models import Notification
from citizen_desk.notify import outbox
from citizen_desk.notify.blocks import render_message
from tests.conftest import NOW

DUTY = "C07NSDUTY01"
CHIEF = "U07NSCHIEF1"
ADMIN = "C07TECHADMIN"


def add(
    factory,
    registry,
    key: str,
    *,
    recipient: str = DUTY,
    text: str = "Xin chào",
    names=(),
    kind: str = "test",
) -> Notification | None:
    message = render_message("admin_alert", title="Kiểm tra", body=text)
    with factory() as session, session.begin():
        return outbox.enqueue(
            session,
            key=key,
            kind=kind,
            recipient=recipient,
            text=message.text,
            blocks=message.blocks,
            now=NOW,
            source="tests",
            pii_names=names,
            registry=registry,
        )


def stored(factory) -> dict[str, Notification]:
    with factory() as session:
        return {r.idempotency_key: r for r in session.scalars(select(Notification))}


def posted(sim, key: str | None = None) -> list[dict[str, Any]]:
    messages = sim.slack_messages()
    if key is None:
        return messages
    return [
        m for m in messages if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
    ]


CASE_URL = "http://localhost:8080/citizen-desk/cases/7"
# an SLA breach alert's context (all but the excerpt and the link), as the SLA sweep renders it
SLA_BREACH = {
    "case_ref": "CD-000007",
    "unit_name": "Công an xã Hoằng Hóa",
    "category_label": "Tin báo, tố giác",
    "urgent": False,
    "turn_no": 1,
    "due_at": datetime(2026, 12, 7, 3, tzinfo=UTC),
    "overdue_by": timedelta(minutes=30),
}
