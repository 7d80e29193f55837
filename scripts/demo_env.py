"""Print `export AIRFLOW_CONN_...` lines that point every registry channel at the simulator.

The simulator's credentials are deterministic (see devtools/platform_simulator/README.md); for the
real services, put the real page tokens / Zalo app credentials in the same connection ids.
"""

from __future__ import annotations

import argparse
import json
import shlex

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
    base = simulator_url.rstrip("/")
    conns: dict[str, dict] = {
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
    for channel in load_registry().channels:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--simulator", default="http://127.0.0.1:8765")
    parser.add_argument("--fernet-key", required=True)
    args = parser.parse_args()
    for conn_id, conn in sorted(connections(args.simulator, args.fernet_key).items()):
        value = shlex.quote(json.dumps(conn, ensure_ascii=False))
        print(f"export AIRFLOW_CONN_{conn_id.upper()}={value}")


if __name__ == "__main__":
    main()
