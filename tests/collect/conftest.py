"""Fixtures for the collection tests: a small simulated world, its connections, a synced DB.

The registry is cut down to two pages and two OAs (written to tmp_path) to keep the tests fast.
Simulator-heavy tests use SQLite only (`sqlite_engine`); the store logic runs on both backends
through the shared `engine` fixture.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.conftest import NOW, REGISTRY_PATH

CHANNELS = ("fb-th-ns-ttns", "fb-th-ns-ngathuy", "zalo-th-ns-ttns", "zalo-th-ns-ngathuy")


@pytest.fixture
def small_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    raw["channels"] = [c for c in raw["channels"] if c["key"] in CHANNELS]
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(path))
    return path


@dataclass
class World:
    """The running simulator plus what the tests need to know about it."""

    sim: Any
    base_url: str
    channels: dict[str, dict[str, Any]]
    fernet_key: str

    def page_id(self, key: str) -> str:
        return str(self.channels[key]["platform_id"])

    def truth(self) -> list[dict[str, Any]]:
        return list(self.sim.truth()["messages"])

    def clock(self) -> datetime:
        return self.sim.clock


def connection_env(world_channels: dict[str, dict[str, Any]], base_url: str, sim: Any) -> dict:
    env: dict[str, str] = {}
    for key, channel in world_channels.items():
        conn_id = channel["connection_id"].upper()
        if channel["platform"] == "facebook":
            conn = {
                "conn_type": "http",
                "password": sim.page_token(channel["platform_id"]),
                "extra": {"base_url": f"{base_url}/v21.0/"},
            }
        else:
            creds = sim.zalo_credentials(channel["platform_id"])
            conn = {
                "conn_type": "http",
                "login": creds["app_id"],
                "password": creds["secret_key"],
                "extra": {
                    "refresh_token": creds["refresh_token"],
                    "base_url": f"{base_url}/",
                    "oauth_url": f"{base_url}/v4/oa/access_token",
                },
            }
        env[f"AIRFLOW_CONN_{conn_id}"] = json.dumps(conn)
        assert key
    return env


@pytest.fixture
def world(
    small_registry: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[World]:
    """The simulator on a free port; `parametrize("world", [3], indirect=True)`: 3 days only."""
    days = int(getattr(request, "param", 14))
    from platform_simulator import Simulator, SimulatorConfig

    sim = Simulator(SimulatorConfig(registry_path=small_registry, seed=42, days=days, now=NOW))
    server = sim.serve_in_thread(host="127.0.0.1", port=0)
    raw = yaml.safe_load(small_registry.read_text(encoding="utf-8"))
    channels = {c["key"]: c for c in raw["channels"]}
    key = Fernet.generate_key().decode()
    for name, value in connection_env(channels, server.base_url, sim).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(
        "AIRFLOW_CONN_CITIZEN_DESK_SECRETS", json.dumps({"conn_type": "generic", "password": key})
    )
    try:
        yield World(sim=sim, base_url=server.base_url, channels=channels, fernet_key=key)
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, built once; tests copy it (migrating takes seconds)."""
    from citizen_desk.db import migrate
    from citizen_desk.db.engine import _engine_for

    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    engine = _engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    _engine_for.cache_clear()
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Engine]:
    """A fresh migrated SQLite domain DB (simulator tests run on SQLite only, for speed)."""
    from citizen_desk.db.engine import _engine_for

    path = tmp_path / "collect.db"
    shutil.copyfile(migrated_sqlite, path)
    eng = _engine_for(f"sqlite:///{path}")
    yield eng
    eng.dispose()
    _engine_for.cache_clear()


def sync(engine: Engine, registry_path: Path) -> None:
    from citizen_desk.config.registry import load_registry, sync_registry

    with Session(engine) as session:
        sync_registry(session, load_registry(registry_path), now=NOW - timedelta(days=30))
        session.commit()


@pytest.fixture
def domain(sqlite_engine: Engine, small_registry: Path) -> Engine:
    sync(sqlite_engine, small_registry)
    return sqlite_engine


def local_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies for 127.0.0.1 (and no per-request env scan)
    return session


@dataclass
class Collector:
    """Runs `collect_channel` against the simulator with fake sleeps; records what happened."""

    engine: Engine
    world: World
    sleeps: list[float] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, key: str, run_id: str = "run-1", **kwargs: Any) -> dict[str, Any]:
        from citizen_desk.collect.run import Options, collect_channel

        opts = {
            "sleep": self.sleeps.append,
            "timeout": 2.0,
            "clock": self.world.clock,
            "backoff": 0.5,
            **self.options,
        }
        opts["http"] = kwargs.pop("http", None) or local_session()
        return collect_channel(
            key,
            engine=self.engine,
            run_id=run_id,
            now=kwargs.pop("now", self.world.clock()),
            options=Options(**opts),
            **kwargs,
        )

    def all(self, run_id: str = "run-1", **kwargs: Any) -> dict[str, dict[str, Any]]:
        return {key: self(key, run_id=run_id, **kwargs) for key in CHANNELS}


@pytest.fixture
def collect(domain: Engine, world: World) -> Collector:
    return Collector(domain, world)


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def table_counts(engine: Engine) -> dict[str, int]:
    from citizen_desk.db import models

    tables = (
        models.Message,
        models.Citizen,
        models.Case,
        models.CaseTurn,
        models.Tip,
        models.Quarantine,
        models.CollectionWatermark,
        models.Notification,
        models.AuditLog,
    )
    return {t.__tablename__: count(engine, t) for t in tables}


def stored_messages(engine: Engine) -> set[tuple[str, str, str, str, str]]:
    """(channel key, platform message id, direction, kind, thread key) of every stored row."""
    from citizen_desk.db.models import Channel, Message

    with Session(engine) as session:
        rows = session.execute(
            select(
                Channel.key,
                Message.platform_message_id,
                Message.direction,
                Message.kind,
                Message.thread_key,
            ).join(Channel, Channel.id == Message.channel_id)
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def truth_messages(world: World) -> set[tuple[str, str, str, str, str]]:
    return {
        (m["channel"], m["id"], m["direction"], m["surface"], m["thread_id"]) for m in world.truth()
    }


Check = Callable[[], None]
