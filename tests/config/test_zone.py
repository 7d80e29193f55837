"""The deployment's time zone from the registry file's `timezone` key alone
(`citizen_desk.config.zone`), and `deployment_zone` falling back to the strict path when that
cannot tell."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from citizen_desk.config import registry as registry_module
from citizen_desk.config import settings
from citizen_desk.config.zone import Unreadable, file_zone, top_level_scalar

SAMPLE = Path(registry_module.__file__).resolve().parents[2] / "config" / "registry.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timezone: Asia/Bangkok\nunits: []\n", "Asia/Bangkok"),
        ("units:\n  - {code: A, timezone: Europe/Paris}\ntimezone: 'Asia/Tokyo'\n", "Asia/Tokyo"),
        ("sla:\n  timezone: Europe/Paris\n  x: [1, {timezone: UTC}]\n", None),
        ("units: []\n", None),
        ('"timezone": "UTC"\n', "UTC"),
        ("a: &z Asia/Bangkok\ntimezone: UTC\nb: *z\n", "UTC"),
    ],
)
def test_the_top_level_key_only(text: str, expected: str | None) -> None:
    assert top_level_scalar(text, "timezone") == expected


@pytest.mark.parametrize(
    "text",
    [
        "- timezone: UTC\n",  # not a mapping
        "timezone: [UTC]\n",  # a collection
        "a: &z UTC\ntimezone: *z\n",  # an alias: only the full load resolves it
        "? [a, b]\n: 1\ntimezone: UTC\n",  # a complex key: the pairing is not followed
        "units: [unclosed\ntimezone: UTC\n",  # YAML broken before the key
    ],
)
def test_what_it_cannot_tell_it_says(text: str) -> None:
    with pytest.raises(Unreadable):
        top_level_scalar(text, "timezone")


def test_the_sample_registry_gives_the_full_loads_zone() -> None:
    zone = file_zone(SAMPLE)
    assert zone == ZoneInfo(registry_module.load_registry(SAMPLE).timezone)


def _registry(tmp_path: Path, name: str, timezone: object) -> Path:
    raw = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    if timezone is None:
        raw.pop("timezone", None)
    else:
        raw["timezone"] = timezone
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=True), encoding="utf-8")
    return path


def test_the_key_else_the_default(tmp_path: Path) -> None:
    assert file_zone(_registry(tmp_path, "a.yaml", "Asia/Bangkok")) == ZoneInfo("Asia/Bangkok")
    assert file_zone(_registry(tmp_path, "b.yaml", None)) == ZoneInfo(settings.TIMEZONE)
    assert file_zone(tmp_path / "missing.yaml") is None
    assert file_zone(_registry(tmp_path, "c.yaml", "Mars/Olympus")) is None


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = _registry(tmp_path, "r.yaml", "Asia/Bangkok")
    assert file_zone(path) == ZoneInfo("Asia/Bangkok")
    path.write_text(path.read_text(encoding="utf-8").replace("Asia/Bangkok", "Asia/Tokyo"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert file_zone(path) == ZoneInfo("Asia/Tokyo")


def test_deployment_zone_does_not_validate_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(_registry(tmp_path, "r.yaml", "Asia/Tokyo")))

    def strict() -> None:
        raise AssertionError("the whole registry was loaded for its time zone")

    monkeypatch.setattr(registry_module, "current_registry", strict)
    assert registry_module.deployment_zone() == ZoneInfo("Asia/Tokyo")


def test_deployment_zone_takes_the_strict_path_when_the_key_cannot_tell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown zone in the file: the registry's own answer (here its last valid snapshot's
    zone, stubbed), not a guess."""
    bad = _registry(tmp_path, "r.yaml", "Mars/Olympus")
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(bad))

    class Snapshot:
        timezone = "Asia/Bangkok"

    monkeypatch.setattr(registry_module, "current_registry", lambda: Snapshot())
    assert registry_module.deployment_zone() == ZoneInfo("Asia/Bangkok")
