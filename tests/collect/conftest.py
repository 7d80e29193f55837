"""Fixtures for the collection tests: a synced DB and a collector against the simulated world.

The world (`world`, `small_registry`: two pages and two OAs) lives in tests/conftest.py, as the
collection DAG test uses it too.
Simulator-heavy tests use SQLite only (`sqlite_engine`, from tests/conftest.py); the store logic
runs on both backends through the shared `engine` fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.conftest import CHANNELS, NOW, World

__all__ = ["CHANNELS", "World"]


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
