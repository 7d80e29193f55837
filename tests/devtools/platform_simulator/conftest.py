"""Fixtures: simulators served in-process on port 0."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from platform_simulator import ServerThread, Simulator, SimulatorConfig
from tests.devtools.platform_simulator.support import CANARIES, NOW, REGISTRY

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk ignores NO_PROXY, so clear proxies for calls to the local simulator."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def shared_sim() -> Simulator:
    """A full 14-day world; tests using it must not mutate it (use ``make_sim`` instead)."""
    return Simulator(
        SimulatorConfig(registry_path=REGISTRY, seed=42, days=14, now=NOW, canaries=CANARIES)
    )


@pytest.fixture(scope="session")
def server(shared_sim: Simulator) -> Iterator[ServerThread]:
    srv = shared_sim.serve_in_thread(host="127.0.0.1", port=0)
    yield srv
    srv.shutdown()


@pytest.fixture
def make_sim() -> Iterator[Callable[..., tuple[Simulator, ServerThread]]]:
    """Factory for fresh, small simulators; servers are shut down after the test."""
    servers: list[ServerThread] = []

    def factory(**overrides: Any) -> tuple[Simulator, ServerThread]:
        options: dict[str, Any] = {"registry_path": REGISTRY, "seed": 42, "days": 10, "now": NOW}
        options.update(overrides)
        sim = Simulator(SimulatorConfig(**options))
        srv = sim.serve_in_thread(host="127.0.0.1", port=0)
        servers.append(srv)
        return sim, srv

    yield factory
    for srv in servers:
        srv.shutdown()
