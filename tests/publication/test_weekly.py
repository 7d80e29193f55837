"""Weekly figures: the period, the pure computation and the query layer on a crafted week."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from citizen_desk.publication.figures import (
    PROVINCE,
    MessageRow,
    TipRow,
    TurnRow,
    WeeklyResults,
    WeekRows,
    compute_week,
    percentile,
)
from citizen_desk.publication.insights import parse_insights
from citizen_desk.publication.period import WeekPeriod, parse_period, week_ending_before
from citizen_desk.publication.rows import load_week_rows
from citizen_desk.publication.texts import public_count
from tests.publication.conftest import Week
from tests.publication.seed import PERIOD, UNIT, ZONE, lt, seed_week

HOUR = 3600.0


# --- the period ----------------------------------------------------------------------------------


def test_week_just_ended_at_the_scheduled_run() -> None:
    monday_7 = lt(23, 7)  # the DAG's schedule: Monday 07:00 local
    period = week_ending_before(monday_7, ZONE)
    assert period.key == "2026-W47"
    assert period.label_vi == "Tuần 47 (16/11–22/11/2026)"
    assert period.tag == "#Tuan47_2026"
    assert period.start == datetime(2026, 11, 15, 17, tzinfo=UTC)  # Monday 00:00 local
    assert period.end == datetime(2026, 11, 22, 17, tzinfo=UTC)
    assert period.previous().key == "2026-W46"
    # Sunday 23:59 local: the current week has not ended yet
    assert week_ending_before(lt(22, 23, 59), ZONE).key == "2026-W46"


def test_week_spanning_the_new_year() -> None:
    period = week_ending_before(datetime(2027, 1, 4, 0, 0, tzinfo=UTC), ZONE)  # Mon 07:00 local
    assert period.key == "2026-W53"
    assert period.label_vi == "Tuần 53 (28/12/2026–03/01/2027)"
    assert period.tag == "#Tuan53_2026"
    assert period.previous().previous().key == "2026-W51"
    assert WeekPeriod(2027, 1, ZONE).previous() == period


def test_parse_period_round_trip_and_errors() -> None:
    assert parse_period("2026-W47", ZONE) == PERIOD
    for bad in ("2026-47", "2026-W54", "W47", ""):
        with pytest.raises(ValueError, match="ISO week"):
            parse_period(bad, ZONE)
    with pytest.raises(ValueError, match="aware"):
        week_ending_before(datetime(2026, 11, 23), ZONE)


# --- pure computation ----------------------------------------------------------------------------


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == pytest.approx(3.7)
    assert percentile([7.0], 90) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


@pytest.mark.parametrize(
    ("value", "minimum", "shown"),
    [(0, 3, "0"), (1, 3, "dưới 3"), (2, 3, "dưới 3"), (3, 3, "3"), (4, 5, "dưới 5"),
     (12345, 3, "12.345")],
)  # fmt: skip
def test_small_counts_are_suppressed(value: int, minimum: int, shown: str) -> None:
    assert public_count(value, minimum) == shown


def _turn(case_id, started, responded, *, category="question", turn_no=1, platform="facebook"):
    return TurnRow(case_id, UNIT, category, platform, turn_no, started, started, responded)


def test_compute_week_on_rows(registry) -> None:
    rows = WeekRows(
        messages=(
            MessageRow(UNIT, "question", lt(16, 9)),
            MessageRow(UNIT, "bogus", lt(16, 9)),  # unknown category → other
            MessageRow(UNIT, "tip", lt(15, 23)),  # Sunday before: previous week
            MessageRow("TH", "tip", lt(17, 9)),  # another unit
        ),
        turns=(
            _turn(1, lt(16, 8), lt(16, 9)),  # 1 h working, met
            # Friday 16:00 → Monday 08:00: 1.5 h working, but the 24 h window passed: late
            _turn(2, lt(13, 16), lt(16, 8)),
            _turn(3, lt(16, 20), lt(16, 20, 30), category="lost_found"),  # wall clock
        ),
        tips=(TipRow(9, UNIT, "verified", lt(10, 9), lt(18, 9), True),),
    )
    figures = compute_week(
        rows, PERIOD, unit_code=UNIT, policy=registry.sla, calendar=registry.calendar
    )
    assert figures.messages["question"] == 1
    assert figures.messages["other"] == 1
    assert figures.messages_total == 2
    assert (figures.questions_answered, figures.questions_within_sla) == (2, 1)
    # issue #19: the on-time rate is over questions due in the week; case 2's deadline (its 24 h
    # window) passed in W46, so it counted against W46 and is not due again in W47
    assert figures.questions_due == 1
    assert figures.sla_share == 1.0
    assert figures.first_response.count == 3
    assert figures.first_response_by_category["question"].median == pytest.approx(1.25 * HOUR)
    assert figures.first_response_by_category["lost_found"].median == 0.5 * HOUR
    assert figures.tips.verified == 1
    assert figures.outcome_tip_ids == (9,)
    province = compute_week(
        rows, PERIOD, unit_code=PROVINCE, policy=registry.sla, calendar=registry.calendar
    )
    assert province.messages["tip"] == 1


# --- the crafted week through the database -------------------------------------------------------


@pytest.fixture(scope="module")
def results(shared_week: Week) -> WeeklyResults:
    """The crafted week computed from its rows in a (module-wide) SQLite database."""
    return shared_week.results


def _sorted_rows(rows: WeekRows) -> tuple:
    parts = (rows.messages, rows.turns, rows.tips, rows.lost_found)
    return tuple(tuple(sorted(part, key=repr)) for part in parts)


def test_query_layer_gives_the_same_rows_on_every_backend(synced_engine, shared_week: Week) -> None:
    with sessionmaker(synced_engine)() as session:
        seed_week(session)
        session.commit()
        rows = load_week_rows(session, PERIOD)
    with shared_week.session() as session:
        expected = load_week_rows(session, PERIOD)
    assert _sorted_rows(rows) == _sorted_rows(expected)
    assert len(rows.messages) == 14 + 3 + 2  # inbound of W47 and W46, and the province page
    assert all(m.created_at.tzinfo is not None for m in rows.messages)


def test_messages_by_category(results: WeeklyResults) -> None:
    unit = results.unit(UNIT)
    assert dict(unit.current.messages) == {
        "question": 6,
        "tip": 2,
        "feedback": 4,
        "lost_found": 1,
        "abuse": 1,
        "other": 0,
    }
    assert unit.current.messages_total == 14  # the outbound replies are not counted
    assert unit.previous.messages_total == 3
    assert results.unit("TH").current.messages_total == 2
    assert results.province.current.messages_total == 16


def test_questions_and_sla_share(results: WeeklyResults) -> None:
    week = results.unit(UNIT).current
    assert week.questions_received == 6
    assert week.questions_answered == 6
    assert week.questions_within_sla == 4
    # due in W47: Q1, Q1/2, Q2, Q4 (on time), Q3 (late), Q5 (overdue); Q6 was due in W46
    assert week.questions_due == 6
    assert week.sla_share == pytest.approx(4 / 6)
    assert week.questions_overdue == 1
    assert week.questions_in_scope == 7  # received 6, plus Q6 answered in W47
    before = results.unit(UNIT).previous
    assert (before.questions_received, before.questions_answered) == (1, 0)
    assert before.questions_overdue == 1
    assert before.questions_due == 1  # Q6: its deadline passed in W46 without a reply
    assert before.sla_share == 0.0


def test_first_response_median_and_p90(results: WeeklyResults) -> None:
    first = results.unit(UNIT).current.first_response
    assert first.count == 7
    assert first.median == pytest.approx(1 * HOUR)
    assert first.p90 == pytest.approx(7.9 * HOUR)
    by_category = results.unit(UNIT).current.first_response_by_category
    assert by_category["question"].count == 5
    assert by_category["question"].median == pytest.approx(2 * HOUR)  # working hours
    assert by_category["tip"].median == pytest.approx(1 * HOUR)  # wall clock
    assert results.unit(UNIT).previous.first_response.count == 0


def test_tips_and_lost_found(results: WeeklyResults) -> None:
    week, before = results.unit(UNIT).current, results.unit(UNIT).previous
    assert (week.tips.received, week.tips.verified, week.tips.unfounded) == (2, 1, 1)
    assert (week.tips.forwarded, week.tips.open) == (0, 2)
    assert week.tips.in_scope == 4  # T1, T2, T3, T4: closed in the week or open at its end
    assert (before.tips.received, before.tips.forwarded, before.tips.open) == (2, 1, 2)
    assert len(week.outcome_tip_ids) == 1
    assert before.outcome_tip_ids == ()
    assert week.lost_found_resolved == 1


def test_results_survive_json(results: WeeklyResults) -> None:
    raw = json.loads(json.dumps(results.to_dict()))
    assert WeeklyResults.from_dict(raw) == results
    assert "Lê Thị Hoa" not in json.dumps(raw, ensure_ascii=False)


def test_parse_insights_takes_the_latest_value() -> None:
    payload = {
        "data": [
            {"name": "page_impressions", "values": [
                {"value": 10, "end_time": "2026-11-21T08:00:00+0000"},
                {"value": 20, "end_time": "2026-11-22T08:00:00+0000"}]},
            {"name": "page_daily_follows_unique",
             "values": [{"value": {"odd": 1}, "end_time": "x"}]},
            {"name": "page_fans", "values": [{"value": 5, "end_time": "x"}]},
        ]
    }  # fmt: skip
    insights = parse_insights(payload)
    assert insights.impressions == 20
    assert insights.engagements is None
    assert insights.follows is None


def test_week_bounds_are_local(registry) -> None:
    # A message at Sunday 23:30 local belongs to W47, Monday 00:00 local to W48.
    rows = WeekRows(
        messages=(
            MessageRow(UNIT, "question", lt(22, 23, 30)),
            MessageRow(UNIT, "question", lt(22, 23, 30) + timedelta(minutes=30)),
        )
    )
    figures = compute_week(
        rows, PERIOD, unit_code=UNIT, policy=registry.sla, calendar=registry.calendar
    )
    assert figures.messages_total == 1
