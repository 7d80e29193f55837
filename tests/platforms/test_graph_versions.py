"""Graph versions: the connection's base URL, and the warning before a version's end of life."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from citizen_desk.errors import ConfigError
from citizen_desk.platforms.graph import DEFAULT_BASE_URL
from citizen_desk.platforms.graph_versions import (
    DEFAULT_VERSION,
    END_OF_LIFE,
    graph_base_url,
    version_of,
    version_status,
)


def test_the_default_is_a_version_with_years_left() -> None:
    assert DEFAULT_BASE_URL == "https://graph.facebook.com/v25.0/"
    assert DEFAULT_VERSION == "v25.0"
    eol = END_OF_LIFE[DEFAULT_VERSION]
    assert eol is not None
    assert eol >= date(2028, 1, 1)
    assert END_OF_LIFE["v21.0"] == date(2027, 1, 21)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "https://graph.facebook.com/v25.0/"),
        ({"graph_version": "v24.0"}, "https://graph.facebook.com/v24.0/"),
        ({"base_url": "http://127.0.0.1:8765/v21.0/"}, "http://127.0.0.1:8765/v21.0/"),
        ({"base_url": "http://127.0.0.1:8765/v21.0", "graph_version": "v25.0"},
         "http://127.0.0.1:8765/v25.0/"),
        ({"base_url": "http://127.0.0.1:8765/", "graph_version": "v23.0"},
         "http://127.0.0.1:8765/v23.0/"),
        ({"base_url": "http://127.0.0.1:8765"}, "http://127.0.0.1:8765/v25.0/"),
    ],
)  # fmt: skip
def test_base_url_from_the_connection_extras(extra: dict[str, str], expected: str) -> None:
    assert graph_base_url(extra) == expected
    assert version_of(expected) == expected.rstrip("/").rsplit("/", 1)[1]


def test_a_malformed_graph_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="graph_version"):
        graph_base_url({"graph_version": "25"})


@pytest.mark.parametrize(
    ("version", "today", "level"),
    [
        ("v21.0", date(2026, 11, 21), "ok"),  # 61 days left
        ("v21.0", date(2026, 11, 22), "warning"),  # exactly 60 days left
        ("v21.0", date(2027, 1, 20), "warning"),
        ("v21.0", date(2027, 1, 21), "expired"),
        ("v20.0", date(2026, 12, 1), "expired"),
        ("v25.0", date(2026, 12, 1), "ok"),
        ("v27.0", date(2026, 12, 1), "ok"),  # no end of life published yet
        ("v19.0", date(2026, 12, 1), "unknown"),
        (None, date(2026, 12, 1), "unknown"),
    ],
)
def test_version_status_ahead_of_end_of_life(version, today, level) -> None:
    status = version_status(version, today)
    assert status.level == level
    if level in ("warning", "expired"):
        assert "set extra graph_version to v25.0" in status.message
        assert str(status.end_of_life) in status.message


def test_version_status_takes_an_aware_datetime() -> None:
    late = datetime(2027, 1, 20, 23, 30, tzinfo=UTC)
    assert version_status("v21.0", late).level == "warning"
