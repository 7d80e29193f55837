"""Cold sweeps after a burst: 10k open cases turn late at once, 10k open tips pass a threshold.

The world (PostgreSQL and SQLite, seeded once per engine, then copied for every timed run: a
PostgreSQL `CREATE DATABASE … TEMPLATE`, a copy of the SQLite file):
- `cases` open cases awaiting a reply, one citizen each (a protected name and profile, only there
  to be masked) and one citizen message (a text of the triage eval set); their turn started so
  that the reply deadline (category target, working calendar, or the platform's reply window,
  whichever comes first — found with `sla.policy.evaluate_turn` itself) passed between 1 and 90
  minutes before `NOW`: every case is breached *fresh*, so each one is recorded and alerted on
  its own (duty officer and chief), the heaviest thing a sweep can meet; nothing was recorded
  before (no warning: the burst came between two sweeps);
- `tips` open tips on answered cases, received 24 h + 1..90 minutes before `NOW`: their level 0
  (the unit's duty officer, plus the urgent alerts of one tip in twenty) was reached and alerted
  by earlier sweeps (ledger rows `sent`, `escalation_level` 0), and level 1 (the unit's chief,
  after 24 h) is now due, fresh: one alert each, one level raise each (and its audit row), and
  the chiefs' daily digests; plus the open tips of the `tip` cases among the late cases, quiet
  (their arrival alert sent, nothing due);
- then what the collection does when such cases and tips come in: their alerts' excerpts are
  made and kept in the domain DB (`collect.excerpts.keep_excerpts`), timed and reported apart
  (`excerpts_kept_seconds`): that cost is paid across the day's collections, not in the sweep.

Timed, each in a fresh process on a fresh copy (`python -m bench.sweeps_cold SPEC_JSON`): the DAG
task bodies minus the registry load — `sla.sweep.sweep` + commit (`check_reply_sla.evaluate`) and
`tips.sweep.sweep` + commit (`escalate_unverified_tips.sweep_and_enqueue`): evaluate, record,
render, redact, gate and enqueue every alert into the outbox ledger. Slack delivery (a separate
task, which coalesces the backlog into digests) is not timed. A second sweep right after must add
nothing (idempotency), and is timed too (the next hour's cost).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from bench.common import NOW, REGISTRY, REPO, Env, pg_available, quiet_logging, spread

EVAL_SET = REPO / "tests" / "triage" / "eval_set.jsonl"
CASE_BASE = 70_000_000  # ids of the late cases
TIP_CASE_BASE = 80_000_000  # ids of the answered cases whose tip is due to escalate
SLA_CATEGORIES = ("question", "question", "tip", "feedback", "lost_found", "question")
RUN_ID = "bench-cold"


SCENARIOS = ("backlog", "burst")


@dataclass(frozen=True)
class Size:
    cases: int = 10_000
    tips: int = 10_000
    repeats: int = 3
    engines: tuple[str, ...] = ("postgresql", "sqlite")
    scenarios: tuple[str, ...] = SCENARIOS
    burst_repeats: int = 1


def late_by(scenario: str, index: int) -> int:
    """Minutes since the deadline of the `index`-th late case passed."""
    if scenario == "burst":
        return 1 + (index * 37) % 90
    return 1 + (index * 7919) % (3 * 1440)


def tip_age(scenario: str, index: int) -> timedelta:
    """How long before NOW the `index`-th tip arrived."""
    if scenario == "burst":
        return timedelta(hours=24, minutes=1 + (index * 37) % 90)
    return timedelta(minutes=1 + (index * 7919) % (5 * 1440))


FULL = Size()
QUICK = Size(cases=60, tips=60, repeats=1)


# --- the world -----------------------------------------------------------------------------------


def _texts() -> list[str]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _turn_start(
    registry: Any, category: str, platform: str, unit: str, late_by: int, urgent: bool = False
) -> datetime:
    """The latest turn start whose deadline (an urgent case's own, the strictest) is `late_by`
    minutes (or more) before NOW."""
    from citizen_desk.sla.policy import SlaTurn, evaluate_turn

    target = NOW - timedelta(minutes=late_by)

    def due(start: datetime) -> datetime:
        turn = SlaTurn(0, 1, category, unit, platform, start, start, None, urgent=urgent)
        verdict = evaluate_turn(turn, registry.sla, registry.calendar, NOW)
        assert verdict.due_at is not None, category
        return verdict.due_at

    lo, hi = 0, 30 * 86_400  # seconds before NOW
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if due(NOW - timedelta(seconds=mid)) <= target:
            hi = mid
        else:
            lo = mid
    return NOW - timedelta(seconds=hi)


def seed(engine: Any, registry: Any, size: Size, scenario: str) -> dict[str, int]:
    """The world of the module doc, in `engine` (migrated and synced with the registry)."""
    from citizen_desk.db.models import (
        Case,
        CaseTurn,
        Channel,
        Citizen,
        Message,
        Notification,
        Tip,
        Unit,
    )
    from citizen_desk.notify.outbox import payload_hash
    from citizen_desk.sla.sweep import EVENT_KIND  # noqa: F401 (the sweep's module loads)
    from citizen_desk.tips.escalation import TipSnapshot, due_alerts
    from citizen_desk.tips.open_tips import unit_nodes_from_db

    texts = _texts()
    with engine.begin() as conn:
        channels = conn.execute(
            select(Channel.id, Channel.unit_id, Channel.platform, Unit.code)
            .join(Unit, Unit.id == Channel.unit_id)
            .where(Channel.active)
            .order_by(Channel.id)
        ).all()
    starts = cache(partial(_turn_start, registry))
    cases, citizens, messages, turns, tips = [], [], [], [], []

    def add_case(case_id: int, index: int, category: str, since: datetime, is_open: bool) -> None:
        channel_id, unit_id, platform, _code = channels[index % len(channels)]
        kind = "zalo" if platform == "zalo" else "messenger"
        citizens.append(
            {
                "id": case_id,
                "channel_id": channel_id,
                "platform_user_id": f"9{case_id:015d}",
                "protected_display_name": f"bench citizen {case_id}",
                "protected_profile": {"name": f"bench citizen {case_id}"},
                "first_seen_at": since,
            }
        )
        reply = since + timedelta(minutes=30)
        cases.append(
            {
                "id": case_id,
                "channel_id": channel_id,
                "unit_id": unit_id,
                "citizen_id": case_id,
                "thread_key": f"cold{case_id}",
                "kind": kind,
                "category": category,
                "urgent": index % 20 == 0,
                "triage_confidence": 0.8,
                "needs_human_triage": False,
                "status": "open" if is_open else "answered",
                "opened_at": since,
                "turn_no": 1,
                "awaiting_since": since if is_open else None,
                "last_citizen_at": since,
                "first_response_at": None if is_open else reply,
                "last_response_at": None if is_open else reply,
                "sla_breached": False,
                "updated_at": since,
            }
        )
        turns.append(
            {
                "case_id": case_id,
                "turn_no": 1,
                "started_at": since,
                "responded_at": None if is_open else reply,
            }
        )
        messages.append(
            {
                "channel_id": channel_id,
                "platform_message_id": f"cold-{case_id}",
                "direction": "in",
                "kind": kind,
                "thread_key": f"cold{case_id}",
                "citizen_id": case_id,
                "case_id": case_id,
                "text": texts[(case_id * 7) % len(texts)],
                "created_at": since,
                "category": category,
                "urgent": index % 20 == 0,
                "collection_run_id": "bench",
                "collected_at": since,
            }
        )
        if category == "tip":
            tips.append(
                {
                    "id": case_id,
                    "case_id": case_id,
                    "unit_id": unit_id,
                    "status": "verifying" if index % 5 == 0 else "new",
                    "urgent": index % 20 == 0,
                    "received_at": since,
                    "escalation_level": -1,
                    "extension_seconds": 0,
                    "updated_at": since,
                }
            )

    for index in range(size.cases):
        category = SLA_CATEGORIES[index % len(SLA_CATEGORIES)]
        _id, _unit, platform, code = channels[index % len(channels)]
        since = starts(category, platform, code, late_by(scenario, index), index % 20 == 0)
        add_case(CASE_BASE + index, index, category, since, True)
    for index in range(size.tips):
        add_case(TIP_CASE_BASE + index, index, "tip", NOW - tip_age(scenario, index), False)

    with engine.begin() as conn:
        for model, rows in (
            (Citizen, citizens),
            (Case, cases),
            (CaseTurn, turns),
            (Message, messages),
            (Tip, tips),
        ):
            for start in range(0, len(rows), 2000):
                conn.execute(insert(model), rows[start : start + 2000])

    counts = {"late_cases": size.cases, "open_tips": len(tips)}
    if scenario != "burst":
        return {**counts, "ledger_rows_before": 0}
    # What the earlier hourly sweeps did: every tip's level 0 (and urgent) alerts sent, level 0.
    from sqlalchemy.orm import Session

    earlier = NOW - timedelta(hours=3)
    ledger: list[dict[str, Any]] = []
    with Session(engine) as session:
        units = unit_nodes_from_db(session)
        unit_code = {u: c for _c, u, _p, c in channels}
        for tip in tips:
            snapshot = TipSnapshot(
                tip["id"],
                unit_code[tip["unit_id"]],
                tip["received_at"],
                tip["urgent"],
                tip["status"],
                frozenset(),
                timedelta(0),
            )
            policy, calendar = registry.escalation, registry.calendar
            for alert in due_alerts(snapshot, policy, units, calendar, earlier):
                assert alert.level == 0, alert
                for recipient in alert.recipients:
                    payload = {"text": "earlier sweep", "blocks": []}
                    ledger.append(
                        {
                            "idempotency_key": f"{alert.idempotency_key}:{recipient}",
                            "kind": f"tip_{alert.kind}",
                            "recipient": recipient,
                            "payload": payload,
                            "payload_hash": payload_hash(payload),
                            "status": "sent",
                            "attempts": 1,
                            "created_at": alert.due_at,
                            "sent_at": alert.due_at,
                            "source": "bench-earlier",
                        }
                    )
    with engine.begin() as conn:
        for start in range(0, len(ledger), 2000):
            conn.execute(insert(Notification), ledger[start : start + 2000])
        conn.execute(text("UPDATE tips SET escalation_level = 0"))
    return {**counts, "ledger_rows_before": len(ledger)}


# --- databases -----------------------------------------------------------------------------------


@contextmanager
def template(
    engine_name: str, env: Env, registry: Any, size: Size, scenario: str
) -> Iterator[dict[str, Any]]:
    """A seeded database to copy from: yields {"copy": fn() -> url, "seeded": counts, ...}."""
    from bench.common import migrated_engine, pg_database, sync_registry

    if engine_name == "sqlite":
        path = env.workdir / f"cold-{scenario}.db"
        url = f"sqlite:///{path}"
        copies: list[Path] = []
        engine = migrated_engine(url)
        sync_registry(engine, Path(REGISTRY), NOW - timedelta(days=30))
        started = time.perf_counter()
        seeded = seed(engine, registry, size, scenario)
        seed_seconds = time.perf_counter() - started
        engine.dispose()
        keep_seconds = _keep_excerpts(url, registry)

        def copy() -> str:
            target = env.workdir / f"cold-{scenario}-{len(copies)}.db"
            shutil.copyfile(path, target)
            copies.append(target)
            return f"sqlite:///{target}"

        try:
            yield {
                "copy": copy,
                "seeded": seeded,
                "seed_seconds": seed_seconds,
                "keep_seconds": keep_seconds,
            }
        finally:
            for target in [path, *copies]:
                target.unlink(missing_ok=True)
        return
    assert env.pg_url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    with pg_database(env.pg_url, f"cd_bench_{scenario}") as url:
        engine = migrated_engine(url)
        sync_registry(engine, Path(REGISTRY), NOW - timedelta(days=30))
        started = time.perf_counter()
        seeded = seed(engine, registry, size, scenario)
        seed_seconds = time.perf_counter() - started
        keep_seconds = _keep_excerpts(url, registry)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        from citizen_desk.db.engine import get_engine

        get_engine(url).dispose()
        name = make_url(url).database
        admin = create_engine(
            make_url(env.pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        made: list[str] = []

        def copy_pg() -> str:
            target = f"{name}_c{len(made)}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{name}"'))
            made.append(target)
            return make_url(url).set(database=target).render_as_string(hide_password=False)

        try:
            yield {
                "copy": copy_pg,
                "seeded": seeded,
                "seed_seconds": seed_seconds,
                "keep_seconds": keep_seconds,
            }
        finally:
            with admin.connect() as conn:
                for target in made:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
            admin.dispose()


def _keep_excerpts(url: str, registry: Any) -> float:
    """What the collection did when these cases and tips came in: keep their alerts' excerpts
    (`collect.excerpts`); the seconds it took, reported apart from the sweeps."""
    from citizen_desk.collect.excerpts import keep_excerpts
    from citizen_desk.db.engine import get_engine

    started = time.perf_counter()
    keep_excerpts(NOW, registry, url)
    seconds = time.perf_counter() - started
    get_engine(url).dispose()
    return seconds


# --- the timed process ---------------------------------------------------------------------------


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One cold sweep and the next one, on the database at spec["url"]."""
    quiet_logging()
    from sqlalchemy import func
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine
    from citizen_desk.db.models import AuditLog, Notification, SlaEvent

    registry = load_registry(REGISTRY)
    engine = get_engine(spec["url"])
    factory = sessionmaker(engine, expire_on_commit=False)

    cpu: list[float] = []

    def once() -> tuple[float, dict[str, Any]]:
        started, cpu_started = time.perf_counter(), time.process_time()
        with factory() as session:
            report = _sweep(spec["sweep"], session, registry)
            session.commit()
        cpu.append(time.process_time() - cpu_started)
        return time.perf_counter() - started, report

    def counts() -> dict[str, int]:
        with factory() as session:
            by_status = dict(
                session.execute(
                    select(Notification.status, func.count())
                    .where(Notification.source == RUN_ID)
                    .group_by(Notification.status)
                ).all()
            )
            return {
                "notifications": sum(by_status.values()),
                **{f"notifications_{k}": v for k, v in sorted(by_status.items())},
                "sla_events": session.scalar(select(func.count()).select_from(SlaEvent)) or 0,
                "audit_rows": session.scalar(select(func.count()).select_from(AuditLog)) or 0,
            }

    with factory() as session:  # connect once: the pool's first connection is not the sweep's
        session.execute(text("SELECT 1"))
    cold, report = once()
    after_cold = counts()
    steady, again = once()
    after_steady = counts()
    engine.dispose()
    return {
        "cold_seconds": cold,
        "cold_cpu_seconds": cpu[0],
        "next_seconds": steady,
        "report": report,
        "next_report": again,
        "written": after_cold,
        "next_added": {k: after_steady[k] - after_cold.get(k, 0) for k in after_steady},
    }


def _sweep(name: str, session: Any, registry: Any) -> dict[str, Any]:
    if name == "sla":
        from citizen_desk.sla.sweep import sweep

        return sweep(session, registry, now=NOW, run_id=RUN_ID).as_dict()
    from citizen_desk.tips.sweep import sweep as escalate

    return escalate(session, registry, now=NOW, actor=RUN_ID, source=RUN_ID).as_dict()


def _run_worker(url: str, sweep: str) -> dict[str, Any]:
    spec = {"url": url, "sweep": sweep}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sweeps_cold", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cold sweep worker failed: {proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("now", "failed_tips", "policy_version")}


def run(size: Size, env: Env) -> dict[str, Any]:
    """Per scenario and engine: seed once, then (copy, cold SLA sweep) and (copy, cold escalation
    sweep) `repeats` times, each in its own process, interleaved."""
    from citizen_desk.config.registry import load_registry

    registry = load_registry(REGISTRY)
    out: dict[str, Any] = {"size": asdict(size), "scenarios": {}}
    for scenario in size.scenarios:
        repeats = size.burst_repeats if scenario == "burst" else size.repeats
        engines: dict[str, Any] = {}
        for engine_name in size.engines:
            if engine_name == "postgresql" and not pg_available(env.pg_url):
                engines[engine_name] = {"skipped": "PostgreSQL unreachable"}
                continue
            env.log(f"sweeps (cold, {scenario}): seeding {engine_name}")
            with template(engine_name, env, registry, size, scenario) as world:
                runs: dict[str, list[dict[str, Any]]] = {"sla": [], "escalation": []}
                for repeat in range(repeats):
                    for sweep in ("sla", "escalation"):
                        result = _run_worker(world["copy"](), sweep)
                        runs[sweep].append(result)
                        env.log(
                            f"sweeps (cold, {scenario}) {engine_name} #{repeat + 1} {sweep}: "
                            f"{result['cold_seconds']:.2f} s (CPU "
                            f"{result['cold_cpu_seconds']:.2f} s), next "
                            f"{result['next_seconds']:.2f} s"
                        )
                engines[engine_name] = {
                    "seeded": world["seeded"],
                    "seed_seconds": round(world["seed_seconds"], 1),
                    "excerpts_kept_seconds": round(world["keep_seconds"], 1),
                    **{sweep: _figures(results) for sweep, results in runs.items()},
                }
        out["scenarios"][scenario] = engines
    return out


def _figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cold": spread([r["cold_seconds"] for r in results], 3),
        "cold_cpu": spread([r["cold_cpu_seconds"] for r in results], 3),
        "next": spread([r["next_seconds"] for r in results], 3),
        "report": _summary(results[-1]["report"]),
        "written": results[-1]["written"],
        "next_added": results[-1]["next_added"],
    }


def burst(cases: int, pg_url: str | None = None) -> None:
    """`python -m bench.sweeps_cold --burst 10000`: the burst alone, on PostgreSQL, once (what
    README quotes between full `make bench` runs); prints one JSON line per step."""
    import tempfile

    from bench.common import PG_URL
    from citizen_desk.config.registry import load_registry

    env = Env(workdir=Path(tempfile.mkdtemp(prefix="cold-burst-")), pg_url=pg_url or PG_URL)
    size = Size(cases=cases, tips=cases, engines=("postgresql",), scenarios=("burst",))
    registry = load_registry(REGISTRY)
    with template("postgresql", env, registry, size, "burst") as world:
        seeding = {k: world[k] for k in ("seeded", "seed_seconds", "keep_seconds")}
        print(json.dumps(seeding, default=str), flush=True)
        for sweep in ("sla", "escalation"):
            result = _run_worker(world["copy"](), sweep)
            keys = ("cold_seconds", "cold_cpu_seconds", "next_seconds", "written", "next_added")
            print(json.dumps({"sweep": sweep, **{k: result[k] for k in keys}}), flush=True)
    shutil.rmtree(env.workdir, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1] == "--burst":
        burst(int(sys.argv[2]))
    else:
        print(json.dumps(worker(json.loads(sys.argv[1])), default=str))
