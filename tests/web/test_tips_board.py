"""The tips board, its paging, a tip's page and the action confirmation form."""

from __future__ import annotations

import re

import pytest

from citizen_desk.web import tips_board
from tests.web.seed import TIP_NAME

HTML = {"Accept": "text/html"}


@pytest.fixture
def seeded(ro_seeded):
    return ro_seeded[1]


def test_tips_board(ro_officer, seeded):
    page = ro_officer.get("/tips").text
    assert page.count('href="/tips/') >= 3
    assert f'/tips/{seeded.tips["closed"]}"' not in page  # closed tips only on request
    assert f'/tips/{seeded.tips["new"]}/actions/start"' in page
    assert f'/tips/{seeded.tips["verifying"]}/actions/start"' not in page  # already verifying
    assert TIP_NAME not in page
    closed = ro_officer.get("/tips?closed=true").text
    assert f'/tips/{seeded.tips["closed"]}/actions/outcome"' in closed
    assert "Chưa báo" in page
    assert "Cấp 2" in page


def test_tips_board_pages_keep_the_filters(ro_officer, seeded, monkeypatch):
    monkeypatch.setattr(tips_board, "TIPS_PER_PAGE", 2)
    every = ro_officer.get("/tips?closed=true").text
    total = int(re.search(r"(\d+) tin báo", every)[1])
    assert total >= 3
    pages = -(-total // 2)
    assert f"hiển thị 1–2 (trang 1/{pages})" in every
    assert 'href="/tips?closed=true&amp;page=2"' in every
    assert 'rel="prev"' not in every

    seen: list[str] = []
    for number in range(1, pages + 1):
        page = ro_officer.get(f"/tips?closed=true&page={number}").text
        seen += re.findall(r'<td><a href="/tips/(\d+)">', page)
    assert len(seen) == total == len(set(seen))  # every tip on exactly one page
    last = ro_officer.get(f"/tips?closed=true&page={pages + 5}").text  # clamped to the last page
    assert f"(trang {pages}/{pages})" in last
    assert 'rel="next"' not in last
    assert f'href="/tips?closed=true&amp;page={pages - 1}"' in last or pages == 2
    level = ro_officer.get("/tips?level=2").text
    assert "page=" not in level  # one page: no pager


def test_tip_detail_and_confirmation_form(ro_officer, seeded):
    tip_id = seeded.tips["new"]
    detail = ro_officer.get(f"/tips/{tip_id}").text
    assert "Lịch sử" in detail
    assert "Chưa có thao tác nào." in detail
    confirm = ro_officer.get(f"/tips/{tip_id}/actions/forward").text
    assert 'method="post"' in confirm
    assert 'name="confirm" value="yes"' in confirm
    assert 'name="target"' in confirm
    assert "required" in confirm
    reassign = ro_officer.get(f"/tips/{tip_id}/actions/reassign").text
    # only units in the officer's scope (Nga Sơn district), never its own
    assert '<option value="TH-NS-NGATAN">' in reassign
    assert '<option value="TH-SS">' not in reassign
    assert '<option value="TH-NS-NGATHUY">' not in reassign
    assert ro_officer.get(f"/tips/{tip_id}/actions/nope", headers=HTML).status_code == 404
    assert ro_officer.get("/tips/424242", headers=HTML).status_code == 404


def test_a_board_row_offers_what_each_action_and_grant_allow_asked_once_per_kind_of_row():
    from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, TipStatus
    from citizen_desk.web.actions import ACTIONS, offered_actions

    asked: list[tuple[object, str | None]] = []

    def may(action, unit_code):
        asked.append((action, unit_code))
        return unit_code == "TH-NS" or action.value.endswith(("start", "verified"))

    offered = offered_actions(may)
    for status in sorted(s.value for s in TipStatus):
        is_open = status in OPEN_TIP_STATUSES
        for unit_code in ("TH-NS", "TH-TP", None):
            expected = tuple(
                a
                for a in ACTIONS.values()
                if a.offered_for(status, is_open) and may(a.permission, unit_code)
            )
            asked.clear()
            assert offered(status, is_open, unit_code) == expected
            asked.clear()
            assert offered(status, is_open, unit_code) == expected  # the page's other rows
            assert asked == []


def test_a_board_rows_action_buttons_are_the_template_loop_they_replace():
    from jinja2 import Environment

    from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, TipStatus
    from citizen_desk.web.actions import action_buttons, offered_actions

    loop = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
        "        {% for a in offered(status, is_open, unit) %}\n"
        '        <a class="btn{% if a.danger %} btn-danger{% endif %}" '
        'href="{{ base }}/tips/{{ tip_id }}/actions/{{ a.key }}">{{ a.label }}</a>\n'
        "        {% endfor %}\n"
    )
    offered = offered_actions(lambda action, unit_code: unit_code == "TH-NS")
    for base in ("", "/desk", '/a"b&<c>'):
        buttons = action_buttons(offered, base)
        for status in sorted(s.value for s in TipStatus):
            is_open = status in OPEN_TIP_STATUSES
            for unit in ("TH-NS", "TH-TP"):
                for tip_id in (1, 4242):
                    expected = loop.render(
                        offered=offered, status=status, is_open=is_open, unit=unit,
                        base=base, tip_id=tip_id,
                    )  # fmt: skip
                    assert buttons(tip_id, status, is_open, unit) == expected
    assert 'href="/a&#34;b&amp;&lt;c&gt;/tips/1/actions/' in action_buttons(offered, '/a"b&<c>')(
        1, "new", True, "TH-NS"
    )
