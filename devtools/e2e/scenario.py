"""The end-to-end scenario: one full scheduler-driven cycle, checks, pipeline alerts, chaos.

Cycle = unpause the DAGs, let the scheduler run, trigger `collect_citizen_messages` through the
REST API, wait for the asset `citizen_desk://cases` to trigger `check_reply_sla` and
`escalate_unverified_tips`, then trigger `publish_weekly_results` and approve its requests
through the REST API (as `scripts/approve_publication.py` does). Then every outcome is checked
against the simulator's ground truth and the domain DB, and every output is swept for the
planted informants' identities.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from e2e import checks, confidentiality
from e2e.airflow_rest import TERMINAL_RUN_STATES
from e2e.report import Report
from e2e.simulator import CANARIES
from e2e.topology import E2E_PASSWORD, E2E_USER, CeleryTopology, Topology

SETUP = "citizen_desk_setup"
COLLECT = "collect_citizen_messages"
SLA = "check_reply_sla"
ESCALATE = "escalate_unverified_tips"
PUBLISH = "publish_weekly_results"
REALTIME = "process_realtime_events"
RETRAIN = "retrain_triage_model"  # weekly: parsed and checked, never triggered by the cycle
EXPECTED_DAGS = (SETUP, COLLECT, SLA, ESCALATE, PUBLISH, REALTIME, RETRAIN)
ADMIN_CHANNEL = "C07TECHADMIN"  # registry.yaml technical_admins[0]
BROKEN_PAGE = "fb-th-ns-ngatan"  # its token expires during the chaos run
BROKEN_PAGE_ID = "100064512300013"
# Every Graph call 15 s (under the client's 20 s timeout) until the alert came: no count, so the
# run cannot finish inside the deadline however the mapped tasks overlap (cleared afterwards).
SLOW = {"kind": "latency", "target": "graph", "ms": 15000}


@dataclass
class Allowed:
    """Task failures a fault was injected for: (dag_id, run_id, task_id prefix)."""

    items: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, dag_id: str, run_id: str, task_prefix: str) -> None:
        self.items.add((dag_id, run_id, task_prefix))

    def covers(self, ti: dict[str, Any]) -> bool:
        return any(
            ti["dag_id"] == d and ti["dag_run_id"] == r and ti["task_id"].startswith(t)
            for d, r, t in self.items
        )


@dataclass
class Cycle:
    """What one cycle did: the runs it triggered, and when it started."""

    name: str
    started: datetime
    runs: dict[str, list[str]] = field(default_factory=dict)


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Scenario:
    def __init__(self, topology: Topology, report: Report, *, chaos: bool) -> None:
        self.topo = topology
        self.api = topology.client
        self.sim = topology.simulator
        self.report = report
        self.chaos = chaos
        self.allowed = Allowed()
        self.present: set[str] = set()
        self.tag = secrets.token_hex(3)

    # --- helpers -------------------------------------------------------------------------------

    def has(self, *dag_ids: str) -> bool:
        return all(d in self.present for d in dag_ids)

    def run_id(self, what: str) -> str:
        return f"e2e_{what}_{self.tag}"

    def wait_until(self, what: str, predicate: Callable[[], Any], timeout: float, poll: float = 2):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(poll)

    def settle(
        self,
        dag_ids: Iterable[str],
        since: datetime,
        timeout: float = 420,
        also_idle: Iterable[str] = (COLLECT,),
    ) -> None:
        """Wait until each of `dag_ids` has a run created since `since` (asset or schedule), and
        no run of them or of `also_idle` is still queued or running."""
        dag_ids = list(dag_ids)
        idle = [d for d in also_idle if self.has(d) and d not in dag_ids]

        def done() -> bool:
            for dag_id in [*dag_ids, *idle]:
                runs = self.api.runs(dag_id)
                if any(r["state"] not in TERMINAL_RUN_STATES for r in runs):
                    return False
                if dag_id in dag_ids and not any(
                    (parse_time(r.get("run_after")) or since) >= since for r in runs
                ):
                    return False
            return True

        self.wait_until(f"{dag_ids} to settle", done, timeout, poll=3)

    def settle_collections(self, downstream: list[str]) -> None:
        """Wait for running collections, then for the SLA/escalation runs they triggered."""
        pending = [r for r in self.api.runs(COLLECT) if r["state"] not in TERMINAL_RUN_STATES]
        if not pending:
            return
        first = min(parse_time(r.get("start_date")) or utcnow() for r in pending)
        for run in pending:
            self.api.wait_run(COLLECT, run["dag_run_id"], timeout=900)
        if downstream:
            self.settle(downstream, since=first)

    def trigger_and_wait(
        self, dag_id: str, what: str, conf: dict[str, Any] | None = None, timeout: float = 600
    ) -> dict[str, Any]:
        run_id = self.run_id(what)
        self.api.trigger(dag_id, run_id, conf=conf)
        return self.api.wait_run(dag_id, run_id, timeout=timeout)

    # --- the cycle -----------------------------------------------------------------------------

    def discover(self) -> None:
        with self.report.timed("DAGs parsed by the dag-processor"):
            seen = self.topo.wait_dags(list(EXPECTED_DAGS), timeout=240)
        self.present = set(seen) & set(EXPECTED_DAGS)
        missing = [d for d in EXPECTED_DAGS if d not in self.present]
        for dag_id in missing:
            self.report.skip(
                f"DAG {dag_id}", "not in dags/ (or import error): its steps are skipped"
            )
        if missing:
            self.report.info("DAGs present", sorted(self.present))

    def cycle(
        self,
        name: str,
        *,
        setup: bool = True,
        inject_failure: bool = False,
        during_collection: Callable[[str], None] | None = None,
        after_collection: Callable[[], None] | None = None,
    ) -> Cycle:
        """One full cycle. `during_collection(run_id)` runs while the collection is in flight,
        `after_collection()` once it and its asset-triggered runs are done."""
        cycle = Cycle(name, utcnow())
        if setup and self.has(SETUP):
            with self.report.timed(f"{name}: citizen_desk_setup"):
                self.api.set_paused(SETUP, False)
                run = self.trigger_and_wait(SETUP, f"{name}_setup", timeout=300)
            self.report.check(
                f"{name}: citizen_desk_setup run",
                [] if run["state"] == "success" else [f"state {run['state']}"],
            )
        downstream = [d for d in (SLA, ESCALATE) if self.has(d)]
        if downstream:
            with self.report.timed(f"{name}: unpause SLA + escalation (first scheduled runs)"):
                for dag_id in downstream:
                    self.api.set_paused(dag_id, False)
                # Unpausing fires the hourly schedule at once for the latest hour; let those runs
                # finish on what the DB holds now, so they cannot race the collection.
                time.sleep(4)
                self.settle(downstream, since=datetime.min.replace(tzinfo=UTC), timeout=300)
        # its run takes a while: start it now, check it at the end of the cycle
        failing = self.inject_task_failure(name) if inject_failure else None
        if not self.has(COLLECT):
            self.report.skip(f"{name}: collection", f"{COLLECT} missing")
        else:
            if self.api.dag(COLLECT)["is_paused"]:
                with self.report.timed(f"{name}: unpause collection (its first scheduled run)"):
                    self.api.set_paused(COLLECT, False)
                    # catchup is off, but the latest daily slot (last midnight) runs at once; let
                    # it and the runs its asset triggers finish before ours
                    time.sleep(5)
                    self.settle_collections(downstream)
            with self.report.timed(f"{name}: collection (REST) + asset-triggered SLA/escalation"):
                run_id = self.run_id(f"{name}_collect")
                start = utcnow()
                self.api.trigger(COLLECT, run_id, conf={})
                cycle.runs.setdefault(COLLECT, []).append(run_id)
                if during_collection is not None:
                    during_collection(run_id)
                run = self.api.wait_run(COLLECT, run_id, timeout=900)
                if downstream:
                    self.settle(downstream, since=start)
            self.report.info(f"{name}: collection run {run_id} ended {run['state']}")
        if after_collection is not None:
            after_collection()
        self.publish(cycle)
        self.check_failure_alert(name, failing)
        return cycle

    def publish(self, cycle: Cycle) -> None:
        if not self.has(PUBLISH):
            self.report.skip(f"{cycle.name}: weekly publication", f"{PUBLISH} missing")
            return
        with self.report.timed(f"{cycle.name}: publish_weekly_results + REST approval"):
            self.api.set_paused(PUBLISH, False)
            run_id = self.run_id(f"{cycle.name}_publish")
            self.api.trigger(PUBLISH, run_id, conf={"dry_run": False})
            cycle.runs.setdefault(PUBLISH, []).append(run_id)
            answered = self.approve_all(timeout=600)
            self.report.info(
                f"{cycle.name}: approval requests answered via REST",
                answered[:3] + ([f"... {len(answered)} in all"] if len(answered) > 3 else []),
            )
            run = self.api.run(PUBLISH, run_id)
            self.report.check(
                f"{cycle.name}: publish run {run_id}",
                [] if run["state"] == "success" else [f"state {run['state']}"],
            )

    def approve_all(self, timeout: float) -> list[str]:
        """Approve every pending request of every publish run until all runs are done.

        Uses `scripts/approve_publication.py` (the same REST calls an operator script makes).
        """
        from scripts.approve_publication import approve_run

        answered: list[str] = []
        deadline = time.monotonic() + timeout
        with requests.Session() as http:
            http.trust_env = False
            while True:
                runs = self.api.runs(PUBLISH)
                open_runs = [r for r in runs if r["state"] not in TERMINAL_RUN_STATES]
                if not open_runs:
                    return answered
                for run in open_runs:
                    answered += [
                        f"{run['dag_run_id']} {item}"
                        for item in approve_run(
                            http,
                            self.api.base_url,
                            run_id=run["dag_run_id"],
                            approve=True,
                            username=E2E_USER,
                            password=E2E_PASSWORD,
                        )
                    ]
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"publish runs still open: {[r['dag_run_id'] for r in open_runs]}"
                    )
                time.sleep(3)

    # --- checks --------------------------------------------------------------------------------

    def last_sweep_time(self, dag_id: str) -> datetime | None:
        """The `now` of the DAG's latest finished run: data_interval_end, else run_after."""
        times = []
        for run in self.api.runs(dag_id):
            if run["state"] != "success":
                continue
            conf_as_of = (run.get("conf") or {}).get("as_of")
            when = parse_time(conf_as_of) if conf_as_of else None
            when = (
                when or parse_time(run.get("data_interval_end")) or parse_time(run.get("run_after"))
            )
            if when:
                times.append(when)
        return max(times) if times else None

    def verify(self, name: str) -> tuple[checks.DomainState, dict[str, Any], dict[str, datetime]]:
        """Ground-truth checks after a cycle; returns the state, posts and escalation due times."""
        state = checks.load_domain(self.topo.domain_url)
        truth = self.sim.truth()
        slack = self.sim.slack_messages()
        posts = self.sim.posts()
        if self.has(COLLECT):
            self.report.check(
                f"{name}: every world message stored exactly once",
                *checks.check_messages(state, truth),
            )
        self.report.check(
            f"{name}: outbox 'sent' == Slack received, once per key and recipient",
            *checks.check_outbox_against_slack(state, slack),
        )
        if self.has(SLA):
            self.report.check(
                f"{name}: SLA alerts match the recorded sla_events",
                *checks.check_sla_notices(state),
            )
        due: dict[str, datetime] = {}
        if self.has(ESCALATE):
            last = self.last_sweep_time(ESCALATE)
            if last is None:
                self.report.add(f"{name}: escalation alerts", "FAIL", ["no successful sweep"])
            else:
                due = checks.escalation_due(self.topo.domain_url, last)
                self.report.check(
                    f"{name}: escalation alerts due at the last sweep "
                    f"({last:%H:%M:%S}) are enqueued",
                    *checks.check_escalations(state, due),
                )
                self.report.check(
                    f"{name}: no reminder counts reminders nobody received",
                    *checks.check_reminder_counts(state),
                )
        if self.has(PUBLISH):
            periods = {p["period"] for p in state.publications}
            articles = self.sim.zalo_articles()
            problems, info = checks.check_posts(state, posts, None, articles)
            published = [p for p in state.publications if p["status"] == "published"]
            if not published:
                problems.append(f"no weekly post was published (ledger: {state.publications[:3]})")
            self.report.check(
                f"{name}: weekly posts published once per page {sorted(periods)}", problems, info
            )
        self.check_task_states(name)
        return state, posts, due

    def check_task_states(self, name: str) -> None:
        bad = []
        for state in ("failed", "upstream_failed"):
            for ti in self.api.task_instances(state=state):
                if ti["dag_id"] not in EXPECTED_DAGS:
                    continue
                if not self.allowed.covers(ti):
                    label = ti.get("rendered_map_index") or ti.get("map_index")
                    bad.append(
                        f"{ti['dag_id']}/{ti['dag_run_id']}/{ti['task_id']}[{label}] {state}"
                    )
        self.report.check(f"{name}: no task failed except where a fault was injected", bad)

    def sweep(self, name: str) -> None:
        """Search every output for the canaries (names, platform ids, phone numbers)."""
        pins = confidentiality.needles(CANARIES)
        hits: list[confidentiality.Hit] = []
        hits += confidentiality.scan_slack(self.sim.slack_messages(), pins)
        hits += confidentiality.scan_posts(self.sim.posts(), pins)
        data_hits, data_files = confidentiality.scan_files(
            confidentiality.walk(self.topo.data_dir), pins, "data file"
        )
        log_hits, log_files = confidentiality.scan_files(
            confidentiality.walk(self.topo.airflow_home / "logs"), pins, "task log"
        )
        proc_logs = [
            p for p in confidentiality.walk(self.topo.logs_dir) if "simulator" not in p.name
        ]
        proc_hits, _ = confidentiality.scan_files(proc_logs, pins, "process log")
        xcom_hits, xcom_rows = confidentiality.scan_xcom(self.topo.metadata_url, pins)
        state = checks.load_domain(self.topo.domain_url)
        hits += data_hits + log_hits + proc_hits + xcom_hits
        hits += confidentiality.scan_outbox(state.notifications, pins)
        reports = [p for p in confidentiality.walk(self.topo.data_dir) if p.suffix == ".html"]
        info = [
            f"{len(pins)} needles from {len(CANARIES)} canaries; searched "
            f"{len(self.sim.slack_messages())} Slack payloads, posts, {data_files} data files "
            f"({len(reports)} HTML reports), {log_files} task log files, {xcom_rows} XCom rows, "
            f"{len(state.notifications)} outbox payloads, {len(proc_logs)} process logs"
        ]
        self.report.check(f"{name}: confidentiality sweep", [str(h) for h in hits], info)
        truth = self.sim.truth()
        planted = [m for m in truth["messages"] if m.get("canary")]
        stored = {(m["channel"], m["id"]) for m in planted} & set(state.messages)
        self.report.check(
            f"{name}: the canaries' tips were collected (the sweep is meaningful)",
            []
            if planted and len(stored) == len(planted)
            else [f"{len(stored)}/{len(planted)} canary messages stored"],
        )

    # --- pipeline health alerts ----------------------------------------------------------------

    def admin_messages(self) -> list[dict[str, Any]]:
        return [
            m
            for m in self.sim.slack_messages()
            if (m.get("requested_channel") or m.get("channel")) == ADMIN_CHANNEL
        ]

    def inject_task_failure(self, name: str) -> str | None:
        """Start an escalation run with an `as_of` that passes the param's pattern but is no
        date (30 February): its sweep task raises ConfigError and fails at once (no retries),
        so TaskFailureNotifier must alert the admin channel. Runs in the background;
        `check_failure_alert` looks later. (A malformed `as_of` is refused at trigger time.)"""
        if not self.has(ESCALATE):
            self.report.skip(f"{name}: injected task failure", f"{ESCALATE} missing")
            return None
        run_id = self.run_id(f"{name}_bad_as_of")
        self.allowed.add(ESCALATE, run_id, "")
        self.api.trigger(ESCALATE, run_id, conf={"as_of": "2026-02-30T10:00"})
        return run_id

    def check_failure_alert(self, name: str, run_id: str | None) -> None:
        if run_id is None:
            return
        with self.report.timed(f"{name}: wait for the injected failure"):
            run = self.api.wait_run(ESCALATE, run_id, timeout=600)
        texts = [str(m.get("text") or "") for m in self.admin_messages()]
        failure = [t for t in texts if "thất bại" in t and run_id in t]
        self.report.check(
            f"{name}: failed task -> TaskFailureNotifier message in {ADMIN_CHANNEL}",
            []
            if run["state"] == "failed"
            else [f"run {run_id} ended {run['state']}"]
            + ([] if failure else [f"no failure alert naming {run_id}; {len(texts)} admin msgs"]),
            [failure[0].splitlines()[0][:160]] if failure else [],
        )

    def broken_page(self, name: str) -> None:
        """Expire one page's token for a one-channel collection: the task fails at once (no
        retries: PermanentFailure) and the collection reports the broken page to the admins."""
        if not self.has(COLLECT):
            self.report.skip(f"{name}: expired page token", f"{COLLECT} missing")
            return
        with self.report.timed(f"{name}: expired page token (one-channel collection)"):
            fault = self.sim.add_faults({"kind": "expired_token", "page": BROKEN_PAGE_ID})[0]
            run_id = self.run_id(f"{name}_broken_token")
            self.allowed.add(COLLECT, run_id, "collect_facebook")
            start = utcnow()
            self.api.trigger(COLLECT, run_id, conf={"channels": [BROKEN_PAGE]})
            run = self.api.wait_run(COLLECT, run_id, timeout=600)
            self.sim.clear_faults(fault["id"])
            self.settle([d for d in (SLA, ESCALATE) if self.has(d)], since=start)
        self.check_broken_page(name, run_id, run)

    def check_broken_page(self, name: str, run_id: str, run: dict[str, Any]) -> None:
        tis = self.api.task_instances(COLLECT, run_id, state="failed")
        failed = [t.get("rendered_map_index") or t["map_index"] for t in tis]
        self.report.check(
            f"{name}: only the broken page's task failed, at once",
            []
            if failed == [BROKEN_PAGE] and all(t.get("try_number") == 1 for t in tis)
            else [f"failed tasks {failed} (tries {[t.get('try_number') for t in tis]})"],
        )
        texts = [str(m.get("text") or "") for m in self.admin_messages()]
        broken = [t for t in texts if BROKEN_PAGE in t]
        self.report.check(
            f"{name}: a Slack message to the admins names the broken page {BROKEN_PAGE}",
            [] if broken else [f"no admin message names {BROKEN_PAGE} ({len(texts)} admin msgs)"],
            [broken[0].splitlines()[0][:160]] if broken else [],
        )
        state = checks.load_domain(self.topo.domain_url)
        prefix = f"collect-failed:{BROKEN_PAGE}:"
        alerts = [n for n in state.notifications if n["key"].startswith(prefix)]
        pending = sum(n["status"] == "pending" for n in state.notifications)
        self.report.check(
            f"{name}: the collection's own broken-page alert (outbox) reached the admins",
            []
            if alerts and all(n["status"] == "sent" for n in alerts)
            else [
                f"{prefix}*: "
                + (", ".join(f"{n['key']} {n['status']}" for n in alerts) or "never enqueued")
                + f"; {pending} notifications pending (delivery is oldest-first, 200 per run)"
            ],
        )

    def late_alerts(self) -> list[str]:
        """Texts of the Deadline Alert messages ('collection ... not finished after ...')."""
        return [
            str(m.get("text"))
            for m in self.admin_messages()
            if "chưa hoàn tất" in str(m.get("text"))
        ]

    def deadline_alert(self, name: str, minutes: float) -> None:
        """A collection run slowed by injected latency outlives the (short, e2e) deadline."""
        if not self.has(COLLECT):
            self.report.skip(f"{name}: deadline alert", f"{COLLECT} missing")
            return
        with self.report.timed(f"{name}: deadline alert (latency-slowed collection)"):
            before = len(self.late_alerts())
            fault = self.sim.add_faults(SLOW)[0]
            run_id = self.run_id(f"{name}_slow")
            start = utcnow()
            self.api.trigger(COLLECT, run_id, conf={})
            with contextlib.suppress(TimeoutError):  # reported by check_late_alert
                self.wait_until(
                    "the late-collection alert",
                    lambda: len(self.late_alerts()) > before,
                    timeout=minutes * 60 + 240,
                    poll=3,
                )
            still_running = self.api.run(COLLECT, run_id)["state"] not in TERMINAL_RUN_STATES
            self.sim.clear_faults(fault["id"])
            run = self.api.wait_run(COLLECT, run_id, timeout=600)
            self.settle([d for d in (SLA, ESCALATE) if self.has(d)], since=start)
        self.check_late_alert(name, run_id, run, before, minutes, still_running)

    def check_late_alert(
        self,
        name: str,
        run_id: str,
        run: dict[str, Any],
        before: int,
        minutes: float,
        still_running: bool = True,
    ) -> None:
        new = self.late_alerts()[before:]
        self.report.check(
            f"{name}: Deadline Alert 'collection is late' fired (deadline {minutes:g} min)",
            [] if new else [f"no late alert while {run_id} ran ({run['state']})"],
            [
                f"{len(new)} new alert(s); run {run_id} {run['state']}; "
                f"alert came while the run was {'running' if still_running else 'done'}"
            ],
        )
        if new:
            self.report.check(
                f"{name}: the late alert names the run",
                []
                if any(run_id in t for t in new)
                else [
                    f"alert text does not name {run_id}: {new[-1][:140]!r} (collection_is_late "
                    "reads context['dag_run']['run_id']; the callback context is REST-shaped "
                    "and has 'dag_run_id')"
                ],
            )


# --- chaos -------------------------------------------------------------------------------------


class Chaos:
    """The disturbances of the chaos cycle (celery topology)."""

    def __init__(self, scenario: Scenario, topology: CeleryTopology) -> None:
        self.s = scenario
        self.topo = topology
        self.events: list[str] = []

    def during_collection(self, run_id: str) -> None:
        api, sim = self.s.api, self.s.sim
        sim.add_faults(
            {"kind": "error_rate", "target": "graph", "rate": 0.35, "count": 25},
            {"kind": "error_rate", "target": "zalo", "rate": 0.35, "count": 8},
            # short bursts (regain at once): a long regain time makes the collector park the
            # task for 15 minutes (RateLimited retry rule), past this run's time budget
            {"kind": "rate_limit", "page": "100064512300001", "count": 3, "regain_minutes": 0},
            {
                "kind": "rate_limit",
                "page": "100064512300020",
                "code": 4,
                "count": 2,
                "regain_minutes": 0,
            },
            {"kind": "rate_limit", "target": "zalo", "count": 3},
            {"kind": "expired_token", "page": BROKEN_PAGE_ID},
            {"kind": "latency", "target": "graph.conversations", "ms": 1500, "count": 30},
        )
        self.events.append("simulator: 5xx bursts, rate limits, latency, expired token")
        self.s.allowed.add(COLLECT, run_id, "collect_facebook")  # the broken page's task

        def running_collects() -> list[dict[str, Any]]:
            return [
                ti
                for ti in api.task_instances(COLLECT, run_id)
                if ti["task_id"].startswith("collect_") and ti["state"] == "running"
            ]

        try:
            self.s.wait_until("collection tasks running", running_collects, timeout=180, poll=1)
        except TimeoutError:
            self.events.append("no collection task seen running: kill skipped")
            return
        killed = self.topo.kill_worker(1)
        self.events.append(f"kill -9 {killed} (process group) while collect tasks ran")
        time.sleep(3)
        self.topo.restart_scheduler()
        self.events.append("scheduler restarted (SIGTERM, then started again)")
        time.sleep(5)
        self.topo.restart_worker(1)
        self.events.append(f"{killed} started again")

    def heal_and_recollect(self, name: str) -> str:
        """The admin renews the token: clear the faults, collect again (catches up the page)."""
        self.s.sim.clear_faults()
        run_id = self.s.run_id(f"{name}_recollect")
        start = utcnow()
        self.s.api.trigger(COLLECT, run_id, conf={})
        run = self.s.api.wait_run(COLLECT, run_id, timeout=900)
        self.s.settle([d for d in (SLA, ESCALATE) if self.s.has(d)], since=start)
        self.events.append(f"faults cleared, re-collection {run_id}: {run['state']}")
        return run_id
