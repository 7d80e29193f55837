"""The bench's `scale` section without Airflow: its world, its connection path, its CPU accounting,
its size options and its report. The real-Airflow run itself is `python -m bench.run --only
scale` (minutes per size): `CITIZEN_DESK_TEST_SCALE_AIRFLOW=1` also runs it here at 4 channels
(no timing assertions)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import run as bench_run
from bench import scale
from bench.common import Env
from bench.report import render_report, summary_rows
from citizen_desk.config.registry import load_registry


@pytest.mark.parametrize("channels", [4, 18, 330])
def test_the_world_is_the_national_one_cut_to_size(channels: int, tmp_path: Path) -> None:
    registry_path, traffic_path, info = scale.national_cut(channels, 42, tmp_path)
    registry = load_registry(registry_path)
    assert len(registry.channels) == channels == info["channels"]
    assert info["facebook"] + info["zalo"] == channels
    owners = {c.unit for c in registry.channels}
    provinces = {u.code for u in registry.units if u.kind == "province"}
    assert {u.code for u in registry.units} == owners | provinces  # no unit without a channel
    traffic = json.loads(traffic_path.read_text(encoding="utf-8"))
    assert set(traffic) == {c.key for c in registry.channels}
    assert registry.channels[0].key == "fb-thanhhoa"  # Thanh Hóa's page first


def test_above_the_api_limit_connections_go_to_the_environment(tmp_path: Path) -> None:
    registry_path, _, _ = scale.national_cut(6, 42, tmp_path)
    env = scale.channel_connection_env("http://127.0.0.1:1", registry_path)
    registry = load_registry(registry_path)
    assert set(env) == {f"AIRFLOW_CONN_{c.connection_id.upper()}" for c in registry.channels}
    for value in env.values():
        assert json.loads(value)["conn_type"] == "http"


def test_cpu_accounting_reads_a_live_process_tree() -> None:
    cpu = scale.cpu_seconds(os.getpid())
    assert cpu["tree"] > 0  # this test process has run code
    assert cpu["scheduler"] == 0  # and is no Airflow scheduler
    assert cpu["scheduler_processes"] == 0
    assert scale.cpu_seconds(2**22 + 12345)["tree"] == 0.0  # no such pid


def test_scale_is_opt_in_and_sized_from_the_command_line() -> None:
    assert "scale" in bench_run.OPT_IN
    assert bench_run._size("scale", False, None, [7, 9]).channels == (7, 9)
    assert bench_run._size("scale", False, None).channels == scale.FULL.channels
    default = bench_run._size("scale", False, None)
    assert (default.topology, default.connections) == ("local", "auto")
    size = bench_run._size("scale", False, None, [6570], "celery", "secrets")
    assert (size.channels, size.topology, size.connections) == ((6570,), "celery", "secrets")


def test_the_topology_and_connection_options_are_parsed_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[scale.Size] = []

    def fake_run(size: scale.Size, _env: Env) -> dict[str, object]:
        seen.append(size)
        return {"days": size.days, "topology": size.topology, "sizes": []}

    benchmarks = {**bench_run.BENCHMARKS, "scale": (fake_run, scale.FULL, scale.QUICK)}
    monkeypatch.setattr(bench_run, "BENCHMARKS", benchmarks)
    monkeypatch.setattr(bench_run, "machine", lambda _pg: {})
    argv = ["--only", "scale", "--scale-channels", "12", "--scale-topology", "celery"]
    argv += ["--scale-connections", "secrets", "--scale-timeout", "7200"]
    argv += ["--out", str(tmp_path), "--no-pg"]
    assert bench_run.main(argv) == 0
    (size,) = seen
    assert (size.channels, size.topology, size.connections) == ((12,), "celery", "secrets")
    assert size.run_timeout == 7200
    for bad in (["--scale-topology", "kubernetes"], ["--scale-connections", "vault"]):
        with pytest.raises(SystemExit):
            bench_run.main(["--only", "scale", *bad, "--out", str(tmp_path)])


def test_connections_come_from_the_secrets_backend_above_the_api_limit() -> None:
    limit = scale.API_CONNECTIONS_LIMIT
    assert scale.connection_mode("auto", limit) == "api"
    assert scale.connection_mode("auto", limit + 1) == "secrets"
    assert scale.connection_mode("env", 6570) == "env"
    assert scale.connection_mode("api", 6570) == "api"
    with pytest.raises(ValueError, match="connections"):
        scale.connection_mode("vault", 10)


@pytest.mark.parametrize("topology", ["local", "celery"])
def test_the_scale_topology_is_the_e2e_one_with_a_vault(topology: str, tmp_path: Path) -> None:
    """The e2e topology class itself (no copy) behind `ScaleMixin`; with `secrets` every channel's
    connection is a file of the backend, which every Airflow process is configured to use."""
    from e2e.secrets_backend import BACKEND, DirectorySecretsBackend
    from e2e.topology import CeleryTopology, LocalTopology

    registry_path, traffic_path, _ = scale.national_cut(6, 42, tmp_path)
    world = scale.ScaleWorld(registry_path, traffic_path, 1, "secrets")
    topo = scale._scale_topology(world, topology, 6)
    try:
        base = {"local": LocalTopology, "celery": CeleryTopology}[topology]
        assert isinstance(topo, base)
        assert isinstance(topo, scale.ScaleMixin)
        assert topo.connections == "secrets"
        assert topo.registry_path.read_bytes() == registry_path.read_bytes()
        assert topo.env["AIRFLOW__SECRETS__BACKEND"] == BACKEND
        kwargs = json.loads(topo.env["AIRFLOW__SECRETS__BACKEND_KWARGS"])
        assert "devtools" in topo.env["PYTHONPATH"]
        assert "include" in topo.env["PYTHONPATH"]
        assert topo.env["CITIZEN_DESK_COLLECT_SCHEDULE"] == scale.NO_SCHEDULE
        backend = DirectorySecretsBackend(**kwargs)
        registry = load_registry(registry_path)
        for channel in registry.channels:  # the same connection ids as the REST path
            conn = backend.get_connection(channel.connection_id)
            assert conn is not None
            assert conn.password
        assert not any(key.startswith("AIRFLOW_CONN_FB") for key in topo.env)
    finally:
        topo.cleanup()
    with pytest.raises(ValueError, match="topology"):
        scale._scale_topology(world, "kubernetes", 6)


def test_the_report_shows_each_size_and_the_national_command() -> None:
    item = {
        "channels": 18,
        "facebook": 10,
        "zalo": 8,
        "connections": "api",
        "connection_load_seconds": 1.0,
        "run_seconds": 30.0,
        "trigger_to_end_seconds": 33.0,
        "scheduler_cpu_seconds": 4.0,
        "tree_cpu_seconds": 40.0,
        "task_instances": 5,
        "task_states": {"success": 5},
        "run_state": "success",
        "load_avg_before": [1, 1, 1],
        "load_avg_after": [2, 2, 2],
    }
    result = {"days": 1, "sizes": [item]}
    text = render_report({"benchmarks": {"scale": result}, "machine": {}, "run": {}})
    assert "| local | 18 (10/8) | api (1.0 s) | 30.0 | 33.0 | 4.0 (None) | 40.0 |" in text
    assert "--scale-topology celery --scale-channels 6570" in text
    assert "| not checked |" in text  # a run recorded before the check existed
    item["messages"] = {"world": 1354, "stored": 1354, "problems": []}
    text = render_report({"benchmarks": {"scale": result}, "machine": {}, "run": {}})
    assert "| 1,354 / 1,354 (each once) |" in text
    item["messages"] = {"world": 1354, "stored": 1353, "problems": ["1 world messages not stored"]}
    text = render_report({"benchmarks": {"scale": result}, "machine": {}, "run": {}})
    assert "| 1,353 / 1,354 (1 world messages not stored) |" in text
    rows = summary_rows({"benchmarks": {"scale": result}})
    assert any("18 channels" in figure for figure, _, _ in rows)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("CITIZEN_DESK_TEST_SCALE_AIRFLOW"),
    reason="starts airflow standalone (minutes): set CITIZEN_DESK_TEST_SCALE_AIRFLOW=1",
)
def test_a_small_collection_runs_through_the_real_airflow(tmp_path: Path) -> None:
    env = Env(workdir=tmp_path, pg_url=None, log=lambda _text: None)
    result = scale.run(scale.QUICK, env)
    (item,) = result["sizes"]
    assert item["run_state"] == "success"
    assert item["task_states"].get("failed", 0) == 0
    assert item["scheduler_processes"] >= 1  # the scheduler was found in the standalone tree
    assert item["scheduler_cpu_seconds"] > 0
    assert item["messages"]["problems"] == []  # every world message stored exactly once
    assert item["messages"]["stored"] == item["messages"]["world"] > 0


def test_the_run_time_is_the_runs_start_to_end_in_seconds() -> None:
    """The run's wall figure is a number (a same-named formatting helper once shadowed it, and
    the whole run record landed in the report's `run s` column)."""
    run = {"start_date": "2026-12-07T18:56:22.095471Z", "end_date": "2026-12-07T19:01:08.056662Z"}
    assert scale._run_seconds(run) == 286.0
    assert scale._run_seconds({"start_date": None}) is None


def test_a_size_fails_its_message_check_when_a_message_is_missing_doubled_or_unread() -> None:
    assert scale.missing_or_doubled({"world": 3, "stored": 3, "problems": []}) == []
    assert scale.missing_or_doubled({"world": 3, "stored": 2, "problems": []}) == [
        "2 stored, 3 expected"
    ]
    doubled = {"world": 3, "stored": 3, "problems": ["stored 2x: ('fb', 'm1')"]}
    assert scale.missing_or_doubled(doubled) == ["stored 2x: ('fb', 'm1')"]
    assert scale.missing_or_doubled({"error": "ConnectionError: refused"}) == [
        "not read: ConnectionError: refused"
    ]
