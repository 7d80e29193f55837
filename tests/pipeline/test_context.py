"""`citizen_desk.pipeline.context`: the run's "now" and its label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pendulum
import pytest

from citizen_desk.pipeline.context import run_context, run_label, run_now
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


def test_every_task_masks_pii_in_its_logs(caplog) -> None:
    import logging

    run_context({"data_interval_end": NOW, "run_id": "x"})
    logger = logging.getLogger("citizen_desk.collect.tasks")
    with caplog.at_level(logging.INFO, logger="citizen_desk"):
        logger.info("citizen wrote from %s", "0912 345 678")
    assert "0912 345 678" not in caplog.text
    assert "[SĐT]" in caplog.text
