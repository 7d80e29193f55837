"""The DAG through Airflow itself (`dag.test()`): mapped per channel or per batch; a broken page
fails its own task alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.collect.conftest import stored_messages, truth_messages
from tests.conftest import REPO

DAG_ID = "collect_citizen_messages"
BROKEN = "fb-th-ns-ngathuy"


def _run_with_a_broken_page(world, tmp_path, monkeypatch, batch_size: int) -> dict:
    """One `dag.test()` run, BROKEN's token expired: task states by (task, map name)."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CITIZEN_DESK_DB_URL", f"sqlite:///{tmp_path / 'domain.db'}")
    monkeypatch.setenv("CITIZEN_DESK_COLLECT_BATCH_SIZE", str(batch_size))
    world.sim.add_fault({"kind": "expired_token", "page": world.page_id(BROKEN)})
    bag = DagBag(dag_folder=str(REPO / "dags" / f"{DAG_ID}.py"))
    assert bag.import_errors == {}
    run = bag.get_dag(DAG_ID).test(run_after=world.clock(), logical_date=world.clock(), run_conf={})
    assert run.state == "failed"  # a broken channel shows, although summarise ran
    return {
        (ti.task_id, ti.rendered_map_index or ti.map_index): (ti.state, ti.try_number)
        for ti in run.get_task_instances()
    }


def _assert_every_other_channel_collected_and_one_alert(world) -> None:
    from citizen_desk.db.engine import _engine_for, get_engine
    from citizen_desk.db.models import CollectionRun, Notification

    engine = get_engine()
    assert stored_messages(engine) == {m for m in truth_messages(world) if m[0] != BROKEN}
    with Session(engine) as session:
        statuses = sorted(session.scalars(select(CollectionRun.status)))
        alerts = session.scalars(select(Notification)).all()
    assert statuses == ["failed", "success", "success", "success"]
    assert len(alerts) == 1
    assert BROKEN in alerts[0].payload["text"]
    engine.dispose()
    _engine_for.cache_clear()


@pytest.mark.airflow
@pytest.mark.parametrize("world", [2], indirect=True)
def test_the_dag_collects_every_channel_and_fails_only_the_broken_one(
    airflow_db, world, tmp_path, monkeypatch
) -> None:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as meta:
        events_before = meta.query(AssetEvent).count()

    states = _run_with_a_broken_page(world, tmp_path, monkeypatch, batch_size=1)

    assert states.pop(("collect_facebook", BROKEN)) == ("failed", 1)  # failed at once, no retry
    assert {task: state for task, (state, _try) in states.items()} == {
        ("prepare_domain_db", -1): "success",
        ("facebook_channels", -1): "success",
        ("zalo_channels", -1): "success",
        ("collect_facebook", "fb-th-ns-ttns"): "success",
        ("collect_zalo", "zalo-th-ns-ngathuy"): "success",
        ("collect_zalo", "zalo-th-ns-ttns"): "success",
        ("summarise", -1): "success",
    }
    with create_session() as meta:
        assert meta.query(AssetEvent).count() == events_before + 1
    _assert_every_other_channel_collected_and_one_alert(world)


@pytest.mark.airflow
@pytest.mark.parametrize("world", [2], indirect=True)
def test_in_batches_a_broken_page_fails_its_batch_and_every_other_channel_is_collected(
    airflow_db, world, tmp_path, monkeypatch
) -> None:
    states = _run_with_a_broken_page(world, tmp_path, monkeypatch, batch_size=2)

    assert {k: v for k, v in states.items() if k[0].startswith("collect_")} == {
        ("collect_facebook", f"{BROKEN} … fb-th-ns-ttns (2)"): ("failed", 1),  # at once
        ("collect_zalo", "zalo-th-ns-ngathuy … zalo-th-ns-ttns (2)"): ("success", 1),
    }
    _assert_every_other_channel_collected_and_one_alert(world)


def _parse(monkeypatch, schedule: str | None = None):
    from airflow.dag_processing.dagbag import DagBag

    if schedule:
        monkeypatch.setenv("CITIZEN_DESK_COLLECT_SCHEDULE", schedule)
    bag = DagBag(dag_folder=str(REPO / "dags" / f"{DAG_ID}.py"))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def test_dag_shape_params_and_schedule(monkeypatch, registry) -> None:
    import copy

    from airflow.sdk.exceptions import ParamValidationError

    from citizen_desk.config.collection import pools_for

    dag = _parse(monkeypatch)
    # the DAG's pools are the ones the setup DAG makes match the registry
    pools = {dag.get_task(f"collect_{p}").partial_kwargs["pool"] for p in ("facebook", "zalo")}
    assert pools == set(pools_for(registry))
    assert dag.timetable.expression == "0 0 * * *"  # @daily
    assert str(dag.timetable.timezone) == "Asia/Ho_Chi_Minh"
    for platform in ("facebook", "zalo"):
        task = dag.get_task(f"collect_{platform}")
        assert task.partial_kwargs["pool"] == f"{platform}_api"
        assert task.partial_kwargs["map_index_template"] == "{{ batch_label }}"
        assert task.partial_kwargs["retries"] == 3
        assert task.partial_kwargs["retry_policy"] is not None
    summarise = dag.get_task("summarise")
    assert summarise.is_teardown
    assert [a.uri for a in summarise.outlets] == ["citizen_desk://cases"]
    params = copy.deepcopy(dag.params)
    params.update({"channels": ["fb-th-ns-ttns"], "since": "2026-11-20", "until": None})
    params.validate()
    bad = copy.deepcopy(dag.params)
    with pytest.raises(ParamValidationError, match="since"):
        bad.update({"since": "20/11/2026"})
    assert _parse(monkeypatch, "*/10 * * * *").timetable.expression == "*/10 * * * *"
