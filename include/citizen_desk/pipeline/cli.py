"""`citizen-desk pools` / `citizen-desk connections FILE` (see `pipeline.connections`).

`citizen-desk pools`: the Airflow pools the registry asks for; `--apply` makes Airflow's match.

`--apply` goes through Airflow's REST API with the `citizen_desk_airflow_api` connection (an
`AIRFLOW_CONN_CITIZEN_DESK_AIRFLOW_API` variable works too), as the setup DAG's `sync_pools` task
does. Exit 1 when `--apply` finds no connection (the `airflow pools set` commands are printed).
`--commands` prints only those commands, one per line (docker-compose's `airflow-init` runs them).
"""

from __future__ import annotations

import argparse
import os


def _pools(args: argparse.Namespace) -> int:
    from citizen_desk.collect.batches import BATCH_SIZE_ENV, batch_size
    from citizen_desk.config.collection import pools_for
    from citizen_desk.config.registry import load_registry
    from citizen_desk.pipeline.pools import CONN_ID, admin_commands, api_access, apply_pools

    registry = load_registry(args.registry)
    wanted = pools_for(registry)
    if args.commands:  # for a shell: docker-compose's airflow-init evaluates them
        print(*admin_commands(wanted), sep="\n")
        return 0
    print(f"{registry.path}: collection pools")
    width = max(len(name) for name in wanted)
    for name, (slots, description) in wanted.items():
        print(f"  {name:<{width}}  {slots:>4}  {description}")
    policy = registry.collection
    configured = policy.batch_size
    source = "collection.batch_size"
    if os.environ.get(BATCH_SIZE_ENV, "").strip():
        source = f"{BATCH_SIZE_ENV}, over collection.batch_size {configured}"
    print(f"batch size: {batch_size(configured)} channel(s) per mapped task ({source})")
    if not os.environ.get(BATCH_SIZE_ENV, "").strip():
        for platform in ("facebook", "zalo"):
            if policy.batch_size_for(platform) != configured:
                size = policy.batch_size_for(platform)
                print(f"  {platform}: {size} (collection.{platform}_batch_size)")
    if not args.apply:
        print(f"apply with: citizen-desk pools --apply (connection {CONN_ID}), or as an admin:")
        print(*(f"  {command}" for command in admin_commands(wanted)), sep="\n")
        return 0
    login = api_access()
    if login is None:
        print(f"no connection {CONN_ID}: nothing applied; as an Airflow admin run:")
        print(*(f"  {command}" for command in admin_commands(wanted)), sep="\n")
        return 1
    result = apply_pools(wanted, access=lambda: login)
    for name, done in result["pools"].items():
        was = f" (was {done['before']})" if "before" in done else ""
        print(f"{name}: {done['action']}, {done['slots']} slots{was}")
    return 0


def _connections(args: argparse.Namespace) -> int:
    from citizen_desk.pipeline.connections import (
        TIMEOUT,
        apply_connections,
        read_connections_file,
    )
    from citizen_desk.pipeline.pools import CONN_ID, PoolsApi, api_access

    bodies = read_connections_file(args.file)
    print(f"{args.file}: {len(bodies)} connection(s)")
    login = api_access()
    if login is None:
        print(f"no connection {CONN_ID} (the api-server URL and an admin's login): nothing loaded")
        return 1
    result = apply_connections(PoolsApi(login, timeout=TIMEOUT), bodies, chunk=args.chunk)
    print(f"loaded {result['loaded']} into Airflow's metadata DB")
    for line in result["errors"]:
        print(f"  refused: {line}")
    return 1 if result["refused"] else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    conns = subparsers.add_parser(
        "connections",
        help="load channel connections (an `airflow connections export` JSON file) into"
        " Airflow's metadata DB through its REST API, in bulk",
    )
    conns.add_argument("file", help="JSON file: {conn_id: {conn_type, login, password, extra…}}")
    conns.add_argument("--chunk", type=int, default=100, help="connections per request")
    conns.set_defaults(handler=_connections)

    pools = subparsers.add_parser(
        "pools", help="the Airflow pools the registry asks for (--apply: make Airflow's match)"
    )
    pools.add_argument("--registry", default=None, help="registry YAML (default: packaged)")
    pools.add_argument(
        "--apply", action="store_true", help="create/update them through Airflow's REST API"
    )
    pools.add_argument(
        "--commands", action="store_true", help="print only the `airflow pools set` commands"
    )
    pools.set_defaults(handler=_pools)
