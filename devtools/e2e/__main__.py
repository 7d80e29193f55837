"""`python -m e2e local|celery`: run the end-to-end scenario on one topology.

Exit status 0 only when every check passed (SKIPPED steps, e.g. a DAG missing from dags/, are
reported but do not fail the run; use --strict to make them fail).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from datetime import UTC, datetime, timedelta

from e2e import checks
from e2e.alerts import AlertChecks, BrokenRegistry
from e2e.environment import REPO
from e2e.realtime import Realtime
from e2e.report import SKIPPED, Report
from e2e.scenario import COLLECT, Chaos, Scenario
from e2e.topology import CeleryTopology, LocalTopology, Topology

DEADLINE_MINUTES = 1.0  # CITIZEN_DESK_COLLECT_DEADLINE_MINUTES for the e2e (production: 120)


def build(name: str, keep: bool) -> Topology:
    # The simulated world is frozen a little before "now": every run sees the same world.
    world_now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    extra = {
        "CITIZEN_DESK_COLLECT_DEADLINE_MINUTES": f"{DEADLINE_MINUTES:g}",
        # No scheduled collection on unpause (the daily slot of last midnight would run at once):
        # the cycle's collection is the REST-triggered one, the same in the calm and chaos runs.
        "CITIZEN_DESK_COLLECT_SCHEDULE": "0 0 29 2 *",
    }
    overlay = os.environ.get("CITIZEN_DESK_E2E_PYTHONPATH")  # e.g. to try a dependency fix
    if overlay:
        extra["PYTHONPATH"] = os.pathsep.join([overlay, str(REPO / "include")])
    if name == "local":
        return LocalTopology("local", world_now, extra_env=extra, keep=keep)
    return CeleryTopology("celery", world_now, extra_env=extra, keep=keep)


def run_local(scenario: Scenario, topo: Topology) -> None:
    cycle = scenario.cycle("calm", inject_failure=True)
    scenario.verify("calm")
    alerts = AlertChecks(scenario, topo)
    if cycle.runs.get(COLLECT):
        alerts.first_collection("calm", cycle.runs[COLLECT][-1])
    scenario.sweep("calm")
    scenario.broken_page("alerts")
    scenario.deadline_alert("alerts", DEADLINE_MINUTES)
    BrokenRegistry(scenario, topo).run("alerts")
    realtime = Realtime(scenario, topo)
    if realtime.run("realtime"):
        alerts.closed_before_send("alerts", realtime.inject, scenario.wait_until)
        alerts.deliverers_under_storm("alerts", realtime.inject, scenario.wait_until)
    scenario.check_task_states("final")
    scenario.sweep("final")


def run_celery(scenario: Scenario, topo: CeleryTopology, chaos: bool) -> None:
    scenario.cycle("calm", inject_failure=True)
    state, posts, due = scenario.verify("calm")
    scenario.sweep("calm")
    if chaos:
        run_chaos(scenario, topo, checks.outcome(state, posts, due))
    Realtime(scenario, topo).run("realtime")


def run_chaos(scenario: Scenario, topo: CeleryTopology, calm: checks.RunOutcome) -> None:
    report = scenario.report
    with report.timed("chaos: fresh domain DB + fresh simulator (same seed, same world)"):
        topo.reset_domain()
        topo.start_simulator(tag="-chaos")
    disturb = Chaos(scenario, topo)
    holder: dict[str, str] = {}
    holder_late = len(scenario.late_alerts())

    def remember(run_id: str) -> None:
        holder["collect"] = run_id
        disturb.during_collection(run_id)

    scenario.cycle(
        "chaos",
        setup=False,
        during_collection=remember,
        after_collection=lambda: holder.setdefault(
            "recollect", disturb.heal_and_recollect("chaos")
        ),
    )
    report.info("chaos: what was done", disturb.events)
    state, posts, due = scenario.verify("chaos")
    if "collect" in holder:
        run = scenario.api.run("collect_citizen_messages", holder["collect"])
        scenario.check_broken_page("chaos", holder["collect"], run)
        scenario.check_late_alert("chaos", holder["collect"], run, holder_late, DEADLINE_MINUTES)
    report.check(
        "chaos: final DB, Slack and posts equal the undisturbed run's",
        *checks.compare_outcomes(calm, checks.outcome(state, posts, due)),
    )
    scenario.sweep("chaos")


def run_national(channels: int, timeout: float) -> int:
    """`--national N`: one daily collection of the national world cut to N channels on the
    Celery topology (tokens from the secrets backend above the REST limit), checked: the run
    succeeded, no task failed, every world message stored exactly once. The bench's scale
    section measures the same run (`bench.scale.measure`): one code path, two reports."""
    import tempfile
    from pathlib import Path

    from bench.common import Env
    from bench.scale import Size, measure, missing_or_doubled

    report = Report(f"celery, national world cut to {channels} channels")
    size = Size(channels=(channels,), topology="celery", run_timeout=timeout)
    with (
        tempfile.TemporaryDirectory(prefix="citizen-desk-e2e-national-") as scratch,
        report.timed(f"daily collection of {channels} channels"),
    ):
        result = measure(channels, size, Env(workdir=Path(scratch), pg_url=None, log=print))
    states = result.get("task_states") or {}
    succeeded = result.get("run_state") == "success" and not states.get("failed")
    report.check(
        "the collection run succeeded, no task failed",
        [] if succeeded else [f"run {result.get('run_state')}, tasks {states}"],
        [
            f"run {result.get('run_seconds')} s, tasks {states}, "
            f"scheduler CPU {result.get('scheduler_cpu_seconds')} s"
        ],
    )
    messages = result.get("messages") or {"error": "not checked"}
    report.check(
        "every world message stored exactly once",
        missing_or_doubled(messages),
        [f"{messages.get('stored')} stored / {messages.get('world')} in the world"],
    )
    print(report.summary(), flush=True)
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/e2e.sh", description=__doc__)
    parser.add_argument("topology", choices=["local", "celery"])
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, DBs)")
    parser.add_argument("--no-chaos", action="store_true", help="celery: skip the chaos cycle")
    parser.add_argument("--strict", action="store_true", help="SKIPPED steps fail the run")
    parser.add_argument(
        "--national",
        type=int,
        metavar="N",
        help="celery: instead of the scenario, one daily collection of the national world cut "
        "to N channels (6570: the whole country), checked for success and completeness",
    )
    parser.add_argument("--national-timeout", type=float, default=3600.0, metavar="S")
    args = parser.parse_args(argv)
    if args.national:
        if args.topology != "celery":
            parser.error("--national runs on the celery topology")
        return run_national(args.national, args.national_timeout)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # background jobs ignore SIGINT; either signal must still stop every process we started
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    topo = build(args.topology, keep=args.keep or bool(os.environ.get("CITIZEN_DESK_E2E_KEEP")))
    report = Report(args.topology)
    print(f"e2e {args.topology}: working dir {topo.root}", flush=True)
    crashed = False
    try:
        with report.timed("start the topology"):
            topo.start()
        report.info("topology", [f"{k}: {v}" for k, v in topo.describe().items()])
        scenario = Scenario(topo, report, chaos=not args.no_chaos)
        scenario.discover()
        if isinstance(topo, CeleryTopology):
            run_celery(scenario, topo, chaos=not args.no_chaos)
        else:
            run_local(scenario, topo)
    except (Exception, KeyboardInterrupt) as exc:
        crashed = True
        traceback.print_exc()
        report.add("run aborted", "FAIL", [f"{type(exc).__name__}: {exc}"])
        for proc in topo.procs.values():
            print(f"--- last lines of {proc.name} ({proc.log_path})")
            print(proc.tail(15))
    finally:
        with report.timed("stop the topology"):
            topo.stop()
        report.write_json(topo.root / "report.json")
        print(report.summary(), flush=True)
        if report.failed or crashed:
            print(f"logs kept in {topo.root}")
        else:
            topo.cleanup()
    if crashed or report.failed:
        return 1
    if args.strict and any(e.status == SKIPPED for e in report.entries):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
