"""The national world generator: determinism, counts, registry validity, traffic."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from citizen_desk.config.registry import load_registry as load_package_registry
from platform_simulator import Simulator, SimulatorConfig
from platform_simulator.__main__ import main as simulator_main
from platform_simulator.national import PROVINCES, load_traffic, national_world
from tests.devtools.platform_simulator.support import NOW


@pytest.fixture(scope="module")
def country():  # the whole country once per module (~1 s): counts only, no simulator
    return national_world(seed=42)


def test_the_province_list_adds_up_to_the_2025_reform() -> None:
    assert len(PROVINCES) == 34
    assert sum(count for _, _, count in PROVINCES) == 3321
    assert PROVINCES[0][0] == "Thanh Hóa"  # --provinces 1 is the sample registry's province


def test_the_country_has_every_commune_a_page_and_most_an_oa(country) -> None:
    kinds = Counter(u["kind"] for u in country.units)
    assert kinds["province"] == 34
    assert kinds["commune"] + kinds["ward"] == 3321
    assert 0.15 < kinds["ward"] / 3321 < 0.27  # the national share of wards, ~20.7 %
    platforms = Counter(c["platform"] for c in country.channels)
    assert platforms["facebook"] == 3321 + 34
    assert 0.9 * 3321 + 34 < platforms["zalo"] < 3321 + 34
    assert 6400 < len(country.channels) < 6700
    per_province = Counter(u["parent"] for u in country.units if u.get("parent"))
    assert sorted(per_province.values()) == sorted(count for _, _, count in PROVINCES)


def test_ids_keys_and_slack_ids_are_unique_and_well_formed(country) -> None:
    channels = country.channels
    assert len({c["key"] for c in channels}) == len(channels)
    assert len({c["connection_id"] for c in channels}) == len(channels)
    assert len({(c["platform"], c["platform_id"]) for c in channels}) == len(channels)
    for channel in channels:
        width = 15 if channel["platform"] == "facebook" else 19
        assert re.fullmatch(rf"\d{{{width}}}", channel["platform_id"]), channel
    codes = [u["code"] for u in country.units]
    assert len(set(codes)) == len(codes)
    slack = [v for u in country.units for v in u["contacts"].values()]
    assert len(set(slack)) == len(slack)
    names = Counter((u.get("parent"), u["name"]) for u in country.units)
    assert names.most_common(1)[0][1] == 1  # no two communes of a province share a name


def test_the_traffic_is_per_channel_and_national_day_is_in_the_documented_range(country) -> None:
    assert set(country.traffic) == {c["key"] for c in country.channels}
    assert 20_000 < country.messages_per_day() < 35_000
    commune_pages = [v for k, v in country.traffic.items() if k.startswith("fb-") and "-0" in k]
    assert 3 < statistics.median(commune_pages) < 6
    assert min(country.traffic.values()) >= 0.5
    assert max(country.traffic.values()) <= 40


def test_same_seed_same_world_other_seed_other_world() -> None:
    one, again, other = (national_world(2, seed=s) for s in (7, 7, 8))
    assert one.registry_yaml() == again.registry_yaml()
    assert one.traffic == again.traffic
    assert one.registry_yaml() != other.registry_yaml()
    # the cut keeps the first provinces as they are in the whole country
    first = national_world(1, seed=7)
    assert first.channels == one.channels[: len(first.channels)]


def test_one_province_is_thanh_hoa_sized_and_valid_for_the_package(tmp_path: Path) -> None:
    world = national_world(1, seed=42)
    registry_path, _ = world.write(tmp_path)
    registry = load_package_registry(registry_path)
    assert 300 < len(registry.channels) < 340
    assert [u.code for u in registry.units if u.parent is None] == ["THANHHOA"]
    assert registry.collection.batch_size == 50
    assert registry.collection.batch_size_for("facebook") == 200  # a page: one secret
    assert registry.collection.batch_size_for("zalo") == 50  # an OA: ~five (the masker's cost)
    # 4 + 4: the Celery topology's 8 worker slots (2 Zalo slots made Zalo the critical path)
    assert (registry.collection.facebook_concurrency, registry.collection.zalo_concurrency) == (
        4,
        4,
    )
    assert registry.access["officer"][0].units == frozenset({"THANHHOA"})
    assert not registry.sla.unit_overrides


def test_the_whole_country_is_valid_for_the_package(country, tmp_path: Path) -> None:
    registry_path, _ = country.write(tmp_path)
    registry = load_package_registry(registry_path)
    assert len(registry.units) == 34 + 3321
    assert len(registry.channels) == len(country.channels)


def test_the_simulator_uses_the_traffic_per_channel(tmp_path: Path) -> None:
    world = national_world(1, seed=42)
    registry_path, _ = world.write(tmp_path)
    quiet, busy = "fb-thanhhoa-001", "fb-thanhhoa"
    traffic = {c["key"]: 0.0 for c in world.channels} | {busy: 40.0}
    sim = Simulator(
        SimulatorConfig(
            registry_path=registry_path,
            seed=42,
            days=3,
            now=NOW,
            channels=[c for c in world.channels if c["key"] in {quiet, busy}],
            traffic=traffic,
        )
    )
    counts = Counter(
        m["channel"]
        for m in sim.truth()["messages"]
        if m["direction"] == "in" and m["source"] == "history"
    )
    assert counts[quiet] == 0
    assert 60 < counts[busy] < 200  # 3 days at 40 a day (threads add follow-ups)


def test_the_command_line_writes_both_files(tmp_path: Path, capsys) -> None:
    assert simulator_main(["national", "--out", str(tmp_path), "--provinces", "2"]) == 0
    assert (tmp_path / "registry.yaml").exists()
    assert load_traffic(tmp_path / "traffic.json") == national_world(2, seed=42).traffic
    assert "channels" in capsys.readouterr().out
