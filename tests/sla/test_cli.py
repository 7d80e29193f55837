"""`citizen-desk sla recompute`: the period on the command line."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from citizen_desk.sla import cli as sla_cli
from citizen_desk.sla import sweep as sla_sweep


def test_sla_cli_parses_a_recompute_period() -> None:
    parser = argparse.ArgumentParser()
    sla_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sla", "recompute", "--from", "2026-11-01", "--to", "2026-11-07"])
    assert (args.recompute_from.isoformat(), args.recompute_to.isoformat()) == (
        "2026-11-01",
        "2026-11-07",
    )
    start, end = sla_sweep.local_period(args.recompute_from, args.recompute_to, "Asia/Ho_Chi_Minh")
    assert start == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert end - start == timedelta(days=7)
    with pytest.raises(ValueError, match="before"):
        sla_sweep.local_period(args.recompute_to, args.recompute_from, "Asia/Ho_Chi_Minh")
