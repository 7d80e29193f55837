"""The Vietnamese working calendar: office windows, public holidays, days off and make-up days."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from citizen_desk.config.sections import reject_unknown
from citizen_desk.errors import ConfigError

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
# A calendar with no working day in this many consecutive days is treated as having none at all.
_MAX_IDLE_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkWindow:
    """One opening window of a working day, [start, end) in local time."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"window must end after it starts: {self.start}-{self.end}")


def _default_weekly() -> Mapping[int, tuple[WorkWindow, ...]]:
    day = (WorkWindow(time(7, 30), time(11, 30)), WorkWindow(time(13, 30), time(17, 0)))
    return MappingProxyType(dict.fromkeys(range(5), day))


@lru_cache(maxsize=64)
def _vn_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays of `year` and the weekend days the package lists as swapped working days."""
    calendar = holidays.country_holidays("VN", years=year)
    return frozenset(calendar), frozenset(calendar.weekend_workdays)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working windows per weekday (0=Monday) in `timezone`, minus holidays, plus make-up days."""

    timezone: str = "Asia/Ho_Chi_Minh"
    weekly: Mapping[int, tuple[WorkWindow, ...]] = field(default_factory=_default_weekly)
    extra_days_off: frozenset[date] = frozenset()
    makeup_working_days: frozenset[date] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, d: date) -> bool:
        """A Vietnamese public holiday (lunar and observed ones included) or an extra day off."""
        return d in self.extra_days_off or d in _vn_year(d.year)[0]

    def is_makeup_day(self, d: date) -> bool:
        """A weekend day announced as a working day (in the registry or the `holidays` package)."""
        if d in self.makeup_working_days:
            return True
        # A swap can be listed under the following year (e.g. Sat 27/12/2014 for Fri 2/1/2015).
        return any(d in _vn_year(year)[1] for year in (d.year, d.year + 1))

    def windows_on(self, d: date) -> tuple[WorkWindow, ...]:
        """The day's windows, () on a non-working day. Make-up days use Monday's windows."""
        if self.is_holiday(d):
            return ()
        windows = self.weekly.get(d.weekday(), ())
        if not windows and self.is_makeup_day(d):
            return self.weekly.get(0, ())
        return windows

    def intervals_on(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        """The day's windows as [start, end) instants in UTC (so differences are real durations)."""
        tz = self.tz
        for window in self.windows_on(d):
            start = datetime.combine(d, window.start, tzinfo=tz).astimezone(UTC)
            yield start, datetime.combine(d, window.end, tzinfo=tz).astimezone(UTC)


def default_calendar() -> WorkingCalendar:
    return WorkingCalendar()


def add_working_time(start: datetime, duration: timedelta, calendar: WorkingCalendar) -> datetime:
    """The instant when `duration` of working time has elapsed since `start`, in UTC.

    The result is always a working instant: a duration that runs out exactly at a closing time moves
    on to the next opening, and a zero duration gives the next working instant at or after `start`.
    """
    _require_aware(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration cannot be negative: {duration}")
    remaining = duration
    cursor = start.astimezone(UTC)
    day = start.astimezone(calendar.tz).date()
    idle_days = 0
    while True:
        worked = False
        for opens, closes in calendar.intervals_on(day):
            worked = True
            if closes <= cursor:
                continue
            cursor = max(cursor, opens)
            available = closes - cursor
            if remaining < available:
                return cursor + remaining
            remaining -= available
            cursor = closes
        idle_days = 0 if worked else idle_days + 1
        if idle_days > _MAX_IDLE_DAYS:
            raise ValueError("the calendar has no working time left")
        day += timedelta(days=1)


def working_time_between(a: datetime, b: datetime, calendar: WorkingCalendar) -> timedelta:
    """Working time in [a, b); zero when b <= a."""
    _require_aware(a, "a")
    _require_aware(b, "b")
    total = timedelta(0)
    if b <= a:
        return total
    tz = calendar.tz
    day, last = a.astimezone(tz).date(), b.astimezone(tz).date()
    while day <= last:
        for opens, closes in calendar.intervals_on(day):
            overlap = min(closes, b) - max(opens, a)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got a naive datetime")


# --- parsing the `calendar:` section -------------------------------------------------------------


def parse_calendar(raw: Mapping | None, *, timezone: str, path: object) -> WorkingCalendar:
    """Build the calendar from the registry's `calendar:` section (None: the default calendar)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(path, "timezone", f"unknown time zone {timezone!r}") from None
    if raw is None:
        return WorkingCalendar(timezone=timezone)
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "calendar", "expected a mapping")
    allowed = ("working_windows", "extra_days_off", "makeup_working_days")
    reject_unknown(raw, allowed, path, "calendar")

    weekly = _default_weekly()
    if raw.get("working_windows") is not None:
        weekly = _parse_weekly(raw["working_windows"], path)
    days_off = _parse_dates(raw.get("extra_days_off"), path, "calendar.extra_days_off")
    makeup = _parse_dates(raw.get("makeup_working_days"), path, "calendar.makeup_working_days")

    if not any(weekly.values()):
        raise ConfigError(path, "calendar.working_windows", "no working window on any day")
    key = "calendar.makeup_working_days"
    for day in sorted(makeup):
        if day in days_off:
            raise ConfigError(path, key, f"{day} is also listed in calendar.extra_days_off")
        if weekly.get(day.weekday()):
            name = WEEKDAY_KEYS[day.weekday()]
            raise ConfigError(path, key, f"{day} is a {name}, which is already a working day")
        if not weekly.get(0):
            raise ConfigError(path, key, "make-up days use Monday's windows, but mon has none")
    return WorkingCalendar(timezone, weekly, days_off, makeup)


def _parse_weekly(raw: object, path: object) -> Mapping[int, tuple[WorkWindow, ...]]:
    key = "calendar.working_windows"
    if not isinstance(raw, Mapping):
        raise ConfigError(path, key, "expected a mapping of mon..sun to windows like 07:30-11:30")
    reject_unknown(raw, WEEKDAY_KEYS, path, key)
    weekly: dict[int, tuple[WorkWindow, ...]] = {}
    for weekday, name in enumerate(WEEKDAY_KEYS):
        items = raw.get(name) or []
        if not isinstance(items, list):
            raise ConfigError(path, f"{key}.{name}", 'expected a list like ["07:30-11:30"]')
        windows = sorted(
            (
                _parse_window(item, path, f"{key}.{name}[{index}]")
                for index, item in enumerate(items)
            ),
            key=lambda window: window.start,
        )
        for earlier, later in pairwise(windows):
            if later.start < earlier.end:
                raise ConfigError(path, f"{key}.{name}", "windows overlap")
        if windows:
            weekly[weekday] = tuple(windows)
    return MappingProxyType(weekly)


def _parse_window(raw: object, path: object, key: str) -> WorkWindow:
    match = _WINDOW.fullmatch(raw.strip()) if isinstance(raw, str) else None
    problem = f"expected a window like 07:30-11:30, got {raw!r}"
    if match is None:
        raise ConfigError(path, key, problem)
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        return WorkWindow(time(h1, m1), time(h2, m2))
    except ValueError:
        raise ConfigError(path, key, f"{problem} (times 00:00-23:59, start before end)") from None


def _parse_dates(raw: object, path: object, key: str) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ConfigError(path, key, 'expected a list of dates like ["2026-01-02"]')
    days = set()
    for index, item in enumerate(raw):
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(item.strip()))
        except (AttributeError, TypeError, ValueError):
            raise ConfigError(
                path, f"{key}[{index}]", f"expected a date like 2026-01-02, got {item!r}"
            ) from None
    return frozenset(days)
