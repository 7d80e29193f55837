"""What the pages show: overview figures, SLA board, tips board, publications, collection health."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from citizen_desk.web import queries
from tests.conftest import NOW
from tests.web.seed import CANARIES, TIP_NAME

HTML = {"Accept": "text/html"}


@pytest.fixture
def seeded(ro_seeded):
    return ro_seeded[1]


def _unit(overview: dict, code: str) -> dict:
    return next(u for u in overview["units"] if u["unit"] == code)


def test_overview_figures_roll_up_the_unit_tree(ro_officer):
    data = ro_officer.get("/api/overview").json()
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
    assert queries.conversation_url("facebook", "1", "https://fb.com/p/1") == "https://fb.com/p/1"
    assert queries.conversation_url("facebook", "1", "javascript:alert(1)") == (
        "https://business.facebook.com/latest/inbox/all?asset_id=1"
    )
    assert queries.conversation_url("zalo", "42", None) == "https://oa.zalo.me/chatv2?oaid=42"
    assert queries.conversation_url("other", "1", "data:text/html,x") is None


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
    from citizen_desk.web import queries

    monkeypatch.setattr(queries, "TIPS_PER_PAGE", 2)
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


def test_sla_board_says_when_it_shows_only_the_nearest_deadlines(ro_officer, monkeypatch):
    from citizen_desk.web import queries

    assert "còn nhiều hơn" not in ro_officer.get("/sla").text
    monkeypatch.setattr(queries, "SLA_BOARD_ROWS", 1)
    page = ro_officer.get("/sla").text
    assert "1 hồ sơ có thời hạn gần nhất (còn nhiều hơn" in page
    assert len(re.findall(r'href="/cases/\d+"', page)) == 1


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
    assert '<option value="TH-SS">' in reassign
    assert '<option value="TH-NS-NGATHUY">' not in reassign  # its own unit
    assert ro_officer.get(f"/tips/{tip_id}/actions/nope", headers=HTML).status_code == 404
    assert ro_officer.get("/tips/424242", headers=HTML).status_code == 404


def test_publications_page_and_reports(ro_officer):
    page = ro_officer.get("/publications").text
    assert "Đã đăng" in page
    assert "Bị chặn" in page
    assert 'href="/reports/2026-W47/fb-th.html"' in page
    assert "https://www.facebook.com/100064512300001_999" in page
    assert "/etc/passwd" not in page  # a report path outside the reports dir gets no link
    assert 'href="/reports/province-2026-W47.html"' in page  # unlinked reports listed too
    report = ro_officer.get("/reports/2026-W47/fb-th.html")
    assert report.status_code == 200
    assert "Báo cáo tuần 47" in report.text
    assert "sandbox" in report.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/reports/../secret.html",
        "/reports/%2e%2e/secret.html",
        "/reports/2026-W47/../../secret.html",
        "/reports/..%2fsecret.html",
        "/reports/%2fetc%2fpasswd",
        "/reports//etc/passwd",
        "/reports/notes.txt",
        "/reports/missing.html",
        "/reports/2026-W47",
    ],
)
def test_reports_are_path_traversal_safe(ro_officer, path):
    response = ro_officer.get(path, headers=HTML)
    assert response.status_code == 404, path
    assert "SECRET OUTSIDE" not in response.text
    assert "root:" not in response.text


def test_report_relpath(tmp_path):
    base = tmp_path / "reports"
    base.mkdir()
    assert queries.report_relpath("a/b.html", base) == "a/b.html"
    assert queries.report_relpath(str(base / "c.html"), base) == "c.html"
    assert queries.report_relpath("../x.html", base) is None
    assert queries.report_relpath("/etc/passwd", base) is None
    assert queries.report_relpath(None, base) is None


def test_collection_health(ro_officer):
    page = ro_officer.get("/collection").text
    rows = {
        key: row
        for row in re.findall(r"<tr class=\"health-.*?</tr>", page, re.S)
        for key in re.findall(r"<small class=\"muted\">([a-z0-9-]+)", row)[:1]
    }
    assert "health-ok" in rows["fb-th-ns-ngathuy"]
    zalo = rows["zalo-th-ns-ngathuy"]
    assert "health-problem" in zalo
    assert "Token hết hạn" in zalo
    assert "2 ngày" in zalo
    ss = rows["fb-th-ss"]
    assert "health-warning" in ss  # 2 quarantined items
    assert "Bị giới hạn tần suất" in ss
    assert "đã khắc phục" in ss
    assert '<strong class="warn">2</strong>' in ss
    assert "health-unknown" in rows["fb-th"]


def test_collection_health_model(ro_seeded):
    from sqlalchemy.orm import sessionmaker

    engine, _ = ro_seeded
    with sessionmaker(engine)() as session:
        health = {h.key: h for h in queries.collection_health(session, now=NOW)}
    zalo = health["zalo-th-ns-ngathuy"]
    assert zalo.last_success_at == NOW - timedelta(hours=48)
    assert zalo.error_kind == "token"
    assert zalo.error_is_current
    assert zalo.oldest_watermark_age == timedelta(hours=48)
    assert health["fb-th-ss"].error_kind == "rate_limit"
    assert not health["fb-th-ss"].error_is_current
    assert health["fb-th-ss"].quarantined == 2


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Error validating access token: Session has expired (#190)", "token"),
        ("Zalo -216 Access token is invalid", "token"),
        ("HTTP 429 Too Many Requests", "rate_limit"),
        ("(#32) Page request limit reached", "rate_limit"),
        ("connection reset by peer", "other"),
        (None, None),
    ],
)
def test_classify_error(text, kind):
    assert queries.classify_error(text) == kind


def test_malformed_parameters(ro_officer, ro_anon):
    assert ro_anon.get("/tips/abc", headers=HTML).status_code == 303  # login comes first
    response = ro_officer.get("/tips/abc", headers=HTML)
    assert response.status_code == 400
    assert "không hợp lệ" in response.text
    assert ro_officer.get("/tips?level=x").status_code == 422


def test_database_and_config_errors_do_not_leak(ro_seeded, make_token, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine

    from citizen_desk.web.app import create_app

    empty = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    for engine, path, setup, text in (
        (empty, "/sla", lambda: None, "chưa sẵn sàng"),
        (
            ro_seeded[0],
            "/tips",
            lambda: monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(tmp_path / "missing.yaml")),
            "Cấu hình Citizen Desk chưa đúng",
        ),
    ):
        setup()
        with TestClient(create_app(engine_factory=lambda e=engine: e)) as client:
            client.cookies.set("_token", make_token("officer"))
            response = client.get(path, headers=HTML)
        assert response.status_code == 503, path
        assert text in response.text
        assert "SELECT" not in response.text
        assert "missing.yaml" not in response.text


def test_static_files(ro_officer, ro_anon):
    assert ro_officer.get("/static/icon.svg").headers["content-type"] == "image/svg+xml"
    assert ro_officer.get("/static/../app.py", headers=HTML).status_code == 404
    assert ro_officer.get("/static/nope.css", headers=HTML).status_code == 404
    assert ro_anon.get("/static/app.css").status_code == 401


def test_week_start_is_monday_midnight_in_vietnam():
    start = queries.week_start(NOW)  # NOW is Monday 10:00 local
    assert start.isoformat() == "2026-11-23T00:00:00+07:00"
    assert queries.week_start(NOW - timedelta(hours=11)).isoformat() == "2026-11-16T00:00:00+07:00"
