"""`citizen-desk fab-access ROLE...`: these FAB roles may open the pages (`web.fab_access`)."""

from __future__ import annotations

import argparse


def _fab_access(args: argparse.Namespace) -> int:
    from citizen_desk.web.fab_access import grant_page_access

    added = grant_page_access(args.roles)
    for role in args.roles:
        done = "granted" if role in added else "already had it"
        print(f"{role}: can read on Citizen Desk ({done})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    fab = subparsers.add_parser(
        "fab-access",
        help="FAB auth manager: let these FAB roles open the Citizen Desk pages (read only)",
    )
    fab.add_argument("roles", nargs="+", metavar="ROLE", help="FAB role name, e.g. Viewer")
    fab.set_defaults(handler=_fab_access)
