"""Channel connections loaded into Airflow's metadata DB in bulk (`pipeline.connections`).

The fake api-server checks each request with Airflow 3.3's own `BulkBody[ConnectionBody]` and
answers a refused body as FastAPI does (a 422 whose `detail` echoes the input), so a body Airflow
would refuse fails here, and a refusal's message is checked for the values it must not carry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.errors import ConfigError
from citizen_desk.pipeline.connections import (
    ConnectionsApiError,
    apply_connections,
    connection_body,
    read_connections_file,
)
from citizen_desk.pipeline.pools import ApiAccess, PoolsApi

pytestmark = pytest.mark.airflow  # Airflow's own request models

USER, PASSWORD = "admin", "s3cret-pass"
TOKEN = "EAAB-page-token-0912345678"


class FakeResponse:
    def __init__(self, status: int, payload: Any) -> None:
        self.status_code = status
        self._payload = payload
        self.text = json.dumps(payload)

    def json(self) -> Any:
        return self._payload


class FakeAirflow:
    """The bulk connections endpoint over a dict, with Airflow's request model."""

    def __init__(self) -> None:
        self.connections: dict[str, dict] = {}
        self.bulk_requests = 0

    def post(self, url: str, json: Any = None, timeout: float = 0) -> FakeResponse:
        assert url.endswith("/auth/token")
        assert json == {"username": USER, "password": PASSWORD}
        return FakeResponse(201, {"access_token": "jwt"})

    def request(self, method: str, url: str, json: Any = None, **_: Any) -> FakeResponse:
        from airflow.api_fastapi.core_api.datamodels.common import BulkBody
        from airflow.api_fastapi.core_api.datamodels.connections import ConnectionBody
        from pydantic import ValidationError

        assert (method, url.rsplit("/api/v2", 1)[1]) == ("PATCH", "/connections")
        self.bulk_requests += 1
        try:
            body = BulkBody[ConnectionBody].model_validate(json)
        except ValidationError as exc:  # FastAPI's 422 carries each error's input
            return FakeResponse(422, {"detail": exc.errors(include_url=False)})
        success = []
        for action in body.actions:
            assert (action.action.value, action.action_on_existence.value) == (
                "create",
                "overwrite",
            )
            for entity in action.entities:
                self.connections[entity.connection_id] = entity.model_dump(by_alias=True)
                success.append(entity.connection_id)
        return FakeResponse(200, {"create": {"success": success, "errors": []}})


def _api(fake: FakeAirflow) -> PoolsApi:
    return PoolsApi(ApiAccess("http://airflow.test", USER, PASSWORD), session=fake)  # type: ignore[arg-type]


def _page(n: int) -> dict:
    return {
        "conn_type": "http",
        "password": f"{TOKEN}-{n}",
        "extra": {"base_url": "http://sim/", "graph_version": "v25.0"},
    }


def test_thousands_of_connections_go_in_chunks_and_a_second_load_overwrites(tmp_path) -> None:
    fake = FakeAirflow()
    bodies = [connection_body(f"fb_th_{n}", _page(n)) for n in range(1201)]
    result = apply_connections(_api(fake), bodies, chunk=500)
    assert result == {"loaded": 1201, "refused": [], "errors": []}
    assert fake.bulk_requests == 3
    stored = fake.connections["fb_th_42"]
    assert stored["conn_id"] == "fb_th_42"
    assert stored["password"] == f"{TOKEN}-42"
    assert json.loads(stored["extra"]) == {"base_url": "http://sim/", "graph_version": "v25.0"}
    # a token rotated, a field dropped: the overwrite carries every field, so nothing stale stays
    changed = {"conn_type": "http", "password": "new-token", "host": None}
    assert apply_connections(_api(fake), [connection_body("fb_th_42", changed)])["loaded"] == 1
    assert fake.connections["fb_th_42"]["password"] == "new-token"
    assert fake.connections["fb_th_42"]["extra"] is None


def test_a_refused_chunk_names_ids_and_fields_never_values() -> None:
    fake = FakeAirflow()
    body = connection_body("fb_th_1", _page(1))
    body["port"] = TOKEN  # Airflow refuses it; FastAPI's 422 echoes the whole input
    with pytest.raises(ConnectionsApiError) as caught:
        apply_connections(_api(fake), [body])
    message = str(caught.value)
    assert "422" in message
    assert "fb_th_1" in message
    assert "port" in message
    assert TOKEN not in message


def test_the_file_is_airflows_export_format(tmp_path: Path) -> None:
    path = tmp_path / "connections.json"
    path.write_text(
        json.dumps(
            {
                "zl_th": {
                    "conn_type": "http",
                    "login": "app-1",
                    "password": "secret-1",
                    "extra": '{"refresh_token": "r-1"}',  # as `airflow connections export`
                    "port": None,
                },
                "fb_th": _page(7),
            }
        ),
        encoding="utf-8",
    )
    bodies = {body["connection_id"]: body for body in read_connections_file(path)}
    assert bodies["zl_th"]["login"] == "app-1"
    assert json.loads(bodies["zl_th"]["extra"]) == {"refresh_token": "r-1"}
    assert bodies["fb_th"]["host"] is None


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"fb th": _page(1)}, "fb th"),
        ({"fb_th": {"password": TOKEN}}, "fb_th.conn_type"),
        ({"fb_th": {"conn_type": "http", "passwd": TOKEN}}, "fb_th.passwd"),
        ({"fb_th": {"conn_type": "http", "password": 912345678}}, "fb_th.password"),
        ({"fb_th": {"conn_type": "http", "port": "80"}}, "fb_th.port"),
        ({"fb_th": {"conn_type": "http", "extra": f"{{{TOKEN}"}}, "fb_th.extra"),
        ({"fb_th": {"conn_type": "http", "extra": [TOKEN]}}, "fb_th.extra"),
        ([TOKEN], "-"),
    ],
)
def test_a_bad_file_fails_naming_the_file_and_key_not_the_value(
    tmp_path: Path, document: Any, key: str
) -> None:
    path = tmp_path / "conns.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_connections_file(path)
    assert str(path) in str(caught.value)
    assert key in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert "912345678" not in str(caught.value)


def test_text_that_is_not_json_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "conns.json"
    path.write_text('{"fb_th": {"conn_type": "http", "password": "' + TOKEN, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_connections_file(path)
    assert "line 1" in str(caught.value)
    assert TOKEN not in str(caught.value)
    with pytest.raises(ConfigError, match="file not found"):
        read_connections_file(tmp_path / "absent.json")


@given(
    conn_id=st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True),
    password=st.text(max_size=40),
    extra=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    port=st.none() | st.integers(1, 65535),
)
def test_every_body_we_build_is_one_airflow_accepts(
    conn_id: str, password: str, extra: dict, port: int | None
) -> None:
    from airflow.api_fastapi.core_api.datamodels.connections import ConnectionBody

    body = connection_body(
        conn_id, {"conn_type": "http", "password": password, "extra": extra, "port": port}
    )
    parsed = ConnectionBody.model_validate(body)
    assert parsed.password == password
    assert parsed.port == port
    assert json.loads(parsed.extra or "{}") == extra


def test_a_401_logs_in_again_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAirflow()
    answers = iter([FakeResponse(401, {"detail": "expired"})])
    original = fake.request

    def request(method: str, url: str, **kwargs: Any) -> Any:
        return next(answers, None) or original(method, url, **kwargs)

    monkeypatch.setattr(fake, "request", request)
    result = apply_connections(_api(fake), [connection_body("fb_th", _page(1))])
    assert result["loaded"] == 1
