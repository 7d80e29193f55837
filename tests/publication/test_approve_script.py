"""`scripts/approve_publication.py` against a recorded stand-in of the Airflow REST API.

(The real endpoint is exercised in test_dag.py through the core API app.)
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from tests.conftest import REPO

RUN = "scheduled__2026-11-23T00:00:00+00:00"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_approve_script", REPO / "scripts" / "approve_publication.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Response:
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status_code, self._body, self.text = status, body, str(body)

    def json(self) -> dict[str, Any]:
        return self._body


class FakeApi:
    """Two pending requests (map index 0 and 1); records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any, dict[str, str]]] = []

    def post(self, url: str, json: Any = None, headers: Any = None) -> Response:
        self.calls.append(("POST", url, json, headers or {}))
        if json["password"] != "pw":
            return Response(401, {"detail": "Invalid credentials"})
        return Response(201, {"access_token": "jwt-123"})

    def get(self, url: str, params: Any = None, headers: Any = None) -> Response:
        self.calls.append(("GET", url, params, headers or {}))
        details = [
            {"task_instance": {"map_index": i}, "body": f"**X** · trang Facebook `{key}` · …"}
            for i, key in enumerate(["fb-th", "fb-th-ns"])
        ]
        return Response(200, {"hitl_details": list(reversed(details)), "total_entries": 2})

    def patch(self, url: str, json: Any = None, headers: Any = None) -> Response:
        self.calls.append(("PATCH", url, json, headers or {}))
        return Response(200, {"chosen_options": json["chosen_options"]})


def test_approves_every_pending_request_with_a_token() -> None:
    script, api = _script(), FakeApi()
    answered = script.approve_run(
        api, "http://airflow:8080/", run_id=RUN, approve=True, username="admin", password="pw"
    )
    assert answered == ["0:fb-th", "1:fb-th-ns"]
    token, listing, *patches = api.calls
    assert token[:2] == ("POST", "http://airflow:8080/auth/token")
    assert listing[1] == (
        "http://airflow:8080/api/v2/dags/publish_weekly_results/dagRuns/"
        "scheduled__2026-11-23T00%3A00%3A00%2B00%3A00/hitlDetails"
    )
    assert listing[2]["task_id"] == "approve"
    assert listing[2]["response_received"] == "false"
    assert [p[1].rsplit("/", 3)[1:] for p in patches] == [
        ["approve", "0", "hitlDetails"],
        ["approve", "1", "hitlDetails"],
    ]
    assert all(p[2] == {"chosen_options": ["Duyệt đăng"]} for p in patches)
    assert all(p[3]["Authorization"] == "Bearer jwt-123" for p in patches)


def test_rejects_one_channel_and_never_sends_text() -> None:
    script, api = _script(), FakeApi()
    assert script.approve_run(api, "", run_id=RUN, approve=False, channels=["fb-th-ns"]) == [
        "1:fb-th-ns"
    ]
    assert api.calls[-1][2] == {"chosen_options": ["Không đăng"]}
    assert "Authorization" not in api.calls[-1][3]
    script.approve_run(api, "", run_id=RUN, approve=True, channels=["fb-th"])
    assert api.calls[-1][2] == {"chosen_options": ["Duyệt đăng"]}  # edits: the Citizen Desk page
    with pytest.raises(TypeError):
        script.approve_run(api, "", run_id=RUN, approve=True, edited_text="Mới")


def test_bad_credentials_and_arguments() -> None:
    script = _script()
    with pytest.raises(SystemExit, match="HTTP 401"):
        script.approve_run(FakeApi(), "", run_id=RUN, approve=True, username="a", password="x")
    with pytest.raises(SystemExit):
        script.main(["--run-id", RUN, "--approve", "--reject"])
    with pytest.raises(SystemExit):  # no text goes through Airflow any more
        script.main(["--run-id", RUN, "--approve", "--text-file", "x.txt"])


def test_a_busy_api_server_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script()
    monkeypatch.setattr(script.time, "sleep", lambda _seconds: None)

    class Busy(FakeApi):
        def __init__(self, answers: list[int]) -> None:
            super().__init__()
            self.answers = answers

        def patch(self, url: str, json: Any = None, headers: Any = None) -> Response:
            self.calls.append(("PATCH", url, json, headers or {}))
            return Response(self.answers.pop(0), {"chosen_options": json["chosen_options"]})

    api = Busy([500, 500, 200])
    answer = script.respond(api, "http://af", {}, "publish_weekly_results", "r1", 3, approve=True)
    assert answer["chosen_options"] == [script.APPROVE]
    assert [c[0] for c in api.calls] == ["PATCH"] * 3
    landed = Busy([500, 409])  # the first answer was stored although the server said 500
    answer = script.respond(
        landed, "http://af", {}, "publish_weekly_results", "r1", 3, approve=True
    )
    assert answer == {"already_answered": True, "map_index": 3}
    with pytest.raises(SystemExit, match="HTTP 500"):
        script.respond(Busy([500] * 5), "http://af", {}, "d", "r", 0, approve=False)


def test_a_request_is_answered_only_once_it_has_settled() -> None:
    from datetime import UTC, datetime, timedelta

    script = _script()
    made = datetime(2026, 11, 30, 0, 0, 5, tzinfo=UTC)
    now = [made + timedelta(seconds=1)]
    slept: list[float] = []

    class Fresh(FakeApi):
        def get(self, url: str, params: Any = None, headers: Any = None) -> Response:
            response = super().get(url, params, headers)
            for detail in response.json()["hitl_details"]:
                detail["created_at"] = made.isoformat().replace("+00:00", "Z")
            return response

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    api = Fresh()
    answered = script.approve_run(
        api, "", run_id=RUN, approve=True, settle=15, poll=5, sleep=sleep, clock=lambda: now[0]
    )
    assert answered == ["0:fb-th", "1:fb-th-ns"]
    assert slept == [5, 5, 4]  # waited until the requests were 15 s old, then answered
    assert [c[0] for c in api.calls] == ["GET"] * 4 + ["PATCH"] * 2
    assert script.age_seconds({}, now[0]) == float("inf")  # no created_at: an older API
