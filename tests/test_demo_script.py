"""`scripts/demo.sh start`: what it says while Airflow starts (`scripts/demo_ready.py`)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from typing import Any

import pytest
import requests

from tests.conftest import REPO

DAGS = ["check_reply_sla", "citizen_desk_setup", "collect_citizen_messages"]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("_demo_ready", REPO / "scripts" / "demo_ready.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_ready = _script()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeAirflow:
    """Healthy from `up_at`; DAG i is serialized from `serialized_at[i]` (None: never)."""

    base_url = "http://localhost:8080"

    def __init__(self, clock: Clock, up_at: float, serialized_at: list[float | None]) -> None:
        self.clock, self.up_at, self.serialized_at = clock, up_at, serialized_at
        self.calls: list[tuple[float, str, str]] = []
        self.flaky = 1  # the first DAG listing fails like a busy api-server

    def healthy(self) -> bool:
        return self.clock.now >= self.up_at

    def ensure_pool(self, name: str, slots: int, description: str) -> None:
        self.calls.append((self.clock.now, "pool", name))

    def dag_ids(self) -> list[str]:
        if self.flaky:
            self.flaky -= 1
            raise requests.ConnectionError("busy")
        return [
            d for d, t in zip(DAGS, self.serialized_at, strict=True) if t and t <= self.clock.now
        ]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        assert paused is False
        self.calls.append((self.clock.now, "unpause", dag_id))


def _run(airflow: FakeAirflow, clock: Clock, alive: Any = lambda: True) -> tuple[Any, list[str]]:
    lines: list[str] = []
    progress = demo_ready.Progress(alive, clock=clock, sleep=clock.sleep, out=lines.append)
    return demo_ready.make_ready(airflow, DAGS, progress, timeout=60), lines


def test_says_what_it_waits_for_every_five_seconds_then_unpauses_every_dag() -> None:
    clock = Clock()
    airflow = FakeAirflow(clock, up_at=12, serialized_at=[20, 31, 20])
    never, lines = _run(airflow, clock)
    assert never == []
    waiting = [line for line in lines if "waiting for" in line]
    assert waiting[:2] == [
        "  [  5 s] waiting for the api-server (http://localhost:8080/api/v2/monitor/health)",
        "  [ 10 s] waiting for the api-server (http://localhost:8080/api/v2/monitor/health)",
    ]
    assert "  [ 12 s] api-server is up" in lines
    assert "  [ 12 s] pools facebook_api (4), zalo_api (2)" in lines
    assert any(
        "2/3 (still missing: citizen_desk_setup)" in line and "[ 2" in line for line in waiting
    )
    assert [name for _, kind, name in airflow.calls if kind == "unpause"] == DAGS
    pools_done = max(t for t, kind, _ in airflow.calls if kind == "pool")
    assert all(t >= pools_done for t, kind, _ in airflow.calls if kind == "unpause")
    assert lines[-1] == "  [ 31 s] unpaused collect_citizen_messages"


def _registry_with(tmp_path, collection) -> str:
    import yaml

    from tests.conftest import REGISTRY_PATH

    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    raw["collection"] = collection
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_the_pools_are_the_registrys_budgets(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(
        "CITIZEN_DESK_REGISTRY",
        _registry_with(tmp_path, {"facebook_concurrency": 8, "zalo_concurrency": 3}),
    )
    clock = Clock()
    airflow = FakeAirflow(clock, up_at=0, serialized_at=[1, 1, 1])
    _, lines = _run(airflow, clock)
    assert "  [  0 s] pools facebook_api (8), zalo_api (3)" in lines


def test_a_broken_registry_stops_before_airflow_is_asked(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", _registry_with(tmp_path, {"batch_size": 0}))
    argv = ["--url", "http://127.0.0.1:1", "--username", "u", "--password", "p", "--pgid", "1"]
    assert demo_ready.main([*argv, "--log", str(tmp_path / "airflow.log"), "dag"]) == 1
    assert "collection.batch_size: expected a positive integer" in capsys.readouterr().err


def test_a_dag_never_serialized_stays_paused_and_is_named() -> None:
    clock = Clock()
    airflow = FakeAirflow(clock, up_at=3, serialized_at=[8, None, 8])
    never, _ = _run(airflow, clock)
    assert never == ["citizen_desk_setup"]
    unpaused = [name for _, kind, name in airflow.calls if kind == "unpause"]
    assert unpaused == ["check_reply_sla", "collect_citizen_messages"]
    assert clock.now >= 60


def test_airflow_exiting_stops_the_wait() -> None:
    clock = Clock()
    airflow = FakeAirflow(clock, up_at=1000, serialized_at=[1, 1, 1])
    with pytest.raises(demo_ready.AirflowExited):
        _run(airflow, clock, alive=lambda: clock.now < 7)
    assert clock.now < 10


def test_an_api_server_that_never_answers_times_out() -> None:
    clock = Clock()
    airflow = FakeAirflow(clock, up_at=1000, serialized_at=[1, 1, 1])
    with pytest.raises(TimeoutError, match="did not answer within 60 s"):
        _run(airflow, clock)
    assert airflow.calls == []


def test_demo_sh_parses_and_passes_shellcheck() -> None:
    subprocess.run(["bash", "-n", str(REPO / "scripts" / "demo.sh")], check=True)
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed")
    subprocess.run(["shellcheck", str(REPO / "scripts" / "demo.sh")], check=True)
