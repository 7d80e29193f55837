"""SLA and escalation sweep scaling on PostgreSQL: 10k, 100k and 1M cases of history.

History rows (answered/closed cases; tips of the `tip` cases, verified or unfounded; one sent
notification per tip; an SLA event for one case in ten) are bulk-loaded server-side with
`INSERT … SELECT … FROM generate_series` (no Python round trip per row). Open cases are added
on top, awaiting a reply since some time in the last three days (a mix of on-time, warning and
breached), each with one citizen message; the tip cases among them have an open tip.

Per history size and open count, `sla_sweep.sweep` (`check_reply_sla`) and
`escalation_sweep.sweep` (`escalate_unverified_tips`) run in the DAGs' mode: evaluate, record,
enqueue alerts into the outbox — never Slack (delivery is a separate task, not run here).
- steady: the sweeps after the first (the hourly cost: everything already recorded and
  enqueued), repeated and rolled back;
- cold: the first sweep after the cases became late (records, renders, redacts, gates and
  enqueues every alert; once, committed). Timed with the fixed 100 open cases only: with 1 %
  open the backlog is brought to the steady state by `fast_forward` (the same sweeps without
  rendering), because a cold burst of thousands of alerts would not fit the time budget.
Two open counts per size: 1 % of the history, and a fixed 100 (same open load, growing history).
`EXPLAIN (ANALYZE, BUFFERS)` of the statement each sweep used to load its open rows shows whether
the partial indexes `ix_cases_open_awaiting` / `ix_tips_open_received` are used.

Then, on PostgreSQL and SQLite, the cold sweeps after 10k cases turn late (`bench.sweeps_cold`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from bench import sweeps_cold as cold_sweeps
from bench.common import NOW, REGISTRY, REPO, Env, migrated_engine, pg_available, pg_database
from bench.common import spread as spread_of
from bench.common import sync_registry as sync

OPEN_BASE = 50_000_000  # ids of open cases, far above the history's
CATEGORIES = "ARRAY['question','question','question','tip','tip','feedback','lost_found','other']"
EVAL_SET = REPO / "tests" / "triage" / "eval_set.jsonl"


@dataclass(frozen=True)
class Size:
    histories: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    open_share: float = 0.01
    fixed_open: int | None = 100
    repeats: int = 3
    cold: cold_sweeps.Size | None = cold_sweeps.FULL  # 10k cases turn late (`bench.sweeps_cold`)


FULL = Size()
QUICK = Size(histories=(200, 1_000), fixed_open=None, repeats=1, cold=cold_sweeps.QUICK)


# --- loading -------------------------------------------------------------------------------------


def _channels_table(conn: Any) -> int:
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS bench_channels AS SELECT (row_number() OVER "
            "(ORDER BY c.id)) - 1 AS idx, c.id, c.unit_id, CASE WHEN c.platform = 'zalo' THEN "
            "'zalo' ELSE 'messenger' END AS kind FROM channels c WHERE c.active"
        )
    )
    return int(conn.execute(text("SELECT count(*) FROM bench_channels")).scalar() or 0)


def load_history(engine: Any, lo: int, hi: int) -> None:
    """Cases lo..hi (answered or closed, opened over the last two years) and what hangs off them."""
    if hi < lo:
        return
    params = {"lo": lo, "hi": hi, "now": NOW}
    with engine.begin() as conn:
        # Consistent by construction: skip the per-row foreign-key triggers while loading.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        channels = _channels_table(conn)
        params["c"] = channels
        conn.execute(
            text(
                f"""
INSERT INTO cases (id, channel_id, unit_id, thread_key, kind, category, urgent,
  triage_confidence, needs_human_triage, status, opened_at, turn_no, last_citizen_at,
  first_response_at, last_response_at, sla_breached, updated_at)
SELECT g, bc.id, bc.unit_id, 'h' || g, bc.kind, ({CATEGORIES})[1 + g % 8], g % 50 = 0, 0.8,
  false, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'answered' END, t.opened, 1, t.opened,
  t.opened + interval '2 hours', t.opened + interval '2 hours', g % 10 = 0,
  t.opened + interval '2 hours'
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
JOIN bench_channels bc ON bc.idx = g % :c
CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz) - interval '4 days'
  - ((CAST(g AS bigint) * 7919) % (730 * 1440)) * interval '1 minute' AS opened) t
"""
            ),
            params,
        )
        conn.execute(
            text(
                """
INSERT INTO tips (case_id, unit_id, status, urgent, received_at, escalation_level,
  extension_seconds, verified_at, verified_by, closed_at, last_action, last_action_at, updated_at)
SELECT c.id, c.unit_id, CASE WHEN c.id % 4 = 0 THEN 'unfounded' ELSE 'verified' END, c.urgent,
  c.opened_at, 1, 0, c.opened_at + interval '1 day', 'bench', c.opened_at + interval '1 day',
  'verified', c.opened_at + interval '1 day', c.opened_at + interval '1 day'
FROM cases c WHERE c.id BETWEEN :lo AND :hi AND c.category = 'tip'
"""
            ),
            params,
        )
        conn.execute(
            text(
                """
INSERT INTO notifications (idempotency_key, kind, recipient, payload, payload_hash, status,
  attempts, created_at, sent_at, source)
SELECT 'tip:' || t.id || ':L0:arrival:hist', 'tip_arrival', 'C0BENCH0001',
  CAST('{"text": "history", "blocks": []}' AS jsonb), md5(t.id::text), 'sent', 1,
  t.received_at, t.received_at, 'bench-history'
FROM tips t JOIN cases c ON c.id = t.case_id WHERE c.id BETWEEN :lo AND :hi
"""
            ),
            params,
        )
        conn.execute(
            text(
                """
INSERT INTO sla_events (case_id, turn_no, kind, due_at, evaluated_at, policy_version, run_id)
SELECT c.id, 1, 'breach', c.opened_at + interval '1 hour', c.opened_at + interval '1 hour',
  'history', 'bench' FROM cases c WHERE c.id BETWEEN :lo AND :hi AND c.id % 10 = 0
"""
            ),
            params,
        )


def _texts() -> list[str]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()][:200]


def load_open(engine: Any, count: int) -> None:
    """`count` open cases awaiting a reply (spread over the last 3 days), messages, open tips."""
    if count <= 0:
        return
    params = {"lo": OPEN_BASE + 1, "hi": OPEN_BASE + count, "now": NOW, "texts": _texts()}
    with engine.begin() as conn:
        params["c"] = _channels_table(conn)
        conn.execute(
            text(
                f"""
INSERT INTO cases (id, channel_id, unit_id, thread_key, kind, category, urgent,
  triage_confidence, needs_human_triage, status, opened_at, turn_no, awaiting_since,
  last_citizen_at, sla_breached, updated_at)
SELECT g, bc.id, bc.unit_id, 'o' || g, bc.kind, ({CATEGORIES})[1 + g % 8], g % 20 = 0, 0.8,
  false, 'open', t.since, 1, t.since, t.since, false, t.since
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
JOIN bench_channels bc ON bc.idx = g % :c
CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz)
  - ((CAST(g AS bigint) * 7919) % (3 * 1440)) * interval '1 minute' AS since) t
"""
            ),
            params,
        )
        conn.execute(
            text(
                """
INSERT INTO messages (channel_id, platform_message_id, direction, kind, thread_key, case_id,
  text, created_at, category, urgent, collection_run_id, collected_at)
SELECT c.channel_id, 'bench-' || c.id, 'in', c.kind, c.thread_key, c.id,
  (CAST(:texts AS text[]))[1 + c.id % cardinality(CAST(:texts AS text[]))], c.awaiting_since,
  c.category, c.urgent, 'bench', c.awaiting_since
FROM cases c WHERE c.id BETWEEN :lo AND :hi
"""
            ),
            params,
        )
        conn.execute(
            text(
                """
INSERT INTO tips (case_id, unit_id, status, urgent, received_at, escalation_level,
  extension_seconds, updated_at)
SELECT c.id, c.unit_id, CASE WHEN c.id % 5 = 0 THEN 'verifying' ELSE 'new' END, c.urgent,
  c.awaiting_since, -1, 0, c.awaiting_since
FROM cases c WHERE c.id BETWEEN :lo AND :hi AND c.category = 'tip'
"""
            ),
            params,
        )


def drop_open(engine: Any) -> None:
    """Remove the open cases and everything the sweeps added for them (audit rows stay)."""
    with engine.begin() as conn:
        params = {"lo": OPEN_BASE}
        conn.execute(text("DELETE FROM sla_events WHERE case_id > :lo"), params)
        keep = "bench-history"
        conn.execute(
            text("DELETE FROM notifications WHERE source IS DISTINCT FROM :keep"), {"keep": keep}
        )
        conn.execute(text("DELETE FROM messages WHERE case_id > :lo"), params)
        conn.execute(text("DELETE FROM tips WHERE case_id > :lo"), params)
        conn.execute(text("DELETE FROM cases WHERE id > :lo"), params)


def analyze(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("cases", "tips", "messages", "notifications", "sla_events"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


# --- the sweeps ----------------------------------------------------------------------------------


@contextmanager
def capture(engine: Any, needle: str) -> Iterator[list[tuple[str, Any]]]:
    """Statements (with parameters) that contain `needle`, as sent to the database."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if needle in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def explain(engine: Any, statement: str, parameters: Any) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan


def _sla(session: Any, registry: Any) -> dict[str, Any]:
    from citizen_desk.sla import sweep as sla_sweep

    return sla_sweep.sweep(session, registry, now=NOW, run_id="bench").as_dict()


def _escalation(session: Any, registry: Any) -> dict[str, Any]:
    from citizen_desk.tips import sweep as escalation_sweep

    return escalation_sweep.sweep(
        session, registry, now=NOW, actor="bench", source="bench-sweep"
    ).as_dict()


SWEEPS = {
    "sla": (_sla, "FROM cases", "ix_cases_open_awaiting"),
    "escalation": (_escalation, "FROM tips", "ix_tips_open_received"),
}


@contextmanager
def fast_forward() -> Iterator[None]:
    """Sweeps that record and enqueue as usual but skip rendering, redaction and the PII gate.

    Only used to bring a large open backlog to the steady state (everything already recorded
    and enqueued) before the steady runs are measured; never timed as a figure.
    """
    from types import SimpleNamespace

    from citizen_desk.db import upsert
    from citizen_desk.db.models import Notification
    from citizen_desk.notify import batch, blocks, outbox
    from citizen_desk.sla import alerts as sla_alerts
    from citizen_desk.tips import sweep_messages as escalation_messages

    message = SimpleNamespace(text="bench", blocks=[])

    def enqueue(session: Any, *, key: str, kind: str, recipient: str, now: Any, **_: Any) -> Any:
        values = {
            "idempotency_key": key,
            "kind": kind,
            "recipient": recipient,
            "payload": {"text": "bench"},
            "payload_hash": "bench",
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "source": "bench-fast-forward",
        }
        added = upsert.insert_if_absent(session, Notification, values, ["idempotency_key"])
        return SimpleNamespace(status="pending") if added else None

    def enqueue_many(session: Any, items: Any, *, now: Any, source: Any = None, **_: Any) -> Any:
        from citizen_desk.db.bulk import insert_many_if_absent

        rows = [
            {
                "idempotency_key": item.key,
                "kind": item.kind,
                "recipient": item.recipient,
                "payload": {"text": "bench"},
                "payload_hash": "bench",
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "source": "bench-fast-forward",
            }
            for item in {item.key: item for item in items}.values()
        ]
        added = insert_many_if_absent(
            session, Notification, rows, ["idempotency_key"], ["idempotency_key", "id", "kind"]
        )
        return {key: batch.Enqueued(i, key, kind, "pending") for key, i, kind in added}

    patches = [
        (outbox, "enqueue", enqueue),
        (batch, "enqueue_many", enqueue_many),
        (sla_alerts, "_excerpts", lambda _s, cases, *a, **k: {c.id: ("", None) for c in cases}),
        (blocks, "render_message", lambda *a, **k: message),
        (escalation_messages, "render_alert", lambda *a, **k: message),
        (escalation_messages, "digest_message", lambda *a, **k: (message, ())),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def measure(engine: Any, registry: Any, repeats: int, cold: bool) -> dict[str, Any]:
    """A first sweep (committed: `cold` timed, else fast-forwarded), then `repeats` steady runs
    (rolled back) of both sweeps, and the plan of the statement that loaded the open rows."""
    factory = sessionmaker(engine, expire_on_commit=False)
    out: dict[str, Any] = {}
    for name, (fn, needle, index) in SWEEPS.items():
        with factory() as session:
            started = time.perf_counter()
            if cold:
                first_report = fn(session, registry)
            else:
                with fast_forward():
                    first_report = fn(session, registry)
            session.commit()
            first = time.perf_counter() - started
        steady: list[float] = []
        statement: tuple[str, Any] | None = None
        report: dict[str, Any] = {}
        for _ in range(repeats):
            with capture(engine, needle) as seen, factory() as session:
                started = time.perf_counter()
                report = fn(session, registry)
                session.flush()
                steady.append(time.perf_counter() - started)
                session.rollback()
            statement = statement or next(
                (s for s in seen if "status" in s[0] and "ORDER BY" in s[0]), None
            )
        plan = explain(engine, *statement) if statement else ""
        out[name] = {
            "cold_seconds": round(first, 3) if cold else None,
            "fast_forward_seconds": None if cold else round(first, 3),
            "first_report": _counts(first_report),
            "steady": spread_of(steady, 4),
            "steady_report": _counts(report),
            "index": index,
            "uses_partial_index": index in plan,
            "plan": plan,
        }
    return out


def _counts(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("now", "failed_tips", "policy_version")}


# --- the benchmark -------------------------------------------------------------------------------


def run(size: Size, env: Env) -> dict[str, Any]:
    """See the module docstring."""
    from citizen_desk.config.registry import load_registry

    late = cold_sweeps.run(size.cold, env) if size.cold is not None else None
    if not pg_available(env.pg_url):
        return {"skipped": "PostgreSQL unreachable", "size": asdict(size), "cold": late}
    assert env.pg_url
    registry = load_registry(REGISTRY)
    rows: list[dict[str, Any]] = []
    with pg_database(env.pg_url, "cd_bench_sweeps") as url:
        engine = migrated_engine(url)
        sync(engine, Path(REGISTRY), NOW - timedelta(days=800))
        loaded = 0
        for history in size.histories:
            started = time.perf_counter()
            load_history(engine, loaded + 1, history)
            loaded = history
            load_seconds = time.perf_counter() - started
            share = max(1, round(history * size.open_share))
            opens = [(share, size.fixed_open is None or share == size.fixed_open)]
            if size.fixed_open and size.fixed_open != share:
                opens.append((size.fixed_open, True))
            for open_count, cold in opens:
                load_open(engine, open_count)
                analyze(engine)
                env.log(f"sweeps: {history:,} cases of history, {open_count:,} open")
                result = measure(engine, registry, size.repeats, cold)
                rows.append(
                    {
                        "history_cases": history,
                        "open_cases": open_count,
                        "history_load_seconds": round(load_seconds, 1),
                        **result,
                    }
                )
                drop_open(engine)
                load_seconds = 0.0
        with engine.connect() as conn:
            counts = {
                t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
                for t in ("cases", "tips", "notifications", "sla_events", "audit_log")
            }
        engine.dispose()
    return {"size": asdict(size), "rows": rows, "final_table_counts": counts, "cold": late}
