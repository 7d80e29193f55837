"""`citizen-desk doctor` end to end against the platform simulator: green on the demo world, red
with the reason for each broken case, and never a secret in the output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from citizen_desk.doctor import Check, Status
from citizen_desk.doctor.report import exit_code, render
from tests.collect.conftest import local_session, sync
from tests.conftest import World

SLACK_TOKEN = "xoxb-sim-citizen-desk"


@pytest.fixture
def doctor_env(
    world: World, sqlite_engine: Engine, small_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    sync(sqlite_engine, small_registry)
    slack = {"conn_type": "slack", "password": SLACK_TOKEN,
             "extra": {"base_url": f"{world.base_url}/api/"}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(slack))
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", sqlite_engine.url.render_as_string(False))

    def run(**kwargs: Any) -> tuple[list[Check], str]:
        from citizen_desk.config.registry import load_registry
        from citizen_desk.doctor.run import run_doctor

        result = run_doctor(
            load_registry(small_registry),
            engine=sqlite_engine,
            clock=world.clock,
            http=local_session(),
            **kwargs,
        )
        return result.checks, render(result.checks, result.secrets)

    return run


def status(checks: list[Check], channel: str, check: str) -> Check:
    return next(c for c in checks if c.channel == channel and c.check == check)


def secrets(world: World) -> list[str]:
    out = [SLACK_TOKEN, world.fernet_key]
    for channel in world.channels.values():
        if channel["platform"] == "facebook":
            out.append(world.sim.page_token(channel["platform_id"]))
        else:
            creds = world.sim.zalo_credentials(channel["platform_id"])
            out += [creds["secret_key"], creds["refresh_token"]]
    return out


@pytest.mark.parametrize("world", [1], indirect=True)
def test_green_on_the_demo_world(doctor_env, world) -> None:
    checks, table = doctor_env()
    assert [c for c in checks if c.status is not Status.OK] == []
    assert exit_code(checks) == 0
    keys = {c.channel for c in checks}
    assert keys == {*world.channels, "slack"}
    fb = next(k for k, c in world.channels.items() if c["platform"] == "facebook")
    zl = next(k for k, c in world.channels.items() if c["platform"] == "zalo")
    for check in ("connection", "graph version", "page token", "permissions"):
        assert status(checks, fb, check).status is Status.OK
    for check in ("connection", "stored token", "getoa"):
        assert status(checks, zl, check).status is Status.OK
    assert status(checks, "slack", "bot in C07NSDUTY01").status is Status.OK
    assert table.splitlines()[0].split() == ["channel", "check", "status", "what", "to", "fix"]
    assert table.splitlines()[-1].endswith("0 blocker(s)")
    # a second run finds the stored Zalo pair
    again, _ = doctor_env()
    assert status(again, zl, "stored token").fix.startswith("rotated ")


@pytest.mark.parametrize("world", [1], indirect=True)
def test_red_with_the_reason_for_each_broken_case(doctor_env, world, monkeypatch) -> None:
    fb1, fb2 = "fb-th-ns-ttns", "fb-th-ns-ngathuy"
    zl = "zalo-th-ns-ttns"
    for fault in (
        {"kind": "expired_token", "page": world.page_id(fb1)},
        {"kind": "missing_permission", "page": world.page_id(fb2), "permission": "pages_messaging"},
        {"kind": "missing_permission", "page": world.page_id(fb2),
         "permission": "pages_manage_posts"},
        {"kind": "expired_token", "oa": world.page_id(zl)},
        {"kind": "not_in_channel", "channel": "C07NSDUTY01"},
        {"kind": "missing_permission", "permission": "im:write"},
    ):  # fmt: skip
        world.sim.add_fault(fault)
    checks, table = doctor_env()
    assert exit_code(checks) == 1
    token = status(checks, fb1, "page token")
    assert token.status is Status.BLOCKER
    assert "190/463" in token.fix  # the connection to fix
    assert "fb_th_ns_ttns" in token.fix
    permissions = status(checks, fb2, "permissions")
    assert permissions.status is Status.BLOCKER
    assert "pages_messaging" in permissions.fix
    assert "App Review" in permissions.fix
    assert status(checks, fb2, "publishing permission").status is Status.WARNING
    getoa = status(checks, zl, "getoa")
    assert getoa.status is Status.BLOCKER
    assert "-220" in getoa.fix
    assert "re-authorize" in getoa.fix
    member = status(checks, "slack", "bot in C07NSDUTY01")
    assert member.status is Status.BLOCKER
    assert "/invite" in member.fix
    assert status(checks, "slack", "bot in C07THDUTY01").status is Status.OK
    scopes = status(checks, "slack", "scopes")
    assert scopes.status is Status.BLOCKER
    assert "im:write" in scopes.fix
    for secret in secrets(world):
        assert secret not in table
    assert "BLOCKER" in table


@pytest.mark.parametrize("world", [1], indirect=True)
def test_graph_version_ahead_of_and_past_end_of_life(doctor_env, world, monkeypatch) -> None:
    conn_id = world.channels["fb-th-ns-ttns"]["connection_id"].upper()
    conn = json.loads(__import__("os").environ[f"AIRFLOW_CONN_{conn_id}"])
    conn["extra"]["graph_version"] = "v21.0"  # ends 2027-01-21: 59 days after the world's now
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id}", json.dumps(conn))
    checks, _ = doctor_env()
    version = status(checks, "fb-th-ns-ttns", "graph version")
    assert version.status is Status.WARNING
    assert "2027-01-21" in version.fix
    assert "v25.0" in version.fix
    assert exit_code(checks) == 0  # a warning is not a blocker
    conn["extra"]["graph_version"] = "v20.0"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id}", json.dumps(conn))
    checks, _ = doctor_env()
    assert status(checks, "fb-th-ns-ttns", "graph version").status is Status.BLOCKER


@pytest.mark.parametrize("world", [1], indirect=True)
def test_missing_connections_are_blockers(doctor_env, world, monkeypatch) -> None:
    conn_id = world.channels["zalo-th-ns-ngathuy"]["connection_id"]
    monkeypatch.delenv(f"AIRFLOW_CONN_{conn_id.upper()}")
    monkeypatch.delenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK")
    checks, _ = doctor_env()
    missing = status(checks, "zalo-th-ns-ngathuy", "connection")
    assert missing.status is Status.BLOCKER
    assert conn_id in missing.fix
    assert status(checks, "slack", "connection").status is Status.BLOCKER


@pytest.mark.parametrize("world", [1], indirect=True)
def test_the_cli_prints_one_table_and_exits_non_zero_on_a_blocker(
    doctor_env, world, capsys
) -> None:
    from citizen_desk.cli import main

    world.sim.add_fault({"kind": "invalid_token", "page": world.page_id("fb-th-ns-ttns")})
    code = main(["doctor", "--channel", "fb-th-ns-ttns"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("channel  ") == 1  # one table
    assert "fb-th-ns-ttns" in out
    assert "fb-th-ns-ngathuy" not in out
    assert world.sim.page_token(world.page_id("fb-th-ns-ttns")) not in out
    assert SLACK_TOKEN not in out


def test_render_masks_secrets_that_reach_a_message() -> None:
    checks = [Check("fb-x", "page token", Status.BLOCKER, "GET /me?access_token=EAAsecret1 failed")]
    table = render(checks, ["EAAsecret1"])
    assert "EAAsecret1" not in table
    assert "BLOCKER" in table


@pytest.mark.parametrize("world", [1], indirect=True)
def test_the_setup_task_passes_on_warnings_and_fails_on_a_blocker(doctor_env, world) -> None:
    from citizen_desk.doctor.tasks import NotReady, doctor
    from citizen_desk.pipeline.context import RunContext
    from tests.conftest import NOW

    run = RunContext(now=NOW, label="citizen_desk_setup/t", params={"channels": ["fb-th-ns-ttns"]})
    page = world.page_id("fb-th-ns-ttns")
    world.sim.add_fault({"kind": "missing_permission", "page": page,
                         "permission": "pages_manage_posts"})  # fmt: skip
    summary = doctor(run)
    assert (summary["blockers"], summary["warnings"]) == (0, 1)
    world.sim.add_fault({"kind": "expired_token", "page": page})
    with pytest.raises(NotReady, match="1 blocker"):
        doctor(run)


@pytest.mark.parametrize("world", [1], indirect=True)
def test_chat_write_public_makes_a_public_channel_outside_the_bot_a_warning(
    doctor_env, world
) -> None:
    """chat:write.public lets the bot post where it is not a member (public channels only), but
    the outbox's reconciliation reads conversations.history, which needs membership."""
    from platform_simulator.slack import BOT_SCOPES

    world.sim.cfg.slack_scopes = [*BOT_SCOPES, "chat:write.public"]
    world.sim.add_fault({"kind": "not_in_channel", "channel": "C07NSDUTY01"})
    checks, _ = doctor_env()
    member = status(checks, "slack", "bot in C07NSDUTY01")
    assert member.status is Status.WARNING
    assert "chat:write.public" in member.fix
    assert "conversations.history" in member.fix
    assert status(checks, "slack", "scopes").status is Status.OK


@pytest.mark.parametrize("world", [1], indirect=True)
def test_the_listrecentchat_reading_is_verified_against_the_oa(
    doctor_env, world, monkeypatch
) -> None:
    zl = next(k for k, c in world.channels.items() if c["platform"] == "zalo")
    checks, _ = doctor_env()
    reading = status(checks, zl, "listrecentchat")
    assert (reading.status, reading.fix) == (Status.OK, "messages, as configured (verified)")

    # An OA whose list shows one latest row per user: the default reading would miss messages.
    world.sim.cfg.zalo_recent_mode = "latest_per_user"
    checks, _ = doctor_env()
    reading = status(checks, zl, "listrecentchat")
    assert reading.status is Status.BLOCKER
    assert "listrecentchat=latest_per_user" in reading.fix

    # Configured for it: green again; a message-level OA configured per user: a warning.
    conn_id = world.channels[zl]["connection_id"]
    env = f"AIRFLOW_CONN_{conn_id.upper()}"
    conn = json.loads(__import__("os").environ[env])
    conn["extra"]["listrecentchat"] = "latest_per_user"
    monkeypatch.setenv(env, json.dumps(conn))
    checks, _ = doctor_env()
    assert status(checks, zl, "listrecentchat").status is Status.OK
    world.sim.cfg.zalo_recent_mode = "messages"
    checks, _ = doctor_env()
    reading = status(checks, zl, "listrecentchat")
    assert reading.status is Status.WARNING
    assert "listrecentchat=messages" in reading.fix
