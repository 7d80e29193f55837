"""The SLA board: order, filters, redaction, links to the conversations."""

from __future__ import annotations

import html
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


def _case_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/cases/(\d+)">CD-', page)]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found[1]) if found else None


def test_sla_board_pages_forwards_and_back_keeping_the_filters(ro_officer, monkeypatch):
    whole = ro_officer.get("/sla").text
    order = _case_ids(whole)
    assert len(order) >= 3
    assert 'rel="next"' not in whole  # under a page: no pager
    monkeypatch.setattr(sla_board, "SLA_PER_PAGE", 2)
    pages = -(-len(order) // 2)

    seen: list[list[int]] = []
    url: str | None = "/sla"
    while url is not None:
        page = ro_officer.get(url).text
        assert f"{len(order)} hồ sơ" in page
        number = len(seen) + 1
        first_row = 2 * len(seen) + 1
        shown = f"hiển thị {first_row}–{min(first_row + 1, len(order))} (trang {number}/{pages})"
        assert shown in page
        seen.append(_case_ids(page))
        url = _link(page, "next")
    assert [case_id for ids in seen for case_id in ids] == order  # each once, in the board's order

    back: list[list[int]] = [seen[-1]]
    url = _link(page, "prev")
    while url is not None:
        page = ro_officer.get(url).text
        back.insert(0, _case_ids(page))
        url = _link(page, "prev")
    assert back == seen

    filtered = ro_officer.get("/sla?unit=TH-NS").text
    assert 'rel="prev"' not in filtered
    next_url = _link(filtered, "next")
    assert next_url is not None
    assert "unit=TH-NS" in next_url
    assert "after=" in next_url
    second = ro_officer.get(next_url).text
    assert "unit=TH-NS" in _link(second, "prev")
    assert "hiển thị 3–" in second


def test_a_mangled_page_link_shows_the_first_page(ro_officer, monkeypatch):
    monkeypatch.setattr(sla_board, "SLA_PER_PAGE", 2)
    first = _case_ids(ro_officer.get("/sla").text)
    for cursor in ("after=nope", "before=1_2", "after=-_x_3", "after=9" * 40):
        response = ro_officer.get(f"/sla?{cursor}")
        assert response.status_code == 200
        assert _case_ids(response.text) == first


def test_a_case_answered_meanwhile_moves_no_other_case_to_an_unseen_page(synced_engine):
    from datetime import timedelta

    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import Case
    from tests.conftest import NOW
    from tests.web.seed import add_case

    db = sessionmaker(synced_engine)()
    h = timedelta(hours=1)
    ids = [
        add_case(db, channel_key="fb-th", opened_at=NOW - n * h, due_at=due).id
        for n, due in ((6, NOW - h), (5, NOW), (4, NOW + h), (3, NOW + 2 * h), (2, None))
    ]
    db.flush()
    first = sla_board.sla_board(db, now=NOW, per_page=2)
    assert [r.case_id for r in first.rows] == ids[:2]
    assert (first.total, first.start, first.previous_query) == (5, 0, None)
    db.get(Case, ids[0]).status = "answered"  # answered while the officer reads the first page
    db.flush()
    second = sla_board.sla_board(db, now=NOW, after=first.rows[-1].cursor.encode(), per_page=2)
    assert [r.case_id for r in second.rows] == ids[2:4]
    assert (second.total, second.start) == (4, 1)
    third = sla_board.sla_board(db, now=NOW, after=second.rows[-1].cursor.encode(), per_page=2)
    assert [r.case_id for r in third.rows] == ids[4:]  # no deadline: last
    assert third.next_query is None
    back = sla_board.sla_board(db, now=NOW, before=third.rows[0].cursor.encode(), per_page=2)
    assert [r.case_id for r in back.rows] == ids[2:4]
    # Numbered by the links around them: one "previous" click from the first page, one "next"
    # from the last, although rows 2-3 of 4 do not start at a multiple of 2.
    assert [(p.page, p.pages) for p in (first, second, third, back)] == [
        (1, 3),
        (2, 3),
        (3, 3),
        (2, 3),
    ]
    db.close()


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


def test_the_review_filter_is_the_queue_of_cases_the_triage_was_unsure_of(synced_engine):
    """The "cần người xem" queue: the cases triage abstained on, marked and filterable."""
    from datetime import timedelta

    from sqlalchemy.orm import sessionmaker

    from tests.conftest import NOW
    from tests.web.seed import add_case

    db = sessionmaker(synced_engine)()
    h = timedelta(hours=1)
    sure = add_case(db, channel_key="fb-th", opened_at=NOW - 3 * h, due_at=NOW + h)
    unsure = add_case(db, channel_key="fb-th", opened_at=NOW - 2 * h, due_at=NOW + 2 * h)
    unsure.needs_human_triage = True
    db.flush()
    every = sla_board.sla_board(db, now=NOW)
    assert {r.case_id: r.needs_review for r in every.rows} == {sure.id: False, unsure.id: True}
    queue = sla_board.sla_board(db, now=NOW, filters=sla_board.SlaFilters(review="1"))
    assert [r.case_id for r in queue.rows] == [unsure.id]
    assert queue.total == 1
    db.close()


def test_the_review_queue_on_the_page(ro_officer, seeded):
    page = ro_officer.get("/sla?review=1").text
    assert 'name="review" value="1" checked' in page
    assert "Không có hồ sơ nào đang chờ trả lời với bộ lọc này." in page  # the seed is all sure
