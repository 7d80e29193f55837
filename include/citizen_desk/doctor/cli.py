"""`citizen-desk doctor`: the going-live checks as one table; exit 1 on a blocker."""

from __future__ import annotations

import argparse

from citizen_desk.doctor.report import exit_code, render


def _doctor(args: argparse.Namespace) -> int:
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine
    from citizen_desk.doctor.run import run_doctor

    engine = None if args.no_db else get_engine(args.url)
    result = run_doctor(load_registry(args.registry), engine=engine, channels=args.channel)
    print(render(result.checks, result.secrets))
    return exit_code(result.checks)


def register(subparsers: argparse._SubParsersAction) -> None:
    doctor = subparsers.add_parser(
        "doctor", help="check every channel's connection, token, permissions and Slack access"
    )
    doctor.add_argument("--registry", default=None, help="registry YAML (default: packaged)")
    doctor.add_argument("--url", default=None, help="domain database URL (Zalo token store)")
    doctor.add_argument("--no-db", action="store_true", help="skip the Zalo token checks")
    doctor.add_argument("--channel", action="append", help="only this channel key (repeatable)")
    doctor.set_defaults(handler=_doctor)
