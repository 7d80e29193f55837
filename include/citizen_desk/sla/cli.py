"""`citizen-desk sla sweep|recompute --from D --to D [--dry-run]`: one SLA check from a terminal."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from citizen_desk.sla.sweep import run_check


def _cli(args: argparse.Namespace) -> int:
    result = run_check(
        datetime.now(UTC),  # the CLI is an entry point: the wall clock is the run's "now"
        f"cli/{args.action}",
        recompute_from=args.recompute_from if args.action == "recompute" else None,
        recompute_to=args.recompute_to if args.action == "recompute" else None,
        dry_run=args.dry_run,
        url=args.url,
    )
    for name, value in result.items():
        print(f"{name}: {value}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """`python -m citizen_desk sla sweep|recompute --from D --to D [--dry-run]`."""
    parser = subparsers.add_parser("sla", help="reply-SLA sweep, or recompute a past period")
    parser.add_argument("action", choices=["sweep", "recompute"])
    parser.add_argument("--from", dest="recompute_from", type=date.fromisoformat, default=None)
    parser.add_argument("--to", dest="recompute_to", type=date.fromisoformat, default=None)
    parser.add_argument("--dry-run", action="store_true", help="evaluate, record nothing")
    parser.add_argument("--url", default=None, help="database URL")
    parser.set_defaults(handler=_cli)
