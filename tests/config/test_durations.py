from __future__ import annotations

from datetime import timedelta

import pytest

from citizen_desk.config.durations import format_duration_vi, parse_duration
from citizen_desk.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("8h", timedelta(hours=8)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("0h", timedelta(0)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("96h", timedelta(days=4)),
        (" 24h ", timedelta(hours=24)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
    ],
)
def test_parse_duration_accepts(text, expected):
    assert parse_duration(text, path="registry.yaml", key="sla.x") == expected


def test_parse_duration_passes_timedelta_through():
    assert parse_duration(timedelta(hours=3), path="p", key="k") == timedelta(hours=3)


@pytest.mark.parametrize(
    "value",
    [
        8,
        8.5,
        True,
        None,
        "",
        "   ",
        "eight",
        "8",
        "-1h",
        "8H",
        "h",
        "30m1h",
        "1h1h",
        "1.5h",
        "8 h",
        "2w",
        [],
        {"h": 8},
        timedelta(hours=-1),
    ],
)
def test_parse_duration_rejects(value):
    with pytest.raises(ConfigError) as info:
        parse_duration(value, path="registry.yaml", key="sla.targets.question.first_response")
    assert info.value.path == "registry.yaml"
    assert info.value.key == "sla.targets.question.first_response"


def test_parse_duration_error_message_names_the_value():
    with pytest.raises(ConfigError) as info:
        parse_duration("eight", path="r.yaml", key="sla.targets.question.first_response")
    assert info.value.problem == "expected a duration like 8h, 30m or 2d, got 'eight'"
    assert str(info.value) == (
        "r.yaml: sla.targets.question.first_response: "
        "expected a duration like 8h, 30m or 2d, got 'eight'"
    )


def test_parse_duration_shortens_huge_garbage_in_the_message():
    with pytest.raises(ConfigError) as info:
        parse_duration("x" * 500, path="p", key="k")
    assert len(info.value.problem) < 100


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(hours=2, minutes=15), "2 giờ 15 phút"),
        (timedelta(days=3, hours=4), "3 ngày 4 giờ"),
        (timedelta(minutes=45), "45 phút"),
        (timedelta(hours=2), "2 giờ"),
        (timedelta(days=1), "1 ngày"),
        (timedelta(days=3, hours=4, minutes=59), "3 ngày 4 giờ"),
        (timedelta(days=2, minutes=30), "2 ngày"),
        (timedelta(hours=2, minutes=15, seconds=59), "2 giờ 15 phút"),
        (timedelta(seconds=30), "dưới 1 phút"),
        (timedelta(0), "0 phút"),
        (timedelta(days=20), "20 ngày"),
        (-timedelta(minutes=45), "-45 phút"),
    ],
)
def test_format_duration_vi(td, text):
    assert format_duration_vi(td) == text


def test_format_duration_vi_over_many_values_and_again():
    def spelled(td):  # the wording before it was remembered by whole minutes
        if td < timedelta(0):
            return "-" + spelled(-td)
        if td == timedelta(0):
            return "0 phút"
        total = int(td.total_seconds() // 60)
        if total == 0:
            return "dưới 1 phút"
        days, rest = divmod(total, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [(days, "ngày"), (hours, "giờ")] if days else [(hours, "giờ"), (minutes, "phút")]
        return " ".join(f"{amount} {unit}" for amount, unit in parts if amount)

    for seconds in [*range(-200, 200, 7), *range(0, 40 * 86_400, 4_099)]:
        for td in (timedelta(seconds=seconds), timedelta(seconds=seconds, microseconds=1)):
            assert format_duration_vi(td) == spelled(td)
            assert format_duration_vi(td) == spelled(td)  # remembered
