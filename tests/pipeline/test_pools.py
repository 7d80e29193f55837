"""Airflow's pools made to match the registry through the REST API (`citizen_desk.pipeline.pools`).

The fake api-server below checks every body with Airflow 3.3's own request models and applies a
PATCH with Airflow's own `update_orm_from_pydantic` (which answers 422 to a PATCH without
`include_deferred`), so a body Airflow would refuse fails here too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from citizen_desk.config.collection import pools_for
from citizen_desk.errors import ConfigError
from citizen_desk.pipeline.pools import (
    CONN_ID,
    ApiAccess,
    PoolsApi,
    PoolsApiError,
    admin_commands,
    api_access,
    apply_pools,
    base_url,
    pool_body,
    sync_pools,
)

pytestmark = pytest.mark.airflow  # Airflow's own pydantic models and service code

USER, PASSWORD = "admin", "s3cret-pass"
WANTED = {
    "facebook_api": (4, "Concurrent Graph API collections"),
    "zalo_api": (2, "Concurrent Zalo OA collections"),
}


class FakeAirflow:
    """State of the fake api-server: pools (Airflow `Pool` objects), the requests it got."""

    def __init__(self) -> None:
        self.pools: dict[str, Any] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.tokens = 0
        self.expire_next = False  # answer the next API call 401, as an expired JWT

    def add(self, name: str, slots: int, description: str, include_deferred: bool) -> None:
        from airflow.models.pool import Pool

        self.pools[name] = Pool(
            pool=name, slots=slots, description=description, include_deferred=include_deferred
        )

    def answer(self, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        from airflow.api_fastapi.core_api.datamodels.pools import PoolBody, PoolPatchBody
        from airflow.api_fastapi.core_api.services.public.pools import update_orm_from_pydantic
        from airflow.models.pool import Pool
        from fastapi.exceptions import RequestValidationError
        from pydantic import ValidationError

        self.requests.append((method, path, body))
        if path == "/auth/token":
            if method != "POST" or body != {"username": USER, "password": PASSWORD}:
                return 401, {"detail": "Invalid credentials"}
            self.tokens += 1
            return 201, {"access_token": f"jwt-{self.tokens}"}
        if headers.get("Authorization") != f"Bearer jwt-{self.tokens}" or self.expire_next:
            self.expire_next = False
            return 401, {"detail": "Invalid JWT"}
        name = path.removeprefix("/api/v2/pools").lstrip("/")
        try:
            if method == "POST" and not name:
                pool = Pool(**PoolBody.model_validate(body).model_dump())
                if pool.pool in self.pools:
                    return 409, {"detail": "Unique constraint violation"}
                self.pools[pool.pool] = pool
                return 201, self.view(pool)
            if name not in self.pools:
                return 404, {"detail": f"The Pool with name: `{name}` was not found"}
            if method == "GET":
                return 200, self.view(self.pools[name])
            if method == "PATCH":
                patch = PoolPatchBody.model_validate(body)
                if patch.name and patch.name != name:
                    return 400, {"detail": "pool name from request body doesn't match uri"}
                return 200, self.view(update_orm_from_pydantic(self.pools[name], patch, None))
        except (ValidationError, RequestValidationError) as exc:
            return 422, {"detail": str(exc)}
        return 405, {"detail": "Method Not Allowed"}

    @staticmethod
    def view(pool: Any) -> dict[str, Any]:
        return {
            "name": pool.pool,
            "slots": pool.slots,
            "description": pool.description,
            "include_deferred": pool.include_deferred,
            "occupied_slots": 0,
            "team_name": None,
        }


@pytest.fixture
def airflow_api() -> Iterator[tuple[FakeAirflow, str]]:
    fake = FakeAirflow()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = fake.answer(self.command, self.path, self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _api(url: str, password: str = PASSWORD) -> PoolsApi:
    session = requests.Session()
    session.trust_env = False  # never through a proxy to 127.0.0.1
    return PoolsApi(ApiAccess(url, USER, password), session)


def test_missing_pools_are_created_with_airflows_post_body(airflow_api) -> None:
    fake, url = airflow_api
    changes = sync_pools(_api(url), WANTED)
    assert [(c.name, c.slots, c.action) for c in changes] == [
        ("facebook_api", 4, "created"),
        ("zalo_api", 2, "created"),
    ]
    posts = [body for method, path, body in fake.requests if method == "POST" and "pools" in path]
    assert posts == [
        {
            "name": "facebook_api",
            "slots": 4,
            "description": "Concurrent Graph API collections",
            "include_deferred": False,
        },
        {
            "name": "zalo_api",
            "slots": 2,
            "description": "Concurrent Zalo OA collections",
            "include_deferred": False,
        },
    ]
    assert fake.tokens == 1  # one login for the whole sync
    assert {name: pool.slots for name, pool in fake.pools.items()} == {
        "facebook_api": 4,
        "zalo_api": 2,
    }


def test_a_changed_budget_is_patched_keeping_the_pools_include_deferred(airflow_api) -> None:
    fake, url = airflow_api
    fake.add("facebook_api", 4, "Concurrent Graph API collections", include_deferred=True)
    fake.add("zalo_api", 2, "Concurrent Zalo OA collections", include_deferred=False)
    wanted = {**WANTED, "facebook_api": (12, WANTED["facebook_api"][1])}
    changes = sync_pools(_api(url), wanted)
    assert [(c.name, c.action, c.before) for c in changes] == [
        ("facebook_api", "updated", 4),
        ("zalo_api", "unchanged", 2),
    ]
    patches = [(path, body) for method, path, body in fake.requests if method == "PATCH"]
    assert patches == [
        (
            "/api/v2/pools/facebook_api",
            {
                "name": "facebook_api",
                "slots": 12,
                "description": "Concurrent Graph API collections",
                "include_deferred": True,
            },
        )
    ]
    pool = fake.pools["facebook_api"]
    assert (pool.slots, pool.include_deferred) == (12, True)
    assert sync_pools(_api(url), wanted)[0].action == "unchanged"  # idempotent


def test_the_bodies_are_what_airflows_models_accept_and_a_patch_needs_every_field() -> None:
    from airflow.api_fastapi.core_api.datamodels.pools import PoolBody, PoolPatchBody
    from airflow.api_fastapi.core_api.services.public.pools import update_orm_from_pydantic
    from airflow.models.pool import Pool
    from fastapi.exceptions import RequestValidationError

    body = pool_body("zalo_api", 3, "Concurrent Zalo OA collections", True)
    required = {name for name, f in PoolBody.model_fields.items() if f.is_required()}
    assert {"pool" if key == "name" else key for key in body} >= required
    assert PoolBody.model_validate(body).model_dump()["pool"] == "zalo_api"
    # both models forbid unknown keys: every key of the body is one of theirs
    assert PoolPatchBody.model_validate(body).model_fields_set == set(body)
    pool = Pool(pool="zalo_api", slots=2, description="old", include_deferred=False)
    update_orm_from_pydantic(pool, PoolPatchBody.model_validate(body), None)
    assert (pool.slots, pool.description, pool.include_deferred) == (3, body["description"], True)
    partial = {key: value for key, value in body.items() if key != "include_deferred"}
    with pytest.raises(RequestValidationError, match="include_deferred"):
        update_orm_from_pydantic(pool, PoolPatchBody.model_validate(partial), None)


def test_an_expired_token_logs_in_again_once_and_a_bad_login_names_the_connection(
    airflow_api,
) -> None:
    fake, url = airflow_api
    api = _api(url)
    assert api.get_pool("facebook_api") is None
    fake.expire_next = True
    assert api.get_pool("facebook_api") is None
    assert fake.tokens == 2
    with pytest.raises(PoolsApiError, match=f"401 .*{CONN_ID}") as raised:
        sync_pools(_api(url, password="wrong"), WANTED)
    assert "wrong" not in str(raised.value)  # never the password


def test_without_the_connection_the_pools_and_commands_are_logged_and_nothing_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="citizen_desk.pipeline.pools"):
        result = apply_pools(WANTED, access=lambda: None)
    assert result == {
        "applied": False,
        "pools": {
            "facebook_api": {"slots": 4, "action": "unchecked"},
            "zalo_api": {"slots": 2, "action": "unchecked"},
        },
    }
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert f"connection {CONN_ID} is absent" in text
    assert "facebook_api (4), zalo_api (2)" in text
    assert "airflow pools set facebook_api 4 'Concurrent Graph API collections'" in text
    assert admin_commands(WANTED)[1] == (
        "airflow pools set zalo_api 2 'Concurrent Zalo OA collections'"
    )


def test_with_the_connection_the_pools_are_applied(airflow_api) -> None:
    fake, url = airflow_api
    fake.add("zalo_api", 5, "Concurrent Zalo OA collections", include_deferred=False)
    session = requests.Session()
    session.trust_env = False
    result = apply_pools(WANTED, access=lambda: ApiAccess(url, USER, PASSWORD), session=session)
    assert result == {
        "applied": True,
        "pools": {
            "facebook_api": {"slots": 4, "action": "created"},
            "zalo_api": {"slots": 2, "action": "updated", "before": 5},
        },
    }


def test_the_connection_gives_the_api_servers_url_and_login(monkeypatch) -> None:
    var = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    monkeypatch.delenv(var, raising=False)
    assert api_access() is None
    conn = {"conn_type": "http", "host": "airflow-apiserver", "port": 8080}
    monkeypatch.setenv(var, json.dumps({**conn, "login": USER, "password": PASSWORD}))
    access = api_access()
    assert access == ApiAccess("http://airflow-apiserver:8080", USER, PASSWORD)
    assert PASSWORD not in repr(access)
    monkeypatch.setenv(var, json.dumps({**conn, "login": USER}))
    with pytest.raises(ConfigError, match=f"airflow connection {CONN_ID}: password: missing"):
        api_access()


@pytest.mark.parametrize(
    ("host", "port", "schema", "url"),
    [
        ("localhost", 8080, None, "http://localhost:8080"),
        ("airflow.example.org", None, "https", "https://airflow.example.org"),
        ("https://airflow.example.org/", None, None, "https://airflow.example.org"),
        ("http://127.0.0.1", 8080, None, "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8081/airflow", 8080, None, "http://127.0.0.1:8081/airflow"),
    ],
)
def test_base_url_from_the_connections_fields(host, port, schema, url) -> None:
    assert base_url(host, port, schema) == url


def test_the_setup_task_applies_the_run_registrys_pools(
    sqlite_engine, small_registry, airflow_api, monkeypatch, caplog
) -> None:
    """`citizen_desk_setup.sync_pools`: the registry's budgets, through the connection."""
    import yaml

    from citizen_desk.config.registry import load_registry
    from citizen_desk.pipeline import tasks
    from citizen_desk.pipeline.context import RunContext
    from tests.conftest import NOW

    fake, url = airflow_api
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", sqlite_engine.url.render_as_string(False))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    raw = yaml.safe_load(small_registry.read_text(encoding="utf-8"))
    raw["collection"] = {"facebook_concurrency": 8, "zalo_concurrency": 3}
    small_registry.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    run = RunContext(now=NOW, label="citizen_desk_setup/manual-1", run_id="manual-1")
    var = f"AIRFLOW_CONN_{CONN_ID.upper()}"

    monkeypatch.delenv(var, raising=False)
    with caplog.at_level(logging.WARNING, logger="citizen_desk.pipeline.pools"):
        assert tasks.sync_pools(run)["applied"] is False
    assert "airflow pools set facebook_api 8 " in caplog.text
    assert fake.requests == []

    conn = {"conn_type": "http", "host": url, "login": USER, "password": PASSWORD}
    monkeypatch.setenv(var, json.dumps(conn))
    result = tasks.sync_pools(run)
    assert result["applied"] is True
    assert (
        {name: pool.slots for name, pool in fake.pools.items()}
        == {name: slots for name, (slots, _) in pools_for(load_registry(small_registry)).items()}
        == {"facebook_api": 8, "zalo_api": 3}
    )


def test_the_cli_prints_the_registrys_pools_and_batch_size(capsys, monkeypatch) -> None:
    from citizen_desk.cli import main
    from tests.conftest import REGISTRY_PATH

    monkeypatch.delenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", raising=False)
    assert main(["pools", "--registry", str(REGISTRY_PATH)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        f"{REGISTRY_PATH}: collection pools",
        "  facebook_api     4  Concurrent Graph API collections",
        "  zalo_api         2  Concurrent Zalo OA collections",
        "batch size: 1 channel(s) per mapped task (collection.batch_size)",
    ]
    assert "  airflow pools set zalo_api 2 'Concurrent Zalo OA collections'" in out
    monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", "50")
    assert main(["pools", "--registry", str(REGISTRY_PATH)]) == 0
    assert (
        "batch size: 50 channel(s) per mapped task (CITIZEN_DESK_COLLECT_BATCH_SIZE, over"
        " collection.batch_size 1)" in capsys.readouterr().out
    )


def test_the_cli_applies_through_the_connection_or_says_what_to_run(
    airflow_api, capsys, monkeypatch
) -> None:
    from citizen_desk.cli import main
    from tests.conftest import REGISTRY_PATH

    fake, url = airflow_api
    var = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv(var, raising=False)
    assert main(["pools", "--registry", str(REGISTRY_PATH), "--apply"]) == 1
    out = capsys.readouterr().out
    assert f"no connection {CONN_ID}: nothing applied" in out
    assert "airflow pools set facebook_api 4 " in out
    conn = {"conn_type": "http", "host": url, "login": USER, "password": PASSWORD}
    monkeypatch.setenv(var, json.dumps(conn))
    fake.add("facebook_api", 1, "Concurrent Graph API collections", include_deferred=False)
    assert main(["pools", "--registry", str(REGISTRY_PATH), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "facebook_api: updated, 4 slots (was 1)\nzalo_api: created, 2 slots\n" in out
    assert PASSWORD not in out


def test_the_commands_a_shell_runs_create_the_registrys_pools(tmp_path, capsys) -> None:
    """What docker-compose's airflow-init evaluates: `airflow pools set` with the registry's
    slots, the descriptions quoted (a fake `airflow` records its arguments)."""
    import subprocess

    from citizen_desk.cli import main
    from tests.conftest import REGISTRY_PATH

    assert main(["pools", "--registry", str(REGISTRY_PATH), "--commands"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines() == admin_commands(WANTED)
    fake = tmp_path / "airflow"
    fake.write_text('#!/bin/sh\nprintf "%s|" "$@" >> "$0.calls"; echo >> "$0.calls"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    subprocess.run(["bash", "-c", 'eval "$(cat)"'], input=printed, env=env, text=True, check=True)
    assert (tmp_path / "airflow.calls").read_text().splitlines() == [
        "pools|set|facebook_api|4|Concurrent Graph API collections|",
        "pools|set|zalo_api|2|Concurrent Zalo OA collections|",
    ]


def test_the_cli_prints_a_platforms_own_batch_size(capsys, monkeypatch, tmp_path) -> None:
    import yaml

    from citizen_desk.cli import main
    from tests.conftest import REGISTRY_PATH

    monkeypatch.delenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", raising=False)
    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    raw["collection"].update(batch_size=50, facebook_batch_size=200)
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["pools", "--registry", str(registry)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[3:5] == [
        "batch size: 50 channel(s) per mapped task (collection.batch_size)",
        "  facebook: 200 (collection.facebook_batch_size)",
    ]
