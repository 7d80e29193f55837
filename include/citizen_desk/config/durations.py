"""Registry durations ("30m", "8h", "2d", "1h30m") and their Vietnamese wording for alerts."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

from citizen_desk.errors import ConfigError

_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")
_EXPECTED = "expected a duration like 8h, 30m or 2d"


def parse_duration(value: object, *, path: object, key: str) -> timedelta:
    """Parse "2d", "8h", "30m", "90s" or a combination in that order ("1d12h", "1h30m").

    A bare number is refused: "8" could mean hours or minutes. A timedelta >= 0 passes through.
    """
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ConfigError(path, key, f"a duration cannot be negative, got {value}")
        return value
    text = value.strip() if isinstance(value, str) else ""
    match = _DURATION.fullmatch(text) if text else None
    if match is None or not any(match.groups()):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ConfigError(path, key, f"{_EXPECTED}, got {shown}")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration_vi(td: timedelta) -> str:
    """Two most significant units in Vietnamese: "3 ngày 4 giờ", "2 giờ 15 phút", "45 phút".

    A day is 24 hours, also for working-clock durations. Rounds down; "dưới 1 phút" under a minute.
    """
    if td < _ZERO:
        return "-" + format_duration_vi(-td)
    if td == _ZERO:
        return "0 phút"
    return _minutes_vi(int(td.total_seconds() // 60))


_ZERO = timedelta(0)


# A board formats two or three durations a row; the wording depends on the whole minutes only,
# and the same ones come back row after row and page after page.
@lru_cache(maxsize=8192)
def _minutes_vi(total_minutes: int) -> str:
    if total_minutes == 0:
        return "dưới 1 phút"
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "ngày"), (hours, "giờ")] if days else [(hours, "giờ"), (minutes, "phút")]
    return " ".join(f"{amount} {unit}" for amount, unit in parts if amount)
