"""Collection against the platform simulator: completeness, incrementality, idempotency, faults.

These tests run on SQLite only (the store logic itself runs on both backends in test_store.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.collect import PermanentFailure, RateLimited
from citizen_desk.collect.cases import Event, thread_state
from citizen_desk.collect.run import Window
from citizen_desk.db.models import Case, Channel, CollectionRun, CollectionWatermark, Notification
from citizen_desk.errors import PlatformError
from citizen_desk.triage.courtesy import is_courtesy
from citizen_desk.web.health import collection_health
from tests.collect.conftest import (
    CHANNELS,
    stored_messages,
    table_counts,
    truth_messages,
)

SOURCES = {"facebook": 2, "zalo": 1}  # requests a quiet channel costs: one per source


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def expected_cases(truth: list[dict[str, Any]]) -> dict[tuple[str, str], datetime | None]:
    """(channel, thread) -> awaiting_since, derived from the ground truth."""
    events: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for m in truth:
        # Graph reports whole seconds, Zalo milliseconds.
        when = ms(m["created_ms"] if m["surface"] == "zalo" else m["created_ms"] // 1000 * 1000)
        thanks = m["direction"] == "in" and is_courtesy(m.get("text"))
        events[(m["channel"], m["thread_id"])].append((when, m["direction"], thanks))
        if m.get("private_reply_to"):
            events[(m["channel"], m["private_reply_to"])].append((when, "out"))
    out = {}
    for key, items in events.items():
        state = thread_state(items)
        if state is not None:
            out[key] = state.awaiting_since
    return out


def stored_cases(engine) -> dict[tuple[str, str], datetime | None]:
    with Session(engine) as session:
        rows = session.execute(
            select(Channel.key, Case.thread_key, Case.awaiting_since, Case.status).join(
                Channel, Channel.id == Case.channel_id
            )
        ).all()
    for _key, _thread, awaiting, status in rows:
        assert (status == "open") == (awaiting is not None)
    return {(k, t): a for k, t, a, _s in rows}


def watermarks(engine) -> dict[tuple[int, str], datetime]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                CollectionWatermark.channel_id,
                CollectionWatermark.source,
                CollectionWatermark.watermark,
            )
        ).all()
    return {(c, s): w for c, s, w in rows}


@pytest.mark.parametrize("world", [7], indirect=True)
def test_incremental_collection_story(collect, world) -> None:
    """First run = ground truth; quiet run = one request per source, no writes; live traffic is
    picked up exactly once; a rerun and a backfill of the same day change nothing."""
    first = collect.all(run_id="run-1")
    assert all(s["status"] == "success" for s in first.values())
    truth = world.truth()
    assert stored_messages(collect.engine) == truth_messages(world)
    assert stored_cases(collect.engine) == expected_cases(truth)
    assert any(m.get("private_reply_to") for m in truth)  # the private-reply path was exercised
    text = json.dumps(first, ensure_ascii=False)
    for m in truth:  # the run summary carries no identity
        assert m["citizen_id"] is None or m["citizen_id"] not in text
        assert m["citizen_name"] is None or m["citizen_name"] not in text
    first_calls = {k: s["api_calls"] for k, s in first.items()}

    before, marks = table_counts(collect.engine), watermarks(collect.engine)
    world.sim.stats.reset()
    quiet = collect.all(run_id="run-2")
    assert {k: s["api_calls"] for k, s in quiet.items()} == {
        k: SOURCES[s["platform"]] for k, s in quiet.items()
    }
    assert all(s["messages_added"] == s["cases_updated"] == 0 for s in quiet.values())
    assert table_counts(collect.engine) == before
    assert watermarks(collect.engine) == marks
    assert sum(world.sim.stats.snapshot()["requests"].values()) == sum(SOURCES.values()) * 2

    world.sim.advance(timedelta(minutes=30))
    world.sim.generate(8)
    world.sim.advance(timedelta(minutes=5))
    world.sim.generate(4)
    live = collect.all(run_id="run-3")
    new_truth = world.truth()
    assert stored_messages(collect.engine) == truth_messages(world)
    assert sum(s["messages_added"] for s in live.values()) == len(new_truth) - len(truth)
    assert stored_cases(collect.engine) == expected_cases(new_truth)

    after_live = table_counts(collect.engine)
    rerun = collect.all(run_id="run-3")  # Airflow retry / clear of the same run
    backfill = collect.all(
        run_id="backfill-1", window=Window(since=world.clock() - timedelta(days=1))
    )
    assert all(s["messages_added"] == 0 for s in [*rerun.values(), *backfill.values()])
    assert table_counts(collect.engine) == after_live
    with Session(collect.engine) as session:
        assert session.query(CollectionRun).filter_by(run_id="run-3").count() == len(CHANNELS)
    print(f"\nAPI calls, first collection: {first_calls}")
    print(f"API calls, no new traffic:   { {k: s['api_calls'] for k, s in quiet.items()} }")
    print(f"API calls, 12 new threads:   { {k: s['api_calls'] for k, s in live.items()} }")


@pytest.mark.parametrize("world", [4], indirect=True)
def test_backfill_of_a_past_window_then_incremental_runs_exactly_once(collect, world) -> None:
    now = world.clock()
    window = Window(since=now - timedelta(days=2), until=now - timedelta(days=1))
    collect.all(run_id="backfill", window=window, now=now - timedelta(days=1))
    stored = stored_messages(collect.engine)
    created = {m["id"]: ms(m["created_ms"]) for m in world.truth()}
    in_window = {i for i, t in created.items() if window.since <= t <= window.until}
    ids = {row[1] for row in stored}
    assert in_window <= ids  # everything in the window (plus the overlap before it)
    assert all(created[i] >= window.since - timedelta(minutes=10) for i in ids)
    assert all(created[i] <= window.until for i in ids)
    assert watermarks(collect.engine) == {}  # a backfill never moves a watermark
    collect.all(run_id="scheduled")
    assert stored_messages(collect.engine) == truth_messages(world)
    assert table_counts(collect.engine)["messages"] == len(world.truth())


@pytest.mark.parametrize("world", [7], indirect=True)
def test_zalo_short_pages_mid_list_lose_nothing_and_reruns_double_nothing(collect, world) -> None:
    """Zalo promises no short page only at the end (platform-apis.md §7: page "until an empty
    `data`"): short pages in the middle of many pages, first and later runs, lose nothing."""
    zalo = [k for k in CHANNELS if world.channels[k]["platform"] == "zalo"]
    rows = {k: sum(m["channel"] == k for m in world.truth()) for k in zalo}
    assert min(rows.values()) > 40  # each OA's history spans many pages of 10
    short = {"kind": "truncated_pages", "target": "zalo.listrecentchat", "drop": 7, "count": 6}
    world.sim.add_fault(short)
    first = collect.all(run_id="run-1")
    assert all(s["status"] == "success" for s in first.values())
    assert stored_messages(collect.engine) == truth_messages(world)
    assert world.sim.faults.snapshot() == []  # every short page was served
    counts = table_counts(collect.engine)
    assert counts["messages"] == len(world.truth())

    rerun = collect.all(run_id="run-1")  # an Airflow retry of the same run
    assert all(s["messages_added"] == 0 for s in rerun.values())
    assert table_counts(collect.engine) == counts

    world.sim.advance(timedelta(minutes=40))
    world.sim.generate(30)
    world.sim.add_fault(short | {"drop": 9, "count": 2})
    collect.all(run_id="run-2")
    assert stored_messages(collect.engine) == truth_messages(world)
    assert table_counts(collect.engine)["messages"] == len(world.truth())


@pytest.mark.parametrize("world", [3], indirect=True)
def test_faults_still_end_with_complete_data(collect, world) -> None:
    fb1, fb2 = world.page_id("fb-th-ns-ttns"), world.page_id("fb-th-ns-ngathuy")
    oa = world.channels["zalo-th-ns-ttns"]["platform_id"]
    for fault in (
        {"kind": "error_rate", "target": "graph.conversations", "count": 2, "code": 1},
        {"kind": "error_rate", "target": "zalo.listrecentchat", "count": 1},
        {"kind": "malformed_json", "target": "graph.feed", "count": 1},
        {"kind": "timeout", "target": "zalo.listrecentchat", "count": 1, "seconds": 1.5},
        {"kind": "rate_limit", "page": fb1, "code": 80001, "count": 1, "regain_minutes": 1},
        {"kind": "rate_limit", "page": fb2, "code": 4, "count": 2, "regain_minutes": 0},
        {"kind": "rate_limit", "oa": oa, "count": 2},
    ):
        world.sim.add_fault(fault)
    collect.options["timeout"] = 0.5
    summaries = collect.all()
    assert all(s["status"] == "success" for s in summaries.values())
    assert stored_messages(collect.engine) == truth_messages(world)
    assert sum(s["retries"] for s in summaries.values()) >= 9
    assert sum(s["rate_limit_waits"] for s in summaries.values()) >= 5
    assert 60.0 in collect.sleeps  # waited as estimated_time_to_regain_access said
    assert world.sim.faults.snapshot() == []  # every injected fault fired


@pytest.mark.parametrize("world", [3], indirect=True)
def test_a_long_rate_limit_is_left_to_airflow_and_alerts_only_on_the_last_try(
    collect, world
) -> None:
    page = world.page_id("fb-th-ns-ttns")
    world.sim.add_fault({"kind": "rate_limit", "page": page, "count": 1, "regain_minutes": 30})
    with pytest.raises(RateLimited) as info:
        collect("fb-th-ns-ttns", final_attempt=False)
    assert info.value.retryable
    assert info.value.retry_after == 1800
    assert collect.sleeps == []  # no in-process half-hour sleep
    with Session(collect.engine) as session:
        run = session.scalars(select(CollectionRun)).one()
        assert run.status == "failed"
        assert run.stats["error_kind"] == "transient"
        assert run.stats["error_cause"] == "rate_limit"  # Graph 80001
        assert session.query(Notification).count() == 0
        health = {h.key: h for h in collection_health(session, now=world.clock())}
        assert health["fb-th-ns-ttns"].error_kind == "rate_limit"
    summary = collect("fb-th-ns-ttns")  # Airflow's retry, once the budget is back
    assert summary["status"] == "success"
    with Session(collect.engine) as session:
        assert session.scalars(select(CollectionRun.status)).all() == ["success"]
    expected = {m for m in truth_messages(world) if m[0] == "fb-th-ns-ttns"}
    assert stored_messages(collect.engine) == expected


@pytest.mark.parametrize("world", [3], indirect=True)
def test_a_zalo_rate_limit_that_outlasts_the_retries_is_stored_as_a_rate_limit(
    collect, world
) -> None:
    oa = world.channels["zalo-th-ns-ttns"]["platform_id"]
    world.sim.add_fault({"kind": "rate_limit", "oa": oa, "count": 50})
    with pytest.raises(PlatformError) as info:
        collect("zalo-th-ns-ttns", final_attempt=False)
    assert info.value.code == -32
    with Session(collect.engine) as session:
        run = session.scalars(select(CollectionRun)).one()
        assert (run.stats["error_kind"], run.stats["error_cause"]) == ("transient", "rate_limit")
        health = {h.key: h for h in collection_health(session, now=world.clock())}
    assert health["zalo-th-ns-ttns"].error_kind == "rate_limit"
    assert health["zalo-th-ns-ttns"].error_kind_label == "Bị giới hạn tần suất gọi API"


@pytest.mark.parametrize("world", [3], indirect=True)
def test_an_expired_token_fails_only_that_page_and_alerts_the_admins(collect, world) -> None:
    world.sim.add_fault({"kind": "expired_token", "page": world.page_id("fb-th-ns-ngathuy")})
    results: dict[str, Any] = {}
    for key in CHANNELS:
        try:
            results[key] = collect(key)
        except PermanentFailure as exc:
            results[key] = exc
    failed = results.pop("fb-th-ns-ngathuy")
    assert isinstance(failed, PermanentFailure)
    assert "190" in str(failed)
    assert all(s["status"] == "success" for s in results.values())
    expected = {m for m in truth_messages(world) if m[0] != "fb-th-ns-ngathuy"}
    assert stored_messages(collect.engine) == expected
    with pytest.raises(PermanentFailure):
        collect("fb-th-ns-ngathuy", run_id="run-2")  # same day: no second alert
    with Session(collect.engine) as session:
        alerts = session.scalars(select(Notification)).all()
        runs = session.scalars(select(CollectionRun).where(CollectionRun.status == "failed")).all()
    assert [(n.recipient, n.status, n.kind) for n in alerts] == [
        ("C07TECHADMIN", "pending", "admin_alert")
    ]
    payload = json.dumps(alerts[0].payload, ensure_ascii=False)
    assert "fb-th-ns-ngathuy" in payload
    assert "fb_th_ns_ngathuy" in payload
    token = world.sim.page_token(world.page_id("fb-th-ns-ngathuy"))
    assert token not in payload
    assert {r.stats["error_kind"] for r in runs} == {"token"}
    assert all(token not in (r.error or "") for r in runs)


@pytest.mark.parametrize("world", [3], indirect=True)
def test_malformed_payloads_are_quarantined_and_the_run_carries_on(collect, world) -> None:
    state = world.sim.world.state
    page = world.page_id("fb-th-ns-ttns")
    fb_message = next(m for m in state["fb_messages"].values() if m["page_id"] == page)
    fb_message["message"] = 12345  # wrong type
    comment = next(c for c in state["comments"].values() if c["page_id"] == page)
    comment["from_id"] = 987  # wrong type
    oa = world.channels["zalo-th-ns-ttns"]["platform_id"]
    thread = next(t for t in state["zalo_threads"][oa].values() if len(t) > 1)
    thread[0]["time"] = "hôm qua"  # not epoch milliseconds (not the thread's latest)
    bad = {fb_message["id"], comment["id"], thread[0]["id"]}

    first = collect.all()
    assert all(s["status"] == "success" for s in first.values())
    assert sum(s["quarantined"] for s in first.values()) == 3
    expected = {m for m in truth_messages(world) if m[1] not in bad}
    assert stored_messages(collect.engine) == expected
    with Session(collect.engine) as session:
        from citizen_desk.db.models import Quarantine

        rows = session.scalars(select(Quarantine).order_by(Quarantine.source)).all()
    assert sorted(r.reason for r in rows) == [
        "comment: from.id missing or not a string",
        "message: message is not text",
        "zalo message: time is not epoch milliseconds",
    ]
    again = collect.all(run_id="run-2")
    assert sum(s["quarantined"] for s in again.values()) == 0
    assert table_counts(collect.engine)["quarantine"] == 3


@pytest.mark.parametrize("world", [3], indirect=True)
def test_a_zalo_http_429_is_waited_out_as_a_rate_limit(collect, world) -> None:
    """HTTP 429 (a gateway in front of the OA API) is retried after Retry-After, not a
    permanent failure; every message still arrives (docs/research/platform-facts.md Z3)."""
    oa = world.channels["zalo-th-ns-ttns"]["platform_id"]
    world.sim.add_fault({"kind": "rate_limit", "oa": oa, "count": 2, "http_status": 429,
                         "retry_after": 7})  # fmt: skip
    summary = collect("zalo-th-ns-ttns")
    assert summary["status"] == "success"
    assert summary["rate_limit_waits"] == 2
    assert collect.sleeps.count(7.0) == 2
    expected = {m for m in truth_messages(world) if m[0] == "zalo-th-ns-ttns"}
    assert {m for m in stored_messages(collect.engine) if m[0] == "zalo-th-ns-ttns"} == expected


@pytest.mark.parametrize("world", [3], indirect=True)
def test_comments_failing_while_the_messages_are_written_keep_the_messages(collect, world) -> None:
    """The comments are read while the messages are stored: each source still commits alone."""
    key = "fb-th-ns-ttns"
    world.sim.add_fault({"kind": "error_rate", "target": "graph.feed", "count": 50, "code": 2})
    with pytest.raises(PlatformError):
        collect(key, final_attempt=False)
    expected = {m for m in truth_messages(world) if m[0] == key}
    assert stored_messages(collect.engine) == {m for m in expected if m[3] == "messenger"}
    with Session(collect.engine) as session:
        marks = set(session.scalars(select(CollectionWatermark.source)))
    assert marks == {"messenger"}  # the comments' watermark did not move
    world.sim.faults.clear()
    assert collect(key, run_id="run-2")["status"] == "success"
    assert stored_messages(collect.engine) == expected
