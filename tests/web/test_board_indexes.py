"""The filtered boards read only the open rows their filter matches, off an index led by it (0017).

Each board filter's conditions, compiled as the pages send them on PostgreSQL (values inline),
must be answerable from its own partial index on both databases. The tables get a province's
mix in miniature (most cases answered, the open ones spread over categories, channels, units and
levels) and statistics, and the PostgreSQL planner is told to avoid sequential scans on them, so
that the plan shows which index fits the filter, not which one a tiny table happens to favour.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, Channel, Tip
from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.tips import views
from citizen_desk.web import sla_board
from citizen_desk.web.units import subtree_ids, unit_tree
from tests.conftest import NOW

CASES = 3000


@pytest.fixture
def province(synced_engine):
    """`CASES` cases over the channels and categories, one in ten open; a tip per tip case, one
    in three open (the open ones over the levels)."""
    with Session(synced_engine) as session, session.begin():
        channels = session.execute(select(Channel.id, Channel.unit_id).order_by(Channel.id)).all()
        categories = sorted(CATEGORIES)
        size = len(categories)  # n: its category, n // size its channel and state (independent)
        cases = [
            {
                "id": n,
                "channel_id": channels[n // size % len(channels)].id,
                "unit_id": channels[n // size % len(channels)].unit_id,
                "thread_key": f"idx_{n}",
                "kind": "messenger",
                "category": categories[n % size],
                "status": "open" if n // size % 10 == 0 else "closed",
                "opened_at": NOW,
                "turn_no": 1,
                "triage_confidence": 0.9,
                "sla_due_at": NOW,
                "updated_at": NOW,
            }
            for n in range(1, CASES + 1)
        ]
        session.execute(Case.__table__.insert(), cases)
        tips = [
            {
                "case_id": case["id"],
                "unit_id": case["unit_id"],
                "status": "new" if case["id"] // size % 3 == 0 else "verified",
                "received_at": NOW,
                "escalation_level": case["id"] // (3 * size) % 4 - 1,
                "extension_seconds": 0,
                "updated_at": NOW,
            }
            for case in cases
            if case["category"] == "tip"
        ]
        session.execute(Tip.__table__.insert(), tips)
    analyze = "ANALYZE" if synced_engine.dialect.name == "sqlite" else "VACUUM ANALYZE"
    with synced_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(analyze))  # PostgreSQL: the visibility map, for index-only scans
    return synced_engine


def _plan(session: Session, query: Any) -> str:
    bind = session.get_bind()
    compiled = query.compile(bind, compile_kwargs={"literal_binds": True})
    if bind.dialect.name == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = session.execute(text(f"EXPLAIN {compiled}"))
    return " ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (sla_board.SlaFilters(unit="TH-NS"), "ix_cases_open_unit_id"),
        (sla_board.SlaFilters(category="tip"), "ix_cases_open_category"),
        (sla_board.SlaFilters(channel="fb-th"), "ix_cases_open_channel_id"),
    ],
)
def test_a_filtered_sla_board_counts_off_its_filters_index(province, filters, index):
    with Session(province) as session:
        conditions = sla_board._conditions(session, filters, NOW)
        query = select(func.count(Case.id)).where(*conditions)
        assert index in _plan(session, query)


@pytest.mark.parametrize(("level", "unit", "index"), [
    (2, None, "ix_tips_open_level_order"),
    (None, "TH-NS", "ix_tips_open_unit_order"),
])  # fmt: skip
def test_a_filtered_tips_board_counts_off_its_filters_index(province, level, unit, index):
    with Session(province) as session:
        unit_ids = subtree_ids(unit_tree(session), unit) if unit else None
        conditions = views._board_conditions(unit_ids, level, False)
        query = select(func.count()).select_from(Tip).where(*conditions)
        assert index in _plan(session, query)


def test_the_tips_at_a_level_are_paged_in_the_boards_order_off_their_index(province):
    with Session(province) as session:
        query = (
            select(Tip.id)
            .where(*views._board_conditions(None, 2, False))
            .order_by(Tip.urgent.desc(), Tip.received_at, Tip.id)
            .limit(100)
        )
        plan = _plan(session, query)
    assert "ix_tips_open_level_order" in plan
    assert "TEMP B-TREE" not in plan  # read in order (SQLite), not sorted
    assert "Sort" not in plan  # (PostgreSQL)
