"""The SLA board: order, filters, redaction, links to the conversations."""

from __future__ import annotations

import re

import pytest

from citizen_desk.web import sla_board
from citizen_desk.web.common import conversation_url
from tests.web.seed import CANARIES, TIP_NAME

HTML = {"Accept": "text/html"}


@pytest.fixture
def seeded(ro_seeded):
    return ro_seeded[1]


def test_sla_board_orders_by_time_to_breach_and_redacts(ro_officer, seeded):
    page = ro_officer.get("/sla").text
    refs = re.findall(r'href="/cases/(\d+)">CD-', page)
    order = [seeded.cases[k] for k in ("breach", "warning", "ok")]
    positions = [refs.index(str(case_id)) for case_id in order]
    assert positions == sorted(positions)
    assert refs.index(str(seeded.cases["no_sla"])) > positions[-1]  # no deadline: last
    assert "quá 1 giờ" in page
    assert "còn 1 giờ" in page
    assert "[SĐT]" in page  # the canary's phone number, masked in the excerpt
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # citizen text is autoescaped
    assert "<script>" not in page
    for canary in (*CANARIES, TIP_NAME):
        assert canary not in page


def test_sla_board_filters(ro_officer, seeded):
    def cases(query: str) -> set[int]:
        return {int(x) for x in re.findall(r'href="/cases/(\d+)">CD-', ro_officer.get(query).text)}

    in_ss = {seeded.cases[k] for k in ("ok", "no_sla", "ss_tip")}
    assert cases("/sla?unit=TH-SS") == in_ss
    assert cases("/sla?category=feedback") == {seeded.cases["ok"]}
    assert cases("/sla?channel=zalo-th-ns-ngathuy") == {seeded.cases["warning"]}
    assert cases("/sla?state=warning") == {seeded.cases["warning"]}
    assert ro_officer.get("/sla?unit=NOPE", headers=HTML).status_code == 404


def test_conversation_links_never_name_the_citizen(ro_officer, seeded):
    page = ro_officer.get("/sla").text
    assert "https://www.facebook.com/100064512300020_555" in page  # the stored permalink
    assert "https://business.facebook.com/latest/inbox/all?asset_id=100064512300012" in page
    assert "https://oa.zalo.me/chatv2?oaid=4318800000000000012" in page
    assert "javascript:" not in page
    assert 'rel="noopener noreferrer"' in page


def test_conversation_url_rules():
    assert conversation_url("facebook", "1", "https://fb.com/p/1") == "https://fb.com/p/1"
    assert conversation_url("facebook", "1", "javascript:alert(1)") == (
        "https://business.facebook.com/latest/inbox/all?asset_id=1"
    )
    assert conversation_url("zalo", "42", None) == "https://oa.zalo.me/chatv2?oaid=42"
    assert conversation_url("other", "1", "data:text/html,x") is None


def test_sla_board_says_when_it_shows_only_the_nearest_deadlines(ro_officer, monkeypatch):
    assert "còn nhiều hơn" not in ro_officer.get("/sla").text
    monkeypatch.setattr(sla_board, "SLA_BOARD_ROWS", 1)
    page = ro_officer.get("/sla").text
    assert "1 hồ sơ có thời hạn gần nhất (còn nhiều hơn" in page
    assert len(re.findall(r'href="/cases/\d+"', page)) == 1


def test_the_state_filter_in_sql_agrees_with_the_state_shown(synced_engine):
    import itertools
    from datetime import timedelta

    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import Case
    from citizen_desk.domain.vocabulary import SlaState, values
    from citizen_desk.web.common import sla_state
    from tests.conftest import NOW
    from tests.tips import seed

    db = sessionmaker(synced_engine)()
    case = db.get(Case, seed.add_tip(db, received_at=NOW - timedelta(hours=3)).case_id)
    times = (None, NOW - timedelta(minutes=5), NOW, NOW + timedelta(minutes=5))
    for warn_at, due_at, breached in itertools.product(times, times, (False, True)):
        case.sla_warn_at, case.sla_due_at, case.sla_breached = warn_at, due_at, breached
        db.flush()
        shown = sla_state(warn_at=warn_at, due_at=due_at, breached=breached, now=NOW)
        matched = [
            state
            for state in values(SlaState)
            if db.scalar(
                select(Case.id).where(Case.id == case.id, sla_board.state_condition(state, NOW))
            )
        ]
        assert matched == [shown], (warn_at, due_at, breached)
    db.close()
