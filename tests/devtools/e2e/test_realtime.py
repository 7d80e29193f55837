"""The real-time e2e phase's arithmetic: percentiles, joining injections to alerts, lost events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from e2e.realtime import Injected, distribution, not_stored, percentile, urgent_alert_timings

pytestmark = pytest.mark.tooling
T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 13)]  # 12 values
    assert percentile(values, 0.95) == 12.0
    assert percentile(values, 0.5) == 6.0
    assert percentile([3.0], 0.95) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    assert distribution([1.0, 2.0, 3.0]) == "n=3 min=1.0s p50=2.0s p95=3.0s max=3.0s"


def test_timings_join_the_message_its_tip_and_the_chief_alert() -> None:
    injected = [Injected("m1", T0), Injected("m2", T0), Injected("m3", T0)]
    stored = {"m1": (T0 + timedelta(seconds=8), 11), "m2": (T0 + timedelta(seconds=9), None)}
    alerts = {
        11: {
            "key": "tip:11:L0:urgent:0:U07C",
            "created_at": T0 + timedelta(seconds=30),
            "sent_at": T0 + timedelta(seconds=41),
        }
    }
    timings = urgent_alert_timings(injected, stored, alerts)
    assert timings["m1"].seconds(timings["m1"].sent) == 41.0
    assert timings["m1"].key == "tip:11:L0:urgent:0:U07C"
    assert timings["m2"].stored is not None
    assert timings["m2"].key is None
    assert timings["m3"].stored is None  # never arrived


def test_not_stored_counts_citizen_messages_since_going_live_only() -> None:
    truth = [
        {"channel": "fb-a", "id": "old", "direction": "in", "created_ms": 100},
        {"channel": "fb-a", "id": "new", "direction": "in", "created_ms": 200},
        {"channel": "fb-a", "id": "reply", "direction": "out", "created_ms": 200},
        {"channel": "zalo-b", "id": "z", "direction": "in", "created_ms": 300},
    ]
    assert not_stored(truth, 200, {("fb-a", "new")}) == ["zalo-b/z"]
    assert not_stored(truth, 200, {("fb-a", "new"), ("zalo-b", "z")}) == []
