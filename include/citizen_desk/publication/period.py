"""The week a publication is about: one ISO week (Monday–Sunday) in the registry's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WeekPeriod:
    """One ISO week in the local time zone; `start`/`end` are aware UTC instants, end exclusive."""

    year: int
    week: int
    timezone: str  # the registry's zone: weeks run Monday-Sunday local time

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def key(self) -> str:
        """The ledger's period key, e.g. `2026-W47`."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        next_monday = self.first_day + timedelta(days=7)
        return datetime.combine(next_monday, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def label_vi(self) -> str:
        """`Tuần 47 (16/11–22/11/2026)`; the year is repeated when the week spans two years."""
        first, last = self.first_day, self.last_day
        head = f"{first:%d/%m}" if first.year == last.year else f"{first:%d/%m/%Y}"
        return f"Tuần {self.week} ({head}–{last:%d/%m/%Y})"

    @property
    def tag(self) -> str:
        """The hashtag that marks this week's post on a page, e.g. `#Tuan47_2026`."""
        return f"#Tuan{self.week}_{self.year}"

    def previous(self) -> WeekPeriod:
        return week_containing(self.first_day - timedelta(days=7), self.timezone)

    def contains(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end


def week_containing(day: date, timezone: str) -> WeekPeriod:
    iso = day.isocalendar()
    return WeekPeriod(iso.year, iso.week, timezone)


def week_ending_before(now: datetime, timezone: str) -> WeekPeriod:
    """The last ISO week that has fully ended at `now` (local Monday–Sunday)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local_day = now.astimezone(ZoneInfo(timezone)).date()
    return week_containing(local_day - timedelta(days=7), timezone)


def parse_period(key: str, timezone: str) -> WeekPeriod:
    """`2026-W47` -> WeekPeriod (ValueError on anything else)."""
    try:
        year_text, week_text = key.split("-W")
        period = WeekPeriod(int(year_text), int(week_text), timezone)
        period.first_day  # noqa: B018 - validates the week number
    except ValueError as exc:
        raise ValueError(f"not an ISO week key like 2026-W47: {key!r}") from exc
    return period
