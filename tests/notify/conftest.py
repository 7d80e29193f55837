"""Fixtures for the outbox and its delivery: the platform simulator's Slack, a session factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from tests.conftest import NOW, REGISTRY_PATH

SIM_TOKEN = "xoxb-sim-citizen-desk"


@pytest.fixture
def sim() -> Iterator[Any]:
    """The simulator (Slack at `sim.base_url + "/api/"`), fast rate limits, fixed clock."""
    from platform_simulator import Simulator, SimulatorConfig

    simulator = Simulator(
        SimulatorConfig(
            registry_path=REGISTRY_PATH,
            seed=42,
            days=1,
            now=NOW,
            slack_rate_per_second=100.0,
            slack_burst=100,
        )
    )
    server = simulator.serve_in_thread(host="127.0.0.1", port=0)
    simulator.base_url = server.base_url
    yield simulator
    server.shutdown()


@pytest.fixture
def slack(sim):
    from citizen_desk.notify.slack import build_client

    return build_client(SIM_TOKEN, base_url=sim.base_url + "/api/", rate_limit_retries=0)


@pytest.fixture
def factory(engine):
    return sessionmaker(engine, expire_on_commit=False)
