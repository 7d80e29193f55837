"""The overview page: figures rolled up the unit tree, links to the lists, the week."""

from __future__ import annotations

from datetime import datetime, timedelta

from citizen_desk.web.overview import week_start
from tests.conftest import NOW


def _unit(overview: dict, code: str) -> dict:
    return next(u for u in overview["units"] if u["unit"] == code)


def test_overview_figures_roll_up_the_unit_tree(ro_officer):
    _check_figures(ro_officer.get("/api/overview").json())


def test_overview_figures_are_the_same_on_each_database(officer):
    """The counts are grouped in SQL and, on PostgreSQL, the median too (`percentile_cont`):
    the same figures on SQLite and PostgreSQL."""
    _check_figures(officer.get("/api/overview").json())


def _check_figures(data: dict) -> None:
    commune = _unit(data, "TH-NS-NGATHUY")
    assert commune["open_questions"] == 2
    assert (commune["sla_warnings"], commune["sla_breaches"]) == (1, 1)
    assert commune["open_tips_by_level"] == {"0": 1, "2": 1}  # the verified tip is closed
    # first responses this week after 2 h and 4 h; last week's answer does not count
    assert commune["median_first_response_seconds"] == 3 * 3600
    assert commune["first_responses_this_week"] == 2
    district = _unit(data, "TH-NS")
    assert district["open_questions"] == 2
    assert district["open_tips"] == 2
    province = _unit(data, "TH")
    assert province["open_tips_by_level"] == {"-1": 1, "0": 1, "2": 1}
    assert province["sla_breaches"] == 1
    assert _unit(data, "TH-SS-BACSON")["open_tips"] == 0
    order = [u["unit"] for u in data["units"]]
    assert order.index("TH") < order.index("TH-NS") < order.index("TH-NS-NGATHUY")


def test_overview_numbers_link_to_the_lists_behind_them(ro_officer):
    page = ro_officer.get("/").text
    assert 'href="/sla?unit=TH-NS&amp;state=breach"' in page
    assert 'href="/sla?unit=TH-NS-NGATHUY&amp;category=question"' in page
    assert 'href="/tips?unit=TH&amp;level=2"' in page
    assert "3 giờ" in page  # the commune's median first response
    # and the lists agree with the numbers
    breach = ro_officer.get("/sla?unit=TH-NS&state=breach").text
    assert breach.count('class="state-breach"') == 1
    tips = ro_officer.get("/tips?unit=TH&level=2").text
    assert tips.count("/actions/verified") == 1


def test_week_start_is_monday_midnight_in_vietnam():
    start = week_start(NOW)  # NOW is Monday 10:00 local
    assert start.isoformat() == "2026-11-23T00:00:00+07:00"
    assert week_start(NOW - timedelta(hours=11)).isoformat() == "2026-11-16T00:00:00+07:00"


def test_the_page_says_when_the_first_replies_were_counted(officer, synced_engine):
    """Counted for the request (no rollup kept yet), the figures run to `now`; once the SLA check
    has kept the week, the page says how old the kept figures are."""
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.sla.first_responses import keep_week

    fresh = officer.get("/api/overview").json()
    assert fresh["first_responses_counted_until"] == fresh["now"]
    assert "lần kiểm tra hạn trả lời gần nhất" not in officer.get("/").text

    checked = NOW - timedelta(minutes=40)
    with sessionmaker(synced_engine)() as session, session.begin():
        keep_week(session, week_start(NOW), until=checked, now=checked)
    kept = officer.get("/api/overview").json()
    assert datetime.fromisoformat(kept["first_responses_counted_until"]) == checked
    page = officer.get("/").text
    assert "lần kiểm tra hạn trả lời gần nhất" in page
    assert "09:20" in page  # NOW is 10:00 local; the kept figures run to 09:20
