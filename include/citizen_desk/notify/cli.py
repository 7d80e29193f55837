"""`python -m citizen_desk outbox list|deliver|retry`: look at and operate the notification outbox.

`list` never prints message text (it may quote citizens, even redacted): key, kind, recipient,
status, attempts and the last error only.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from citizen_desk.db.models import NOTIFICATION_STATUSES

if TYPE_CHECKING:
    from slack_sdk import WebClient


def _now() -> datetime:
    return datetime.now(UTC)  # the CLI is an entry point: the wall clock is its "now"


def _list(args: argparse.Namespace) -> int:
    from citizen_desk.db.engine import session_scope
    from citizen_desk.notify.operations import list_notifications

    with session_scope(args.url) as session:
        rows = list_notifications(session, statuses=args.status or (), limit=args.limit)
        print(f"{'status':8} {'att':>3} {'created (UTC)':16} {'kind':14} {'recipient':12} key")
        for row in rows:
            print(
                f"{row.status:8} {row.attempts:>3} {row.created_at:%Y-%m-%d %H:%M} "
                f"{row.kind[:14]:14} {row.recipient[:12]:12} {row.idempotency_key}"
            )
            if row.last_error:
                print(f"{'':29}└ {row.last_error}")
    return 0


def _client(args: argparse.Namespace) -> WebClient:
    from citizen_desk.notify.slack import build_client, slack_client_from_connection

    token = os.environ.get("SLACK_BOT_TOKEN")
    if args.base_url or token:
        if not token:
            print("error: set SLACK_BOT_TOKEN when using --base-url")
            raise SystemExit(2)
        return build_client(token, base_url=args.base_url)
    return slack_client_from_connection(args.conn_id)


def _deliver(args: argparse.Namespace) -> int:
    from citizen_desk.db.engine import get_engine
    from citizen_desk.notify.delivery import deliver_pending

    report = deliver_pending(get_engine(args.url), _client(args), now=_now(), limit=args.limit)
    print(report.as_dict())
    return 1 if report.fatal else 0


def _retry(args: argparse.Namespace) -> int:
    from citizen_desk.db.engine import session_scope
    from citizen_desk.notify.operations import retry

    if not args.keys and not args.all_failed:
        print("error: name the keys to retry, or pass --all-failed")
        return 2
    with session_scope(args.url) as session:
        count = retry(
            session, keys=args.keys, all_failed=args.all_failed, now=_now(), actor=args.actor
        )
    print(f"{count} notification(s) back to pending")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    outbox = subparsers.add_parser("outbox", help="list, deliver or retry Slack notifications")
    actions = outbox.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="newest notifications first (no message text)")
    listing.add_argument("--status", action="append", choices=NOTIFICATION_STATUSES)
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=_list)

    deliver = actions.add_parser("deliver", help="send what is due now")
    deliver.add_argument("--limit", type=int, default=200)
    deliver.add_argument("--conn-id", default="citizen_desk_slack", help="Airflow connection")
    deliver.add_argument(
        "--base-url", default=None, help="Slack API base URL (token from SLACK_BOT_TOKEN)"
    )
    deliver.set_defaults(handler=_deliver)

    retry = actions.add_parser("retry", help="put failed notifications back to pending")
    retry.add_argument("keys", nargs="*", help="idempotency keys")
    retry.add_argument("--all-failed", action="store_true")
    retry.add_argument("--actor", default="cli")
    retry.set_defaults(handler=_retry)

    for parser in (listing, deliver, retry):
        parser.add_argument("--url", default=None, help="database URL (default: configured)")
