"""The app itself: bad parameters, database and configuration errors, static files."""

from __future__ import annotations

HTML = {"Accept": "text/html"}


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


OUT_OF_RANGE = ("99999999999999999999999", str(2**63), "0", "-1")


def _id_routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every route with an id in its path."""
    found = []
    for route in app.routes:
        if any(name.endswith("_id") for name in route.param_convertors):
            found.extend((method, route.path) for method in sorted(route.methods))
    return found


def test_every_id_route_answers_404_to_an_id_out_of_range(ro_app, ro_officer):
    routes = _id_routes(ro_app)
    assert {path for _, path in routes} >= {
        "/cases/{case_id}",
        "/cases/{case_id}/identity",
        "/tips/{tip_id}",
        "/tips/{tip_id}/actions/{action_key}",
        "/publications/{publication_id}/edit",
        "/cases/{case_id}/triage",
        "/triage-models/{model_id}/champion",
    }
    for method, template in routes:
        for bad in OUT_OF_RANGE:
            path = template.replace("{action_key}", "start").replace("{publication_id}", bad)
            path = path.replace("{model_id}", bad)
            path = path.replace("{case_id}", bad).replace("{tip_id}", bad)
            page = ro_officer.request(method, path, headers=HTML)
            assert page.status_code == 404, (method, path, page.status_code)
            assert "Không tìm thấy" in page.text
            api = ro_officer.request(method, path, headers={"Accept": "application/json"})
            assert api.status_code == 404, (method, path)
            assert set(api.json()) == {"detail"}
            assert api.json()["detail"].startswith("không có ")


def test_the_largest_id_is_a_plain_not_found(officer):  # on every backend
    largest = 2**63 - 1
    for path in (
        f"/cases/{largest}",
        f"/tips/{largest}",
        f"/tips/{largest}/actions/start",
        f"/publications/{largest}/edit",
    ):
        response = officer.get(path, headers=HTML)
        assert response.status_code == 404, path
        assert str(largest) in response.text, path  # the database was asked
