"""`citizen_desk.pipeline.context` (the run's "now") and the SLA command line."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pendulum
import pytest

from citizen_desk.pipeline.context import run_context, run_label, run_now
from citizen_desk.sla import cli as sla_cli
from citizen_desk.sla import sweep as sla_sweep
from tests.conftest import NOW

ICT = timezone(timedelta(hours=7))


def test_run_now_prefers_the_data_interval_end() -> None:
    context = {
        "data_interval_end": pendulum.datetime(2026, 11, 23, 10, tz="Asia/Ho_Chi_Minh"),
        "dag_run": SimpleNamespace(run_after=datetime(2030, 1, 1, tzinfo=UTC)),
    }
    now = run_now(context)
    assert now == NOW
    assert now.tzinfo is UTC


def test_run_now_falls_back_to_run_after_for_manual_and_asset_runs() -> None:
    context = {"data_interval_end": None, "dag_run": SimpleNamespace(run_after=NOW.astimezone(ICT))}
    assert run_now(context) == NOW
    assert run_now(context).tzinfo is UTC
    naive = {"dag_run": SimpleNamespace(run_after=datetime(2026, 11, 23, 3))}
    assert run_now(naive) == NOW
    with pytest.raises(ValueError, match="run_after"):
        run_now({})


def test_run_label() -> None:
    context = {"dag_run": SimpleNamespace(dag_id="check_reply_sla"), "run_id": "scheduled__x"}
    assert run_label(context) == "check_reply_sla/scheduled__x"


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


def test_run_context_carries_what_task_bodies_need() -> None:
    class Run:
        dag_id = "collect_citizen_messages"
        run_id = "backfill__2026-11-20"
        run_type = "backfill"
        run_after = NOW

    start = datetime(2026, 11, 20, 17, 0)  # naive: taken as UTC
    context = {
        "dag_run": Run(),
        "run_id": Run.run_id,
        "data_interval_start": start,
        "data_interval_end": NOW,
        "params": {"channels": ["fb-th"]},
    }
    run = run_context(context)
    assert run.now == NOW
    assert run.label == "collect_citizen_messages/backfill__2026-11-20"
    assert run.run_id == "backfill__2026-11-20"
    assert run.run_type == "backfill"
    assert run.interval_start == start.replace(tzinfo=UTC)
    assert run.params == {"channels": ["fb-th"]}
