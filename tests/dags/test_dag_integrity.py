"""Team conventions as tests: every DAG file imports cleanly and follows the house rules."""

from __future__ import annotations

import ast
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import REPO

DAGS_DIR = REPO / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
MAX_DAG_FILE_LINES = 110


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_dag_folder_is_not_empty(dagbag) -> None:
    assert DAG_FILES, "no DAG files found"
    assert len(dagbag.dags) >= len(DAG_FILES)


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def _dags(dagbag):
    return sorted(dagbag.dags.values(), key=lambda d: d.dag_id)


def test_every_dag_follows_conventions(dagbag) -> None:
    # imported here: it imports Airflow, and collecting this module should not (seconds per worker)
    from citizen_desk.pipeline.conventions import OWNER, Tag

    allowed_tags = {t.value for t in Tag}
    for dag in _dags(dagbag):
        assert len((dag.doc_md or "").strip()) > 40, f"{dag.dag_id}: doc_md missing"
        assert dag.tags, f"{dag.dag_id}: no tags"
        assert set(dag.tags) <= allowed_tags, f"{dag.dag_id}: tags {dag.tags} not in Tag"
        assert Tag.CITIZEN_DESK in dag.tags, f"{dag.dag_id}: missing the citizen-desk tag"
        assert dag.start_date is not None, dag.dag_id
        assert dag.start_date.tzinfo is not None, dag.dag_id
        assert dag.catchup is False, f"{dag.dag_id}: catchup must be off by default"
        for task in dag.tasks:
            where = f"{dag.dag_id}.{task.task_id}"
            assert task.owner == OWNER, f"{where}: owner {task.owner!r}"
            if task.task_type not in ("HITLOperator", "ApprovalOperator", "HITLEntryOperator"):
                assert task.retries >= 1, f"{where}: retries not set"
            assert task.execution_timeout is not None, f"{where}: no execution_timeout"
            assert task.execution_timeout <= timedelta(days=2), where
            # A `-> dict` annotation turns multiple_outputs on: one XCom per key, ~50 ms each.
            assert getattr(task, "multiple_outputs", False) is False, f"{where}: multiple_outputs"


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_dag_files_are_thin(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_DAG_FILE_LINES, f"{path.name} is not thin"
    tree = ast.parse(source)
    top_level_imports = [
        alias.name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    modules = [
        node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module
    ]
    heavy = {"requests", "sqlalchemy", "slack_sdk", "jinja2", "holidays", "yaml"}
    assert not heavy & {m.split(".")[0] for m in modules + top_level_imports}, path.name
    for module in modules:
        assert not module.startswith("airflow.") or module.startswith(
            ("airflow.sdk", "airflow.providers")
        ), f"{path.name}: import {module} (use airflow.sdk)"


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_parsing_needs_no_network_or_database(path: Path, monkeypatch, tmp_path) -> None:
    """Parse each file with sockets disabled and no domain DB: nothing may connect."""
    from airflow.dag_processing.dagbag import DagBag

    def refuse(*args, **kwargs):
        raise AssertionError(f"{path.name} opened a network connection at parse time")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("CITIZEN_DESK_DATA_DIR", str(tmp_path / "data"))
    bag = DagBag(dag_folder=str(path))
    assert bag.import_errors == {}
    assert bag.dags
    assert not (tmp_path / "data").exists(), f"{path.name} touched the data dir at parse time"


def test_the_setup_dag_runs_doctor_after_the_registry_sync(dagbag) -> None:
    dag = dagbag.dags["citizen_desk_setup"]
    doctor = dag.get_task("doctor")
    assert doctor.upstream_task_ids == {"migrate_and_sync_registry"}
    # the pools beside doctor: a channel's blocker does not keep the registry's pools from Airflow
    pools = dag.get_task("sync_pools")
    assert pools.upstream_task_ids == {"migrate_and_sync_registry"}
    assert pools.downstream_task_ids == set()
