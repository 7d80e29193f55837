"""The week's figures wait until every channel was collected after the week ended."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from citizen_desk.config.registry import sync_registry
from citizen_desk.db.models import Channel, CollectionRun
from citizen_desk.publication.rows import channels_not_collected_since


def test_figures_wait_for_a_collection_after_the_week(session, registry) -> None:
    sync_registry(session, registry, now=datetime(2026, 11, 23, tzinfo=UTC))
    week_end = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 00:00 local
    channels = {c.key: c.id for c in session.scalars(select(Channel))}
    assert channels_not_collected_since(session, week_end) == sorted(channels)

    def attempt(key: str, status: str, finished: datetime) -> None:
        session.add(
            CollectionRun(
                run_id=f"r-{key}-{finished:%H}",
                channel_id=channels[key],
                status=status,
                started_at=finished,
                finished_at=finished,
            )
        )
        session.flush()

    attempt("fb-th", "success", datetime(2026, 11, 22, 10, tzinfo=UTC))  # during the week
    attempt("fb-th-ns", "failed", datetime(2026, 11, 22, 18, tzinfo=UTC))  # broken, attempted
    for key in channels:
        if key not in ("fb-th", "fb-th-ns"):
            attempt(key, "success", datetime(2026, 11, 22, 18, tzinfo=UTC))
    assert channels_not_collected_since(session, week_end) == ["fb-th"]
    attempt("fb-th", "success", datetime(2026, 11, 22, 19, tzinfo=UTC))
    assert channels_not_collected_since(session, week_end) == []
