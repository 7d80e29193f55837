"""Cases made the way the collection makes them (`store_batch`), for the learning tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from citizen_desk.collect.channels import channel_ref
from citizen_desk.collect.records import Item, SourceBatch
from citizen_desk.collect.store import store_batch
from citizen_desk.db.models import AuditLog, Case, Tip, TriageCorrection, TriageModelVersion
from tests.conftest import NOW

CHANNEL = "fb-th-ns-ngathuy"
QUESTION = "Cho em hỏi làm căn cước cho con 14 tuổi thì cần mang giấy tờ gì ạ?"
PLAIN_TIP = "Tối nào cũng có nhóm người tụ tập đánh bạc ăn tiền ở quán nước đầu cầu Nga Thủy"
URGENT = "Cứu với, có người đang cầm dao đuổi đánh em ngay trước cổng nhà, công an đến ngay"
_ids = itertools.count(1)


def ingest(
    engine: Engine, texts: list[str], *, at: datetime = NOW, thread: str | None = None
) -> str:
    """Store citizen messages (one thread, a minute apart) as the collection would; returns the
    thread key."""
    thread = thread or f"t_learn_{next(_ids)}"
    items = [
        Item(
            platform_message_id=f"{thread}_m{next(_ids)}",
            kind="messenger",
            thread_key=thread,
            direction="in",
            created_at=at + timedelta(minutes=i),
            text=text,
            raw={},
            citizen_user_id=f"psid_{thread}",
        )
        for i, text in enumerate(texts)
    ]
    batch = SourceBatch("messenger", items=items, newest=items[-1].created_at)
    with Session(engine) as session:
        channel = channel_ref(session, CHANNEL)
        store_batch(session, channel, batch, run_id=f"run-{thread}", now=at + timedelta(hours=1),
                    advance_watermark=False)  # fmt: skip
        session.commit()
    return thread


def case_of(session: Session, thread: str) -> Case:
    return session.scalars(select(Case).where(Case.thread_key == thread)).one()


def tip_of(session: Session, case_id: int) -> Tip | None:
    return session.scalar(select(Tip).where(Tip.case_id == case_id))


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (AuditLog, Tip, TriageCorrection, TriageModelVersion, Case)
        }


def audit(session: Session, entity_type: str, entity_id: int | str) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.id)
    )
    return [(row.actor, row.action) for row in rows]
