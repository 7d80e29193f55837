"""World time: UTC epoch milliseconds, the local zone, office hours and staff reply delays."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone

from platform_simulator.clock import from_ms

LOCAL_TZ = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh, no DST
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
OFFICE_WINDOWS = {  # weekday -> [(start_minute, end_minute)] local time
    0: ((450, 690), (810, 1020)),
    1: ((450, 690), (810, 1020)),
    2: ((450, 690), (810, 1020)),
    3: ((450, 690), (810, 1020)),
    4: ((450, 690), (810, 1020)),
    5: ((450, 690),),
}


def local_hour(ms: int) -> int:
    return int(ms // HOUR_MS + 7) % 24


def floor_hour(ms: int) -> int:
    return ms - ms % HOUR_MS


def in_office(ms: int) -> bool:
    local = from_ms(ms).astimezone(LOCAL_TZ)
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in OFFICE_WINDOWS.get(local.weekday(), ()))


def next_office_start(ms: int) -> int:
    """The start of the next office window strictly after ``ms``."""
    local = from_ms(ms).astimezone(LOCAL_TZ)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(0, 8):
        d = day + timedelta(days=offset)
        for start, _end in OFFICE_WINDOWS.get(d.weekday(), ()):
            candidate = d + timedelta(minutes=start)
            if candidate > local:
                return int(candidate.timestamp() * 1000)
    return ms + DAY_MS


def reply_time(rng: random.Random, after_ms: int, urgent: bool) -> int:
    """When staff answer: quick for urgent tips, else a delay snapped to office hours."""
    if urgent and rng.random() < 0.85:
        return after_ms + rng.randint(3, 30) * MINUTE_MS + rng.randint(0, 59_999)
    delay_min = min(2880.0, max(10.0, rng.lognormvariate(math.log(90), 1.1)))
    candidate = after_ms + int(delay_min * MINUTE_MS)
    if in_office(candidate):
        return candidate
    return next_office_start(candidate) + rng.randint(5, 90) * MINUTE_MS + rng.randint(0, 59_999)


def parse_time(value: str | int | float | None) -> int | None:
    """Unix seconds, ISO 8601 or a date -> epoch ms (Graph's since/until/scheduled times)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value * 1000)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text) * 1000
    try:
        dt = datetime.fromisoformat(text.replace("+0000", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)
