"""The demo's Airflow connections, pointing Slack and every registry channel at the simulator.

Prints `export AIRFLOW_CONN_...` lines for the few service connections (Slack, secrets,
webhooks). The channels' connections (one per page or OA: thousands at national size) are written
with `--channels-file` as an `airflow connections export` JSON file (mode 0600), which
`scripts/demo_ready.py` loads into Airflow's metadata DB through the REST API
(`citizen_desk.pipeline.connections`), as `citizen-desk connections FILE` does in production.
Without `--channels-file` they are printed as variables too (a quick local run).

The simulator's credentials are deterministic (see devtools/platform_simulator/README.md); for the
real services, put the real page tokens / Zalo app credentials in the same connection ids.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
from pathlib import Path

from citizen_desk.config.registry import load_registry

SLACK_TOKEN = "xoxb-sim-citizen-desk"
SLACK_SIGNING_SECRET = "sim-slack-signing-secret"  # the simulator's; signs its button clicks
# the simulator's webhook secrets (devtools/platform_simulator/config.py): it signs its pushes
WEBHOOKS = {
    "app_secret": "sim-meta-app-secret",
    "verify_token": "citizen-desk-demo-verify",
    "zalo_app_id": "sim-zalo-app",
    "zalo_oa_secret": "sim-zalo-oa-secret",
}


def connections(simulator_url: str, fernet_key: str) -> dict[str, dict]:
    """Every connection of the demo: the services' and the channels'."""
    return {
        **service_connections(simulator_url, fernet_key),
        **channel_connections(simulator_url),
    }


def service_connections(simulator_url: str, fernet_key: str) -> dict[str, dict]:
    base = simulator_url.rstrip("/")
    return {
        "citizen_desk_slack": {
            "conn_type": "slack",
            "password": SLACK_TOKEN,
            "extra": {
                "base_url": f"{base}/api/",
                "timeout": 10,
                "signing_secret": SLACK_SIGNING_SECRET,
            },
        },
        "citizen_desk_secrets": {"conn_type": "generic", "password": fernet_key},
        "citizen_desk_webhooks": {"conn_type": "generic", "extra": WEBHOOKS},
    }


def channel_connections(simulator_url: str, registry: str | None = None) -> dict[str, dict]:
    """One connection per channel of `registry` (default: `CITIZEN_DESK_REGISTRY`, else the
    packaged one)."""
    base = simulator_url.rstrip("/")
    conns: dict[str, dict] = {}
    for channel in load_registry(registry).channels:
        if channel.platform == "facebook":
            conns[channel.connection_id] = {
                "conn_type": "http",
                "password": f"sim-page-token-{channel.platform_id}",
                "extra": {"base_url": f"{base}/", "graph_version": "v25.0"},
            }
        else:
            oa = channel.platform_id
            conns[channel.connection_id] = {
                "conn_type": "http",
                "login": f"sim-app-{oa}",
                "password": f"sim-secret-{oa}",
                "extra": {
                    "base_url": f"{base}/",
                    "oauth_url": f"{base}/v4/oa/access_token",
                    "refresh_token": f"sim-refresh-{oa}-0",
                },
            }
    return conns


def write_connections_file(path: Path, conns: dict[str, dict]) -> None:
    """`conns` as an `airflow connections export` JSON file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(conns, out, ensure_ascii=False, indent=1, sort_keys=True)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--simulator", default="http://127.0.0.1:8765")
    parser.add_argument("--fernet-key", required=True)
    parser.add_argument("--channels-file", type=Path, help="write the channels' connections here")
    args = parser.parse_args()
    exported = service_connections(args.simulator, args.fernet_key)
    if args.channels_file is None:
        exported.update(channel_connections(args.simulator))
    else:
        write_connections_file(args.channels_file, channel_connections(args.simulator))
    for conn_id, conn in sorted(exported.items()):
        value = shlex.quote(json.dumps(conn, ensure_ascii=False))
        print(f"export AIRFLOW_CONN_{conn_id.upper()}={value}")


if __name__ == "__main__":
    main()
