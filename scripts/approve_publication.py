#!/usr/bin/env python
"""Answer the weekly-post approval requests of one `publish_weekly_results` run via the REST API.

What the Airflow UI does (Browse → Required Actions → *Duyệt đăng* / *Không đăng*), scripted:

    1. POST {base}/auth/token {"username", "password"}            -> 201 {"access_token": ...}
       (skipped without --username: e.g. SIMPLE_AUTH_MANAGER_ALL_ADMINS=True)
    2. GET  {base}/api/v2/dags/{dag}/dagRuns/{run}/hitlDetails?task_id=approve
            &response_received=false                              -> the pending requests
    3. PATCH {base}/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/approve/{map_index}/hitlDetails
            {"chosen_options": ["Duyệt đăng"]}

Examples:
    scripts/approve_publication.py --run-id manual__2026-11-23T00:00:00+00:00 --approve
    scripts/approve_publication.py --run-id RUN --reject --channel fb-th-ns
The request carries no text: to post a corrected text, save it first on the Citizen Desk page
(Bài đăng & báo cáo → Sửa nội dung; PII-gated, stored in the domain DB), then approve; the
approval posts the newest revision saved before it.
The user must be a publication approver of the posts' units (registry `access:`): the requests
are assigned to them, and Airflow answers 403 to anyone else (the demo's and the e2e's `admin` is).
Environment defaults: AIRFLOW_API_URL (http://localhost:8080), AIRFLOW_USERNAME, AIRFLOW_PASSWORD.
Needs the package importable (`include/` on PYTHONPATH, or installed): the options are those of
`citizen_desk.publication.approval`.
Exit code: 0 when at least one request was answered (or --allow-none), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from citizen_desk.publication.approval import APPROVE, REJECT

DAG_ID = "publish_weekly_results"
RETRIES = 5
# A request is answered only once it is this old. Answering within a second or two of the task
# deferring loses a race in Airflow 3.3.2's scheduler: the stale "success" of the defer-exit is
# read after the resumed try is queued, and the try is failed as changed externally (seen in our
# e2e runs; apache/airflow#67287 and #72716). People never answer that fast; a script must wait.
SETTLE_SECONDS = 15.0
TASK_ID = "approve"


def _check(response: Any, what: str) -> Any:
    if response.status_code >= 400:
        raise SystemExit(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


def get_token(http: Any, base_url: str, username: str, password: str) -> str:
    response = http.post(
        f"{base_url}/auth/token", json={"username": username, "password": password}
    )
    return str(_check(response, "POST /auth/token")["access_token"])


def _run_path(dag_id: str, run_id: str) -> str:
    quote = urllib.parse.quote
    return f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"


def pending_requests(
    http: Any, base_url: str, headers: dict[str, str], dag_id: str, run_id: str
) -> list[dict[str, Any]]:
    """The run's unanswered approval requests, by map index."""
    response = http.get(
        f"{base_url}{_run_path(dag_id, run_id)}/hitlDetails",
        params={"task_id": TASK_ID, "response_received": "false", "limit": 100},
        headers=headers,
    )
    details = _check(response, "GET hitlDetails").get("hitl_details", [])
    return sorted(details, key=lambda d: d["task_instance"]["map_index"])


def age_seconds(detail: dict[str, Any], now: datetime) -> float:
    """How long ago the request was made (older API versions without `created_at`: settled)."""
    created = detail.get("created_at")
    if not created:
        return float("inf")
    return (now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds()


def channel_of(detail: dict[str, Any]) -> str | None:
    """The channel key the request is about (written as `fb-...` in the body)."""
    body = detail.get("body") or ""
    start = body.find("trang Facebook `")
    if start < 0:
        return None
    start += len("trang Facebook `")
    end = body.find("`", start)
    return body[start:end] if end > start else None


def respond(
    http: Any,
    base_url: str,
    headers: dict[str, str],
    dag_id: str,
    run_id: str,
    map_index: int,
    *,
    approve: bool,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"chosen_options": [APPROVE if approve else REJECT]}
    url = f"{base_url}{_run_path(dag_id, run_id)}/taskInstances/{TASK_ID}/{map_index}/hitlDetails"
    # On the SQLite metadata DB (the demo) a busy scheduler can make the api-server answer 500
    # ("Database error"): retry a few times; a 409 on a retry means the first answer landed.
    for attempt in range(RETRIES):
        response = http.patch(url, json=payload, headers=headers)
        if response.status_code < 500 or attempt == RETRIES - 1:
            break
        time.sleep(2 * (attempt + 1))
    if attempt and response.status_code == 409:
        return {"already_answered": True, "map_index": map_index}
    return _check(response, f"PATCH hitlDetails map_index={map_index}")


def approve_run(
    http: Any,
    base_url: str,
    *,
    run_id: str,
    approve: bool,
    dag_id: str = DAG_ID,
    username: str | None = None,
    password: str | None = None,
    channels: Sequence[str] = (),
    wait: float = 0.0,
    poll: float = 2.0,
    settle: float = SETTLE_SECONDS,
    sleep: Any = time.sleep,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[str]:
    """Answer the pending requests of `run_id` (all, or those of `channels`) once each is
    `settle` seconds old; returns what was answered as `map_index:channel`."""
    base_url = base_url.rstrip("/")
    headers = {}
    if username:
        headers["Authorization"] = f"Bearer {get_token(http, base_url, username, password or '')}"
    deadline = time.monotonic() + wait
    while True:
        details = pending_requests(http, base_url, headers, dag_id, run_id)
        if channels:
            details = [d for d in details if channel_of(d) in set(channels)]
        youngest = min((age_seconds(d, clock()) for d in details), default=float("inf"))
        if youngest < settle:
            sleep(min(poll, settle - max(youngest, 0.0)))
            continue
        if details or time.monotonic() >= deadline:
            break
        sleep(poll)
    answered = []
    for detail in details:
        map_index = int(detail["task_instance"]["map_index"])
        respond(http, base_url, headers, dag_id, run_id, map_index, approve=approve)
        answered.append(f"{map_index}:{channel_of(detail)}")
    return answered


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--dag-id", default=DAG_ID)
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", action="store_true")
    choice.add_argument("--reject", action="store_true")
    parser.add_argument("--channel", action="append", default=[], help="only this channel key")
    parser.add_argument(
        "--base-url", default=os.environ.get("AIRFLOW_API_URL", "http://localhost:8080")
    )
    parser.add_argument("--username", default=os.environ.get("AIRFLOW_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("AIRFLOW_PASSWORD"))
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for requests")
    parser.add_argument(
        "--settle",
        type=float,
        default=SETTLE_SECONDS,
        help="answer a request only once it is this many seconds old (an Airflow race)",
    )
    parser.add_argument("--allow-none", action="store_true", help="exit 0 with nothing pending")
    args = parser.parse_args(argv)

    import requests

    with requests.Session() as http:
        answered = approve_run(
            http,
            args.base_url,
            run_id=args.run_id,
            dag_id=args.dag_id,
            approve=args.approve,
            username=args.username,
            password=args.password,
            channels=args.channel,
            wait=args.wait,
            settle=args.settle,
        )
    verb = "approved" if args.approve else "rejected"
    for item in answered:
        print(f"{verb} {item}")
    if not answered:
        print(f"no pending approval request in run {args.run_id}", file=sys.stderr)
        return 0 if args.allow_none else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
