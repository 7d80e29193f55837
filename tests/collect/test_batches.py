"""Channels in batches: the mapped tasks' shape, the map-length guard, what a batch raises."""

from __future__ import annotations

import pytest

from citizen_desk.collect import PermanentFailure, RateLimited
from citizen_desk.collect.batches import (
    batch_failure,
    batch_label,
    batch_size,
    batch_workers,
    check_map_length,
    in_batches,
)
from citizen_desk.errors import ConfigError, PlatformError

NATIONAL = {"facebook": [f"fb-{i}" for i in range(3355)], "zalo": ["zalo-a"]}


def test_batches_keep_order_and_cover_every_channel() -> None:
    keys = [f"k{i}" for i in range(7)]
    assert in_batches(keys, 3) == [["k0", "k1", "k2"], ["k3", "k4", "k5"], ["k6"]]
    assert in_batches(keys, 1) == [[k] for k in keys]
    assert in_batches([], 5) == []
    assert batch_label(["fb-a"]) == "fb-a"  # a batch of one is named by its channel
    assert batch_label(["fb-a", "fb-b", "fb-c"]) == "fb-a … fb-c (3)"


def test_more_tasks_than_airflow_maps_fail_fast_naming_both_settings() -> None:
    with pytest.raises(ConfigError) as raised:
        check_map_length(NATIONAL, 1, 1024)
    error = raised.value
    assert (error.path, error.key) == ("airflow.cfg", "core.max_map_length")
    assert "3,355 Facebook pages in batches of 1 make 3,355 mapped tasks" in error.problem
    assert (
        "set the registry's collection.batch_size (or CITIZEN_DESK_COLLECT_BATCH_SIZE, which"
        " overrides it) to at least 4" in error.problem
    )
    assert "AIRFLOW__CORE__MAX_MAP_LENGTH to at least 3,355" in error.problem
    assert "Zalo" not in error.problem  # only the platform over the limit is named
    check_map_length(NATIONAL, 50, 1024)  # 68 batches
    check_map_length(NATIONAL, 4, 1024)  # 839 batches
    check_map_length(NATIONAL, 1, 3355)  # exactly at the limit


def test_settings_come_from_the_environment_and_bad_values_name_the_variable(
    monkeypatch,
) -> None:
    monkeypatch.delenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", raising=False)
    monkeypatch.delenv("CITIZEN_DESK_COLLECT_BATCH_WORKERS", raising=False)
    assert (batch_size(), batch_workers()) == (1, 4)
    monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", " 50 ")
    assert batch_size() == 50
    for bad in ("0", "-3", "many", "2.5"):
        monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", bad)
        with pytest.raises(ConfigError, match="CITIZEN_DESK_COLLECT_BATCH_SIZE"):
            batch_size()


def test_the_registry_sets_the_batch_size_and_the_environment_overrides_it(monkeypatch) -> None:
    monkeypatch.delenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", raising=False)
    assert batch_size(50) == 50
    monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", "")  # empty: not set
    assert batch_size(50) == 50
    monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", "7")
    assert batch_size(50) == 7


def test_a_batch_raises_what_lets_the_retry_policy_decide() -> None:
    token = PermanentFailure("channel fb-a: expired token")
    other = PermanentFailure("channel fb-c: permission missing")
    blip = PlatformError("HTTP 502", platform="graph", http_status=502, retryable=True)
    assert batch_failure({}) is None
    assert batch_failure({"fb-a": token}) is token  # a batch of one: as a task per channel
    assert batch_failure({"fb-a": token, "fb-b": blip}) is blip  # retried: fb-b may recover
    limited = RateLimited("limit", platform="graph", retry_after=3600.0, retryable=True)
    assert batch_failure({"fb-b": limited, "fb-a": token}) is limited
    both = batch_failure({"fb-c": other, "fb-a": token})
    assert isinstance(both, PermanentFailure)  # nothing to retry: fails at once
    assert str(both) == "2 channels failed: fb-a, fb-c"


@pytest.mark.parametrize("world", [2], indirect=True)
def test_a_batch_collects_every_channel_then_raises_for_the_broken_one(
    engine, world, small_registry, monkeypatch
) -> None:
    """On PostgreSQL the batch's channels run in threads, on SQLite one by one: same outcome."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from citizen_desk.collect import tasks
    from citizen_desk.db.models import CollectionRun, Notification
    from citizen_desk.pipeline.context import RunContext
    from tests.collect.conftest import CHANNELS, stored_messages, sync, truth_messages

    broken = "fb-th-ns-ngathuy"
    sync(engine, small_registry)
    monkeypatch.setattr("citizen_desk.db.engine.get_engine", lambda: engine)
    world.sim.add_fault({"kind": "expired_token", "page": world.page_id(broken)})
    run = RunContext(now=world.clock(), label="collect/run-1", run_id="run-1")

    with pytest.raises(PermanentFailure, match=broken):
        tasks.collect(run, list(CHANNELS))

    assert stored_messages(engine) == {m for m in truth_messages(world) if m[0] != broken}
    with Session(engine) as session:
        assert sorted(session.scalars(select(CollectionRun.status))) == (
            ["failed"] + ["success"] * (len(CHANNELS) - 1)
        )
        assert len(session.scalars(select(Notification)).all()) == 1
    totals = tasks.collect(RunContext(now=world.clock(), label="c/run-2", run_id="run-2"),
                           [k for k in CHANNELS if k != broken])  # fmt: skip
    assert totals["channels"] == sorted(k for k in CHANNELS if k != broken)
    assert totals["messages_added"] == 0  # a rerun stores nothing twice


def test_prepare_cuts_the_channels_in_the_registrys_batches_once_per_run(
    sqlite_engine, small_registry, monkeypatch
) -> None:
    """`prepare_domain_db` decides the batches (registry size, env override): the mapped tasks
    of both platforms are cut alike even if the registry changes during the run."""
    import yaml

    from citizen_desk.collect import tasks
    from citizen_desk.pipeline.context import RunContext
    from tests.conftest import NOW

    monkeypatch.setenv("CITIZEN_DESK_DB_URL", sqlite_engine.url.render_as_string(False))
    monkeypatch.delenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", raising=False)
    run = RunContext(now=NOW, label="collect_citizen_messages/run-1", run_id="run-1")
    assert tasks.prepare(run) == {  # the sample registry: batch_size 1
        "facebook": [["fb-th-ns-ngathuy"], ["fb-th-ns-ttns"]],
        "zalo": [["zalo-th-ns-ngathuy"], ["zalo-th-ns-ttns"]],
    }
    raw = yaml.safe_load(small_registry.read_text(encoding="utf-8"))
    raw["collection"]["batch_size"] = 2
    small_registry.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert tasks.prepare(run) == {
        "facebook": [["fb-th-ns-ngathuy", "fb-th-ns-ttns"]],
        "zalo": [["zalo-th-ns-ngathuy", "zalo-th-ns-ttns"]],
    }
    raw["collection"]["batch_size"] = 1
    raw["collection"]["facebook_batch_size"] = 2  # pages in larger batches than OAs
    small_registry.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert tasks.prepare(run) == {
        "facebook": [["fb-th-ns-ngathuy", "fb-th-ns-ttns"]],
        "zalo": [["zalo-th-ns-ngathuy"], ["zalo-th-ns-ttns"]],
    }
    monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", "1")  # the environment wins
    assert tasks.prepare(run)["facebook"] == [["fb-th-ns-ngathuy"], ["fb-th-ns-ttns"]]


def test_a_batch_looks_the_fernet_key_up_once(monkeypatch) -> None:
    """Every Zalo OA of a batch needs the token store's key: one connection lookup per batch,
    not one per OA (each lookup also registers the key with Airflow's masker)."""
    from citizen_desk.collect import tasks

    calls: list[int] = []

    def lookup() -> str:
        calls.append(1)
        return "the-key"

    monkeypatch.setattr("citizen_desk.collect.tokens.fernet_from_connection", lookup)
    options = tasks.batch_options()
    assert calls == []  # a Facebook-only batch never asks
    assert [options.fernet() for _ in range(3)] == ["the-key"] * 3  # type: ignore[misc]
    assert calls == [1]
    assert tasks.batch_options().fernet() == "the-key"  # type: ignore[misc]
    assert calls == [1, 1]  # the next batch asks again (a rotated key is seen)
