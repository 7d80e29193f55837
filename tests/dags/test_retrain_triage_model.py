"""`retrain_triage_model` run by Airflow itself (dag.test): a learned champion that is worse than
the corpus's recipe is replaced by the week's challenger; a second run that week changes nothing;
the collection then triages with the new champion."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.db.models import AuditLog, TriageModelVersion
from citizen_desk.learning import retrain
from citizen_desk.learning.corrections import correct_case
from citizen_desk.triage.features import FeatureSpec
from citizen_desk.triage.model import load_model
from citizen_desk.triage.train import Params
from tests.conftest import NOW, REPO
from tests.learning.helpers import PLAIN_TIP, QUESTION, case_of, ingest
from tests.learning.models import add_version, skewed

DAG_FILE = REPO / "dags" / "retrain_triage_model.py"
TASKS = ("prepare", "register_shipped_model", "train_challenger", "promote_or_keep")


@pytest.fixture
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["retrain_triage_model"]


@pytest.fixture
def domain(tmp_path, registry, monkeypatch, db_templates):
    """A migrated, registry-synced SQLite domain DB named by CITIZEN_DESK_DB_URL."""
    from citizen_desk.config.registry import sync_registry
    from citizen_desk.db.engine import get_engine

    url = db_templates.sqlite_copy("migrated", tmp_path / "domain.db")
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", url)
    engine = get_engine(url)
    with sessionmaker(engine)() as session, session.begin():
        sync_registry(session, registry, now=NOW - timedelta(days=30))
    return engine


def test_dag_structure(dag):
    assert set(dag.task_dict) == set(TASKS)
    for upstream, downstream in itertools.pairwise(TASKS):
        assert dag.task_dict[upstream].downstream_task_ids == {downstream}
    assert dag.timetable.expression == "0 3 * * 0"  # Sundays 03:00
    assert str(dag.timetable.timezone) == "Asia/Ho_Chi_Minh"
    assert dag.max_active_runs == 1


def test_a_weekly_run_promotes_the_better_challenger_once(airflow_db, dag, domain, monkeypatch):
    # the full grid takes ~20 s; one point of it shows the same flow (tasks run in this process)
    monkeypatch.setattr(retrain, "GRID", (Params(1.0, True, 3.0, FeatureSpec(0, 0)),))
    with Session(domain) as session:
        add_version(session, skewed("other", "1-otheronly"), status="champion",
                    now=NOW - timedelta(days=30))  # fmt: skip
        session.commit()
    for text, verdict in ((QUESTION, "question"), (PLAIN_TIP, "tip")):
        thread = ingest(domain, [text], at=NOW - timedelta(days=20))
        with Session(domain) as session:
            correct_case(session, case_of(session, thread).id, category=verdict, urgent=False,
                         actor="officer", now=NOW - timedelta(days=10))  # fmt: skip
            session.commit()

    run = dag.test(logical_date=NOW, run_after=NOW)
    assert run.state == "success"
    with Session(domain) as session:
        rows = {r.version: r for r in session.scalars(select(TriageModelVersion))}
        week = next(r for r in rows.values() if r.week == "2026-W48")
        assert week.status == "champion"
        assert week.figures["training"]["correction_rows"] == 2
        assert week.figures["training"]["chosen"]["C"] == 1.0  # the one grid point
        assert week.figures["decision"]["promote"] is True
        assert rows["1-otheronly"].status == "retired"
        assert rows[load_model().version].status == "challenger"  # recorded, not in use
        audits = session.scalar(select(func.count()).select_from(AuditLog))

    again = dag.test(logical_date=None, run_after=NOW + timedelta(hours=2))  # a manual rerun
    assert again.state == "success"
    with Session(domain) as session:
        assert session.scalar(select(func.count()).select_from(TriageModelVersion)) == len(rows)
        assert session.scalar(select(func.count()).select_from(AuditLog)) == audits
    thread = ingest(domain, [QUESTION], at=NOW + timedelta(days=1))
    with Session(domain) as session:
        assert case_of(session, thread).triage_model == week.version
