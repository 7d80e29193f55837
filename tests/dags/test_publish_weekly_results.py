"""The `publish_weekly_results` DAG: its structure, and one real run through `dag.test()`.

The run parks the `approve` tasks in Airflow 3.3's AWAITING_INPUT state, exactly as under the
scheduler. `dag.test()` keeps polling until someone answers, so a background thread answers
through the real HITL REST endpoint (the core API app in-process, FastAPI TestClient) using
`scripts/approve_publication.py` — the same code path an admin script uses against a server.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import Channel, Publication, Tip
from citizen_desk.platforms.zalo_articles import ArticleClient
from citizen_desk.publication import approval
from tests.conftest import REPO, Sim
from tests.publication.conftest import SMALL
from tests.publication.seed import FB, INFORMANT, NOW, PERIOD, ZALO, seed_week

DAG_FILE = REPO / "dags" / "publish_weekly_results.py"
DAG_ID = "publish_weekly_results"
EDITED = "Công an tỉnh Thanh Hóa: tuần qua đã trả lời câu hỏi của Nhân dân. Xin cảm ơn!"
COVER = "https://cdn.example/citizen-desk/zalo-cover.jpg"
PHONE = "0912 345 678"
# The run's approval timeout. Nobody waits it out: once every request that gets an answer has had
# it, the timeout sweep runs on a clock this far ahead (plus a minute), as the scheduler's would
# then; the answers race no deadline.
APPROVAL_TIMEOUT = timedelta(hours=1)
POLL_SECONDS = 0.2  # how often the approver looks for new requests


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def test_structure(dag) -> None:
    tasks = dag.task_dict
    assert set(tasks) == {
        "prepare",
        "wait_for_collection",
        "compute",
        "render",
        "pii_gate",
        "approve",
        "publish",
    }
    assert tasks["wait_for_collection"].upstream_task_ids == {"prepare"}
    assert tasks["wait_for_collection"].mode == "reschedule"
    assert tasks["compute"].upstream_task_ids == {"wait_for_collection"}
    assert tasks["render"].upstream_task_ids == {"compute"}
    assert tasks["pii_gate"].upstream_task_ids == {"render"}
    assert tasks["approve"].upstream_task_ids == {"pii_gate"}
    assert tasks["publish"].upstream_task_ids == {"approve", "pii_gate", "render"}
    assert tasks["publish"].trigger_rule == "none_failed"
    approve = tasks["approve"]
    assert approve.operator_class.__name__ == "HITLOperator"
    assert approve.partial_kwargs["options"] == [approval.APPROVE, approval.REJECT]
    assert approve.partial_kwargs["defaults"] == [approval.REJECT]
    # no field at all: whatever an approver typed would be stored by Airflow (HITL table, XCom)
    # before our PII gate; edits are made on the Citizen Desk page, which the body points to
    from airflow.sdk.definitions.param import ParamsDict

    assert not approve.partial_kwargs.get("params")
    assert dict(ParamsDict.filter_params_by_source(approve.params, source="task")) == {}
    body = approval.approval_body(
        unit_name="X", channel_key=FB, period=PERIOD, text="t", timeout=timedelta(hours=24),
        report_path=None, edit_link=approval.edit_url("https://desk.example/citizen-desk/", 7),
    )  # fmt: skip
    assert "(https://desk.example/citizen-desk/publications/7/edit)" in body
    assert f"**{approval.EDIT_PAGE}**" in body
    assert f"**{approval.EDIT_BUTTON}**" in body
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == (
        "0 7 * * 1",
        "Asia/Ho_Chi_Minh",
    )
    assert dag.max_active_runs == 1
    assert set(dag.params) == {"dry_run", "allow_post_for_past_week"}


def test_approval_module_is_import_light() -> None:
    """The DAG file imports it at parse time: nothing from site-packages may come with it."""
    code = (
        "import sys; before = set(sys.modules)\n"
        "import citizen_desk.publication.approval\n"
        "for name in sorted(set(sys.modules) - before):\n"
        "    print(name, getattr(sys.modules[name], '__file__', None) or '-')"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "include")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.splitlines()
    loaded = dict(line.split(" ", 1) for line in out)
    assert loaded["citizen_desk.publication.approval"].startswith(str(REPO / "include"))
    third_party = [n for n, f in loaded.items() if "site-packages" in f or "dist-packages" in f]
    assert third_party == []


def test_script_finds_the_channel_in_the_approval_body() -> None:
    script = _load(REPO / "scripts" / "approve_publication.py", "_approve_script")
    body = approval.approval_body(
        unit_name="X", channel_key=FB, period=PERIOD, text="t", timeout=timedelta(hours=24),
        report_path=None, edit_link="http://x/publications/1/edit",
    )  # fmt: skip
    assert script.channel_of({"body": body}) == FB


# --- one real run ------------------------------------------------------------------------------


def _token(username: str, role: str = "user") -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=username, role=role))


def _core_api_client(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The core API, logged in as `admin`: the sample registry's publication approver."""
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    app = create_app(apps="core")
    return TestClient(app, headers={"Authorization": f"Bearer {_token('admin', 'admin')}"})


class Approver(threading.Thread):
    """Answers the run's approval requests through the REST API as soon as they appear."""

    def __init__(
        self,
        http: Any,
        script: Any,
        answers: dict[str, bool],
        edits: dict[str, Callable[[], None]],
    ) -> None:
        super().__init__(daemon=True)
        self.http, self.script, self.answers, self.edits = http, script, answers, edits
        self.answered: list[str] = []
        self.answered_channels: set[str] = set()
        self.bodies: dict[str, str] = {}  # what the admin saw, by channel
        self.error: BaseException | None = None
        self.done = threading.Event()
        # an Airflow admin who is not an assigned approver tries first: refused by the api-server
        self.intruder = {"Authorization": f"Bearer {_token('officer', 'admin')}"}
        self.intruder_statuses: list[int] = []

    def _run_id(self) -> str | None:
        runs = self.http.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"state": "running"})
        items = runs.json().get("dag_runs", []) if runs.status_code == 200 else []
        return items[0]["dag_run_id"] if items else None

    def run(self) -> None:
        deadline = time.monotonic() + 240
        try:
            while not self.done.is_set() and time.monotonic() < deadline:
                run_id = self._run_id()
                if run_id:
                    pending = self.script.pending_requests(self.http, "", {}, DAG_ID, run_id)
                    for detail in pending:
                        self.bodies[self.script.channel_of(detail)] = detail["body"]
                    for detail in pending:
                        channel = self.script.channel_of(detail)
                        if channel not in self.answers:
                            continue
                        assert detail["assigned_users"] == [{"id": "admin", "name": "admin"}]
                        map_index = detail["task_instance"]["map_index"]
                        path = f"{self.script._run_path(DAG_ID, run_id)}/taskInstances/approve"
                        intruder = self.http.patch(
                            f"{path}/{map_index}/hitlDetails",
                            json={"chosen_options": [approval.APPROVE]},
                            headers=self.intruder,
                        )
                        self.intruder_statuses.append(intruder.status_code)
                        if edit := self.edits.pop(channel, None):
                            edit()  # on the Citizen Desk page, before approving
                        # settle=0: dag.test() runs tasks in-process, no executor race
                        self.answered += self.script.approve_run(
                            self.http, "", run_id=run_id, approve=self.answers[channel],
                            channels=[channel], settle=0,
                        )  # fmt: skip
                        self.answered_channels.add(channel)
                    # the rest (seen, so their bodies are recorded) is left to the timeout
                    unanswered = {self.script.channel_of(d) for d in pending} - set(self.answers)
                    if unanswered and self.answered_channels >= set(self.answers):
                        _timeout_sweep(ahead=APPROVAL_TIMEOUT + timedelta(minutes=1))
                time.sleep(POLL_SECONDS)
        except BaseException as exc:  # surfaced by the test
            self.error = exc


def _timeout_sweep(ahead: timedelta) -> None:
    """What the scheduler does every loop: resolve requests past their response timeout, here as
    it would `ahead` of now (the sweep's clock only: nothing else moves)."""
    import logging

    from airflow.jobs import scheduler_job_runner

    class _Sweeper:
        log = logging.getLogger("hitl-timeout-sweep")

    wall_clock = scheduler_job_runner.timezone

    class _Later:
        def __getattr__(self, name: str) -> Any:
            return getattr(wall_clock, name)

        def utcnow(self) -> datetime:
            return wall_clock.utcnow() + ahead

    scheduler_job_runner.timezone = _Later()  # the sweep's module only; the run never uses it
    try:
        scheduler_job_runner.SchedulerJobRunner.check_awaiting_input_timeouts(_Sweeper())
    finally:
        scheduler_job_runner.timezone = wall_clock


@pytest.mark.airflow
def test_dag_run_with_approval_through_the_rest_api(
    airflow_db,
    dag,
    registry,
    simulator: Sim,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_templates,
) -> None:
    from citizen_desk.db.engine import _sqlite_pragmas

    url = db_templates.sqlite_copy("synced", tmp_path / "domain.db")  # registry synced at NOW
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    with sessionmaker(engine)() as session:
        tips = seed_week(session).tips
        # officer text that looks like Jinja must reach the approver verbatim, not evaluated
        session.get(Tip, tips["T1"]).public_outcome = "Đã xử lý vụ việc {{ 6 * 7 }} theo quy định."
        session.commit()
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", url)
    monkeypatch.setenv("CITIZEN_DESK_DATA_DIR", str(tmp_path / "data"))
    for conn_id, page_id in simulator.pages.items():
        conn = {"conn_type": "http", "password": f"sim-page-token-{page_id}",
                "extra": {"base_url": simulator.graph_url}}  # fmt: skip
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    zalo_conn = "zalo_th_ns_ngathuy"
    creds = simulator.sim.zalo_credentials(simulator.oa_id(zalo_conn))
    base = simulator.server.base_url
    conn = {"conn_type": "http", "login": creds["app_id"], "password": creds["secret_key"],
            "extra": {"refresh_token": creds["refresh_token"], "base_url": f"{base}/",
                      "oauth_url": f"{base}/v4/oa/access_token"}}  # fmt: skip
    monkeypatch.setenv(f"AIRFLOW_CONN_{zalo_conn.upper()}", json.dumps(conn))
    secrets = {"conn_type": "generic", "password": Fernet.generate_key().decode()}
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SECRETS", json.dumps(secrets))

    # The pages of three units (3 approvals instead of 13), and APPROVAL_TIMEOUT.
    small = _small_registry(registry)
    monkeypatch.setattr("citizen_desk.config.registry.load_registry", small)
    monkeypatch.setattr("citizen_desk.publication.tasks.load_registry", small)
    # The simulator answers the article's first verify with -214 "being processed", as Zalo does:
    # the DAG's client retries after a tenth of a second instead of 4 s.
    monkeypatch.setattr(
        "citizen_desk.publication.tasks.ArticleClient",
        functools.partial(ArticleClient, verify_backoff=0.1),
    )
    script = _load(REPO / "scripts" / "approve_publication.py", "_approve_script")
    refused: list[Any] = []

    def edit_province() -> None:
        """What the Citizen Desk page does with the approver's two submissions: one naming the
        informant and giving a phone number (refused, stored nowhere), then a clean one."""
        from citizen_desk.publication.revisions import save_revision

        with sessionmaker(engine)() as session:
            pub_id = session.scalars(
                select(Publication.id)
                .join(Channel, Publication.channel_id == Channel.id)
                .where(Channel.key == "fb-th", Publication.period == PERIOD.key)
            ).one()
            for text in (f"Cảm ơn chị {INFORMANT} ({PHONE}) đã báo tin. {EDITED}", EDITED):
                outcome = save_revision(
                    session, pub_id, text, editor="admin", now=datetime.now(UTC),
                    zone=registry.timezone,
                )  # fmt: skip
                session.commit()
                refused.append(outcome.kinds)

    approver = Approver(
        _core_api_client(monkeypatch),
        script,
        # the unit's post approved as shown (Facebook and Zalo OA), the province's edited first;
        # fb-th-ss-bacson: nobody answers, it times out
        {FB: True, "fb-th": True},
        {"fb-th": edit_province},
    )
    approver.start()
    try:
        run = dag.test(logical_date=NOW, run_conf={"allow_post_for_past_week": True})
    finally:
        approver.done.set()
        approver.join(timeout=10)
    assert approver.error is None, approver.error
    assert run.state == "success", run.state
    assert approver.intruder_statuses == [403, 403]  # only the assigned approver may answer
    assert refused == [("name", "phone"), ()]

    page, province = simulator.pages["fb_th_ns_ngathuy"], simulator.pages["fb_th"]
    posts = simulator.posts()
    assert sorted(posts) == sorted([page, province])
    (post,) = posts[page]
    (edited,) = posts[province]
    assert edited["message"].startswith(EDITED)  # the approver's edit, with the marker added
    assert edited["message"].rstrip().endswith(PERIOD.tag)
    # neither the refused edit nor the stored one ever reached Airflow's tables
    stored_by_airflow = _airflow_rows(run.run_id)
    assert "Duyệt đăng" in stored_by_airflow  # the answers are there
    for text in (INFORMANT, PHONE, "0912345678", EDITED):
        assert text not in stored_by_airflow
    assert sorted(approver.bodies) == ["fb-th", FB, "fb-th-ss-bacson"]
    assert "Tuần 47 (16/11–22/11/2026)" in approver.bodies[FB]
    assert "Đã xử lý vụ việc {{ 6 * 7 }} theo quy định." in approver.bodies[FB]
    with sessionmaker(engine)() as session:
        rows = session.execute(
            select(Channel.key, Publication.status, Publication.blocked_reason,
                   Publication.text, Publication.platform_post_id)
            .join(Channel, Publication.channel_id == Channel.id)
            .where(Publication.period == PERIOD.key)
        ).all()  # fmt: skip
    status = {key: st for key, st, _r, _t, _p in rows}
    reasons = {key: r for key, _s, r, _t, _p in rows}
    texts = {key: t for key, _s, _r, t, _p in rows}
    ids = {key: p for key, _s, _r, _t, p in rows}
    assert post["message"] == texts[FB]  # approved without edit: posted exactly as shown
    assert post["message"].rstrip().endswith("#CongAnXaNgaThuy #Tuan47_2026")
    # the Zalo OA text went out once, as an article of the same approved text
    (article,) = simulator.zalo_articles()[simulator.oa_id("zalo_th_ns_ngathuy")]
    assert [b["content"] for b in article["body"]] == [
        line.strip() for line in texts[ZALO].splitlines() if line.strip()
    ]
    assert article["title"].endswith(PERIOD.tag)
    assert article["cover"]["photo_url"] == COVER
    assert len(simulator.sim.zalo.articles.jobs()) == 1
    assert simulator.zalo_broadcasts() == []  # broadcast is off by default
    assert (status[FB], status[ZALO], status["fb-th"]) == ("published",) * 3
    assert ids[ZALO] == article["id"]
    assert status["fb-th-ss-bacson"] == "rejected"  # timed out: the default is "do not publish"
    assert reasons["fb-th-ss-bacson"] == "approval_timeout"
    report = (tmp_path / "data" / "reports" / "2026-W47.html").read_text(encoding="utf-8")
    assert "lượt hiển thị" in report  # page insights fetched from the (simulated) Graph API
    engine.dispose()


def _airflow_rows(run_id: str) -> str:
    """Everything Airflow stored for the run's approvals and results: its HITL rows (request,
    params, answer, params_input; history too) and XCom values, as one JSON text."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.hitl_history import HITLDetailHistory
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    def columns(row: Any) -> dict[str, Any]:
        return {c.key: getattr(row, c.key) for c in row.__table__.columns}

    with create_session() as session:
        hitl = session.scalars(
            select(HITLDetail)
            .join(TaskInstance, HITLDetail.ti_id == TaskInstance.id)
            .where(TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id)
        ).all()
        history = session.scalars(select(HITLDetailHistory)).all()
        xcoms = session.scalars(
            select(XComModel).where(XComModel.dag_id == DAG_ID, XComModel.run_id == run_id)
        ).all()
        rows = [columns(r) for r in (*hitl, *history, *xcoms)]
    assert hitl
    assert all(r.params == {} and r.params_input == {} for r in hitl)  # no field, no text
    assert xcoms
    return json.dumps(rows, ensure_ascii=False, default=str)


def _small_registry(registry: Any) -> Any:
    from dataclasses import replace

    from citizen_desk.config.registry import PublicationPolicy

    small = replace(
        registry,
        channels=tuple(c for c in registry.channels if c.unit in SMALL),  # others: inactive
        publication=PublicationPolicy(
            min_count=3, approval_timeout=APPROVAL_TIMEOUT, zalo_cover_url=COVER
        ),
    )
    return lambda path=None: small
