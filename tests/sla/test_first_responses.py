"""The overview's weekly median first reply kept by the SLA check (`sla.first_responses`): equal
to the median taken from the raw cases, on SQLite and PostgreSQL, however often it is kept."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, FirstResponseWeek
from citizen_desk.sla import first_responses as rollup
from citizen_desk.web.overview import first_responses as page_figures
from citizen_desk.web.units import ancestors_map, unit_tree
from tests.sla.factories import ICT, local, make_case

CHANNELS = (
    "fb-th",
    "fb-th-ns",
    "zalo-th-ns-ngathuy",
    "fb-th-ns-ngatan",
    "fb-th-ss-bacson",
    "fb-th-ss-truongson",
)
NOW = local(2026, 11, 25, 15)  # Wednesday afternoon
THIS_WEEK = local(2026, 11, 23, 0)
LAST_WEEK = local(2026, 11, 16, 0)


def _seed(session: Session, count: int, *, first: datetime, salt: int = 0) -> None:
    """`count` answered cases over 6 channels, opened from `first` on, replies after 10 min to
    ~30 h (some equal, so that even counts take a midpoint), a few still open."""
    for n in range(count):
        opened = first + timedelta(minutes=97 * n + 13 * salt)
        reply = None if n % 7 == 3 else opened + timedelta(minutes=10 + (n * 389 + salt) % 1800)
        make_case(
            session,
            channel_key=CHANNELS[(n + salt) % len(CHANNELS)],
            category="question",
            turns=[(opened, reply)],
        )
    session.flush()


def _raw(session: Session, start: datetime, until: datetime) -> rollup.Medians:
    """The figures straight from the cases, as the page's unit tree has the subtrees."""
    chains = ancestors_map(unit_tree(session))
    found: dict[int, list[float]] = defaultdict(list)
    for unit_id, opened, replied in session.execute(
        select(Case.unit_id, Case.opened_at, Case.first_response_at).where(
            Case.first_response_at >= start, Case.first_response_at <= until
        )
    ):
        assert replied is not None
        for ancestor in chains[unit_id]:
            found[ancestor].append(max((replied - opened).total_seconds(), 0.0))
    return {unit: (statistics.median(d), len(d)) for unit, d in found.items()}


def _kept(session: Session, week: datetime) -> rollup.Medians:
    kept = rollup.kept_week(session, week)
    assert kept is not None
    return kept.medians


def _assert_same(kept: rollup.Medians, raw: rollup.Medians) -> None:
    assert kept.keys() == raw.keys()
    for unit, (median, count) in raw.items():
        assert kept[unit][1] == count
        assert abs((kept[unit][0] or 0) - (median or 0)) < 1e-6


def test_the_kept_week_equals_the_median_of_the_raw_cases(synced_engine):
    with Session(synced_engine) as session:
        _seed(session, 60, first=LAST_WEEK + timedelta(days=5))
        weeks = rollup.keep_recent(session, ICT, NOW)
        assert weeks == [THIS_WEEK]  # Wednesday: last week's late replies are in by now
        raw = _raw(session, THIS_WEEK, NOW)
        assert len(raw) >= 5
        assert max(c for _, c in raw.values()) > 20  # the province: every reply
        _assert_same(_kept(session, THIS_WEEK), raw)
        rows = session.scalar(select(func.count()).select_from(FirstResponseWeek))
        assert rows == len(unit_tree(session))  # every unit, none or some replies
        # the page reads it, and agrees with its own computation from the cases
        chains = ancestors_map(unit_tree(session))
        medians, counted_until = page_figures(session, chains, start=THIS_WEEK, now=NOW)
        assert medians == _kept(session, THIS_WEEK)
        assert counted_until == NOW


def test_keeping_again_is_idempotent_and_follows_new_replies(synced_engine):
    with Session(synced_engine) as session:
        _seed(session, 40, first=THIS_WEEK)
        rollup.keep_recent(session, ICT, NOW)
        first = _kept(session, THIS_WEEK)
        rollup.keep_recent(session, ICT, NOW)  # a rerun of the same check
        session.commit()
        assert _kept(session, THIS_WEEK) == first
        assert session.scalar(select(func.count()).select_from(FirstResponseWeek)) == len(
            unit_tree(session)
        )
        later = NOW + timedelta(hours=20)
        _seed(session, 11, first=NOW - timedelta(hours=3), salt=5)  # replies collected since
        rollup.keep_recent(session, ICT, later)
        _assert_same(_kept(session, THIS_WEEK), _raw(session, THIS_WEEK, later))
        assert _kept(session, THIS_WEEK) != first
        # a rerun of the earlier hour does not shorten the week the later run kept
        rollup.keep_recent(session, ICT, NOW)
        _assert_same(_kept(session, THIS_WEEK), _raw(session, THIS_WEEK, later))


def test_a_backfill_keeps_each_past_week_whole(synced_engine):
    with Session(synced_engine) as session:
        _seed(session, 120, first=LAST_WEEK - timedelta(days=6))
        weeks = rollup.keep_period(session, ICT, LAST_WEEK - timedelta(days=7), NOW, NOW)
        assert weeks == [LAST_WEEK - timedelta(days=7), LAST_WEEK, THIS_WEEK]
        for week in weeks[:2]:
            end = week + timedelta(days=7) - timedelta(microseconds=1)
            _assert_same(_kept(session, week), _raw(session, week, end))
        _assert_same(_kept(session, THIS_WEEK), _raw(session, THIS_WEEK, NOW))
        before = {week: _kept(session, week) for week in weeks}
        rollup.keep_period(session, ICT, LAST_WEEK - timedelta(days=7), NOW, NOW)
        assert {week: _kept(session, week) for week in weeks} == before


def test_monday_keeps_last_week_too_for_its_late_replies(synced_engine):
    with Session(synced_engine) as session:
        monday = THIS_WEEK + timedelta(hours=9)
        _seed(session, 30, first=LAST_WEEK + timedelta(days=5))
        rollup.keep_recent(session, ICT, monday - timedelta(days=1))  # Sunday: last week so far
        sunday = _kept(session, LAST_WEEK)
        # a reply given on Sunday night, collected on Monday
        opened = THIS_WEEK - timedelta(hours=3)
        make_case(
            session,
            channel_key="fb-th",
            category="question",
            turns=[(opened, opened + timedelta(hours=2, minutes=30))],
        )
        assert rollup.keep_recent(session, ICT, monday) == [THIS_WEEK, LAST_WEEK]
        end = THIS_WEEK - timedelta(microseconds=1)
        _assert_same(_kept(session, LAST_WEEK), _raw(session, LAST_WEEK, end))
        assert _kept(session, LAST_WEEK) != sunday


def test_the_page_computes_a_week_not_kept_yet(synced_engine):
    with Session(synced_engine) as session:
        _seed(session, 25, first=THIS_WEEK)
        chains = ancestors_map(unit_tree(session))
        assert rollup.kept_week(session, THIS_WEEK) is None
        live, counted_until = page_figures(session, chains, start=THIS_WEEK, now=NOW)
        assert counted_until == NOW
        _assert_same(live, _raw(session, THIS_WEEK, NOW))
        # kept later than the page's clock (a page of the past): computed, not read
        rollup.keep_recent(session, ICT, NOW + timedelta(days=2))
        assert page_figures(session, chains, start=THIS_WEEK, now=NOW) == (live, NOW)
