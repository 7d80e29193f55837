"""Consistency checks: random self-consistent weeks always pass, broken ones are refused."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from citizen_desk.db.models import Notification
from citizen_desk.domain.vocabulary import CATEGORIES, CLOSED_TIP_STATUSES, OPEN_TIP_STATUSES
from citizen_desk.publication.checks import check_unit, insight_failures
from citizen_desk.publication.drafts import render_all
from citizen_desk.publication.figures import (
    LostFoundRow,
    MessageRow,
    PageInsights,
    TipRow,
    TurnRow,
    WeekRows,
    compute_results,
)
from citizen_desk.publication.report import ALL_UNITS
from citizen_desk.publication.texts import on_time_texts
from tests.budget import examples
from tests.publication.conftest import ACTOR, Week, gate, week_results
from tests.publication.seed import FB, NOW, PERIOD, UNIT, ZALO

UNITS = (UNIT, "TH")
# two weeks before PERIOD's end, and a little after it (late replies, future closes)
T0 = PERIOD.previous().start - timedelta(days=3)
SPAN = int((PERIOD.end + timedelta(days=4) - T0).total_seconds())

instants = st.integers(0, SPAN).map(lambda s: T0 + timedelta(seconds=s))
delays = st.integers(0, 5 * 86400).map(lambda s: timedelta(seconds=s))

messages = st.builds(
    MessageRow, st.sampled_from(UNITS), st.sampled_from((*CATEGORIES, "bogus")), instants
)


@st.composite
def turns(draw: st.DrawFn, case_id: int) -> TurnRow:
    started = draw(instants)
    last = started + draw(st.sampled_from((timedelta(0), timedelta(minutes=30))))
    replied = draw(st.none() | delays.map(lambda d: last + d))
    return TurnRow(
        case_id=case_id,
        unit_code=draw(st.sampled_from(UNITS)),
        category=draw(st.sampled_from(("question", "question", "tip", "feedback", "lost_found"))),
        platform=draw(st.sampled_from(("facebook", "zalo"))),
        turn_no=draw(st.integers(1, 3)),
        started_at=started,
        last_citizen_at=last,
        responded_at=replied,
    )


@st.composite
def tips(draw: st.DrawFn, tip_id: int) -> TipRow:
    received = draw(instants)
    closed = draw(st.booleans())
    statuses = sorted(CLOSED_TIP_STATUSES if closed else OPEN_TIP_STATUSES)
    return TipRow(
        tip_id=tip_id,
        unit_code=draw(st.sampled_from(UNITS)),
        status=draw(st.sampled_from(statuses)),
        received_at=received,
        closed_at=received + draw(delays) if closed else None,
        has_outcome=closed and draw(st.booleans()),
    )


@st.composite
def weeks(draw: st.DrawFn) -> WeekRows:
    n_turns, n_tips = draw(st.integers(0, 25)), draw(st.integers(0, 12))
    return WeekRows(
        messages=tuple(draw(st.lists(messages, max_size=30))),
        turns=tuple(draw(turns(i)) for i in range(n_turns)),
        tips=tuple(draw(tips(i)) for i in range(n_tips)),
        lost_found=tuple(
            draw(
                st.lists(st.builds(LostFoundRow, st.integers(1), st.sampled_from(UNITS), instants))
            )
        ),
    )


@st.composite
def consistent_insights(draw: st.DrawFn) -> PageInsights:
    reach = draw(st.integers(0, 50_000))
    return PageInsights(
        impressions=reach + draw(st.integers(0, 50_000)),
        engagements=draw(st.integers(0, reach)),
        follows=draw(st.integers(0, reach)),
        reach=reach,
    )


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=weeks(), insights=consistent_insights())
def test_random_consistent_weeks_pass_every_check(registry, rows: WeekRows, insights) -> None:
    results = compute_results(
        rows,
        PERIOD,
        units=[(code, code) for code in UNITS],
        province_name=ALL_UNITS,
        policy=registry.sla,
        calendar=registry.calendar,
        min_count=3,
        insights={UNIT: insights},
    )
    for report in (results.province, *results.units):
        assert check_unit(report) == [], report.unit_code
        week = report.current
        assert week.questions_within_sla <= week.questions_due <= week.questions_in_scope
        assert week.questions_answered <= week.questions_in_scope


def _results_with_rows(registry, rows: WeekRows):
    return compute_results(
        rows,
        PERIOD,
        units=[(UNIT, UNIT)],
        province_name=ALL_UNITS,
        policy=registry.sla,
        calendar=registry.calendar,
        min_count=3,
    )


def test_a_tip_closed_with_an_open_status_is_refused(registry) -> None:
    inside = PERIOD.start + timedelta(days=1)
    broken = WeekRows(  # closed in the week, yet still "verifying": counted nowhere
        tips=(TipRow(1, UNIT, "verifying", inside, inside + timedelta(hours=2), False),)
    )
    assert check_unit(_results_with_rows(registry, broken).unit(UNIT)) == [
        "tip_outcomes_add_up_to_tips_in_scope"
    ]


def test_doctored_figures_are_refused(shared_week: Week) -> None:
    report = shared_week.results.unit(UNIT)
    assert check_unit(report) == []
    week = report.current

    def failed(**changes) -> list[str]:
        return check_unit(replace(report, current=replace(week, **changes)))

    assert failed(messages_total=week.messages_total + 1) == ["categories_add_up_to_messages"]
    assert "on_time_within_due" in failed(questions_within_sla=week.questions_due + 1)
    assert failed(questions_answered=week.questions_in_scope + 1) == [
        "questions_answered_within_questions_in_scope"
    ]
    assert "tip_outcomes_add_up_to_tips_in_scope" in failed(tips=replace(week.tips, open=9))
    assert "counts_non_negative" in failed(lost_found_resolved=-1)
    assert insight_failures(PageInsights(impressions=10, reach=20)) == [
        "insights_reach_within_impressions"
    ]
    page = PageInsights(impressions=100, reach=50, engagements=10, follows=5)
    assert insight_failures(page) == []
    assert insight_failures(replace(page, engagements=60)) == ["insights_engaged_within_reach"]
    assert insight_failures(replace(page, follows=51)) == ["insights_follows_within_reach"]
    assert insight_failures(replace(page, follows=-1)) == ["insights_non_negative"]


def test_on_time_rate_keeps_small_counts_hidden(shared_week: Week) -> None:
    week = shared_week.results.unit(UNIT).current  # 4 on time of 6 due
    assert on_time_texts(week, 3) == ("4/6", "67%")
    assert on_time_texts(week, 5) == ("dưới 5/6", None)  # the share would give 4 away
    assert on_time_texts(week, 7) == (None, None)  # fewer than min_count due
    assert on_time_texts(replace(week, questions_within_sla=0), 3) == ("0/6", "0%")


def test_inconsistent_figures_block_that_units_post_only(week: Week, registry) -> None:
    with week.session() as session:
        results = week_results(session, registry, week.units)
        unit = results.unit(UNIT)
        doctored = replace(unit, insights=PageInsights(impressions=10, reach=20))
        results = replace(results, units=tuple(doctored if u is unit else u for u in results.units))
        rendered = render_all(
            session, registry, results, now=NOW, actor=ACTOR, report_dir=week.report_dir
        )
        session.commit()
    assert rendered["inconsistent"] == {UNIT: ["insights_reach_within_impressions"]}
    for key in (FB, ZALO):
        pub = week.publication(key)
        assert pub.status == "blocked"
        assert pub.blocked_reason == "figures_inconsistent: insights_reach_within_impressions"
    requests = gate(week, registry)
    assert FB not in {r.channel_key for r in requests}
    assert week.publication("fb-th").status == "awaiting_approval"  # the others go on
    report = (week.report_dir / "2026-W47.html").read_text(encoding="utf-8")
    assert "insights_reach_within_impressions" in report
    with week.session() as session:
        alerts = session.scalars(
            select(Notification).where(
                Notification.idempotency_key.like(f"publication-figures:{FB}:{PERIOD.key}:%")
            )
        ).all()
    assert [a.recipient for a in alerts] == ["C07TECHADMIN"]
    assert "insights_reach_within_impressions" in json.dumps(alerts[0].payload, ensure_ascii=False)
