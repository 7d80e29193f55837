"""`python -m bench.receiver_server {ours,bare} --port N`: one side of the `receiver` benchmark.

`ours` serves the very app object the Airflow plugin mounts (`plugins/citizen_desk_plugin.py`,
loaded from its file), mounted at its `url_prefix` in a root FastAPI app the way the api-server's
`init_plugins` mounts it; secrets come from the `citizen_desk_webhooks` connection (an
`AIRFLOW_CONN_…` variable set by the benchmark) and the domain DB from `CITIZEN_DESK_DB_URL`.
The only change is the over-rate limit: one bench client is one source, so its bucket is raised
to `--rate-limit` requests/s (still checked on every request).

`bare` is the issue's baseline: a plain FastAPI handler that parses the JSON body and INSERTs the
same rows (same table, same columns, same values) with no signature, freshness, size or rate
check, through a plain SQLAlchemy engine with the same pool size.

Both run under uvicorn with the same settings (one worker, access log off).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
from datetime import UTC, datetime
from typing import Annotated, Any

import uvicorn
from fastapi import Body, FastAPI

from bench.common import REPO

PLUGIN = REPO / "plugins" / "citizen_desk_plugin.py"
POOL_SIZE, MAX_OVERFLOW = 5, 5  # what `citizen_desk.db.engine` gives PostgreSQL
JsonBody = Annotated[dict[str, Any], Body()]  # FastAPI parses the JSON body


def plugin_app() -> tuple[str, FastAPI]:
    """(url_prefix, app) of the Citizen Desk plugin, as Airflow's plugin manager reads them."""
    spec = importlib.util.spec_from_file_location("citizen_desk_plugin", PLUGIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (mounted,) = module.CitizenDeskPlugin.fastapi_apps
    return mounted["url_prefix"], mounted["app"]


def ours(rate_limit: float) -> FastAPI:
    from citizen_desk.web.routes.webhooks import RateLimiter

    prefix, desk = plugin_app()
    desk.state.webhook_limiter = RateLimiter(rate=rate_limit, burst=rate_limit)
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.mount(prefix, desk)
    return root


def _json(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def _ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC) if value else None


def bare_rows(platform: str, document: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The inbox rows of a body, read the naive way (no validation: the body is trusted)."""
    base = {"platform": platform, "received_at": now, "status": "pending", "reason": None}
    if platform == "facebook":
        return [
            {**base, "event_key": item["message"]["mid"], "account_id": entry["id"],
             "kind": "message", "occurred_at": _ms(item.get("timestamp")), "payload": _json(item)}
            for entry in document["entry"]
            for item in entry.get("messaging", [])
        ]  # fmt: skip
    return [
        {**base, "event_key": document["message"]["msg_id"],
         "account_id": document["recipient"]["id"], "kind": "message",
         "occurred_at": _ms(document.get("timestamp")), "payload": _json(document)}
    ]  # fmt: skip


def bare(url: str) -> FastAPI:
    from sqlalchemy import create_engine, insert

    from citizen_desk.db.models import InboxEvent

    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    table = InboxEvent.__table__
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def store(platform: str, document: dict[str, Any]) -> dict[str, int]:
        rows = bare_rows(platform, document, datetime.now(UTC))
        with engine.begin() as conn:
            conn.execute(insert(table), rows)
        return {"stored": len(rows)}

    @app.post("/bare/facebook")
    def facebook(document: JsonBody) -> dict[str, int]:
        return store("facebook", document)

    @app.post("/bare/zalo")
    def zalo(document: JsonBody) -> dict[str, int]:
        return store("zalo", document)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.receiver_server")
    parser.add_argument("side", choices=("ours", "bare"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate-limit", type=float, default=1e6)
    args = parser.parse_args(argv)
    url = os.environ["CITIZEN_DESK_DB_URL"]
    app = ours(args.rate_limit) if args.side == "ours" else bare(url)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
