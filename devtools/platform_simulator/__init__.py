"""Local Facebook Graph API, Zalo OA API and Slack Web API simulator with a Vietnamese world.

Tests and demos only; production code must never import this package.

Quick start::

    from platform_simulator import Simulator, SimulatorConfig
    sim = Simulator(SimulatorConfig(registry_path="include/config/registry.yaml", seed=42,
                                    now=datetime(2026, 11, 20, 9, tzinfo=UTC)))
    server = sim.serve_in_thread()          # .base_url, .port, .shutdown()
    # Graph:  server.base_url + "/v21.0/"   token sim-page-token-{page_id}
    # Zalo:   server.base_url + "/"         header access_token (see /_sim/tokens)
    # Slack:  server.base_url + "/api/"     token xoxb-sim-citizen-desk

CLI: ``python -m platform_simulator serve --port 8765 --registry include/config/registry.yaml``.

Fault specs (``POST /_sim/faults`` or ``--fault``; JSON or ``kind:key=value,...``):

- ``error_rate``      target, rate (0..1) or count; Graph code 1 (HTTP 500) / 2 (HTTP 503),
                      Zalo HTTP 502 nginx page, Slack HTTP 500 ``internal_error``
- ``latency``         target, ms
- ``timeout``         target, seconds (default 65), count
- ``rate_limit``      page + code (4/17/32/613/80001/80006) | oa (-32) | target; count,
                      regain_minutes
- ``expired_token``   page (190/463) | oa (-220)
- ``invalid_token``   page (190/460) | oa (-216)
- ``malformed_json``  target, count: body cut in half
- ``truncated_pages`` target, drop, count: Graph pages lose items but keep ``next``;
                      a Zalo page that is not the last one answers short
- ``slack_429``       channel (optional), count, retry_after, method (default chat.postMessage)
- ``not_in_channel``  channel

Targets are endpoint keys or their prefixes: ``graph``, ``graph.conversations``,
``graph.messages``, ``graph.feed``, ``graph.comments``, ``graph.insights``, ``graph.node``,
``graph.publish``, ``graph.reply``, ``graph.send``, ``zalo``, ``zalo.listrecentchat``,
``zalo.conversation``, ``zalo.send``, ``zalo.oauth``, ``slack``, ``slack.chat.postMessage``, ...
See README.md in this directory for the full description.
"""

from __future__ import annotations

from platform_simulator.config import Channel, SimulatorConfig
from platform_simulator.simulator import Simulator
from platform_simulator.web import ServerThread

__all__ = ["Channel", "ServerThread", "Simulator", "SimulatorConfig"]
