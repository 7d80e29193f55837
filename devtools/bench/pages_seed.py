"""Seeding for the `pages` bench: a province's worth of history, generated inside PostgreSQL.

Every row is made server-side with `INSERT … SELECT … FROM generate_series` (no ORM object, no
Python round trip per row); the same database grows 10k → 100k → 1M cases by seeding only the
new id range. Draws are deterministic hashes of the case id (`_draw`), so a size always holds
the same rows.

What a case id `g` becomes (over the demo registry's units and channels):
- channel: weighted by unit level (province 6, district/city 4, town 3, commune/ward 2) and
  platform (a page twice a Zalo OA), so the province page is the busiest;
- category: question 45 %, feedback 15 %, other 15 %, tip 10 %, lost_found 10 %, abuse 5 %;
- opened over the last `SPAN_DAYS` days, uniformly, in id order (as the collector appends them:
  a week's cases sit together on disk within each growth step); a bigger world is a busier
  province, as a national deployment is, not a longer past;
- status: of the cases opened in the last 3 days 40 % still await a reply, older ones 0.1 %
  (forgotten); the rest answered (40 %) or closed (60 %), the first reply within 10 min – 4 h
  for 85 % and up to 30 h for the rest, so some were late (`sla_breached`, with one `sla_events`
  row and one notification each);
- messages: 1–3 citizen messages (texts of the triage eval set) and the page's reply if any;
- its citizen (one per case, with a protected name and profile the pages must never show);
- a `tip` case has a tip: received in the last 20 days half are still open (`new` /
  `verifying`, escalation level by age as the ladder says), the rest verified, unfounded or
  forwarded; each has its audit history, an arrival notification, and acknowledgements at the
  levels already alerted.
Independent of the size (seeded once): weekly publications per channel over the span with their
report files, hourly collection runs per channel (some failed), watermarks, Zalo tokens, a few
quarantined payloads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import REPO

SPAN_DAYS = 180
# The end of the seeded history and the pages' clock: Sunday 23:00 in Asia/Ho_Chi_Minh, so "this
# week" on the overview is a whole week of first responses (its heaviest moment).
NOW = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
EVAL_SET = REPO / "tests" / "triage" / "eval_set.jsonl"
CATEGORY_SLOTS = (
    ["question"] * 9 + ["feedback"] * 3 + ["other"] * 3 + ["tip"] * 2 + ["lost_found"] * 2
) + ["abuse"]
TOPICS = {
    "question": ["procedure", "residence", "id_card", "vneid", "vehicle", "passport"],
    "tip": ["drugs", "gambling", "theft", "fraud", "street_racing", "loan_sharking"],
    "feedback": ["service_complaint", "suggestion", "praise"],
    "lost_found": ["lost_property", "found_property", "missing_person"],
    "abuse": ["insult", "spam"],
    "other": ["misinformation", "scam"],
}
NAMES = (
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
    "Vũ Thị Giang", "Đặng Văn Hải", "Bùi Thị Hoa", "Đỗ Văn Khánh", "Hồ Thị Lan",
)  # fmt: skip


def _draw(salt: int, modulo: int, column: str = "g") -> str:
    """A deterministic pseudo-random integer in [0, modulo) from an id column."""
    mixed = f"((CAST({column} AS bigint) * {2654435761 + 2 * salt} + {salt * 977}) % 2147483647)"
    return f"({mixed} % {modulo})"


def texts() -> list[str]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()][:200]


def _slots(conn: Any) -> None:
    conn.execute(text("DROP TABLE IF EXISTS bench_slots"))
    conn.execute(
        text(
            """
CREATE TABLE bench_slots AS
SELECT (row_number() OVER (ORDER BY c.id, w.n)) - 1 AS slot, c.id AS channel_id, c.unit_id,
  c.platform
FROM channels c JOIN units u ON u.id = c.unit_id
CROSS JOIN LATERAL generate_series(1, (CASE u.kind WHEN 'province' THEN 6
  WHEN 'district' THEN 4 WHEN 'city' THEN 4 WHEN 'town' THEN 3 ELSE 2 END)
  * (CASE c.platform WHEN 'facebook' THEN 2 ELSE 1 END)) AS w(n)
WHERE c.active
"""
        )
    )


def _topics_sql() -> str:
    cases = " ".join(
        f"WHEN '{cat}' THEN (ARRAY{topics!r})[1 + {_draw(5, len(topics))}]"
        for cat, topics in TOPICS.items()
    )
    return f"CASE cat.category {cases} END"


CASES = """
INSERT INTO cases (id, channel_id, unit_id, citizen_id, thread_key, kind, category, topic,
  urgent, triage_confidence, needs_human_triage, status, opened_at, turn_no, awaiting_since,
  last_citizen_at, first_response_at, last_response_at, sla_warn_at, sla_due_at, sla_breached,
  updated_at)
SELECT g, s.channel_id, s.unit_id, g, 'b' || g,
  CASE WHEN s.platform = 'zalo' THEN 'zalo' WHEN {comment} < 3 THEN 'comment' ELSE 'messenger' END,
  cat.category, {topic}, {urgent} = 0, 0.5 + {confidence} / 100.0, {confidence} < 10,
  st.status, t.opened, 1, CASE WHEN st.status = 'open' THEN t.opened END, t.opened,
  r.first_response, r.first_response, sla.warn, sla.due,
  COALESCE(r.first_response > sla.due, false), COALESCE(r.first_response, t.opened)
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
JOIN bench_slots s ON s.slot = {slot}
CROSS JOIN LATERAL (SELECT (CAST(:categories AS text[]))[1 + {category}] AS category) cat
CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz)
  - ((CAST(:hi AS bigint) - g) * {span_minutes} / (CAST(:hi AS bigint) - :lo + 1) + {jitter})
  * interval '1 minute' AS opened) t
CROSS JOIN LATERAL (SELECT CASE
  WHEN t.opened > CAST(:now AS timestamptz) - interval '3 days' AND {open_recent} < 4 THEN 'open'
  WHEN {open_old} = 0 THEN 'open' WHEN {closed} < 6 THEN 'closed' ELSE 'answered' END AS status) st
CROSS JOIN LATERAL (SELECT CASE WHEN st.status <> 'open' THEN t.opened + (10 + CASE
  WHEN {late} < 85 THEN {reply} % 240 ELSE 240 + {reply} % 1560 END) * interval '1 minute'
  END AS first_response) r
CROSS JOIN LATERAL (SELECT
  CASE cat.category WHEN 'tip' THEN t.opened + interval '3 hours'
    WHEN 'lost_found' THEN t.opened + interval '90 minutes'
    WHEN 'abuse' THEN NULL WHEN 'feedback' THEN t.opened + interval '12 hours'
    ELSE t.opened + interval '6 hours' END AS warn,
  CASE cat.category WHEN 'tip' THEN t.opened + interval '4 hours'
    WHEN 'lost_found' THEN t.opened + interval '2 hours'
    WHEN 'abuse' THEN NULL WHEN 'feedback' THEN t.opened + interval '16 hours'
    ELSE t.opened + interval '8 hours' END AS due) sla
"""

CITIZENS = """
INSERT INTO citizens (id, channel_id, platform_user_id, protected_display_name, protected_profile,
  first_seen_at)
SELECT c.id, c.channel_id, '9' || lpad(c.id::text, 15, '0'),
  (CAST(:names AS text[]))[1 + c.id % cardinality(CAST(:names AS text[]))],
  jsonb_build_object('name', 'bench citizen ' || c.id,
    'profile_pic', 'https://example.org/p/' || c.id),
  c.opened_at
FROM cases c WHERE c.id BETWEEN :lo AND :hi
"""

MESSAGES_IN = """
INSERT INTO messages (channel_id, platform_message_id, direction, kind, thread_key, citizen_id,
  case_id, text, created_at, category, topic, urgent, collection_run_id, collected_at)
SELECT c.channel_id, 'bm' || c.id || '_' || k, 'in', c.kind, c.thread_key, c.citizen_id, c.id,
  (CAST(:texts AS text[]))[1 + (c.id * 7 + k * 13) % cardinality(CAST(:texts AS text[]))],
  c.opened_at + (k - 1) * interval '7 minutes', c.category, c.topic, c.urgent, 'bench',
  c.opened_at + (k - 1) * interval '7 minutes'
FROM cases c CROSS JOIN LATERAL generate_series(1, 1 + {count}) k
WHERE c.id BETWEEN :lo AND :hi
"""

MESSAGES_OUT = """
INSERT INTO messages (channel_id, platform_message_id, direction, kind, thread_key, case_id, text,
  created_at, collection_run_id, collected_at)
SELECT c.channel_id, 'bm' || c.id || '_r', 'out', c.kind, c.thread_key, c.id,
  'Công an xã đã tiếp nhận, xin cảm ơn. Mời anh/chị liên hệ trụ sở để được hướng dẫn.',
  c.first_response_at, 'bench', c.first_response_at
FROM cases c WHERE c.id BETWEEN :lo AND :hi AND c.first_response_at IS NOT NULL
"""

TIPS = """
INSERT INTO tips (id, case_id, unit_id, status, urgent, received_at, escalation_level,
  extension_seconds, verified_at, verified_by, closed_at, forwarded_to, last_action,
  last_action_at, updated_at)
SELECT c.id, c.id, c.unit_id, st.status, c.urgent, c.opened_at, st.level, 0,
  CASE WHEN st.status = 'verified' THEN st.done END,
  CASE WHEN st.status = 'verified' THEN 'officer.bench' END,
  CASE WHEN st.status NOT IN ('new', 'verifying') THEN st.done END,
  CASE WHEN st.status = 'forwarded' THEN 'Công an tỉnh Thanh Hóa' END,
  CASE WHEN st.status = 'new' THEN NULL WHEN st.status = 'verifying' THEN 'start'
    ELSE st.status END,
  CASE WHEN st.status = 'new' THEN NULL ELSE LEAST(st.done, CAST(:now AS timestamptz)) END,
  COALESCE(LEAST(st.done, CAST(:now AS timestamptz)), c.opened_at)
FROM cases c
CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz) - c.opened_at AS age) a
CROSS JOIN LATERAL (SELECT
  CASE WHEN a.age < interval '20 days' AND {open_tip} < 5 THEN
      CASE WHEN a.age > interval '1 day' AND {verifying} = 0 THEN 'verifying' ELSE 'new' END
    WHEN {outcome} < 5 THEN 'verified' WHEN {outcome} < 8 THEN 'unfounded' ELSE 'forwarded' END
    AS status,
  CASE WHEN a.age < interval '20 days' AND {open_tip} < 5 THEN
      CASE WHEN a.age >= interval '96 hours' THEN 3 WHEN a.age >= interval '48 hours' THEN 2
        WHEN a.age >= interval '24 hours' THEN 1 WHEN a.age >= interval '5 minutes' THEN 0
        ELSE -1 END
    ELSE {closed_level} END AS level,
  c.opened_at + (6 + {days_to_close}) * interval '1 hour' AS done) st
WHERE c.id BETWEEN :lo AND :hi AND c.category = 'tip'
"""

TIP_AUDIT = """
INSERT INTO audit_log (at, actor, action, entity_type, entity_id, before, after, note)
SELECT x.at, x.actor, x.action, 'tip', t.id::text, x.before, x.after, NULL
FROM tips t CROSS JOIN LATERAL (VALUES
  (t.received_at, 'collector', 'tip_created', NULL::jsonb,
   jsonb_build_object('status', 'new')),
  (t.received_at + interval '1 day', 'escalation', 'tip_escalated',
   jsonb_build_object('level', 0), jsonb_build_object('level', 1)),
  (t.last_action_at, 'officer.bench', 'tip_' || t.last_action,
   jsonb_build_object('status', 'new'), jsonb_build_object('status', t.status))
) AS x(at, actor, action, before, after)
WHERE t.case_id BETWEEN :lo AND :hi AND x.at IS NOT NULL AND x.at <= CAST(:now AS timestamptz)
  AND (x.action <> 'tip_escalated' OR t.escalation_level >= 1)
"""

TIP_ACKS = """
INSERT INTO tip_acknowledgements (tip_id, level, unit_id, by, at, note)
SELECT t.id, lvl, t.unit_id, 'officer.bench', t.received_at + lvl * interval '1 day'
  + interval '1 hour', NULL
FROM tips t CROSS JOIN LATERAL generate_series(0, t.escalation_level - 1) lvl
WHERE t.case_id BETWEEN :lo AND :hi AND t.escalation_level >= 1
  AND t.received_at + lvl * interval '1 day' + interval '1 hour' <= CAST(:now AS timestamptz)
"""

NOTIFICATIONS = """
INSERT INTO notifications (idempotency_key, kind, recipient, payload, payload_hash, status,
  attempts, created_at, sent_at, source)
SELECT 'tip:' || t.id || ':L0:arrival', 'tip_arrival', 'C0BENCH0001',
  CAST('{"text": "history", "blocks": []}' AS jsonb), md5(t.id::text), 'sent', 1,
  t.received_at, t.received_at, 'bench'
FROM tips t WHERE t.case_id BETWEEN :lo AND :hi
UNION ALL
SELECT 'sla:' || c.id || ':1:breach', 'sla_breach', 'C0BENCH0002',
  CAST('{"text": "history", "blocks": []}' AS jsonb), md5(c.id::text), 'sent', 1,
  c.sla_due_at, c.sla_due_at, 'bench'
FROM cases c WHERE c.id BETWEEN :lo AND :hi AND c.sla_breached
"""

SLA_EVENTS = """
INSERT INTO sla_events (case_id, turn_no, kind, due_at, evaluated_at, policy_version, run_id)
SELECT c.id, 1, 'breach', c.sla_due_at, c.sla_due_at, 'bench', 'bench'
FROM cases c WHERE c.id BETWEEN :lo AND :hi AND c.sla_breached
"""


def grow(engine: Any, lo: int, hi: int) -> dict[str, float]:
    """Seed cases lo..hi and everything that hangs off them; seconds per table."""
    import time

    categories = list(CATEGORY_SLOTS)
    params = {
        "lo": lo,
        "hi": hi,
        "now": NOW,
        "categories": categories,
        "names": list(NAMES),
        "texts": texts(),
    }
    cases = CASES.format(
        comment=_draw(1, 10),
        topic=_topics_sql(),
        urgent=_draw(2, 50),
        confidence=_draw(3, 50),
        slot="{slot}",
        category=_draw(4, len(categories)),
        span_minutes=SPAN_DAYS * 1440,
        jitter=_draw(6, 90),
        open_recent=_draw(7, 10),
        open_old=_draw(8, 1000),
        closed=_draw(9, 10),
        late=_draw(17, 100),
        reply=_draw(10, 30 * 60),
    )
    steps = [
        ("cases", cases),
        ("citizens", CITIZENS),
        ("messages_in", MESSAGES_IN.format(count=_draw(11, 3, "c.id"))),
        ("messages_out", MESSAGES_OUT),
        (
            "tips",
            TIPS.format(
                open_tip=_draw(12, 10, "c.id"),
                verifying=_draw(13, 2, "c.id"),
                outcome=_draw(14, 10, "c.id"),
                closed_level=f"({_draw(15, 3, 'c.id')} - 1)",
                days_to_close=_draw(16, 24 * 10, "c.id"),
            ),
        ),
        ("audit_log", TIP_AUDIT),
        ("tip_acknowledgements", TIP_ACKS),
        ("notifications", NOTIFICATIONS),
        ("sla_events", SLA_EVENTS),
    ]
    seconds: dict[str, float] = {}
    with engine.begin() as conn:
        # Consistent by construction: skip the per-row foreign-key triggers while loading.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        _slots(conn)
        slots = int(conn.execute(text("SELECT count(*) FROM bench_slots")).scalar() or 1)
        for name, statement in steps:
            started = time.perf_counter()
            sql = statement.replace("{slot}", _draw(0, slots)) if name == "cases" else statement
            conn.execute(text(sql), params)
            seconds[name] = round(time.perf_counter() - started, 2)
        conn.execute(text("DROP TABLE bench_slots"))
    return seconds


# --- independent of the size ---------------------------------------------------------------------

PUBLICATIONS = """
INSERT INTO publications (channel_id, period, marker, text, figures, status, blocked_reason,
  approved_by, approved_at, platform_post_id, published_at, report_path, run_id, updated_at)
SELECT c.id, to_char(w.monday, 'IYYY-"W"IW'), 'cd-' || c.id || '-' || w.n,
  'Kết quả tiếp nhận, giải quyết tin nhắn của người dân tuần ' || to_char(w.monday, 'IW/IYYY'),
  jsonb_build_object('received', 40 + (c.id * w.n) % 90, 'answered', 35 + (c.id * w.n) % 80),
  st.status, CASE WHEN st.status = 'blocked' THEN 'pii_gate' END,
  CASE WHEN st.status IN ('published', 'approved') THEN 'admin' END,
  CASE WHEN st.status IN ('published', 'approved') THEN w.monday + interval '3 hours' END,
  CASE WHEN st.status = 'published' AND c.platform = 'facebook'
    THEN c.platform_id || '_' || (9000 + w.n) END,
  CASE WHEN st.status = 'published' THEN w.monday + interval '4 hours' END,
  to_char(w.monday, 'IYYY-"W"IW') || '.html', 'bench', w.monday + interval '4 hours'
FROM channels c
CROSS JOIN LATERAL (SELECT n, date_trunc('week', CAST(:now AS timestamptz)) - n * interval '7 days'
  AS monday FROM generate_series(0, :weeks) n) w
CROSS JOIN LATERAL (SELECT CASE WHEN w.n = 0 THEN 'awaiting_approval'
  WHEN (c.id + w.n) % 23 = 0 THEN 'blocked' WHEN (c.id + w.n) % 17 = 0 THEN 'rejected'
  ELSE 'published' END AS status) st
"""

COLLECTION_RUNS = """
INSERT INTO collection_runs (run_id, channel_id, status, started_at, finished_at, stats, error)
SELECT 'scheduled__' || to_char(h.at, 'YYYY-MM-DD"T"HH24:MI'), c.id, st.status, h.at,
  h.at + interval '40 seconds', jsonb_build_object('messages', (c.id * h.n) % 7),
  CASE WHEN st.status = 'failed' THEN 'HTTP 503 from the platform (retry later)' END
FROM channels c
CROSS JOIN LATERAL (SELECT n, CAST(:now AS timestamptz) - n * interval '1 hour' AS at
  FROM generate_series(1, :hours) n) h
CROSS JOIN LATERAL (SELECT CASE WHEN (c.id * 31 + h.n) % 97 = 0
  OR (c.id % 9 = 0 AND h.n <= 3) THEN 'failed' ELSE 'success' END AS status) st
"""


def seed_fixed(engine: Any, reports_dir: Path) -> None:
    """Publications (with their report files), collection runs, watermarks, tokens, quarantine."""
    weeks = SPAN_DAYS // 7
    with engine.begin() as conn:
        conn.execute(text(PUBLICATIONS), {"now": NOW, "weeks": weeks})
        conn.execute(text(COLLECTION_RUNS), {"now": NOW, "hours": SPAN_DAYS * 24})
        conn.execute(
            text(
                """
INSERT INTO collection_watermarks (channel_id, source, watermark, updated_at, run_id)
SELECT c.id, s.source, CAST(:now AS timestamptz) - interval '1 hour',
  CAST(:now AS timestamptz) - interval '1 hour', 'bench'
FROM channels c CROSS JOIN LATERAL (VALUES ('messages'), ('comments')) AS s(source)
WHERE c.platform = 'facebook' OR s.source = 'messages'
"""
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                """
INSERT INTO platform_tokens (channel_id, access_token_enc, refresh_token_enc, access_expires_at,
  generation, updated_at)
SELECT c.id, 'bench-encrypted', 'bench-encrypted', CAST(:now AS timestamptz) + interval '1 hour',
  3, CAST(:now AS timestamptz) - interval '85 days' * (c.id % 2)
FROM channels c WHERE c.platform = 'zalo'
"""
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                """
INSERT INTO quarantine (channel_id, source, reason, payload, payload_hash, run_id, created_at)
SELECT c.id, 'messages', 'missing field: created_time', '{}', md5(c.id::text || n), 'bench',
  CAST(:now AS timestamptz) - n * interval '1 day'
FROM channels c CROSS JOIN generate_series(1, 3) n WHERE c.id % 5 = 0
"""
            ),
            {"now": NOW},
        )
        periods = [
            row[0] for row in conn.execute(text("SELECT DISTINCT report_path FROM publications"))
        ]
    reports_dir.mkdir(parents=True, exist_ok=True)
    for name in periods:
        (reports_dir / name).write_text(
            f"<!doctype html><html><body><h1>{name}</h1></body></html>", encoding="utf-8"
        )


def after_collection(engine: Any) -> dict[str, Any]:
    """What the SLA check (run after every collection) keeps for the pages: the overview's
    weekly median first reply per unit (`citizen_desk.sla.first_responses`), at the pages' clock.
    Code without that rollup (measured before it) keeps nothing: {}."""
    from citizen_desk.db.engine import session_scope

    try:
        from citizen_desk.sla import first_responses
    except ImportError:
        return {}
    from citizen_desk.config.registry import deployment_zone

    with session_scope(engine) as session:
        weeks = first_responses.keep_recent(session, deployment_zone(), NOW)
    return {"first_response_weeks": [w.date().isoformat() for w in weeks]}


def analyze(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def table_counts(engine: Any) -> dict[str, int]:
    tables = (
        "cases", "citizens", "messages", "tips", "audit_log", "tip_acknowledgements",
        "notifications", "sla_events", "publications", "collection_runs",
    )  # fmt: skip
    with engine.connect() as conn:
        counts = {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in tables
        }
        for name, where in (
            ("open_cases", "SELECT count(*) FROM cases WHERE status = 'open'"),
            ("open_tips", "SELECT count(*) FROM tips WHERE status IN ('new', 'verifying')"),
        ):
            counts[name] = int(conn.execute(text(where)).scalar() or 0)
    return counts
