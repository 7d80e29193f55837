"""A national world: 34 provinces, 3,321 communes, deterministic by seed.

`python -m platform_simulator national --out DIR [--provinces K] [--seed S]` writes
`DIR/registry.yaml` (valid for `citizen-desk registry check`) and `DIR/traffic.json` (citizen
messages per day by channel key, read by `serve --traffic`). `--provinces K` keeps the first K
provinces: Thanh Hóa comes first, so `--provinces 1` is the Thanh Hóa-sized world (~330 channels).

Units: one provincial police unit per province (`kind: province`), its communes under it
(`commune`, or `ward` for ~20.7 %: the national share, 687 wards of 3,321 — 2,634 communes and
special zones per the 2025 rural census, baodautu.vn "Cả nước có 2.634 xã và 63.619 thôn sau
sáp nhập"; which commune is a ward is drawn by the seed, not real). Commune names are generated
from common place-name syllables (not the real names). Each unit has duty officer and chief
Slack ids.

Channels: one Facebook page per commune and per province, a Zalo OA for each province and for
`ZALO_SHARE` of the communes (drawn by the seed): ~6,540 channels for the country.

Traffic (an assumption, not a measurement; change the constants to test another load): a
commune's Facebook page gets a median of `COMMUNE_FACEBOOK_PER_DAY` citizen messages a day, its
OA `COMMUNE_ZALO_PER_DAY`, log-normal across communes (sigma `SPREAD`), wards `WARD_FACTOR` times
more; a province's page `PROVINCE_FACEBOOK_PER_DAY`, its OA `PROVINCE_ZALO_PER_DAY`. That is
a median of ~6 (a mean of ~8) messages per commune of about 30,000 residents a day, ~27,000 for
the country and ~1,300 for Thanh Hóa (`messages_per_day()` gives the exact figure); the simulator
spreads each channel's daily count over the hours with its day/night curve and its category mix.

The policies (calendar, SLA, escalation, publication, ...) are copied from the sample registry.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The 34 provinces and cities from 1 July 2025 and their commune-level units (3,321 in all).
# Counts: per-province lengths of `wardsByProvince` in github.com/Chat-Tom/emyland-vn
# src/data/vietnam-locations.ts (commit e555a2976c3a054a2ce3449c0f090eba23ada6f6); the totals
# (34 provinces, 3,321 units; Hồ Chí Minh City 168 the most, Lai Châu 38 the fewest) agree with
# Decision 19/2025/QĐ-TTg as reported by news.laodong.vn ("Bảng danh mục và mã số của 34 tỉnh
# thành, 3.321 đơn vị hành chính cấp xã mới") and dientuungdung.vn. Thanh Hóa first (the sample
# registry's province), then the list's order.
PROVINCES: tuple[tuple[str, str, int], ...] = (
    ("Thanh Hóa", "tỉnh", 166),
    ("Hà Nội", "thành phố", 126),
    ("Cao Bằng", "tỉnh", 56),
    ("Tuyên Quang", "tỉnh", 124),
    ("Điện Biên", "tỉnh", 45),
    ("Lai Châu", "tỉnh", 38),
    ("Sơn La", "tỉnh", 75),
    ("Lào Cai", "tỉnh", 99),
    ("Thái Nguyên", "tỉnh", 92),
    ("Lạng Sơn", "tỉnh", 65),
    ("Quảng Ninh", "tỉnh", 54),
    ("Bắc Ninh", "tỉnh", 99),
    ("Phú Thọ", "tỉnh", 148),
    ("Hải Phòng", "thành phố", 114),
    ("Hưng Yên", "tỉnh", 104),
    ("Ninh Bình", "tỉnh", 129),
    ("Nghệ An", "tỉnh", 130),
    ("Hà Tĩnh", "tỉnh", 69),
    ("Quảng Trị", "tỉnh", 78),
    ("Huế", "thành phố", 40),
    ("Đà Nẵng", "thành phố", 94),
    ("Quảng Ngãi", "tỉnh", 96),
    ("Gia Lai", "tỉnh", 135),
    ("Khánh Hòa", "tỉnh", 65),
    ("Đắk Lắk", "tỉnh", 102),
    ("Lâm Đồng", "tỉnh", 124),
    ("Đồng Nai", "tỉnh", 95),
    ("Hồ Chí Minh", "thành phố", 168),
    ("Tây Ninh", "tỉnh", 96),
    ("Đồng Tháp", "tỉnh", 102),
    ("Vĩnh Long", "tỉnh", 124),
    ("An Giang", "tỉnh", 102),
    ("Cần Thơ", "thành phố", 103),
    ("Cà Mau", "tỉnh", 64),
)
WARD_SHARE = 687 / 3321
ZALO_SHARE = 0.95
COMMUNE_FACEBOOK_PER_DAY = 4.0
COMMUNE_ZALO_PER_DAY = 2.0
PROVINCE_FACEBOOK_PER_DAY = 30.0
PROVINCE_ZALO_PER_DAY = 10.0
WARD_FACTOR = 1.5
SPREAD = 0.6
MIN_PER_DAY, MAX_PER_DAY = 0.5, 40.0
BATCH_SIZE = 50  # channels per mapped collection task (max_map_length: 1,024 per platform)
# Pages per task: a page brings one new secret to Airflow's masker, an OA about five, and the
# masker's cost grows with the square of a task's secrets (`citizen_desk.collect.batches`), so page
# batches are larger: 17 page tasks at national size instead of 68, each ~5-8 CPU-s of fixed cost.
FACEBOOK_BATCH_SIZE = 200
ZALO_BATCH_SIZE = BATCH_SIZE
# Budgets (pool slots): the sample's 4 Graph / 2 Zalo made Zalo the daily run's critical path at
# national size (65 OA batches, each ~1.5x a page batch, on 2 slots against 68 page batches on 4);
# 4 + 4 are the Celery topology's 8 worker slots (2 workers x 4). Graph's Page-token quotas are
# per Page (docs/research/platform-facts.md, section 2): more pages at once do not share one.
FACEBOOK_CONCURRENCY = 4
ZALO_CONCURRENCY = 4
SAMPLE_REGISTRY = Path(__file__).resolve().parents[2] / "include" / "config" / "registry.yaml"
POLICY_SECTIONS = (
    "version",
    "timezone",
    "case_view_base_url",
    "technical_admins",
    "calendar",
    "sla",
    "escalation",
    "publication",
    "notifications",
    "triage_learning",
    "collection",
)
SYLLABLES = (
    "An", "Bình", "Hòa", "Phú", "Tân", "Thành", "Hưng", "Long", "Phước", "Thạnh", "Đông",
    "Tây", "Nam", "Bắc", "Trung", "Quang", "Minh", "Hải", "Sơn", "Lâm", "Xuân", "Thọ", "Lộc",
    "Vĩnh", "Yên", "Định", "Hiệp", "Thuận", "Lợi", "Mỹ", "Thắng", "Tiến", "Lạc", "Khánh",
    "Hội", "Đức", "Phong", "Thịnh", "Cường", "Hồng", "Châu", "Giang", "Hà", "Kim", "Ngọc",
)  # fmt: skip


@dataclass(frozen=True)
class NationalWorld:
    registry: dict[str, Any]
    traffic: dict[str, float]  # citizen messages per day by channel key

    @property
    def channels(self) -> list[dict[str, Any]]:
        return list(self.registry["channels"])

    @property
    def units(self) -> list[dict[str, Any]]:
        return list(self.registry["units"])

    def messages_per_day(self) -> float:
        return round(sum(self.traffic.values()), 1)

    def registry_yaml(self) -> str:
        header = (
            "# Generated by `python -m platform_simulator national` (devtools/platform_simulator/"
            "national.py):\n# a synthetic national world for load tests. Do not edit by hand.\n"
        )
        body = yaml.safe_dump(self.registry, allow_unicode=True, sort_keys=False, width=100)
        return header + body

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        registry, traffic = out / "registry.yaml", out / "traffic.json"
        registry.write_text(self.registry_yaml(), encoding="utf-8")
        traffic.write_text(json.dumps(self.traffic, indent=1, sort_keys=True) + "\n", "utf-8")
        return registry, traffic


def slug(name: str) -> str:
    """`Thanh Hóa` -> `THANHHOA` (ASCII, for unit codes and channel keys)."""
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum()).upper()


def _digits(seed: int, label: str, width: int) -> str:
    value = int(hashlib.sha256(f"{seed}|{label}".encode()).hexdigest(), 16)
    return f"{value % 10**width:0{width}d}"


def _rate(rng: random.Random, median: float, factor: float = 1.0) -> float:
    value = median * factor * math.exp(rng.gauss(0.0, SPREAD))
    return round(min(MAX_PER_DAY, max(MIN_PER_DAY, value)), 2)


def _commune_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        first, second = rng.sample(SYLLABLES, 2)
        base = name = f"{first} {second}"
        suffix = 1
        while name in seen:
            suffix += 1
            name = f"{base} {suffix}"
        seen.add(name)
        names.append(name)
    return names


def _channel(key: str, unit: dict[str, Any], platform: str, platform_id: str) -> dict[str, Any]:
    return {
        "key": key,
        "unit": unit["code"],
        "platform": platform,
        "platform_id": platform_id,
        "name": unit["name"],
        "connection_id": key.replace("-", "_"),
    }


def _province(index: int, seed: int, units: list[dict], channels: list[dict], traffic: dict) -> str:
    name, title, communes = PROVINCES[index]
    code = slug(name)
    tag = f"{index + 1:02d}"
    province = {
        "code": code,
        "name": f"Công an {title} {name}",
        "kind": "province",
        "contacts": {"duty_officer": f"C{tag}{code[:6]}D", "chief": f"U{tag}{code[:6]}C"},
    }
    units.append(province)
    rng = random.Random(f"{seed}|national|{code}")
    for platform, prefix, median in (
        ("facebook", "fb", PROVINCE_FACEBOOK_PER_DAY),
        ("zalo", "zalo", PROVINCE_ZALO_PER_DAY),
    ):
        pid = f"1000{tag}0000{_digits(seed, f'{code}|{platform}', 5)}"
        if platform == "zalo":
            pid = f"4318{tag}0000{_digits(seed, f'{code}|{platform}', 9)}"
        key = f"{prefix}-{code.lower()}"
        channels.append(_channel(key, province, platform, pid))
        traffic[key] = _rate(rng, median)
    for number, commune_name in enumerate(_commune_names(rng, communes), start=1):
        ward = rng.random() < WARD_SHARE
        kind, word = ("ward", "phường") if ward else ("commune", "xã")
        unit_code = f"{code}-{number:03d}"
        unit = {
            "code": unit_code,
            "name": f"Công an {word} {commune_name}",
            "kind": kind,
            "parent": code,
            "contacts": {
                "duty_officer": f"U{tag}{number:04d}D",
                "chief": f"U{tag}{number:04d}C",
            },
        }
        units.append(unit)
        factor = WARD_FACTOR if ward else 1.0
        key = f"fb-{unit_code.lower()}"
        pid = f"1000{tag}{number:04d}{_digits(seed, f'{unit_code}|facebook', 5)}"
        channels.append(_channel(key, unit, "facebook", pid))
        traffic[key] = _rate(rng, COMMUNE_FACEBOOK_PER_DAY, factor)
        if rng.random() < ZALO_SHARE:
            key = f"zalo-{unit_code.lower()}"
            pid = f"4318{tag}{number:04d}{_digits(seed, f'{unit_code}|zalo', 9)}"
            channels.append(_channel(key, unit, "zalo", pid))
            traffic[key] = _rate(rng, COMMUNE_ZALO_PER_DAY, factor)
    return code


def _policies(sample: Path) -> dict[str, Any]:
    raw = yaml.safe_load(sample.read_text(encoding="utf-8")) or {}
    out = {name: raw[name] for name in POLICY_SECTIONS if name in raw}
    if isinstance(out.get("sla"), dict):
        out["sla"] = {**out["sla"], "unit_overrides": {}}  # the sample's units are not here
    out["collection"] = {
        **(out.get("collection") or {}),
        "batch_size": BATCH_SIZE,
        "facebook_batch_size": FACEBOOK_BATCH_SIZE,
        "zalo_batch_size": ZALO_BATCH_SIZE,
        "facebook_concurrency": FACEBOOK_CONCURRENCY,
        "zalo_concurrency": ZALO_CONCURRENCY,
    }
    return out


def national_world(
    provinces: int | None = None, seed: int = 42, sample: str | Path = SAMPLE_REGISTRY
) -> NationalWorld:
    """The registry and traffic of the first `provinces` provinces (all 34 by default)."""
    count = len(PROVINCES) if provinces is None else provinces
    if not 1 <= count <= len(PROVINCES):
        raise ValueError(f"provinces must be 1..{len(PROVINCES)}, not {count}")
    units: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    traffic: dict[str, float] = {}
    codes = [_province(i, seed, units, channels, traffic) for i in range(count)]
    registry = _policies(Path(sample))
    registry["units"] = units
    registry["channels"] = channels
    registry["access"] = {
        "admin": [
            {"role": "technical_admin"},
            {"role": "publication_approver", "units": codes},
            {"role": "identity_custodian", "units": codes},
        ],
        "officer": [{"role": "officer", "units": [codes[0]]}],
    }
    return NationalWorld(registry=registry, traffic=traffic)


def load_traffic(path: str | Path) -> dict[str, float]:
    """`traffic.json`: `{channel key: citizen messages per day}`."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected an object of channel key -> messages per day")
    return {str(k): float(v) for k, v in raw.items()}
