"""The e2e alert checks' arithmetic: floods in the first hour, alerts after a tip closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from e2e.alerts import SentAlert, _last_dict, flood, sent_after_close, tip_of

pytestmark = pytest.mark.tooling
T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def alert(key: str, kind: str, who: str, minutes: float) -> SentAlert:
    return SentAlert(key, kind, who, T0 + timedelta(minutes=minutes))


def test_flood_counts_individual_messages_in_the_first_hour_only() -> None:
    sent = [alert(f"tip:{i}:L0:arrival:0", "tip_arrival", "U1", i) for i in range(6)]
    sent += [alert("digest:U2", "tip_digest", "U2", 1) for _ in range(9)]  # grouped: not counted
    sent += [alert(f"sla:{i}:1:warning", "sla_warning", "U3", 61 + i) for i in range(9)]  # later
    assert flood(sent, T0, handful=5) == {"U1": 6}
    assert flood(sent, T0, handful=6) == {}


def test_sent_after_close_names_alerts_at_or_after_the_closing() -> None:
    sent = [
        alert("tip:1:L0:urgent:0:U1", "tip_urgent", "U1", 5),
        alert("tip:2:L0:urgent:0:U1", "tip_urgent", "U1", 5),
        alert("sla:2:1:warning", "sla_warning", "U1", 50),  # a case key, not a tip
    ]
    closed = {1: T0 + timedelta(minutes=4), 2: T0 + timedelta(minutes=6)}
    late = sent_after_close(sent, closed)
    assert len(late) == 1
    assert late[0].startswith("tip:1:L0:urgent:0:U1")
    assert tip_of("tip:17:L1:reminder:2") == 17
    assert tip_of("tip-digest:U1:2026-12-06") is None


def test_the_deliverer_report_is_read_from_its_last_line() -> None:
    out = "some log line\n{'sent': 3, 'retrying': 1, 'fatal': None}\n"
    assert _last_dict(out) == {"sent": 3, "retrying": 1, "fatal": None}
    assert _last_dict("Traceback ...") == {}
