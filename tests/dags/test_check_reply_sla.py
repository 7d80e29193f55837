"""`check_reply_sla` run by Airflow itself (dag.test) against the simulator's Slack."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import Notification, SlaEvent
from tests.conftest import NOW, REPO, SIM_TOKEN
from tests.sla.factories import CANARY_NAME, CANARY_PHONE, CANARY_PSID, local, make_case

DAG_FILE = REPO / "dags" / "check_reply_sla.py"


@pytest.fixture
def domain_url(tmp_path, registry, monkeypatch, db_templates):
    """A migrated, registry-synced SQLite domain DB named by CITIZEN_DESK_DB_URL."""
    from citizen_desk.config.registry import sync_registry
    from citizen_desk.db.engine import get_engine

    url = db_templates.sqlite_copy("migrated", tmp_path / "domain.db")
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", url)
    engine = get_engine(url)
    with sessionmaker(engine)() as session, session.begin():
        sync_registry(session, registry, now=NOW - timedelta(days=30))
    return url


@pytest.fixture
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["check_reply_sla"]


def test_dag_structure(dag) -> None:
    assert set(dag.task_dict) == {"prepare", "evaluate", "deliver", "summary"}
    assert dag.task_dict["deliver"].downstream_task_ids == {"summary"}
    assert set(dag.params.keys()) == {"recompute_from", "recompute_to", "dry_run"}
    timetable = dag.timetable
    assert type(timetable).__name__ == "AssetOrTimeSchedule"
    assert "citizen_desk://cases" in str(dag.timetable.asset_condition)


def test_run_sends_exact_alerts_without_pii(airflow_db, dag, sim, domain_url, monkeypatch) -> None:
    from citizen_desk.db.engine import get_engine

    conn = {
        "conn_type": "slack",
        "password": SIM_TOKEN,
        "extra": {"base_url": f"{sim.base_url}/api/"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(conn))
    canary_text = f"Em là {CANARY_NAME}, sđt {CANARY_PHONE}, bị mất xe máy ở chợ Nga Thủy."
    with sessionmaker(get_engine(domain_url), expire_on_commit=False)() as session, session.begin():
        late = make_case(
            session,
            channel_key="zalo-th-ns-ngathuy",
            category="question",
            turns=[(local(2026, 11, 19, 8), None)],
            text=canary_text,
        )
        fresh = make_case(  # lost_found, 2 h on the wall clock: breached 30 min ago
            session,
            channel_key="zalo-th-ns-ngathuy",
            category="lost_found",
            turns=[(local(2026, 11, 23, 7, 30), None)],
            text=canary_text,
        )
        soon = make_case(
            session,
            channel_key="fb-th-ns",
            category="lost_found",
            turns=[(local(2026, 11, 23, 8, 20), None)],
            text=canary_text,
        )
        make_case(
            session,
            channel_key="fb-th-ns",
            category="question",
            turns=[(local(2026, 11, 23, 8), local(2026, 11, 23, 9))],
            text=canary_text,
        )

    run = dag.test(logical_date=NOW, run_after=NOW)
    assert run.state == "success"

    messages = sim.slack_messages()
    keys = sorted(m["metadata"]["event_payload"]["key"] for m in messages)
    # the breach of 19/11 was long past when the check first saw it: a catch-up summary
    assert keys == sorted(
        [
            f"sla:{fresh.id}:1:breach:U07NTHUYD01",
            f"sla:{fresh.id}:1:breach:U07NTHUYC01",
            f"sla:{soon.id}:1:warning",
            "sla-catchup:TH-NS-NGATHUY:U07NTHUYD01:20261123T0300Z",
            "sla-catchup:TH-NS-NGATHUY:U07NTHUYC01:20261123T0300Z",
            "sla-digest:TH-NS-NGATHUY:2026-11-23",
            "sla-digest:TH-NS:2026-11-23",
        ]
    )
    dms = {dm: user for user, dm in sim.world.state["slack"]["dms"].items()}
    recipients = sorted(dms.get(m["channel"], m["channel"]) for m in messages)
    assert recipients == [
        "C07NSDUTY01",
        "C07NSDUTY01",
        *["U07NTHUYC01"] * 2,
        *["U07NTHUYD01"] * 3,
    ]
    for message in messages:
        wire = json.dumps(message, ensure_ascii=False)
        assert "Canary" not in wire
        assert CANARY_NAME not in wire
        assert "0912" not in wire
        assert "345 678" not in wire
        assert CANARY_PSID not in wire
    breach = next(
        m
        for m in messages
        if m["metadata"]["event_payload"]["key"].endswith("D01")
        and ":breach:" in m["metadata"]["event_payload"]["key"]
    )
    body = json.dumps(breach["blocks"], ensure_ascii=False)
    assert f"CD-{fresh.id:06d}" in body
    assert "Công an xã Nga Thủy" in body
    assert "[TÊN]" in body
    summary = next(m for m in messages if "sla-catchup" in m["metadata"]["event_payload"]["key"])
    listed = json.dumps(summary["blocks"], ensure_ascii=False)
    assert f"CD-{late.id:06d}" in listed
    assert "Hỏi đáp thủ tục, pháp luật – Quá hạn: *1*" in listed
    assert "[TÊN]" not in listed  # references and counts only, no excerpt

    # A manual/asset-style rerun for the same moment (no data interval) adds nothing.
    rerun = dag.test(run_after=NOW, logical_date=None)
    assert rerun.state == "success"
    assert len(sim.slack_messages()) == 7
    with sessionmaker(get_engine(domain_url))() as session:
        assert session.scalar(select(SlaEvent.id).where(SlaEvent.kind == "warning")) is not None
        assert len(session.scalars(select(SlaEvent)).all()) == 3
        statuses = {n.idempotency_key: n.status for n in session.scalars(select(Notification))}
    listed_keys = {k for k in statuses if k.startswith(f"sla:{late.id}:")}
    assert {statuses[k] for k in listed_keys} == {"superseded"}  # in the ledger, in the summary
    assert {s for k, s in statuses.items() if k not in listed_keys} == {"sent"}


def test_dry_run_then_recompute_send_nothing(airflow_db, dag, sim, domain_url, monkeypatch) -> None:
    from citizen_desk.db.engine import get_engine

    conn = {
        "conn_type": "slack",
        "password": SIM_TOKEN,
        "extra": {"base_url": f"{sim.base_url}/api/"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(conn))
    engine = get_engine(domain_url)
    with sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        case = make_case(
            session,
            channel_key="zalo-th-ns-ngathuy",
            category="question",
            turns=[(local(2026, 11, 19, 8), None)],
        )

    run = dag.test(run_after=NOW, logical_date=None, run_conf={"dry_run": True})
    assert run.state == "success"
    assert sim.slack_messages() == []
    with sessionmaker(engine)() as session:
        assert session.scalars(select(SlaEvent)).all() == []
        assert session.scalars(select(Notification)).all() == []

    # dag.test() leaves the previous run's conf in dag.params: give every param explicitly.
    conf = {"recompute_from": "2026-11-19", "recompute_to": "2026-11-19", "dry_run": False}
    run = dag.test(run_after=NOW + timedelta(minutes=5), logical_date=None, run_conf=conf)
    assert run.state == "success"
    assert sim.slack_messages() == []  # recompute records, never announces
    with sessionmaker(engine)() as session:
        events = session.scalars(select(SlaEvent)).all()
        assert [(e.case_id, e.kind) for e in events] == [(case.id, "breach")]
        assert session.scalars(select(Notification)).all() == []
