"""Command line: `citizen-desk <command>` (or `python -m citizen_desk <command>`).

Each command group lives in its own module exposing `register(subparsers)`; the handler it sets
returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from citizen_desk.errors import CitizenDeskError, RegistryErrors

COMMAND_MODULES = (
    "citizen_desk.cli",
    "citizen_desk.tips.cli",
    "citizen_desk.notify.cli",
    "citizen_desk.sla.cli",
    "citizen_desk.doctor.cli",
    "citizen_desk.pipeline.cli",
    "citizen_desk.web.cli",
)


def _db(args: argparse.Namespace) -> int:
    from citizen_desk.db import migrate

    if args.action == "upgrade":
        migrate.upgrade(args.url)
    elif args.action == "downgrade":
        migrate.downgrade(args.url, args.revision)
    print(f"domain DB at revision {migrate.current_revision(args.url)}")
    return 0


def _registry(args: argparse.Namespace) -> int:
    from citizen_desk.config.registry import load_registry
    from citizen_desk.config.sync import sync_registry
    from citizen_desk.db.engine import session_scope

    registry = load_registry(args.path)
    print(
        f"{registry.path}: {len(registry.units)} units, {len(registry.channels)} channels "
        f"({len(registry.active_channels())} active)"
    )
    if args.action == "sync":
        with session_scope(args.url) as session:
            report = sync_registry(session, registry, now=datetime.now(UTC), actor=args.actor)
        print(f"synced: {report}")
    return 0


def _triage(args: argparse.Namespace) -> int:
    from citizen_desk.triage.cli import main as triage_main

    return triage_main([])


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="domain database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("--revision", default="base", help="target for downgrade")
    db.add_argument("--url", default=None, help="database URL (default: CITIZEN_DESK_DB_URL)")
    db.set_defaults(handler=_db)

    registry = subparsers.add_parser("registry", help="validate or sync the registry")
    registry.add_argument("action", choices=["check", "sync"])
    registry.add_argument("--path", default=None, help="registry YAML (default: packaged)")
    registry.add_argument("--url", default=None, help="database URL")
    registry.add_argument("--actor", default="cli")
    registry.set_defaults(handler=_registry)

    triage = subparsers.add_parser(
        "triage", help="classify and redact JSON lines ({id, text}) from stdin"
    )
    triage.set_defaults(handler=_triage)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citizen-desk", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CitizenDeskError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        if isinstance(exc, RegistryErrors):
            print(f"{len(exc.problems)} problem(s) in {exc.path}", file=sys.stderr)
        return 2
