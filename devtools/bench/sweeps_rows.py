"""The rows both cold sweeps write, without surrogate ids: to check that a change to the sweeps
writes the same rows (`python -m bench.sweeps_rows CASES ENGINE OUT.json`).

Seeds the burst of `bench.sweeps_cold` (`CASES` late cases and as many tips, the excerpts kept
as the collection keeps them, with the code of the checkout it runs in), runs the SLA sweep and
then the escalation sweep on one copy (each in its own process, each followed by a second sweep
that must add nothing), and writes every row of the tables they write, canonical and sorted:
notifications (their surrogate id aside), audit rows (a notification's named by its key), SLA
events, cases, turns, tips and the excerpts kept (their text and time: the key holds the
engine's fingerprint, which changes with the redaction package's source). Prints a SHA-256 per
table; run it on two checkouts and compare (`diff` the two files for the rows that differ).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import PG_URL, REGISTRY, Env
from bench.sweeps_cold import Size, _run_worker, template

# table -> (columns read, surrogate column left out)
TABLES = {
    "notifications": "*",
    "audit_log": "*",
    "sla_events": "*",
    "cases": "*",
    "case_turns": "*",
    "tips": "*",
    "redacted_excerpts": "excerpt, created_at",
}
SURROGATE = {"notifications": "id", "audit_log": "id", "sla_events": "id", "case_turns": "id"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)  # SQLite's JSON columns come back as text
        except ValueError:
            return value
    return value


def dump(url: str) -> dict[str, list[Any]]:
    """The tables' rows, canonical (see the module doc)."""
    engine = create_engine(url)
    out: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, idempotency_key FROM notifications")).all())
        for table, columns in TABLES.items():
            result = conn.execute(text(f"SELECT {columns} FROM {table}"))
            rows = []
            for row in result.mappings():
                item = {k: _plain(v) for k, v in row.items() if k != SURROGATE.get(table)}
                if table == "audit_log" and item["entity_type"] == "notification":
                    item["entity_id"] = keys.get(int(item["entity_id"]), item["entity_id"])
                rows.append(item)
            out[table] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    engine.dispose()
    return out


def main(cases: int, engine_name: str, target: Path) -> None:
    from citizen_desk.config.registry import load_registry

    env = Env(workdir=Path(tempfile.mkdtemp(prefix="sweeps-rows-")), pg_url=PG_URL)
    size = Size(cases=cases, tips=cases, engines=(engine_name,), scenarios=("burst",))
    with template(engine_name, env, load_registry(REGISTRY), size, "burst") as world:
        url = world["copy"]()
        for sweep in ("sla", "escalation"):
            result = _run_worker(url, sweep)
            print(json.dumps({"sweep": sweep, "written": result["written"]}), flush=True)
            assert not any(result["next_added"].values()), result["next_added"]
        rows = dump(url)
    text_out = json.dumps(rows, sort_keys=True, ensure_ascii=False, indent=0, default=str)
    target.write_text(text_out, encoding="utf-8")
    for table, items in rows.items():
        blob = json.dumps(items, sort_keys=True, ensure_ascii=False, default=str).encode()
        print(f"{table}: {len(items)} rows, sha256 {hashlib.sha256(blob).hexdigest()[:16]}")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
