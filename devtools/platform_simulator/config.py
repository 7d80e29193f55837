"""Simulator configuration and the (minimal) registry reader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Channel:
    """One Facebook page or Zalo OA the world contains."""

    key: str
    unit: str
    platform: str  # facebook | zalo
    platform_id: str
    name: str
    connection_id: str
    unit_name: str = ""
    synthetic: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "unit": self.unit,
            "platform": self.platform,
            "platform_id": self.platform_id,
            "name": self.name,
            "connection_id": self.connection_id,
        }


@dataclass(frozen=True)
class Registry:
    channels: tuple[Channel, ...]
    units: tuple[dict[str, Any], ...]
    slack_ids: tuple[str, ...]  # every C…/G…/U… id named by contacts or technical_admins


@dataclass
class SimulatorConfig:
    """Everything that shapes one simulated world and its servers."""

    registry_path: str | Path | None = None
    seed: int = 42
    days: int = 14
    now: datetime | None = None  # fixed world clock; None = wall clock at start
    live: bool = False
    live_rate: float | None = None  # citizen messages per hour, whole world
    clock_speed: float = 1.0
    rate: float | None = None  # citizen messages per channel per day (None: 3 to 12 each)
    # citizen messages per day by channel key (`national.py`'s traffic.json); beats `rate`
    traffic: dict[str, float] | None = None
    scale: int | None = None  # total channel count; extra synthetic channels are added
    channels: list[dict[str, Any]] | None = None  # replaces the registry's channels
    canaries: list[dict[str, Any]] = field(default_factory=list)
    state_dir: str | Path | None = None
    graph_version: str = "v21.0"
    graph_page_budget: int = 4800  # calls per page per window
    graph_app_budget: int = 48000  # calls per app per window
    graph_window_seconds: int = 3600
    graph_regain_minutes: int = 5  # regain time shown by injected rate-limit bursts
    zalo_rate_limit: int = 4000  # calls per OA per minute
    zalo_token_ttl_seconds: int = 90000
    zalo_recent_mode: str = "messages"  # listrecentchat rows: messages | latest_per_user
    slack_rate_per_second: float = 1.0
    slack_burst: int = 3
    message_detail_limit: int | None = None  # e.g. 20: older messages read as deleted
    answer_ratio: float = 0.8  # share of questions the staff answer
    faults: list[dict[str, Any]] = field(default_factory=list)
    slack_token: str = "xoxb-sim-citizen-desk"
    # The bot token's scopes (X-OAuth-Scopes); None = slack.BOT_SCOPES. With "chat:write.public"
    # the bot may post in public channels it is not in (history still needs membership).
    slack_scopes: list[str] | None = None
    # the Slack app's signing secret and Interactivity Request URL: button clicks are POSTed there
    slack_signing_secret: str = "sim-slack-signing-secret"
    slack_interactivity_url: str | None = None
    # Live mode: new citizen messages and comments are also pushed as signed webhooks
    # (`webhooks.py`); the secrets match scripts/demo_env.py's `citizen_desk_webhooks` connection.
    webhook_facebook_url: str | None = None
    webhook_zalo_url: str | None = None
    webhook_app_secret: str = "sim-meta-app-secret"
    webhook_zalo_app_id: str = "sim-zalo-app"
    webhook_zalo_secret: str = "sim-zalo-oa-secret"
    webhook_duplicate_rate: float = 0.0
    webhook_retry_speed: float = 60.0  # retry waits divided by this (1 = the platforms' ladder)


def _unit_index(units: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(u.get("code")): u for u in units if isinstance(u, dict)}


def load_registry(config: SimulatorConfig) -> Registry:
    """Read channels, units and Slack ids from the registry YAML (plus overrides)."""
    raw: dict[str, Any] = {}
    if config.registry_path:
        text = Path(config.registry_path).read_text(encoding="utf-8")
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        raw = loaded if isinstance(loaded, dict) else {}
    units = [u for u in raw.get("units") or [] if isinstance(u, dict)]
    by_code = _unit_index(units)
    raw_channels = config.channels if config.channels is not None else raw.get("channels") or []
    channels: list[Channel] = []
    for ch in raw_channels:
        unit = str(ch.get("unit", ""))
        channels.append(
            Channel(
                key=str(ch["key"]),
                unit=unit,
                platform=str(ch["platform"]),
                platform_id=str(ch["platform_id"]),
                name=str(ch.get("name") or by_code.get(unit, {}).get("name") or ch["key"]),
                connection_id=str(ch.get("connection_id") or ch["key"].replace("-", "_")),
                unit_name=str(by_code.get(unit, {}).get("name") or ch.get("name") or ""),
                synthetic=bool(ch.get("synthetic", False)),
            )
        )
    if config.scale and config.scale > len(channels):
        channels.extend(synthetic_channels(channels, units, config.scale - len(channels)))
    slack_ids: list[str] = []
    for unit in units:
        for value in (unit.get("contacts") or {}).values():
            if isinstance(value, str) and value not in slack_ids:
                slack_ids.append(value)
    for value in raw.get("technical_admins") or []:
        if isinstance(value, str) and value not in slack_ids:
            slack_ids.append(value)
    return Registry(channels=tuple(channels), units=tuple(units), slack_ids=tuple(slack_ids))


def synthetic_channels(
    existing: list[Channel], units: list[dict[str, Any]], count: int
) -> list[Channel]:
    """Extra channels for load tests: deterministic keys/ids, attached to existing units."""
    unit_list = units or [{"code": "SYN", "name": "Công an xã Tổng Hợp"}]
    out: list[Channel] = []
    for i in range(1, count + 1):
        unit = unit_list[(i - 1) % len(unit_list)]
        platform = "zalo" if i % 4 == 0 else "facebook"
        digest = int(hashlib.sha256(f"syn-{i}".encode()).hexdigest()[:6], 16) % 100000
        pid = f"43188{i:05d}{digest:09d}" if platform == "zalo" else f"1000649{i:03d}{digest:05d}"
        prefix = "zalo" if platform == "zalo" else "fb"
        key = f"{prefix}-syn-{i:03d}"
        name = f"{unit.get('name', 'Công an')} (kênh {i})"
        out.append(
            Channel(
                key=key,
                unit=str(unit.get("code")),
                platform=platform,
                platform_id=pid[:19] if platform == "zalo" else pid[:15],
                name=name,
                connection_id=key.replace("-", "_"),
                unit_name=str(unit.get("name", "")),
                synthetic=True,
            )
        )
    taken = {c.platform_id for c in existing}
    return [c for c in out if c.platform_id not in taken]


def registry_with_channels(registry_path: str | Path, channels: tuple[Channel, ...]) -> str:
    """The registry YAML text with its channel list replaced (for `export-registry`)."""
    raw = yaml.safe_load(Path(registry_path).read_text(encoding="utf-8")) or {}
    raw["channels"] = [c.as_dict() for c in channels]
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
