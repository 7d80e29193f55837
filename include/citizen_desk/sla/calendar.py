"""The Vietnamese working calendar: office windows, public holidays, days off and make-up days."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BeforeValidator

from citizen_desk.config.sections import Problems, Section, fail

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
    # each day's intervals, computed once per calendar (a sweep asks for the same days 10k times)
    _intervals: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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

    def intervals_on(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's windows as [start, end) instants in UTC (so differences are real durations)."""
        found = self._intervals.get(d)
        if found is None:
            tz = self.tz
            found = tuple(
                (
                    datetime.combine(d, window.start, tzinfo=tz).astimezone(UTC),
                    datetime.combine(d, window.end, tzinfo=tz).astimezone(UTC),
                )
                for window in self.windows_on(d)
            )
            self._intervals[d] = found
        return found


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


def _window(raw: object) -> WorkWindow:
    match = _WINDOW.fullmatch(raw.strip()) if isinstance(raw, str) else None
    problem = f"expected a window like 07:30-11:30, got {raw!r}"
    if match is None:
        fail(problem)
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        return WorkWindow(time(h1, m1), time(h2, m2))
    except ValueError:
        fail(f"{problem} (times 00:00-23:59, start before end)")


def _no_overlap(windows: list[WorkWindow]) -> tuple[WorkWindow, ...]:
    windows = sorted(windows, key=lambda window: window.start)
    if any(later.start < earlier.end for earlier, later in pairwise(windows)):
        fail("windows overlap")
    return tuple(windows)


def _date(raw: object) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str):
        fail(f"expected a date like 2026-01-02, got {raw!r}")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        fail(f"expected a date like 2026-01-02, got {raw!r}")


Day = Annotated[list[Annotated[WorkWindow, BeforeValidator(_window)]], AfterValidator(_no_overlap)]
Dates = list[Annotated[date, BeforeValidator(_date)]]


class _Week(Section):
    mon: Day | None = None
    tue: Day | None = None
    wed: Day | None = None
    thu: Day | None = None
    fri: Day | None = None
    sat: Day | None = None
    sun: Day | None = None


class _CalendarSection(Section):
    working_windows: _Week | None = None
    extra_days_off: Dates | None = None
    makeup_working_days: Dates | None = None


def parse_calendar(raw: Mapping | None, *, timezone: str, path: object) -> WorkingCalendar:
    """Build the calendar from the registry's `calendar:` section (None: the default calendar).

    Raises `RegistryErrors` listing every problem of the section.
    """
    problems = Problems(path)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.add("timezone", f"unknown time zone {timezone!r}")
    section = problems.validate(_CalendarSection, {} if raw is None else raw, "calendar")
    section = section or _CalendarSection()  # when invalid: the problems are recorded already
    weekly = _default_weekly()
    if section.working_windows is not None:
        days = (getattr(section.working_windows, name) for name in WEEKDAY_KEYS)
        weekly = MappingProxyType({i: tuple(day) for i, day in enumerate(days) if day})
    days_off = frozenset(section.extra_days_off or ())
    makeup = frozenset(section.makeup_working_days or ())

    if not any(weekly.values()):
        problems.add("calendar.working_windows", "no working window on any day")
    key = "calendar.makeup_working_days"
    for day in sorted(makeup):
        if day in days_off:
            problems.add(key, f"{day} is also listed in calendar.extra_days_off")
        if weekly.get(day.weekday()):
            name = WEEKDAY_KEYS[day.weekday()]
            problems.add(key, f"{day} is a {name}, which is already a working day")
        elif not weekly.get(0):
            problems.add(key, "make-up days use Monday's windows, but mon has none")
    problems.raise_if_any()
    return WorkingCalendar(timezone, weekly, days_off, makeup)
