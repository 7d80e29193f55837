"""`graph_time`: Graph's timestamps through `fromisoformat` (with `strptime` behind it), against
every spelling hypothesis finds: the same instant as `strptime` read, or `Invalid`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizen_desk.collect.records import MAX_TIME, MIN_TIME, Invalid, graph_time

OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
INSTANTS = st.datetimes(
    min_value=MIN_TIME.replace(tzinfo=None) + timedelta(days=1),
    max_value=MAX_TIME.replace(tzinfo=None) - timedelta(days=1),
).map(lambda naive: naive.replace(microsecond=0, tzinfo=UTC))


@settings(max_examples=300, deadline=None)
@given(INSTANTS, OFFSETS)
def test_graphs_form_at_any_offset_is_the_same_instant(instant: datetime, offset: timezone) -> None:
    text = instant.astimezone(offset).strftime("%Y-%m-%dT%H:%M:%S%z")  # "…T09:28:50+0700"
    parsed = graph_time({"created_time": text}, "created_time", "message m")
    assert parsed == instant
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T09:28:50+0000", datetime(2026, 11, 20, 9, 28, 50, tzinfo=UTC)),
        ("2026-11-20T09:28:50Z", datetime(2026, 11, 20, 9, 28, 50, tzinfo=UTC)),
        ("2026-11-20T16:28:50+07:00", datetime(2026, 11, 20, 9, 28, 50, tzinfo=UTC)),
        ("2026-1-2T3:4:5+0000", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),  # strptime's alone
    ],
)
def test_the_spellings_graph_and_its_examples_use(text: str, expected: datetime) -> None:
    assert graph_time({"t": text}, "t", "message m") == expected


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.from_regex(r"\A\d{1,4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{1,2}(:\d{1,2})?\S{0,8}\Z"),
    )
)
def test_any_text_is_an_aware_utc_time_in_range_or_invalid(text: str) -> None:
    try:
        parsed: datetime | str = graph_time({"t": text}, "t", "message m")
    except Invalid as exc:
        parsed = str(exc)
    if isinstance(parsed, str):
        assert parsed.startswith("message m: ")
    else:
        assert parsed.tzinfo is UTC
        assert MIN_TIME <= parsed < MAX_TIME
