"""Command line: ``python -m platform_simulator serve|truth|export-registry|national ...``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platform_simulator.config import SimulatorConfig, load_registry, registry_with_channels
from platform_simulator.faults import FaultError, parse_fault_arg
from platform_simulator.national import load_traffic, national_world
from platform_simulator.simulator import Simulator


def _now(value: str | None) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _world_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", required=True, help="registry YAML (channels, units)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=14, help="days of history before now")
    parser.add_argument("--now", help="fixed world time, ISO 8601 (default: wall clock)")
    parser.add_argument("--rate", type=float, help="citizen messages per channel per day")
    parser.add_argument("--scale", type=int, help="total channels (adds synthetic ones)")
    parser.add_argument(
        "--traffic", help="JSON {channel key: citizen messages per day} (from `national`)"
    )
    parser.add_argument(
        "--canary", action="append", default=[], help='JSON {"name","psid","phone"[,"channel"]}'
    )


def _config(args: argparse.Namespace, **extra: Any) -> SimulatorConfig:
    return SimulatorConfig(
        registry_path=args.registry,
        seed=args.seed,
        days=args.days,
        now=_now(args.now),
        rate=args.rate,
        scale=args.scale,
        traffic=load_traffic(args.traffic) if args.traffic else None,
        canaries=[json.loads(c) for c in args.canary],
        **extra,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_simulator")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP simulator")
    _world_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--state", help="directory to persist the world in")
    serve.add_argument("--live", action="store_true", help="keep generating traffic")
    serve.add_argument("--live-rate", type=float, help="citizen messages per hour (live mode)")
    serve.add_argument("--clock-speed", type=float, default=1.0)
    serve.add_argument("--fault", action="append", default=[], help="fault spec (repeatable)")
    serve.add_argument("--graph-version", default="v21.0")
    serve.add_argument("--page-budget", type=int, default=4800, help="Graph calls/page/hour")
    serve.add_argument("--zalo-rate-limit", type=int, default=4000, help="Zalo calls/OA/minute")
    serve.add_argument(
        "--zalo-recent-mode",
        choices=("messages", "latest_per_user"),
        default="messages",
        help="listrecentchat rows: one per message (documented) or one latest per user",
    )
    serve.add_argument(
        "--message-detail-limit",
        type=int,
        help="only the N newest messages of a conversation can be read (Graph: 20)",
    )
    serve.add_argument(
        "--slack-interactivity-url",
        help="the Slack app's Interactivity Request URL: button clicks (POST /_sim/slack/click) "
        "are signed and POSTed there",
    )

    serve.add_argument("--webhook-facebook-url", help="push Messenger/feed webhooks here (live)")
    serve.add_argument("--webhook-zalo-url", help="push Zalo OA webhooks here (live)")
    serve.add_argument(
        "--webhook-duplicate-rate",
        type=float,
        default=0.0,
        help="share of delivered webhook bodies delivered a second time",
    )
    serve.add_argument(
        "--webhook-retry-speed",
        type=float,
        default=60.0,
        help="divide the platforms' webhook retry waits by this (1: Meta retries for ~2.5 min)",
    )

    truth = sub.add_parser("truth", help="print the ground truth JSON and exit")
    _world_args(truth)

    export = sub.add_parser("export-registry", help="registry YAML including synthetic channels")
    _world_args(export)
    export.add_argument("--out", help="output file (default stdout)")

    national = sub.add_parser(
        "national", help="write a national registry.yaml + traffic.json (national.py)"
    )
    national.add_argument("--out", required=True, help="output directory")
    national.add_argument("--provinces", type=int, help="only the first K provinces (default 34)")
    national.add_argument("--seed", type=int, default=42)

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            faults = [parse_fault_arg(f) for f in args.fault]
            config = _config(
                args,
                state_dir=args.state,
                live=args.live,
                live_rate=args.live_rate,
                clock_speed=args.clock_speed,
                faults=faults,
                graph_version=args.graph_version,
                graph_page_budget=args.page_budget,
                zalo_rate_limit=args.zalo_rate_limit,
                zalo_recent_mode=args.zalo_recent_mode,
                message_detail_limit=args.message_detail_limit,
                slack_interactivity_url=args.slack_interactivity_url,
                webhook_facebook_url=args.webhook_facebook_url,
                webhook_zalo_url=args.webhook_zalo_url,
                webhook_duplicate_rate=args.webhook_duplicate_rate,
                webhook_retry_speed=args.webhook_retry_speed,
            )
            return _serve(config, args.host, args.port)
        if args.command == "national":
            world = national_world(args.provinces, seed=args.seed)
            registry, traffic = world.write(args.out)
            print(
                f"{len(world.units)} units, {len(world.channels)} channels, "
                f"{world.messages_per_day():,.0f} citizen messages/day: {registry} {traffic}"
            )
            return 0
        if args.command == "truth":
            print(Simulator(_config(args)).truth_json())
            return 0
        text = registry_with_channels(args.registry, load_registry(_config(args)).channels)
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    except (FaultError, ValueError, OSError) as exc:
        print(f"platform simulator: {exc}", file=sys.stderr)
        return 2


def _serve(config: SimulatorConfig, host: str, port: int) -> int:
    sim = Simulator(config)
    server = sim.serve_in_thread(host, port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"platform simulator listening on http://{host}:{server.port}", flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
