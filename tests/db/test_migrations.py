"""Migrations upgrade from empty, downgrade to empty, and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from citizen_desk.db import migrate
from citizen_desk.db.models import Base

HEAD = "0017"


def test_upgrade_from_empty_then_downgrade_then_upgrade(db_url: str) -> None:
    engine = create_engine(db_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    migrate.upgrade(engine)  # idempotent: a second run is a no-op
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    engine.dispose()


def test_migrated_schema_matches_models(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_acknowledgement_units_survive_downgrade_and_upgrade(db_url: str, registry) -> None:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from citizen_desk.config.registry import sync_registry
    from citizen_desk.db.engine import _engine_for
    from citizen_desk.tips import views
    from citizen_desk.tips import workflow as tips
    from tests.conftest import NOW
    from tests.tips import seed

    engine = _engine_for(db_url)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        sync_registry(session, registry, now=NOW)
        tip_id = seed.add_tip(session).id
        tips.acknowledge(session, tip_id, actor="a", now=NOW, level=0)
        tips.reassign(session, tip_id, actor="chief", now=NOW, unit_code="TH-NS-NGATAN")
        tips.acknowledge(session, tip_id, actor="b", now=NOW, level=0)  # the new unit, again
    with Session(engine) as session:
        acks = [(a.level, a.unit_code, a.by) for a in views.acknowledgements(session, tip_id)]
    assert acks == [(0, "TH-NS-NGATHUY", "a"), (0, "TH-NS-NGATAN", "b")]

    migrate.downgrade(engine, "0001")  # one acknowledgement per (tip, level): the earliest stays
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT level, by FROM tip_acknowledgements")).all()
    assert [tuple(r) for r in rows] == [(0, "a")]

    migrate.upgrade(engine)  # rows get the tip's current unit
    with Session(engine) as session:
        acks = [(a.level, a.unit_code, a.by) for a in views.acknowledgements(session, tip_id)]
    assert acks == [(0, "TH-NS-NGATAN", "a")]
    engine.dispose()


def test_notification_lanes_and_superseded_survive_downgrade_and_upgrade(db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(db_url)
    migrate.upgrade(engine, "0002")
    insert = text(
        "INSERT INTO notifications (idempotency_key, kind, recipient, payload, payload_hash, "
        "status, attempts, created_at) VALUES (:key, :kind, 'C1', '{}', 'h', :status, 0, "
        "'2026-11-23 03:00:00+00:00')"
    )
    with engine.begin() as conn:
        conn.execute(insert, {"key": "old-urgent", "kind": "tip_urgent", "status": "pending"})
        conn.execute(insert, {"key": "old-digest", "kind": "sla_digest", "status": "pending"})
        conn.execute(insert, {"key": "old-other", "kind": "test", "status": "sent"})

    migrate.upgrade(engine)  # existing rows get the lane of their kind
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT idempotency_key, priority FROM notifications")).all()
        assert dict(rows) == {"old-urgent": 1, "old-digest": 5, "old-other": 4}
        conn.execute(insert, {"key": "gone", "kind": "tip_arrival", "status": "superseded"})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"key": "bad", "kind": "test", "status": "bogus"})

    migrate.downgrade(engine, "0002")  # no `superseded` there: it reads as failed
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM notifications WHERE idempotency_key = 'gone'")
        ).scalar_one()
    assert status == "failed"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"key": "new", "kind": "test", "status": "superseded"})
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    engine.dispose()


def test_digested_survives_downgrade_as_sent(db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(db_url)
    migrate.upgrade(engine, "0007")
    insert = text(
        "INSERT INTO notifications (idempotency_key, kind, recipient, payload, payload_hash, "
        "status, attempts, created_at) VALUES (:key, 'sla_breach', 'C1', '{}', 'h', :status, 0, "
        "'2026-11-23 03:00:00+00:00')"
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"key": "early", "status": "digested"})
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert, {"key": "in-digest", "status": "digested"})
    migrate.downgrade(engine, "0007")  # the digest row records the delivery: reads as sent
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM notifications WHERE idempotency_key = 'in-digest'")
        ).scalar_one()
    assert status == "sent"
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    engine.dispose()


def test_publications_survive_the_revisions_downgrade_and_upgrade(db_url: str, registry) -> None:
    """0010 adds `publication_revisions` and `publications.approved_revision`: going back drops
    the revisions (the posts keep their text) and coming back starts with none."""
    from sqlalchemy import select, text
    from sqlalchemy.orm import Session

    from citizen_desk.config.registry import sync_registry
    from citizen_desk.db.engine import _engine_for
    from citizen_desk.db.models import Channel, Publication, PublicationRevision
    from tests.conftest import NOW

    engine = _engine_for(db_url)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        sync_registry(session, registry, now=NOW)
        channel_id = session.scalars(select(Channel.id).where(Channel.key == "fb-th")).one()
        pub = Publication(
            channel_id=channel_id, period="2026-W47", marker="#Tuan47_2026", text="Bài đăng",
            status="approved", approved_revision=1, updated_at=NOW,
        )  # fmt: skip
        session.add(pub)
        session.flush()
        session.add(
            PublicationRevision(
                publication_id=pub.id, number=1, text="Bản sửa", base_hash="0" * 64,
                edited_by="admin", edited_at=NOW,
            )
        )  # fmt: skip
    migrate.downgrade(engine, "0009")
    assert "publication_revisions" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text, status FROM publications")).one() == (
            "Bài đăng",
            "approved",
        )
    migrate.upgrade(engine)
    with Session(engine) as session:
        assert session.scalars(select(PublicationRevision)).all() == []
        assert session.scalars(select(Publication.approved_revision)).one() is None
    engine.dispose()


def test_cases_survive_the_urgency_cues_downgrade_and_upgrade(db_url: str, registry) -> None:
    """0012 adds `cases.urgency_cues` in place (a batch would rebuild `cases`, which messages and
    tips refer to): going back keeps the case and its urgency, coming back starts without cues."""
    from sqlalchemy import select, text
    from sqlalchemy.orm import Session

    from citizen_desk.config.registry import sync_registry
    from citizen_desk.db.engine import _engine_for
    from citizen_desk.db.models import Case, Channel, Message
    from tests.conftest import NOW

    engine = _engine_for(db_url)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        sync_registry(session, registry, now=NOW)
        channel = session.scalars(select(Channel).where(Channel.key == "fb-th")).one()
        case = Case(
            channel_id=channel.id, unit_id=channel.unit_id, thread_key="t-1", kind="messenger",
            category="lost_found", urgent=True, urgency_cues=["đi lạc", "đến giờ"],
            opened_at=NOW, updated_at=NOW,
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            Message(
                channel_id=channel.id, platform_message_id="m-1", direction="in",
                kind="messenger", thread_key="t-1", case_id=case.id, text="bé đi lạc",
                created_at=NOW, collected_at=NOW,
            )
        )  # fmt: skip
    migrate.downgrade(engine, "0011")
    assert "urgency_cues" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT category, urgent FROM cases")).one() == (
            "lost_found",
            True,
        )
        assert conn.execute(text("SELECT count(*) FROM messages")).scalar() == 1
    migrate.upgrade(engine)
    with Session(engine) as session:
        assert session.scalars(select(Case.urgency_cues)).one() is None
    engine.dispose()


def test_tips_urgent_before_0013_are_urgent_since_they_came_in(db_url: str, registry) -> None:
    """0013 adds `tips.urgent_since`: a tip urgent before it is taken as urgent since it came in,
    a calm one has none; going back keeps both tips and their urgency."""
    from datetime import timedelta

    from sqlalchemy import select, text
    from sqlalchemy.orm import Session

    from citizen_desk.config.registry import sync_registry
    from citizen_desk.db.engine import _engine_for
    from citizen_desk.db.models import Case, Channel, Tip
    from tests.conftest import NOW

    engine = _engine_for(db_url)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        sync_registry(session, registry, now=NOW)
        channel = session.scalars(select(Channel).where(Channel.key == "fb-th")).one()
        for n, urgent in enumerate((True, False)):
            case = Case(
                channel_id=channel.id, unit_id=channel.unit_id, thread_key=f"t-{n}",
                kind="messenger", category="tip", urgent=urgent, opened_at=NOW, updated_at=NOW,
            )  # fmt: skip
            session.add(case)
            session.flush()
            session.add(
                Tip(
                    case_id=case.id, unit_id=channel.unit_id, urgent=urgent,
                    received_at=NOW - timedelta(hours=n + 1), updated_at=NOW,
                    urgent_since=NOW,  # dropped by the downgrade
                )
            )  # fmt: skip
    migrate.downgrade(engine, "0012")
    assert "urgent_since" not in {c["name"] for c in inspect(engine).get_columns("tips")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tips")).scalar() == 2
    migrate.upgrade(engine)
    with Session(engine) as session:
        rows = session.execute(select(Tip.urgent, Tip.received_at, Tip.urgent_since)).all()
        assert sorted(rows) == [
            (False, NOW - timedelta(hours=2), None),
            (True, NOW - timedelta(hours=1), NOW - timedelta(hours=1)),
        ]
    engine.dispose()
