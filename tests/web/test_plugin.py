"""The plugin in Airflow's api-server: mounted, listed in the UI's navigation, guarded."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def api_server(ro_seeded, auth_manager) -> Iterator[TestClient]:
    """A root app wired the way Airflow's `create_app` wires plugins, auth and middlewares.

    (The full `create_app` takes 10-30 s; the slow browser test runs the real api-server.)
    """
    from airflow.api_fastapi.app import init_auth_manager, init_plugins
    from airflow.api_fastapi.core_api.app import init_middlewares
    from fastapi import FastAPI

    engine, _ = ro_seeded
    root = FastAPI()
    init_plugins(root)
    init_auth_manager(root)
    init_middlewares(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITIZEN_DESK_DB_URL", engine.url.render_as_string(hide_password=False))
        with TestClient(root, follow_redirects=False) as client:
            yield client


@pytest.mark.airflow
def test_plugin_is_loaded_with_a_nav_entry():
    from airflow import plugins_manager
    from airflow.api_fastapi.core_api.datamodels.plugins import PluginResponse

    assert not any("citizen_desk" in path for path in plugins_manager.get_import_errors())
    info = next(p for p in plugins_manager.get_plugin_info() if p["name"] == "citizen_desk")
    plugin = PluginResponse.model_validate(info)  # what GET /api/v2/plugins returns to the UI
    assert plugin.fastapi_apps[0].url_prefix == "/citizen-desk"
    [view] = plugin.external_views
    assert view.url_route == "citizen-desk"  # rendered in an iframe at /plugin/citizen-desk
    assert view.href == "/citizen-desk/"
    assert view.destination == "nav"
    assert view.nav_top_level is True


def test_mounted_app_requires_the_airflow_login(api_server):
    response = api_server.get("/citizen-desk/tips?unit=TH", headers=HTML)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == ["/citizen-desk/tips?unit=TH"]
    assert api_server.get("/citizen-desk/api/overview").status_code == 401


def test_mounted_app_serves_logged_in_users(api_server, make_token):
    api_server.cookies.set("_token", make_token("officer", "user"))
    try:
        response = api_server.get("/citizen-desk/", headers=HTML)
        assert response.status_code == 200
        assert "Tổng quan theo đơn vị" in response.text
        assert 'href="/citizen-desk/sla"' in response.text  # links carry the mount prefix
        assert 'href="/citizen-desk/static/app.css"' in response.text
        assert api_server.get("/citizen-desk/static/app.css").status_code == 200
    finally:
        api_server.cookies.clear()
