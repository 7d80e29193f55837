"""Every route needs an Airflow login; identity view, actor recording and CSRF are enforced."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import AuditLog, Case, Tip
from tests.web.conftest import SAME_ORIGIN, csrf_token
from tests.web.seed import CANARIES, CANARY_NAME, CANARY_PSID, TIP_NAME

PARAM = re.compile(r"{([a-z_]+)(:path)?}")
HTML = {"Accept": "text/html,application/xhtml+xml"}
JSON = {"Accept": "application/json"}
# Routes without the Airflow login, each authenticated otherwise (tested in their own module):
# Slack's Interactivity Request URL, signed with the Slack app's signing secret.
# Routes a platform calls, authenticated by the platform's signature (tested in their own files).
PUBLIC = {
    ("POST", "/slack/interactions"),
    ("GET", "/webhooks/facebook"),
    ("POST", "/webhooks/facebook"),
    ("POST", "/webhooks/zalo"),
}


def _routes(app) -> list[tuple[str, str]]:
    """(method, concrete path) for every route of the app but `PUBLIC`; fails on anything but an
    APIRoute."""
    found = []
    for route in app.routes:
        assert isinstance(route, APIRoute), f"unexpected non-API route {route!r} (unprotected?)"
        if {(m, route.path) for m in route.methods} <= PUBLIC:
            continue
        path = PARAM.sub(lambda m: "2026-W47/fb-th.html" if m.group(2) else "1", route.path)
        found.extend((method, path) for method in sorted(route.methods))
    return found


def test_the_app_has_no_docs_or_static_mounts(ro_app):
    paths = {getattr(route, "path", None) for route in ro_app.routes}
    assert not paths & {"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}
    assert len(_routes(ro_app)) >= 12


def test_every_route_carries_the_login_dependency(ro_app):
    from citizen_desk.web.auth import require_user

    public = set()
    for route in ro_app.routes:
        if any(dep.call is require_user for dep in route.dependant.dependencies):
            continue
        public |= {(method, route.path) for method in route.methods}
    assert public == PUBLIC


def test_anonymous_browser_is_sent_to_airflow_login_on_every_route(ro_app, ro_anon):
    for method, path in _routes(ro_app):
        response = ro_anon.request(method, path, headers=HTML)
        if path.startswith("/api/"):  # API routes answer 401 even to a browser
            assert response.status_code == 401, (method, path, response.status_code)
            continue
        assert response.status_code == 303, (method, path, response.status_code)
        location = urlsplit(response.headers["location"])
        assert location.path == "/auth/login", (method, path)
        assert parse_qs(location.query)["next"] == [path], (method, path)


def test_anonymous_api_client_gets_401_on_every_route(ro_app, ro_anon):
    for method, path in _routes(ro_app):
        response = ro_anon.request(method, path, headers=JSON)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json() == {"detail": "Not authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"


def test_next_keeps_the_query_string(ro_anon):
    response = ro_anon.get("/sla?unit=TH-NS&state=breach", headers=HTML)
    next_url = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
    assert next_url == "/sla?unit=TH-NS&state=breach"


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"],
)
def test_forged_tokens_are_rejected(ro_anon, token):
    ro_anon.cookies.set("_token", token)
    assert ro_anon.get("/api/overview", headers=JSON).status_code == 401
    ro_anon.headers["Authorization"] = f"Bearer {token}"
    assert ro_anon.get("/tips", headers=HTML).status_code == 303


def test_expired_token_is_rejected(ro_anon, make_token):
    ro_anon.cookies.set("_token", make_token("officer", expiration_time_in_seconds=-60))
    assert ro_anon.get("/api/overview", headers=JSON).status_code == 401


def test_revoked_token_is_rejected(ro_anon, make_token, auth_manager):
    token = make_token("officer")
    ro_anon.cookies.set("_token", token)
    assert ro_anon.get("/api/overview", headers=JSON).status_code == 200
    auth_manager.revoke_token(token)  # what Airflow's logout does
    assert ro_anon.get("/api/overview", headers=JSON).status_code == 401


def test_bearer_header_is_accepted(ro_anon, make_token):
    response = ro_anon.get(
        "/api/overview", headers={**JSON, "Authorization": f"Bearer {make_token('officer')}"}
    )
    assert response.status_code == 200
    assert {u["unit"] for u in response.json()["units"]} >= {"TH", "TH-NS", "TH-NS-NGATHUY"}


def test_user_without_a_role_is_forbidden(ro_anon, make_token):
    ro_anon.cookies.set("_token", make_token("nobody", role=None))
    response = ro_anon.get("/", headers=HTML)
    assert response.status_code == 403
    assert "không có quyền" in response.text


def test_logged_in_officer_gets_every_page(ro_officer, ro_seeded):
    officer, seeded = ro_officer, ro_seeded[1]
    pages = {
        "/": "Tổng quan theo đơn vị",
        "/sla": "Hồ sơ đang chờ trả lời",
        "/tips": "Tin báo tố giác",
        f"/tips/{seeded.tips['new']}": "Lịch sử",
        f"/tips/{seeded.tips['new']}/actions/start": "Bắt đầu xác minh",
        f"/cases/{seeded.cases['breach']}": "Hồ sơ CD-",
        "/publications": "Bài đăng kết quả",
        "/collection": "Tình trạng thu thập",
    }
    for path, text in pages.items():
        response = officer.get(path)
        assert response.status_code == 200, path
        assert text in response.text, path
        assert "Đăng nhập: <strong>officer</strong>" in response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    assert officer.get("/static/app.css").headers["content-type"].startswith("text/css")


# --- identity view -------------------------------------------------------------------------


def _identity_rows(engine, case_id: int) -> list[AuditLog]:
    with sessionmaker(engine)() as session:
        return list(
            session.scalars(
                select(AuditLog).where(
                    AuditLog.action == "identity_viewed", AuditLog.entity_id == str(case_id)
                )
            )
        )


def test_officer_gets_only_the_redacted_case_view(ro_officer, ro_seeded):
    officer, (synced_engine, seeded) = ro_officer, ro_seeded
    case_id = seeded.cases["breach"]
    normal = officer.get(f"/cases/{case_id}")
    denied = officer.get(f"/cases/{case_id}/identity")
    assert normal.status_code == 200
    assert denied.status_code == 403
    assert "không có quyền xem danh tính người gửi của đơn vị TH-NS-NGATHUY" in denied.text
    assert "xin hỏi thủ tục tạm trú" in normal.text  # the content is there, redacted
    for page in (normal.text, denied.text):
        for canary in CANARIES:
            assert canary not in page
    assert "Xem danh tính người gửi" not in normal.text
    assert _identity_rows(synced_engine, case_id) == []


def _open_identity(client, case_id: int, reason: str = "Cần liên hệ lại người báo để xác minh"):
    """The reason form (GET), then its POST, as a browser does."""
    form = client.get(f"/cases/{case_id}/identity")
    assert form.status_code == 200
    return client.post(
        f"/cases/{case_id}/identity",
        data={"csrf_token": csrf_token(form.text), "reason": reason},
        headers=SAME_ORIGIN,
    )


def test_admin_sees_identity_and_every_view_is_audited(admin, seeded, synced_engine):
    case_id = seeded.cases["breach"]
    redacted = admin.get(f"/cases/{case_id}")
    assert CANARY_NAME not in redacted.text
    assert f"/cases/{case_id}/identity" in redacted.text
    assert _identity_rows(synced_engine, case_id) == []

    first = _open_identity(admin, case_id)
    second = _open_identity(admin, case_id, reason="Chuyển hồ sơ sang cơ quan điều tra")
    assert first.status_code == second.status_code == 200
    assert CANARY_NAME in first.text
    assert CANARY_PSID in first.text
    assert "0912 345 678" in first.text  # full message text, not redacted
    rows = _identity_rows(synced_engine, case_id)
    assert [(r.actor, r.entity_type) for r in rows] == [("admin", "case"), ("admin", "case")]
    assert [r.note for r in rows] == [
        "Cần liên hệ lại người báo để xác minh",
        "Chuyển hồ sơ sang cơ quan điều tra",
    ]
    assert "Nhật ký xem danh tính" in second.text
    assert "Chuyển hồ sơ sang cơ quan điều tra" in second.text


def test_the_identity_viewers_env_no_longer_opens_identities(
    officer, seeded, synced_engine, monkeypatch
):
    """CITIZEN_DESK_IDENTITY_VIEWERS is gone: only the registry's identity custodians."""
    monkeypatch.setenv("CITIZEN_DESK_IDENTITY_VIEWERS", "someone, officer")
    assert officer.get(f"/cases/{seeded.cases['breach']}/identity").status_code == 403
    assert _identity_rows(synced_engine, seeded.cases["breach"]) == []


def test_identity_get_only_asks_for_a_reason(admin, seeded, synced_engine):
    case_id = seeded.cases["breach"]
    form = admin.get(f"/cases/{case_id}/identity")  # what a cross-site link or <img> would do
    assert form.status_code == 200
    assert f'action="/cases/{case_id}/identity"' in form.text
    assert 'name="reason"' in form.text
    assert 'maxlength="500"' in form.text
    for canary in CANARIES:
        assert canary not in form.text
    assert "xin hỏi thủ tục tạm trú" in form.text  # the redacted case is shown
    assert _identity_rows(synced_engine, case_id) == []


def test_identity_post_without_csrf_is_refused(admin, seeded, synced_engine):
    case_id = seeded.cases["breach"]
    token = csrf_token(admin.get(f"/cases/{case_id}/identity").text)
    for headers, use_token in CSRF_ATTEMPTS:
        data = {"reason": "xác minh", **({"csrf_token": token} if use_token else {})}
        response = admin.post(f"/cases/{case_id}/identity", data=data, headers=headers)
        assert response.status_code == 403, headers
        assert "CSRF" in response.text
        assert CANARY_NAME not in response.text
    assert _identity_rows(synced_engine, case_id) == []


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * 501])
def test_identity_post_needs_a_reason_of_at_most_500_chars(admin, seeded, synced_engine, reason):
    case_id = seeded.cases["breach"]
    response = _open_identity(admin, case_id, reason=reason)
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.text
    assert "lý do" in response.text.lower()
    for canary in CANARIES:
        assert canary not in response.text
    assert _identity_rows(synced_engine, case_id) == []


def test_identity_reason_is_redacted_in_the_audit(admin, seeded, synced_engine):
    case_id = seeded.cases["breach"]
    reason = f"Gọi lại cho {CANARY_NAME} số 0912 345 678 để xác minh"
    response = _open_identity(admin, case_id, reason=reason + " " + "x" * (499 - len(reason)))
    assert response.status_code == 200
    [row] = _identity_rows(synced_engine, case_id)
    assert row.note.startswith("Gọi lại cho [TÊN] số [SĐT] để xác minh")
    for canary in CANARIES:
        assert canary not in row.note


def test_officer_cannot_post_for_the_identity(officer, seeded, synced_engine):
    case_id = seeded.cases["breach"]
    token = csrf_token(officer.get(f"/tips/{seeded.tips['new']}/actions/start").text)
    response = officer.post(
        f"/cases/{case_id}/identity",
        data={"csrf_token": token, "reason": "xác minh"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 403
    assert "không có quyền xem danh tính" in response.text
    for canary in CANARIES:
        assert canary not in response.text
    assert _identity_rows(synced_engine, case_id) == []


@pytest.mark.airflow
def test_the_airflow_role_opens_nothing(monkeypatch):
    """Roles come from the registry's `access:`, never from the Airflow role; in all-admins mode
    (no login) nobody has any."""
    from types import SimpleNamespace

    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    from citizen_desk.config.registry import load_registry
    from citizen_desk.domain.vocabulary import DeskAction
    from citizen_desk.web.permissions import access_of
    from tests.conftest import REGISTRY_PATH

    registry = load_registry(REGISTRY_PATH)

    def request() -> SimpleNamespace:  # what access_of reads of a request
        app = SimpleNamespace(state=SimpleNamespace(registry_factory=lambda: registry))
        return SimpleNamespace(state=SimpleNamespace(), app=app)

    admin = SimpleAuthManagerUser(username="admin", role="admin")  # custodian in the sample
    stranger = SimpleAuthManagerUser(username="someone", role="admin")
    assert access_of(request(), admin).may(DeskAction.IDENTITY_VIEW, "TH-NS-NGATHUY")
    assert not access_of(request(), stranger).may(DeskAction.IDENTITY_VIEW, "TH-NS-NGATHUY")
    assert access_of(request(), stranger).grants == ()
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    assert access_of(request(), admin).grants == ()  # no real login: nobody to hold to account
    assert not access_of(request(), admin).may(DeskAction.IDENTITY_VIEW, "TH-NS-NGATHUY")


# --- tip actions and CSRF ------------------------------------------------------------------


def _tip(engine, tip_id: int) -> Tip:
    with sessionmaker(engine, expire_on_commit=False)() as session:
        tip = session.get(Tip, tip_id)
        assert tip is not None
        return tip


def _tip_audit(engine, tip_id: int) -> list[AuditLog]:
    with sessionmaker(engine)() as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(AuditLog.entity_type == "tip", AuditLog.entity_id == str(tip_id))
                .order_by(AuditLog.id)
            )
        )


def test_tip_action_records_the_logged_in_user(officer, seeded, synced_engine):
    tip_id = seeded.tips["new"]
    confirm = officer.get(f"/tips/{tip_id}/actions/start")
    assert "Chuyển tin báo sang trạng thái đang xác minh?" in confirm.text
    response = officer.post(
        f"/tips/{tip_id}/actions/start",
        data={
            "csrf_token": csrf_token(confirm.text),
            "confirm": "yes",
            "note": f"Đã cử tổ công tác; người báo {TIP_NAME} không cần liên hệ",
        },
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/tips/{tip_id}?done=start"
    assert _tip(synced_engine, tip_id).status == "verifying"
    [row] = _tip_audit(synced_engine, tip_id)
    assert (row.actor, row.action) == ("officer", "tip_verification_started")
    assert TIP_NAME not in (row.note or "")  # notes are redacted by the workflow
    page = officer.get(response.headers["location"])
    assert "Đã ghi nhận: Bắt đầu xác minh" in page.text
    assert "officer" in page.text


def test_post_without_confirmation_shows_the_confirmation_step(officer, seeded, synced_engine):
    tip_id = seeded.tips["new"]
    token = csrf_token(officer.get(f"/tips/{tip_id}/actions/start").text)
    response = officer.post(
        f"/tips/{tip_id}/actions/verified", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert response.status_code == 200
    assert "Kết luận tin báo có cơ sở?" in response.text
    assert _tip(synced_engine, tip_id).status == "new"


def test_workflow_refusal_is_a_flash_error(officer, seeded, synced_engine):
    tip_id = seeded.tips["new"]  # open: a public outcome needs a closed tip
    token = csrf_token(officer.get(f"/tips/{tip_id}/actions/outcome").text)
    response = officer.post(
        f"/tips/{tip_id}/actions/outcome",
        data={"csrf_token": token, "confirm": "yes", "text": "Đã xử lý"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 409
    assert 'class="flash flash-error"' in response.text
    assert "chỉ ghi kết quả công khai khi đã kết thúc" in response.text
    assert "Đã xử lý" in response.text  # the form keeps what was typed
    assert _tip_audit(synced_engine, tip_id) == []


def test_bad_form_value_and_unknown_tip(officer, seeded):
    token = csrf_token(officer.get(f"/tips/{seeded.tips['new']}/actions/extend").text)
    bad = officer.post(
        f"/tips/{seeded.tips['new']}/actions/extend",
        data={"csrf_token": token, "confirm": "yes", "days": "many", "reason": "x"},
        headers=SAME_ORIGIN,
    )
    assert bad.status_code == 409
    assert "số ngày gia hạn phải là một số nguyên" in bad.text
    unknown = officer.post(
        "/tips/999999/actions/start",
        data={"csrf_token": token, "confirm": "yes"},
        headers=SAME_ORIGIN,
    )
    assert unknown.status_code == 404
    assert "không có tin báo số 999999" in unknown.text


CSRF_ATTEMPTS = [
    (SAME_ORIGIN, False),  # no token
    ({"Origin": "https://evil.example", "Accept": "text/html"}, True),  # cross-site
    ({"Origin": "null", "Accept": "text/html"}, True),  # opaque origin (sandboxed frame)
    ({"Accept": "text/html"}, True),  # neither Origin nor Referer
    ({"Referer": "https://evil.example/x", "Accept": "text/html"}, True),
    ({**SAME_ORIGIN, "Host": "evil.example"}, True),  # Origin must match the Host
]


def test_csrf_rejections(officer, seeded, synced_engine):
    tip_id = seeded.tips["new"]
    token = csrf_token(officer.get(f"/tips/{tip_id}/actions/start").text)
    for headers, use_token in CSRF_ATTEMPTS:
        data = {"confirm": "yes", **({"csrf_token": token} if use_token else {})}
        response = officer.post(f"/tips/{tip_id}/actions/start", data=data, headers=headers)
        assert response.status_code == 403, headers
        assert "CSRF" in response.text
    wrong = officer.post(
        f"/tips/{tip_id}/actions/start",
        data={"confirm": "yes", "csrf_token": "0" * 64},
        headers=SAME_ORIGIN,
    )
    assert wrong.status_code == 403
    assert _tip(synced_engine, tip_id).status == "new"
    assert _tip_audit(synced_engine, tip_id) == []


def test_csrf_token_is_bound_to_user_and_cookie(
    app, officer, make_token, role_registry, seeded, synced_engine
):
    from tests.web.conftest import client_as

    tip_id = seeded.tips["new"]
    confirm = f"/tips/{tip_id}/actions/start"
    with client_as(app, make_token("chief.ns")) as chief:
        admin_token = csrf_token(chief.get(confirm).text)
    officer.get(confirm)  # the officer's own CSRF cookie
    stolen = officer.post(
        f"/tips/{tip_id}/actions/start",
        data={"csrf_token": admin_token, "confirm": "yes"},
        headers=SAME_ORIGIN,
    )
    assert stolen.status_code == 403
    same_origin_referer = officer.post(
        f"/tips/{tip_id}/actions/start",
        data={"csrf_token": csrf_token(officer.get(confirm).text), "confirm": "yes"},
        headers={"Referer": "http://testserver/tips", "Accept": "text/html"},
    )
    assert same_origin_referer.status_code == 303
    assert _tip(synced_engine, tip_id).status == "verifying"


def test_bearer_clients_need_no_csrf_token(anon, make_token, role_registry, seeded, synced_engine):
    tip_id = seeded.tips["new"]
    response = anon.post(
        f"/tips/{tip_id}/actions/acknowledge",
        data={"confirm": "yes", "note": "đã nhận"},
        headers={"Authorization": f"Bearer {make_token('officer.ns')}", "Accept": "text/html"},
    )
    assert response.status_code == 303
    assert [(r.actor, r.action) for r in _tip_audit(synced_engine, tip_id)] == [
        ("officer.ns", "tip_acknowledged")
    ]


def test_a_case_the_triage_was_unsure_of_says_so(admin, seeded, synced_engine):
    case_id = seeded.cases["breach"]
    assert "cần người xem" not in admin.get(f"/cases/{case_id}").text
    with sessionmaker(synced_engine)() as session, session.begin():
        session.get(Case, case_id).needs_human_triage = True
    assert "cần người xem" in admin.get(f"/cases/{case_id}").text
