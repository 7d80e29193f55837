"""Learning from officers on the Citizen Desk page: the correction form of the case and tip pages,
the model page and its rollback, the overview's live agreement (the browser's path: cookie
session, form, CSRF token)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import AuditLog, Case, Tip, TriageCorrection, TriageModelVersion
from tests.web.conftest import CSRF_FIELD, SAME_ORIGIN, client_as, csrf_token
from tests.web.seed import CANARIES, RETRAINED_VERSION


def _rows(engine, model):
    with sessionmaker(engine)() as session:
        return list(session.scalars(select(model)))


def test_an_officer_corrects_a_question_into_an_urgent_tip(app, make_token, seeded, synced_engine):
    case_id = seeded.cases["breach"]  # a question of Nga Thủy (the sample's `officer`: Nga Sơn)
    with client_as(app, make_token("officer")) as client:
        page = client.get(f"/cases/{case_id}")
        assert f'action="/cases/{case_id}/triage"' in page.text
        assert '<option value="question" selected>' in page.text
        token = csrf_token(page.text)
        forged = client.post(f"/cases/{case_id}/triage", data={"category": "tip"},
                             headers=SAME_ORIGIN)  # fmt: skip
        assert forged.status_code == 403  # no CSRF token: refused, nothing written
        assert _rows(synced_engine, TriageCorrection) == []
        done = client.post(
            f"/cases/{case_id}/triage",
            data={"category": "tip", "urgent": "1", CSRF_FIELD: token},
            headers=SAME_ORIGIN,
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/cases/{case_id}?triage=saved&tip=created"
        shown = client.get(done.headers["location"]).text
    assert "Đã lưu phân loại: Tin báo về an ninh, trật tự, khẩn." in shown
    assert "Đã tạo tin báo mới cho hồ sơ" in shown
    assert "đã sửa phân loại tự động (Hỏi đáp thủ tục, pháp luật" in shown
    assert "Xem quy trình xác minh" in shown  # the link to the new tip
    for canary in CANARIES:
        assert canary not in shown
    [row] = _rows(synced_engine, TriageCorrection)
    assert (row.case_id, row.predicted_category, row.category, row.urgent, row.corrected_by) == (
        case_id, "question", "tip", True, "officer",
    )  # fmt: skip
    with sessionmaker(synced_engine)() as session:
        tip = session.scalar(select(Tip).where(Tip.case_id == case_id))
        assert tip is not None
        assert (tip.status, tip.urgent) == ("new", True)


def test_the_tip_page_corrects_and_comes_back(app, make_token, seeded, synced_engine):
    tip_id = seeded.tips["new"]
    with client_as(app, make_token("officer")) as client:
        page = client.get(f"/tips/{tip_id}")
        assert 'name="back" value="tip"' in page.text
        done = client.post(
            page.text.split('<form method="post" action="', 1)[1].split('"', 1)[0],
            data={"category": "feedback", "back": "tip", CSRF_FIELD: csrf_token(page.text)},
            headers=SAME_ORIGIN,
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/tips/{tip_id}?triage=saved&tip=closed"
        shown = client.get(done.headers["location"]).text
    assert "Đã lưu phân loại: Góp ý, phản ánh." in shown
    assert "Tin báo của hồ sơ đã được đóng" in shown
    assert "không có cơ sở" in shown
    with sessionmaker(synced_engine)() as session:
        tip = session.get(Tip, tip_id)
        assert (tip.status, tip.verified_by) == ("unfounded", "officer")
        assert session.get(Case, tip.case_id).category == "feedback"


def test_only_the_units_officers_get_the_form(ro_app, ro_seeded, make_token):
    _, seeded = ro_seeded
    breach, ss = seeded.cases["breach"], seeded.cases["ss_tip"]
    for user, path, offered in (
        ("officer", f"/cases/{breach}", True),
        ("officer", f"/cases/{ss}", False),  # Sầm Sơn: not the officer's district
        ("admin", f"/cases/{breach}", False),  # technical admin, custodian: no triage role
        ("nobody", f"/cases/{breach}", False),
    ):
        with client_as(ro_app, make_token(user)) as client:
            text = client.get(path).text
        assert ("Lưu phân loại" in text) is offered, (user, path)
        assert "Phân loại hồ sơ" in text


def test_closing_a_reassigned_tip_needs_the_power_over_its_unit(
    app, make_token, seeded, synced_engine, role_registry
):
    tip_id = seeded.tips["new"]
    with sessionmaker(synced_engine)() as session, session.begin():
        tip = session.get(Tip, tip_id)
        tip.unit_id = session.get(Case, seeded.cases["ss_tip"]).unit_id  # now Sầm Sơn's
        case_id = tip.case_id
    with client_as(app, make_token("officer.ngathuy")) as client:
        token = csrf_token(client.get(f"/cases/{case_id}").text)
        away = client.post(
            f"/cases/{case_id}/triage",
            data={"category": "question", CSRF_FIELD: token},
            headers=SAME_ORIGIN,
        )
        assert away.status_code == 403
        assert "kết luận tin báo không có cơ sở của đơn vị TH-SS" in away.text
        urgent = client.post(f"/cases/{case_id}/triage",
                             data={"category": "tip", "urgent": "on", CSRF_FIELD: token},
                             headers=SAME_ORIGIN)  # fmt: skip
        assert urgent.status_code == 303
    with sessionmaker(synced_engine)() as session:
        assert session.get(Tip, tip_id).status == "new"
        assert session.get(Tip, tip_id).urgent is True


def test_a_technical_admin_rolls_back_from_the_model_page(app, make_token, seeded, synced_engine):
    shipped_id = seeded.models["shipped"]
    with client_as(app, make_token("officer")) as client:
        page = client.get("/triage-models").text
        assert RETRAINED_VERSION in page
        assert "Dùng phiên bản này" not in page
    with client_as(app, make_token("admin")) as client:
        page = client.get("/triage-models")
        assert page.status_code == 200
        assert f"Đang dùng để phân loại: <code>{RETRAINED_VERSION}</code>" in page.text
        assert f'action="/triage-models/{shipped_id}/champion"' in page.text
        assert "Được chọn: điểm 63,3% so với 61,5%" in page.text  # the retrain's decision
        done = client.post(
            f"/triage-models/{shipped_id}/champion",
            data={"confirm": "yes", CSRF_FIELD: csrf_token(page.text)},
            headers=SAME_ORIGIN,
        )
        assert done.status_code == 303, done.text
        shown = client.get(done.headers["location"]).text
    statuses = {r.version: r.status for r in _rows(synced_engine, TriageModelVersion)}
    assert statuses[RETRAINED_VERSION] == "retired"
    [shipped] = [v for v, s in statuses.items() if s == "champion"]
    assert f"Phiên bản {shipped} đang được dùng để phân loại" in shown
    assert f"Đang dùng để phân loại: <code>{shipped}</code>" in shown
    audits = [(a.actor, a.action, a.after) for a in _rows(synced_engine, AuditLog)]
    assert ("admin", "triage_model_champion", {"champion": shipped, "reason": "rollback"}) in audits


def test_the_overview_shows_the_live_agreement(app, make_token, seeded):
    with client_as(app, make_token("officer")) as client:
        assert "Chưa có hồ sơ nào được cán bộ xem lại" in client.get("/").text
        for case_id, category in ((seeded.cases["breach"], "question"),
                                  (seeded.cases["warning"], "feedback")):  # fmt: skip
            token = csrf_token(client.get(f"/cases/{case_id}").text)
            response = client.post(f"/cases/{case_id}/triage",
                                   data={"category": category, CSRF_FIELD: token},
                                   headers=SAME_ORIGIN)  # fmt: skip
            assert response.status_code == 303
        overview = client.get("/").text
    assert "<strong>50%</strong> hồ sơ được cán bộ xem lại" in overview
    assert "(1/2 hồ sơ;" in overview
