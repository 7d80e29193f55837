"""`escalate_unverified_tips` run by Airflow itself (dag.test) against the simulator's Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import Notification, Tip
from citizen_desk.errors import ConfigError
from citizen_desk.pipeline.context import run_context
from citizen_desk.tips.tasks import parse_as_of, resolve_now
from platform_simulator import Simulator, SimulatorConfig
from tests.conftest import NOW, REGISTRY_PATH, REPO
from tests.tips import seed

DAG_FILE = REPO / "dags" / "escalate_unverified_tips.py"
H = timedelta(hours=1)


@pytest.fixture
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["escalate_unverified_tips"]


@pytest.fixture
def sim():
    simulator = Simulator(
        SimulatorConfig(
            registry_path=REGISTRY_PATH, seed=5, days=1, now=NOW,
            slack_rate_per_second=1000.0, slack_burst=1000,
        )
    )  # fmt: skip
    server = simulator.serve_in_thread()
    yield simulator, server.base_url
    server.shutdown()


@pytest.fixture
def domain_url(tmp_path, registry, monkeypatch, db_templates):
    from citizen_desk.db.engine import get_engine

    url = db_templates.sqlite_copy("migrated", tmp_path / "domain.db")
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", url)
    with sessionmaker(get_engine(url))() as session, session.begin():
        seed.sync(session, registry)
    return url


def test_dag_structure(dag):
    assert set(dag.task_dict) == {"prepare", "sweep_and_enqueue", "deliver", "summary"}
    assert dag.task_dict["prepare"].downstream_task_ids == {"sweep_and_enqueue"}
    assert dag.task_dict["sweep_and_enqueue"].downstream_task_ids == {"deliver", "summary"}
    assert dag.task_dict["deliver"].downstream_task_ids == {"summary"}
    assert type(dag.timetable).__name__ == "AssetOrTimeSchedule"
    assert "citizen_desk://cases" in str(dag.timetable.asset_condition)
    assert dag.timetable.timetable.expression == "0 * * * *"
    assert str(dag.timetable.timetable.timezone) == "Asia/Ho_Chi_Minh"
    assert set(dag.params.keys()) == {"as_of"}


def test_run_on_schedule_then_an_accelerated_manual_run(
    airflow_db, dag, sim, domain_url, monkeypatch, capfd
):
    from citizen_desk.db.engine import get_engine

    simulator, base_url = sim
    conn = {"conn_type": "slack", "password": simulator.cfg.slack_token,
            "extra": {"base_url": f"{base_url}/api/"}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(conn))
    factory = sessionmaker(get_engine(domain_url), expire_on_commit=False)
    with factory() as session, session.begin():
        tip = seed.add_canary_tip(session, received_at=NOW - 2 * H, topic="gambling")
        urgent = seed.add_tip(session, received_at=NOW - H, urgent=True, topic="fight")

    run = dag.test(logical_date=NOW, run_after=NOW)  # the 10:00 hourly run
    assert run.state == "success"

    def keys() -> list[str]:
        return sorted(m["metadata"]["event_payload"]["key"] for m in simulator.slack_messages())

    assert keys() == sorted([
        f"tip:{tip.id}:L0:arrival:0:U07NTHUYD01",
        f"tip:{urgent.id}:L0:arrival:0:U07NTHUYD01",
        f"tip:{urgent.id}:L0:urgent:0:U07NTHUYC01",
        f"tip:{urgent.id}:L0:urgent:1:U07NSCHIEF1",
        "tip-digest:U07NTHUYC01:2026-11-23",
        "tip-digest:U07NSCHIEF1:2026-11-23",
    ])  # fmt: skip

    # The demo's accelerated clock: a manual run that acts as if it were two days later.
    first = set(keys())
    as_of = (NOW + 48 * H).astimezone(seed.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    manual = dag.test(run_after=NOW + H, logical_date=None, run_conf={"as_of": as_of})
    assert manual.state == "success"
    new = set(keys()) - first  # nothing of the first run was sent again
    assert len(keys()) == len(first) + len(new)
    # catch-up: two days on, each tip is announced at the level it reached (L2, due within the
    # last two hours); level 1, passed a day ago, is in the ledger without a message of its own
    assert new == {
        f"tip:{tip.id}:L2:escalation:0:U07NSCHIEF1",
        f"tip:{urgent.id}:L2:escalation:0:U07NSCHIEF1",
        "tip-digest:U07NTHUYC01:2026-11-25",
        "tip-digest:U07NSCHIEF1:2026-11-25",
    }
    with factory() as session:
        assert session.get(Tip, tip.id).escalation_level == 2
        rows = list(session.scalars(select(Notification)))
        assert {n.idempotency_key for n in rows if n.status == "superseded"} == {
            f"tip:{tip.id}:L1:escalation:0:U07NTHUYC01",
            f"tip:{urgent.id}:L1:escalation:0:U07NTHUYC01",
        }
        assert {n.status for n in rows} == {"sent", "superseded"}
        # as_of is a what-if: nothing is stamped in the future of the run (NOW + 1 h)
        assert max(n.sent_at for n in rows if n.sent_at) == NOW + H
        assert max(n.created_at for n in rows) == NOW + H

    wire = json.dumps(simulator.slack_messages(), ensure_ascii=False)
    captured = capfd.readouterr()
    for canary in seed.CANARIES:
        assert canary not in wire
        assert canary not in captured.out + captured.err


def test_now_is_the_run_time_unless_as_of_is_given():
    class Run:
        run_after = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)

    scheduled = {"data_interval_end": NOW, "params": {"as_of": None}}
    assert resolve_now(run_context(scheduled)) == NOW
    assert resolve_now(run_context({"dag_run": Run(), "params": {}})) == Run.run_after
    manual = {"dag_run": Run(), "params": {"as_of": "2026-11-25T10:00"}}
    assert resolve_now(run_context(manual)) == datetime(2026, 11, 25, 3, tzinfo=UTC)  # local
    assert parse_as_of("2026-11-25T10:00:00+00:00") == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert parse_as_of("2026-11-25T10:00Z") == datetime(2026, 11, 25, 10, tzinfo=UTC)
    with pytest.raises(ConfigError, match="as_of"):
        parse_as_of("next tuesday")


def test_as_of_accepts_shifts_after_the_run_time():
    run = {"data_interval_end": NOW, "params": {}}
    for shift, delta in (("+2d", 48 * H), ("+4h", 4 * H), ("+1d12h", 36 * H), ("+30m", H / 2)):
        context = {**run, "params": {"as_of": shift}}
        assert resolve_now(run_context(context)) == NOW + delta
    for bad in ("+", "+2x", "2d", "-1d"):
        with pytest.raises(ConfigError, match="as_of"):
            resolve_now(run_context({**run, "params": {"as_of": bad}}))


def test_bad_as_of_is_refused_at_trigger_time_and_never_retried(dag):
    from airflow.sdk.definitions.param import ParamValidationError
    from airflow.sdk.definitions.retry_policy import RetryAction

    param = dag.params.get_param("as_of")
    for good in (None, "", "+2d", "+4h", "+1d12h", "2026-11-25T10:00", "2026-11-25T10:00+07:00",
                 "2026-11-25 10:00:00Z", "2026-11-25"):  # fmt: skip
        assert param.resolve(good) == good
    for bad in ("next tuesday", "e2e-injected-not-a-date", "+", "+2x", "2d", "25/11/2026"):
        with pytest.raises(ParamValidationError):
            param.resolve(bad)

    policy = dag.task_dict["sweep_and_enqueue"].retry_policy
    decision = policy.evaluate(ConfigError("DAG run params", "as_of", "bad"), 1, 3)
    assert decision.action == RetryAction.FAIL
    with pytest.raises(ConfigError):  # what slips past the pattern still fails at once
        parse_as_of("2026-02-30T10:00")
