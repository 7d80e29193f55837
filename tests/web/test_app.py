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
