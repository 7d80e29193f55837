from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from citizen_desk.rendering import TIME_FORMAT, format_local


@pytest.mark.parametrize("fmt", [TIME_FORMAT, "%d/%m/%Y", "%Y-%m-%d %H:%M"])
@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "UTC", "America/St_Johns"])
def test_format_local_is_strftime_in_the_zone(fmt, zone):
    start = datetime(1999, 12, 31, 16, 59, 59, 999_999, tzinfo=UTC)
    for step in range(0, 60 * 24 * 400, 97):  # every hour and day over a year and a bit
        value = start + timedelta(minutes=step * 13)
        expected = value.astimezone(ZoneInfo(zone)).strftime(fmt)
        assert format_local(value, zone, fmt) == expected
        assert format_local(value, ZoneInfo(zone), fmt) == expected
