"""The `receiver` benchmark's pure parts: signed requests the receivers accept, the baseline's rows
equal to ours, the accounting of a window, the report. No timing is asserted anywhere."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import receiver
from bench.common import Env
from bench.receiver_server import bare_rows
from citizen_desk.realtime import events, inbox
from citizen_desk.realtime.signatures import (
    meta_signature_valid,
    zalo_signature_valid,
    zalo_timestamp_fresh,
)

PG_URL = os.environ.get("CITIZEN_DESK_TEST_PG_URL")
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
SECRETS = receiver.Secrets()


def request(seq: int, fb_batch: int = 3) -> receiver.Request:
    return receiver.make_request(seq, "t", fb_batch=fb_batch, now_ms=NOW_MS,
                                 ids=receiver.accounts(), secrets=SECRETS)  # fmt: skip


def test_messenger_batches_are_signed_as_meta_signs_them() -> None:
    made = request(0)
    assert made.platform == "facebook"
    header = made.headers["X-Hub-Signature-256"]
    assert meta_signature_valid(made.body, header, SECRETS.app_secret)
    assert not meta_signature_valid(made.body, header, "other")
    parsed = events.parse_meta(made.body)
    assert [e.event_key for e in parsed.events] == list(made.keys)
    assert len(made.keys) == 3
    assert {e.kind for e in parsed.events} == {"message"}


def test_zalo_events_are_signed_fresh_and_keyed() -> None:
    made = request(1)
    assert made.platform == "zalo"
    document = json.loads(made.body)
    timestamp = document["timestamp"]
    assert zalo_signature_valid(made.body, made.headers["X-ZEvent-Signature"],
                                app_id=SECRETS.zalo_app_id, timestamp=timestamp,
                                secret=SECRETS.zalo_oa_secret)  # fmt: skip
    assert zalo_timestamp_fresh(timestamp, NOW)
    assert [e.event_key for e in events.parse_zalo(made.body).events] == list(made.keys)


def test_every_request_of_a_run_carries_new_ids() -> None:
    keys = [key for seq in range(40) for key in request(seq).keys]
    assert len(keys) == len(set(keys)) == 20 * 3 + 20


@pytest.mark.parametrize("seq", [0, 1])
def test_the_baseline_writes_the_same_rows_as_the_receiver(seq: int) -> None:
    made = request(seq)
    parse = events.parse_meta if made.platform == "facebook" else events.parse_zalo
    ours = [inbox.row(event, NOW) for event in parse(made.body).events]
    assert bare_rows(made.platform, json.loads(made.body), NOW) == ours


def test_percentiles() -> None:
    assert receiver.percentile([], 95) is None
    assert receiver.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert receiver.percentile([1.0, 2.0], 50) == 1.5
    assert receiver.percentile([float(n) for n in range(1, 101)], 95) == pytest.approx(95.05)
    assert receiver.latency_ms([0.010, 0.020, 0.030]) == {
        "p50": 20.0,
        "p95": 29.0,
        "p99": 29.8,
        "max": 30.0,
    }


def test_a_window_counts_only_what_was_answered_and_is_in_the_inbox() -> None:
    tally = receiver.Tally(latencies=[0.01, 0.02, 0.03])
    tally.statuses.update({200: 2, 0: 1})
    tally.sent = {"a", "b", "c", "d", "e"}
    tally.accepted = {"a", "b", "c", "d"}
    # "d" accepted but missing, "e" stored though its request timed out, "w" from the warm-up,
    # "x" from nowhere, "a" twice (cannot happen with the unique key: the check must see it)
    window = receiver.window_figures(tally, ["a", "a", "b", "c", "e", "w", "x"], 2.0, {"w"})
    assert window["events_accepted"] == 4
    assert window["events_persisted"] == 4
    assert window["events_per_s"] == 1.5  # a, b, c over 2 s
    assert window["accepted_not_persisted"] == 1
    assert window["persisted_not_accepted"] == 1
    assert window["rows_more_than_once"] == 1
    assert window["unexpected_rows"] == 1
    assert window["requests"] == 3
    assert not receiver.exactly_once(window)
    clean = receiver.window_figures(tally, ["a", "b", "c", "d"], 2.0, set())
    assert receiver.exactly_once(clean)
    assert clean["events_per_s"] == 2.0


def _side(events_per_s: float, p95: float) -> dict:
    return {
        "events_per_s": events_per_s,
        "events_per_s_by_round": {"n": 1, "median": events_per_s, "min": events_per_s,
                                  "max": events_per_s},
        "latency_ms": {"p50": 1.0, "p95": p95, "p99": p95, "max": p95},
        "requests": 10,
        "events_persisted": 20,
        "server_cpu_ms_per_event": {"n": 0, "median": None, "min": None, "max": None},
        "exactly_once": True,
    }  # fmt: skip


def test_the_report_says_whether_the_goal_is_met() -> None:
    result = {
        "size": {"seconds": 1, "rounds": 1, "warmup_seconds": 0.5, "concurrency": 2,
                 "fb_batch": 2},
        "server": "uvicorn",
        "rate_limit_per_s": 1e6,
        "refusals": {"forged_facebook": 403},
        "sides": {"ours": _side(40.0, 9.0), "bare": _side(100.0, 3.0)},
        "ratio": 0.4,
        "ratio_by_round": {"n": 1, "median": 0.4, "min": 0.4, "max": 0.4},
        "goal": 0.5,
        "goal_met": False,
        "exactly_once": True,
    }  # fmt: skip
    ((figure, value, verdict),) = receiver.summary_rows(result)
    assert figure.startswith("webhook events/s")
    assert "ours 40" in value
    assert "bare 100" in value
    assert verdict == "goal ≥ 0.5x: MISSED"
    text = receiver.render(result)
    assert "## 6. Webhook receiver" in text
    assert "**Goal (ours ≥ 0.5x the bare handler): missed**" in text
    assert receiver.summary_rows({"skipped": "PostgreSQL not reachable"})[0][1] == (
        "PostgreSQL not reachable"
    )


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="CITIZEN_DESK_TEST_PG_URL not set")
def test_a_tiny_run_persists_every_accepted_event_once(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    admin = make_url(PG_URL).set(drivername="postgresql+psycopg2")
    env = Env(workdir=tmp_path, pg_url=admin.render_as_string(hide_password=False),
              log=lambda _text: None)  # fmt: skip
    size = receiver.Size(seconds=0.5, rounds=1, warmup_seconds=0.2, concurrency=2, fb_batch=2)
    result = receiver.run(size, env)
    assert result["refusals"] == {
        "forged_facebook": 403,
        "stale_zalo": 403,
        "oversized_facebook": 413,
    }
    assert result["exactly_once"]
    for side in ("ours", "bare"):
        (window,) = result["sides"][side]["windows"]
        assert window["events_persisted"] == window["events_accepted"] > 0
        assert window["statuses"].keys() == {"200"}
    assert "## 6. Webhook receiver" in receiver.render(result)
