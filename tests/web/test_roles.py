"""Citizen Desk roles on every route: a write needs a role check, and the role matrix holds for
every route x every user, under SimpleAuthManager and under the FAB auth manager, whatever the
user's Airflow (FAB) role: only the registry's `access:` decides what a user may change."""

from __future__ import annotations

import re

import pytest
import yaml
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import AuditLog, Tip
from citizen_desk.web.actions import ACTIONS
from tests.web.conftest import (
    CSRF_FIELD,
    FAB_NO_DESK_ROLE,
    ROLE_USERS,
    SAME_ORIGIN,
    client_as,
    csrf_token,
)
from tests.web.seed import CANARIES

HTML = {"Accept": "text/html"}
READ_METHODS = {"GET", "HEAD"}
PARAM = re.compile(r"{([a-z_]+)(:path)?}")
# Every user the matrix logs in: the role users, the sample registry's, and one it does not list.
USERS = sorted({*ROLE_USERS, "admin", "officer", "nobody"})
# Who may act on a tip / open an identity, by unit, written out (not computed by the policy).
TIP_ACTORS = {
    "TH-NS-NGATHUY": {"officer.ngathuy", "officer.ns", "chief.ns", "chief.th", "officer"},
    "TH-SS": {"chief.ss", "chief.th"},
}
CUSTODIANS = {"TH-NS-NGATHUY": {"custodian.ns", "admin"}, "TH-SS": {"custodian.ss", "admin"}}
# Who may edit a post awaiting approval: the unit's publication approvers (those the approval
# request is assigned to).
EDITORS = {
    "TH-NS-NGATHUY": {"admin", "approver.th"},
    "TH-SS-BACSON": {"admin", "approver.th", "approver.ss"},
}
# Who may correct a case's triage: its unit's officers and chiefs.
CORRECTORS = {
    "TH-NS-NGATHUY": {"officer.ngathuy", "officer.ns", "chief.ns", "chief.th", "officer"},
    "TH-SS": {"chief.ss", "chief.th"},
}
# Who may choose the triage model version in use (the whole desk's): the technical admins.
MODEL_ADMINS = {"tech.th", "admin"}


def _dependency_calls(dependant) -> set:
    calls = set()
    for dep in dependant.dependencies:
        calls.add(dep.call)
        calls |= _dependency_calls(dep)
    return calls


def _logged_in(route: APIRoute) -> bool:
    from citizen_desk.web.auth import require_user

    return require_user in _dependency_calls(route.dependant)


# Routes without an Airflow login, authenticated by the platform's signature instead (their own
# authorisation: Slack's acknowledgements check the registry's contacts). Adding one is a review.
PUBLIC_WRITES = ["/slack/interactions", "/webhooks/facebook", "/webhooks/zalo"]


def test_every_write_route_has_a_role_check(ro_app):
    """A future POST/PUT/PATCH/DELETE route that forgets its role check fails here."""
    from citizen_desk.web.permissions import ROLE_CHECKS
    from citizen_desk.web.routes import PUBLIC_ROUTERS

    public = {(route.path, frozenset(route.methods)) for r in PUBLIC_ROUTERS for route in r.routes}
    writes, public_writes = [], []
    for route in ro_app.routes:
        assert isinstance(route, APIRoute), route
        if not route.methods - READ_METHODS:
            continue
        if not _logged_in(route):
            signed = (route.path, frozenset(route.methods)) in public
            assert signed, f"{route.path} has neither a login nor a platform signature"
            public_writes.append(route.path)
            continue
        writes.append(route.path)
        calls = _dependency_calls(route.dependant)
        assert calls & ROLE_CHECKS, f"{route.methods} {route.path} has no role check"
    assert sorted(writes) == [
        "/cases/{case_id}/identity",
        "/cases/{case_id}/triage",
        "/publications/{publication_id}/edit",
        "/tips/{tip_id}/actions/{action_key}",
        "/triage-models/{model_id}/champion",
    ]
    assert sorted(public_writes) == PUBLIC_WRITES


def test_the_coverage_check_would_catch_a_forgotten_route(ro_app):
    from fastapi import FastAPI

    from citizen_desk.web.auth import CurrentUser
    from citizen_desk.web.permissions import ROLE_CHECKS

    app = FastAPI()

    @app.post("/forgotten")
    def forgotten(user: CurrentUser) -> None: ...

    [route] = [r for r in app.routes if isinstance(r, APIRoute)]
    assert not _dependency_calls(route.dependant) & ROLE_CHECKS


def _requests(app, seeded) -> list[tuple[str, str, str | None, str]]:
    """(method, path, unit, kind) for every route of the app, with every tip action, on a tip, a
    case and a post awaiting approval of two units, and on two model versions; kind is tip |
    identity | correct | edit | champion | read."""
    tips = {"TH-NS-NGATHUY": seeded.tips["new"], "TH-SS": seeded.tips["ss"]}
    cases = {"TH-NS-NGATHUY": seeded.cases["breach"], "TH-SS": seeded.cases["ss_tip"]}
    posts = {
        "TH-NS-NGATHUY": seeded.publications["ngathuy"],
        "TH-SS-BACSON": seeded.publications["bacson"],
    }
    read_values = {
        "tip_id": str(tips["TH-SS"]),
        "case_id": str(cases["TH-SS"]),
        "name": "app.css",
        "report_path": "2026-W47/fb-th.html",
    }
    out = []
    for route in app.routes:
        if not _logged_in(route):
            continue  # signed platform callbacks (see PUBLIC_WRITES): no user, no role
        for method in sorted(route.methods):
            if "{action_key}" in route.path:
                for unit, tip_id in tips.items():
                    for key in ACTIONS:
                        path = route.path.format(tip_id=tip_id, action_key=key)
                        out.append((method, path, unit, "tip"))
            elif route.path.endswith("/identity"):
                for unit, case_id in cases.items():
                    out.append((method, route.path.format(case_id=case_id), unit, "identity"))
            elif route.path.endswith("/triage"):
                for unit, case_id in cases.items():
                    out.append((method, route.path.format(case_id=case_id), unit, "correct"))
            elif "{model_id}" in route.path:
                for model_id in seeded.models.values():
                    out.append((method, route.path.format(model_id=model_id), None, "champion"))
            elif "{publication_id}" in route.path:
                for unit, pub_id in posts.items():
                    out.append((method, route.path.format(publication_id=pub_id), unit, "edit"))
            else:
                assert method in READ_METHODS, f"unknown write route {route.path}: add it here"
                path = PARAM.sub(lambda m: read_values[m.group(1)], route.path)
                out.append((method, path, None, "read"))
    return out


def _expected(user: str, unit: str | None, kind: str) -> bool:
    if kind == "tip":
        return user in TIP_ACTORS[unit]
    if kind == "identity":
        return user in CUSTODIANS[unit]
    if kind == "edit":
        return user in EDITORS[unit]
    if kind == "correct":
        return user in CORRECTORS[unit]
    if kind == "champion":
        return user in MODEL_ADMINS
    return True


# (auth manager, the Airflow role every user holds): SimpleAuthManager only tells viewer+ apart,
# FAB's four default roles each hold a different set of Airflow permissions.
MANAGER_ROLES = [
    ("simple", "viewer"),
    ("simple", "admin"),
    ("fab", "Viewer"),
    ("fab", "User"),
    ("fab", "Op"),
    ("fab", "Admin"),
]


@pytest.mark.parametrize(("logins", "airflow_role"), MANAGER_ROLES, indirect=["logins"])
def test_role_matrix_every_route_every_user(ro_app, ro_seeded, logins, role_registry, airflow_role):
    """The auth manager and the Airflow role change nothing: only the registry's `access:` decides
    (a FAB Viewer in `access:` acts on its unit's tips, a FAB Admin outside it cannot)."""
    _, seeded = ro_seeded
    requests = _requests(ro_app, seeded)
    assert len(requests) > 40
    for user in USERS:
        bearer = {"Authorization": f"Bearer {logins.token(user, airflow_role)}", **HTML}
        with client_as(ro_app, "") as client:
            for method, path, unit, kind in requests:
                # no `confirm`, no reason, no text: an allowed POST answers with its form, writes
                # nothing
                response = client.request(method, path, headers=bearer, data={})
                allowed = _expected(user, unit, kind)
                where = (logins.name, user, airflow_role, method, path)
                if allowed:
                    assert response.status_code in (200, 400), (*where, response.status_code)
                else:
                    assert response.status_code == 403, (*where, response.status_code)
                    assert "không có quyền" in response.text, where
                for canary in CANARIES:
                    assert canary not in response.text, where


def _audit(engine, tip_id: int) -> list[tuple[str, str]]:
    with sessionmaker(engine)() as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "tip", AuditLog.entity_id == str(tip_id))
        )
        return [(r.actor, r.action) for r in rows]


def test_a_refused_action_writes_nothing(app, logins, role_registry, seeded, synced_engine):
    """Under either auth manager, and as an Airflow Admin; the allowed action (by a FAB or Simple
    Viewer) goes through the browser's path: cookie session, form, CSRF token."""
    tip_id = seeded.tips["ss"]  # Sầm Sơn
    for user in ("officer", "officer.ns", "chief.ns", "approver.th", "custodian.ss", "tech.th",
                 "viewer.th", "nobody", "admin"):  # fmt: skip
        with client_as(app, "") as client:
            response = client.post(
                f"/tips/{tip_id}/actions/unfounded",
                data={"confirm": "yes", "note": "không có cơ sở"},
                headers={"Authorization": f"Bearer {logins.token(user, 'admin')}", **HTML},
            )
        assert response.status_code == 403, user
        assert "không có quyền kết luận tin báo không có cơ sở của đơn vị TH-SS" in response.text
    with sessionmaker(synced_engine)() as session:
        tip = session.get(Tip, tip_id)
        assert tip is not None
        assert tip.status == "new"
    assert _audit(synced_engine, tip_id) == []
    with client_as(app, logins.token("chief.ss", "viewer")) as client:
        form = client.get(f"/tips/{tip_id}/actions/unfounded", headers=HTML)
        assert form.status_code == 200
        done = client.post(
            f"/tips/{tip_id}/actions/unfounded",
            data={"confirm": "yes", CSRF_FIELD: csrf_token(form.text)},
            headers=SAME_ORIGIN,
        )
    assert done.status_code == 303, done.text
    assert _audit(synced_engine, tip_id) == [("chief.ss", "tip_unfounded")]


def test_reassign_only_within_the_scope(app, logins, role_registry, seeded, synced_engine):
    tip_id = seeded.tips["new"]  # Nga Thủy
    headers = {"Authorization": f"Bearer {logins.token('officer.ngathuy')}", **HTML}
    with client_as(app, "") as client:
        away = client.post(
            f"/tips/{tip_id}/actions/reassign",
            data={"confirm": "yes", "unit_code": "TH-NS-NGATAN"},
            headers=headers,
        )
        assert away.status_code == 403
        assert "chuyển tin báo cho đơn vị khác của đơn vị TH-NS-NGATAN" in away.text
        form = client.get(f"/tips/{tip_id}/actions/reassign", headers=headers)
        options = form.text.split('name="unit_code"', 1)[1].split("</select>")[0]
        assert 'value="TH-' not in options  # nothing else is in a commune officer's scope
    headers = {"Authorization": f"Bearer {logins.token('chief.ns')}", **HTML}
    with client_as(app, "") as client:
        assert (
            'value="TH-NS-NGATAN"'
            in client.get(f"/tips/{tip_id}/actions/reassign", headers=headers).text
        )
        moved = client.post(
            f"/tips/{tip_id}/actions/reassign",
            data={"confirm": "yes", "unit_code": "TH-NS-NGATAN"},
            headers=headers,
        )
    assert moved.status_code == 303
    assert _audit(synced_engine, tip_id) == [("chief.ns", "tip_reassigned")]


def test_pages_offer_only_the_allowed_actions(ro_app, ro_seeded, logins, role_registry):
    _, seeded = ro_seeded
    tip = f"/tips/{seeded.tips['new']}"
    for user, offered in (("officer.ngathuy", True), ("chief.ss", False), ("viewer.th", False)):
        with client_as(ro_app, logins.token(user)) as client:
            page = client.get(tip).text
            board = client.get("/tips").text
        assert (f'href="{tip}/actions/unfounded"' in page) is offered, user
        assert (f'href="{tip}/actions/unfounded"' in board) is offered, user
        assert ("Bạn chỉ có quyền xem tin báo này" in page) is not offered, user
    with client_as(ro_app, logins.token("custodian.ns")) as client:
        assert "Xem danh tính người gửi" in client.get(f"/cases/{seeded.cases['breach']}").text
        assert "Xem danh tính người gửi" not in client.get(f"/cases/{seeded.cases['ss_tip']}").text


def test_all_admins_mode_is_read_only(ro_app, ro_seeded, make_token, monkeypatch):
    """SimpleAuthManager without login: everyone is "admin" and nobody is identified, so the
    pages are read-only and redacted (the sample's `admin` would otherwise act and see)."""
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    _, seeded = ro_seeded
    bearer = {"Authorization": f"Bearer {make_token('admin', 'admin')}", **HTML}
    with client_as(ro_app, "") as client:
        for method, path, _unit, kind in _requests(ro_app, seeded):
            response = client.request(method, path, headers=bearer, data={})
            expected = 200 if kind == "read" else 403
            assert response.status_code == expected, (method, path, response.status_code)


# --- what only FAB has ----------------------------------------------------------------------------


@pytest.mark.parametrize("logins", ["fab"], indirect=True)
def test_a_fab_role_without_the_page_opens_nothing(ro_app, ro_seeded, logins, role_registry):
    """`citizen-desk fab-access` was not run for this FAB role: even the registry's officer cannot
    read (the auth manager decides who opens the pages, the registry what they may change)."""
    _, seeded = ro_seeded
    token = logins.token("officer.ngathuy", FAB_NO_DESK_ROLE)
    bearer = {"Authorization": f"Bearer {token}", **HTML}
    with client_as(ro_app, "") as client:
        for method, path, _unit, _kind in _requests(ro_app, seeded):
            response = client.request(method, path, headers=bearer, data={})
            assert response.status_code == 403, (method, path, response.status_code)
            assert "không có quyền truy cập Citizen Desk" in response.text, (method, path)


@pytest.mark.parametrize("logins", ["fab"], indirect=True)
def test_the_all_admins_flag_means_nothing_under_fab(
    ro_app, ro_seeded, logins, role_registry, monkeypatch
):
    """`simple_auth_manager_all_admins` is SimpleAuthManager's no-login mode; left set under FAB
    (after the demo, say), FAB users are still identified and keep their registry roles."""
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    _, seeded = ro_seeded
    bearer = {"Authorization": f"Bearer {logins.token('officer.ngathuy', 'viewer')}", **HTML}
    with client_as(ro_app, "") as client:
        form = client.post(f"/tips/{seeded.tips['new']}/actions/unfounded", headers=bearer)
    assert form.status_code in (200, 400), form.status_code


@pytest.mark.parametrize("logins", ["fab"], indirect=True)
def test_fab_public_access_is_read_only(ro_app, ro_seeded, logins, role_registry, monkeypatch):
    """`[fab] auth_role_public`: visitors without a login are FAB's anonymous user, named
    "Anonymous"; nobody is identified, so they get no registry role (not even one written for a
    user of that name), like SimpleAuthManager's all-admins mode. A public role without the page
    sends them to the login page."""
    from airflow.providers.fab.auth_manager.middleware import FabAuthRolePublicMiddleware
    from fastapi import FastAPI

    _, seeded = ro_seeded
    raw = yaml.safe_load(role_registry.read_text(encoding="utf-8"))
    raw["access"]["Anonymous"] = [{"role": "officer", "units": ["TH"]}]
    role_registry.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    api_server = FastAPI()  # as the api-server: the auth manager's middlewares, plugins mounted
    api_server.add_middleware(FabAuthRolePublicMiddleware)
    api_server.mount("/citizen-desk", ro_app)
    tip, case = seeded.tips["new"], seeded.cases["breach"]
    monkeypatch.setenv("AIRFLOW__FAB__AUTH_ROLE_PUBLIC", "Viewer")
    with client_as(api_server, "") as client:
        assert client.get("/citizen-desk/tips", headers=HTML).status_code == 200
        for path in (f"/tips/{tip}/actions/unfounded", f"/cases/{case}/identity"):
            response = client.get(f"/citizen-desk{path}", headers=HTML)  # the role-checked forms
            assert response.status_code == 403, (path, response.status_code)
            assert "Bạn không có quyền" in response.text, path
    monkeypatch.setenv("AIRFLOW__FAB__AUTH_ROLE_PUBLIC", FAB_NO_DESK_ROLE)
    with client_as(api_server, "") as client:
        response = client.get("/citizen-desk/tips", headers=HTML)
    assert response.status_code == 303
    assert "/login" in response.headers["location"]


@pytest.mark.parametrize("logins", ["fab"], indirect=True)
def test_a_deactivated_fab_account_is_out_at_once(ro_app, logins, role_registry):
    """FAB re-reads the account on every request: a user deactivated in FAB's Users list loses
    the pages although its token has not expired (SimpleAuthManager has no such switch)."""
    token = logins.token("chief.th", "admin")
    with client_as(ro_app, "") as client:
        assert client.get("/tips", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        logins.user("chief.th", "admin", active=False)
        try:
            response = client.get("/tips", headers={"Authorization": f"Bearer {token}"})
        finally:
            logins.user("chief.th", "admin")
    assert response.status_code == 401


@pytest.mark.parametrize("logins", ["fab"], indirect=True)
def test_under_fab_only_the_registrys_approvers_answer_an_approval(logins, role_registry):
    """The approval is Airflow's Human-in-the-loop, answered in Airflow's UI: the api-server asks
    the auth manager `is_authorized_hitl_task` with the request's `assigned_users`, and
    `decision_from_hitl` checks the responder again. FAB compares its numeric user id, so the
    registry maps the approver's name to it (`airflow_user_ids:`); a FAB Admin outside `access:`
    cannot approve, and without the mapping neither can the approver."""
    from citizen_desk.config.registry import load_registry
    from citizen_desk.publication.approval import APPROVE, assigned_users, decision_from_hitl

    users = {name: logins.user(name, "Admin") for name in ("nobody", "admin", "approver.th")}
    raw = yaml.safe_load(role_registry.read_text(encoding="utf-8"))
    raw["airflow_user_ids"] = {"approver.th": int(users["approver.th"].get_id())}
    mapped_path = role_registry.with_name("mapped.yaml")
    mapped_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    plain, mapped = load_registry(role_registry), load_registry(mapped_path)
    may_answer = logins.manager.is_authorized_hitl_task
    for registry, allowed in ((plain, set()), (mapped, {"approver.th"})):
        approvers = assigned_users(("approver.th",), (registry.airflow_user_id("approver.th"),))
        assigned_ids = {approver["id"] for approver in approvers}
        for name, fab_user in users.items():
            assert may_answer(assigned_users=assigned_ids, user=fab_user) == (name in allowed)
            answer = {
                "chosen_options": [APPROVE],
                "responded_by_user": {"id": fab_user.get_id(), "name": fab_user.get_name()},
                "responded_at": "2026-11-23T03:00:00Z",
            }
            expected = "approved" if name in allowed else "rejected"
            assert decision_from_hitl(answer, approvers).outcome == expected, name
