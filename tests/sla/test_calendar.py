from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from citizen_desk.errors import ConfigError, RegistryErrors
from citizen_desk.sla.calendar import (
    WorkingCalendar,
    WorkWindow,
    add_working_time,
    default_calendar,
    parse_calendar,
    working_time_between,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()
H = timedelta(hours=1)
M = timedelta(minutes=1)
REGISTRY = Path(__file__).resolve().parents[2] / "include" / "config" / "registry.yaml"


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN)


# --- holidays: the dates `holidays` 0.109 returns for Vietnam ------------------------------------

HOLIDAYS_2026 = [
    date(2026, 1, 1),  # Tết Dương lịch (Thu)
    *(date(2026, 2, day) for day in range(16, 21)),  # Tết Nguyên Đán: 29 Tết .. mùng 4, Mon-Fri
    date(2026, 4, 26),  # Giỗ Tổ Hùng Vương, 10/3 lunar (Sun)
    date(2026, 4, 27),  # ... observed on Monday
    date(2026, 4, 30),  # Ngày Chiến thắng (Thu)
    date(2026, 5, 1),  # Quốc tế Lao động (Fri)
    date(2026, 8, 31),  # Mon off, swapped with Sat 22/8
    date(2026, 9, 1),  # Quốc khánh (Tue)
    date(2026, 9, 2),  # Quốc khánh (Wed)
    date(2026, 11, 24),  # Ngày Văn hóa Việt Nam (Tue), from 2026
]
HOLIDAYS_2027 = [
    date(2027, 1, 1),  # Fri
    *(date(2027, 2, day) for day in range(4, 11)),  # Tết: Thu 4/2 (29 Tết) .. Wed 10/2 (mùng 5)
    date(2027, 4, 16),  # Giỗ Tổ Hùng Vương (Fri)
    date(2027, 4, 30),  # Fri
    date(2027, 5, 1),  # Sat
    date(2027, 5, 3),  # ... observed on Monday
    date(2027, 9, 2),  # Thu
    date(2027, 9, 3),  # Fri
    date(2027, 11, 24),  # Wed
]


@pytest.mark.parametrize("day", HOLIDAYS_2026 + HOLIDAYS_2027, ids=str)
def test_public_holidays(day):
    assert CAL.is_holiday(day)
    assert CAL.windows_on(day) == ()


def test_no_other_holidays_in_2026_and_2027():
    expected = set(HOLIDAYS_2026 + HOLIDAYS_2027)
    day = date(2026, 1, 1)
    while day.year < 2028:
        assert CAL.is_holiday(day) == (day in expected), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 13), date(2026, 2, 23), date(2026, 4, 28), date(2026, 9, 3), date(2027, 2, 11)],
    ids=str,
)
def test_working_days_next_to_holidays(day):
    assert not CAL.is_holiday(day)
    assert CAL.windows_on(day) == CAL.weekly[0]


def test_default_windows():
    monday = date(2026, 3, 2)
    assert CAL.windows_on(monday) == (
        WorkWindow(time(7, 30), time(11, 30)),
        WorkWindow(time(13, 30), time(17, 0)),
    )
    assert CAL.windows_on(date(2026, 3, 7)) == ()  # Saturday
    assert CAL.windows_on(date(2026, 3, 8)) == ()  # Sunday
    assert CAL.timezone == "Asia/Ho_Chi_Minh"


def test_swapped_saturday_from_the_holidays_package_is_a_working_day():
    assert CAL.windows_on(date(2026, 8, 22)) == CAL.weekly[0]
    assert CAL.windows_on(date(2026, 8, 29)) == ()


def test_extra_day_off_and_makeup_day():
    cal = WorkingCalendar(
        extra_days_off=frozenset({date(2026, 1, 2)}),
        makeup_working_days=frozenset({date(2026, 1, 10)}),
    )
    assert cal.is_holiday(date(2026, 1, 2))
    assert cal.windows_on(date(2026, 1, 2)) == ()
    assert cal.windows_on(date(2026, 1, 10)) == cal.weekly[0]
    assert not CAL.is_holiday(date(2026, 1, 2))
    assert CAL.windows_on(date(2026, 1, 10)) == ()


def test_extra_day_off_wins_over_a_swapped_saturday():
    cal = WorkingCalendar(extra_days_off=frozenset({date(2026, 8, 22)}))
    assert cal.windows_on(date(2026, 8, 22)) == ()


def test_window_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after"):
        WorkWindow(time(11, 30), time(7, 30))


# --- add_working_time ----------------------------------------------------------------------------

ADD_CASES = [
    # start, duration, expected (all local time)
    ("inside morning", vn(2026, 3, 2, 8), H, vn(2026, 3, 2, 9)),
    ("zero inside a window", vn(2026, 3, 2, 9), timedelta(0), vn(2026, 3, 2, 9)),
    ("across lunch", vn(2026, 3, 2, 11), H, vn(2026, 3, 2, 14)),
    ("starts at lunch", vn(2026, 3, 2, 12), 30 * M, vn(2026, 3, 2, 14)),
    ("zero at noon closing", vn(2026, 3, 2, 11, 30), timedelta(0), vn(2026, 3, 2, 13, 30)),
    ("fills the morning", vn(2026, 3, 2, 7, 30), 4 * H, vn(2026, 3, 2, 13, 30)),
    ("ends one minute early", vn(2026, 3, 2, 7, 30), 4 * H - M, vn(2026, 3, 2, 11, 29)),
    ("before opening", vn(2026, 3, 2, 6), 30 * M, vn(2026, 3, 2, 8)),
    ("after closing", vn(2026, 3, 2, 18), H, vn(2026, 3, 3, 8, 30)),
    ("zero at evening closing", vn(2026, 3, 2, 17), timedelta(0), vn(2026, 3, 3, 7, 30)),
    ("whole day", vn(2026, 3, 2, 7, 30), 7 * H + 30 * M, vn(2026, 3, 3, 7, 30)),
    ("a day and a half hour", vn(2026, 3, 2, 7, 30), 8 * H, vn(2026, 3, 3, 8)),
    ("over the weekend", vn(2026, 3, 6, 16), 2 * H, vn(2026, 3, 9, 8, 30)),
    ("starts on Saturday", vn(2026, 3, 7, 10), H, vn(2026, 3, 9, 8, 30)),
    ("starts on Sunday night", vn(2026, 3, 8, 23), 15 * M, vn(2026, 3, 9, 7, 45)),
    ("two weeks", vn(2026, 3, 2, 7, 30), 75 * H, vn(2026, 3, 16, 7, 30)),
    ("over Tết 2026", vn(2026, 2, 13, 16), 2 * H, vn(2026, 2, 23, 8, 30)),
    ("starts during Tết", vn(2026, 2, 17, 10), H, vn(2026, 2, 23, 8, 30)),
    ("week before Tết", vn(2026, 2, 9, 7, 30), 37 * H + 30 * M, vn(2026, 2, 23, 7, 30)),
    ("Hùng Kings observed", vn(2026, 4, 24, 16, 30), H, vn(2026, 4, 28, 8)),
    ("30/4 and 1/5", vn(2026, 4, 29, 16), 2 * H, vn(2026, 5, 4, 8, 30)),
    ("swapped Saturday", vn(2026, 8, 21, 16), 2 * H, vn(2026, 8, 22, 8, 30)),
    ("National Day 2026", vn(2026, 8, 28, 16), 2 * H, vn(2026, 9, 3, 8, 30)),
    ("New Year 2026", vn(2025, 12, 31, 16), 2 * H, vn(2026, 1, 2, 8, 30)),
    ("over Tết 2027", vn(2027, 2, 3, 16), 2 * H, vn(2027, 2, 11, 8, 30)),
    ("1/5/2027 observed", vn(2027, 4, 29, 16), 2 * H, vn(2027, 5, 4, 8, 30)),
]


@pytest.mark.parametrize(
    ("start", "duration", "expected"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_add_working_time(start, duration, expected):
    result = add_working_time(start, duration, CAL)
    assert result == expected
    assert result.tzinfo is UTC


def test_add_working_time_accepts_any_aware_timezone():
    start = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 in Hà Nội
    assert add_working_time(start, H, CAL) == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def test_durations_are_real_time_across_a_dst_change():
    # Not a Vietnamese concern (no DST), but the arithmetic must not depend on it.
    paris = ZoneInfo("Europe/Paris")
    cal = WorkingCalendar(timezone="Europe/Paris", weekly={6: (WorkWindow(time(0), time(4)),)})
    sunday = datetime(2026, 3, 29, tzinfo=paris)  # clocks go from 02:00 to 03:00
    assert working_time_between(sunday, sunday + timedelta(days=1), cal) == 3 * H
    assert add_working_time(sunday, 150 * M, cal) == datetime(2026, 3, 29, 3, 30, tzinfo=paris)


def test_add_working_time_with_extra_day_off():
    cal = WorkingCalendar(extra_days_off=frozenset({date(2026, 1, 2)}))
    assert add_working_time(vn(2025, 12, 31, 16), 2 * H, cal) == vn(2026, 1, 5, 8, 30)


def test_add_working_time_with_makeup_saturday():
    cal = WorkingCalendar(makeup_working_days=frozenset({date(2026, 1, 10)}))
    assert add_working_time(vn(2026, 1, 9, 16), 2 * H, cal) == vn(2026, 1, 10, 8, 30)
    # 1h on Friday, 7h30 on the make-up Saturday, 30m on Monday.
    assert add_working_time(vn(2026, 1, 9, 16), 9 * H, cal) == vn(2026, 1, 12, 8)
    assert add_working_time(vn(2026, 1, 9, 16), 2 * H, CAL) == vn(2026, 1, 12, 8, 30)


def test_add_working_time_with_saturday_morning_windows():
    weekly = dict(CAL.weekly)
    weekly[5] = (WorkWindow(time(8), time(11)),)
    cal = WorkingCalendar(weekly=weekly)
    assert add_working_time(vn(2026, 3, 6, 16), 2 * H, cal) == vn(2026, 3, 7, 9)


def test_add_working_time_spanning_a_year():
    start = vn(2026, 1, 1, 9)
    # 249 working days in 2026: 261 weekdays - 13 weekday holidays + the swapped Saturday 22/8.
    assert add_working_time(start, 249 * 7.5 * H, CAL) == vn(2027, 1, 4, 7, 30)
    assert add_working_time(start, 249 * 7.5 * H - M, CAL) == vn(2026, 12, 31, 16, 59)


def test_add_working_time_rejects_naive_and_negative():
    with pytest.raises(ValueError, match="aware"):
        add_working_time(datetime(2026, 3, 2, 8), H, CAL)
    with pytest.raises(ValueError, match="negative"):
        add_working_time(vn(2026, 3, 2, 8), -H, CAL)


def test_add_working_time_on_a_calendar_without_working_time():
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(vn(2026, 3, 2, 8), H, WorkingCalendar(weekly={}))


# --- working_time_between ------------------------------------------------------------------------

BETWEEN_CASES = [
    ("inside morning", vn(2026, 3, 2, 8), vn(2026, 3, 2, 9), H),
    ("across lunch", vn(2026, 3, 2, 11), vn(2026, 3, 2, 14), H),
    ("inside lunch", vn(2026, 3, 2, 12), vn(2026, 3, 2, 13), timedelta(0)),
    ("night", vn(2026, 3, 2, 17), vn(2026, 3, 3, 7, 30), timedelta(0)),
    ("over the weekend", vn(2026, 3, 6, 16), vn(2026, 3, 9, 8, 30), 2 * H),
    ("a full week", vn(2026, 3, 2), vn(2026, 3, 9), 37 * H + 30 * M),
    ("over Tết", vn(2026, 2, 13, 7, 30), vn(2026, 2, 23, 7, 30), 7 * H + 30 * M),
    ("all of 2026", vn(2026, 1, 1), vn(2027, 1, 1), 249 * 7.5 * H),
    ("equal", vn(2026, 3, 2, 8), vn(2026, 3, 2, 8), timedelta(0)),
    ("reversed", vn(2026, 3, 2, 9), vn(2026, 3, 2, 8), timedelta(0)),
]


@pytest.mark.parametrize(
    ("a", "b", "expected"), [c[1:] for c in BETWEEN_CASES], ids=[c[0] for c in BETWEEN_CASES]
)
def test_working_time_between(a, b, expected):
    assert working_time_between(a, b, CAL) == expected


def test_working_time_between_rejects_naive():
    with pytest.raises(ValueError, match="aware"):
        working_time_between(datetime(2026, 3, 2, 8), vn(2026, 3, 2, 9), CAL)


# --- cross-check against a minute-by-minute reference --------------------------------------------

REF_CAL = WorkingCalendar(
    extra_days_off=frozenset({date(2026, 8, 26)}),
    makeup_working_days=frozenset({date(2026, 2, 7)}),
)


def _is_working_minute(t: datetime, cal: WorkingCalendar) -> bool:
    local = t.astimezone(VN)
    return any(w.start <= local.time() < w.end for w in cal.windows_on(local.date()))


def _ref_between(a: datetime, b: datetime, cal: WorkingCalendar) -> timedelta:
    minutes, t = 0, a
    while t < b:
        minutes += _is_working_minute(t, cal)
        t += M
    return minutes * M


def _ref_next_working(t: datetime, cal: WorkingCalendar) -> datetime:
    while not _is_working_minute(t, cal):
        t += M
    return t


def _random_instants(rng: random.Random, first: datetime, days: int, count: int):
    for _ in range(count):
        a = first + timedelta(minutes=rng.randrange(days * 24 * 60))
        yield a, a + timedelta(minutes=rng.choice([0, 1, 29, 30, 240, rng.randrange(5 * 24 * 60)]))


@pytest.mark.parametrize(
    "first",
    [vn(2026, 2, 5), vn(2026, 8, 19)],  # Tết + make-up Saturday; day off + swap + National Day
    ids=["tet", "national-day"],
)
def test_matches_minute_reference_and_inverse_property(first):
    rng = random.Random(first.toordinal())
    for a, b in _random_instants(rng, first, days=12, count=40):
        between = working_time_between(a, b, REF_CAL)
        assert between == _ref_between(a, b, REF_CAL), (a, b)
        # add_working_time(a, working_time_between(a, b)) is the next working instant >= b.
        assert add_working_time(a, between, REF_CAL) == _ref_next_working(b, REF_CAL), (a, b)


def test_inverse_property_over_long_spans():
    rng = random.Random(7)
    for a, _ in _random_instants(rng, vn(2026, 1, 1), days=365, count=20):
        b = a + timedelta(days=rng.randrange(30, 400), minutes=rng.randrange(1440))
        expected = add_working_time(b, timedelta(0), CAL)
        assert add_working_time(a, working_time_between(a, b, CAL), CAL) == expected
        assert working_time_between(a, expected, CAL) == working_time_between(a, b, CAL)


# --- parse_calendar ------------------------------------------------------------------------------

REGISTRY_SECTION = """
working_windows:
  mon: ["07:30-11:30", "13:30-17:00"]
  tue: ["07:30-11:30", "13:30-17:00"]
  wed: ["07:30-11:30", "13:30-17:00"]
  thu: ["07:30-11:30", "13:30-17:00"]
  fri: ["07:30-11:30", "13:30-17:00"]
extra_days_off: []
makeup_working_days: []
"""


def test_parse_registry_section_equals_default():
    cal = parse_calendar(yaml.safe_load(REGISTRY_SECTION), timezone="Asia/Ho_Chi_Minh", path="r")
    assert cal == default_calendar()


def test_parse_none_gives_the_default_in_the_timezone():
    assert parse_calendar(None, timezone="Asia/Bangkok", path="r") == WorkingCalendar(
        timezone="Asia/Bangkok"
    )


def test_parse_days_windows_and_dates():
    raw = yaml.safe_load(
        """
working_windows:
  mon: ["13:30-17:00", "07:30-11:30"]
  sat: ["08:00-11:00"]
extra_days_off: [2026-01-02, "2026-12-31"]
makeup_working_days: ["2026-01-11"]
"""
    )
    cal = parse_calendar(raw, timezone="Asia/Ho_Chi_Minh", path="r")
    assert cal.weekly == {
        0: (WorkWindow(time(7, 30), time(11, 30)), WorkWindow(time(13, 30), time(17))),
        5: (WorkWindow(time(8), time(11)),),
    }
    assert cal.extra_days_off == {date(2026, 1, 2), date(2026, 12, 31)}
    assert cal.makeup_working_days == {date(2026, 1, 11)}
    assert cal.windows_on(date(2026, 3, 3)) == ()  # Tuesday is not listed
    assert cal.windows_on(date(2026, 1, 11)) == cal.weekly[0]  # make-up Sunday


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ("07:30-11:30", "calendar", "expected a mapping"),
        ({"holidays": []}, "calendar.holidays", "unknown key"),
        ({"working_windows": {"monday": []}}, "calendar.working_windows.monday", "unknown key"),
        ({"working_windows": ["07:30-11:30"]}, "calendar.working_windows", "mapping"),
        ({"working_windows": {"mon": "07:30-11:30"}}, "calendar.working_windows.mon", "list"),
        ({"working_windows": {"mon": ["7h30-11h30"]}}, "calendar.working_windows.mon[0]", "07:30"),
        (
            {"working_windows": {"mon": ["07:30-11:30", "11:30-07:30"]}},
            "calendar.working_windows.mon[1]",
            "start before end",
        ),
        ({"working_windows": {"mon": ["23:00-24:00"]}}, "calendar.working_windows.mon[0]", "23:59"),
        (
            {"working_windows": {"tue": ["07:30-11:30", "11:00-12:00"]}},
            "calendar.working_windows.tue",
            "overlap",
        ),
        ({"working_windows": {"mon": []}}, "calendar.working_windows", "no working window"),
        ({"extra_days_off": "2026-01-02"}, "calendar.extra_days_off", "list"),
        ({"extra_days_off": ["2026-02-30"]}, "calendar.extra_days_off[0]", "2026-01-02"),
        ({"makeup_working_days": [20260110]}, "calendar.makeup_working_days[0]", "date"),
        ({"makeup_working_days": ["2026-01-07"]}, "calendar.makeup_working_days", "wed"),
        (
            {"extra_days_off": ["2026-01-10"], "makeup_working_days": ["2026-01-10"]},
            "calendar.makeup_working_days",
            "extra_days_off",
        ),
        (
            {"working_windows": {"tue": ["07:30-11:30"]}, "makeup_working_days": ["2026-01-10"]},
            "calendar.makeup_working_days",
            "Monday",
        ),
    ],
)
def test_parse_rejects(raw, key, problem):
    with pytest.raises(ConfigError) as info:
        parse_calendar(raw, timezone="Asia/Ho_Chi_Minh", path="registry.yaml")
    assert info.value.key == key
    assert problem in info.value.problem
    assert info.value.path == "registry.yaml"


def test_parse_rejects_unknown_timezone():
    with pytest.raises(ConfigError) as info:
        parse_calendar(None, timezone="Asia/Hanoi_City", path="r")
    assert info.value.key == "timezone"


def test_shipped_registry_section_parses():
    raw = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    cal = parse_calendar(raw.get("calendar"), timezone=raw["timezone"], path=REGISTRY)
    assert cal.windows_on(date(2026, 3, 2))


def test_parse_reports_every_problem_of_the_section():
    raw = {"working_windows": {"mon": ["7h30"], "sunday": []}, "extra_days_off": ["soon"]}
    with pytest.raises(RegistryErrors) as info:
        parse_calendar(raw, timezone="Asia/Hanoi_City", path="registry.yaml")
    assert [key for key, _ in info.value.problems] == [
        "timezone",
        "calendar.working_windows.mon[0]",
        "calendar.working_windows.sunday",
        "calendar.extra_days_off[0]",
    ]
