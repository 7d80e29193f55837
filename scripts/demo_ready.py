"""`scripts/demo.sh start`, once `airflow standalone` is launched: wait until Airflow is usable,
saying every few seconds what it waits for, then create the pools, load the channels'
connections and unpause every DAG.

Steps (the REST API, as `make e2e-local` does on the same topology): the api-server's health
endpoint; the pools `facebook_api` and `zalo_api` with the slots of the registry's `collection:`
section (`citizen_desk.config.collection.pools_for`, the registry of `CITIZEN_DESK_REGISTRY`);
the channels' connections of `--connections` (written by `demo_env.py --channels-file`) into
Airflow's metadata DB by the bulk REST endpoint (`citizen_desk.pipeline.connections`, the file
removed once loaded, before any DAG is unpaused); the DAG processor serializing every DAG of
`dags/`; one unpause per DAG. Exit status 1 when Airflow exits or never answers, or the registry
or the connections file is broken.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from citizen_desk.config.collection import describe_pools, pools_for
from citizen_desk.config.registry import load_registry
from citizen_desk.errors import CitizenDeskError, ConfigError
from citizen_desk.pipeline.connections import TIMEOUT, apply_connections, read_connections_file
from citizen_desk.pipeline.pools import ApiAccess, PoolsApi
from e2e.airflow_rest import AirflowApiError, AirflowClient

TRANSIENT = (requests.RequestException, AirflowApiError)


class AirflowExited(RuntimeError):
    """The Airflow process group is gone."""


class Progress:
    """Polls a condition once a second and prints what it waits for every `every` seconds."""

    def __init__(
        self,
        alive: Callable[[], bool],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        out: Callable[[str], None] = lambda line: print(line, flush=True),
        every: float = 5.0,
    ) -> None:
        self.alive, self.clock, self.sleep, self.out, self.every = alive, clock, sleep, out, every
        self.started = clock()

    def elapsed(self) -> int:
        return round(self.clock() - self.started)

    def say(self, text: str) -> None:
        self.out(f"  [{self.elapsed():>3} s] {text}")

    def wait(
        self, done: Callable[[], bool], waiting_for: Callable[[], str], timeout: float
    ) -> bool:
        """True once `done()`; False after `timeout` seconds; AirflowExited if Airflow died."""
        deadline, last_report = self.clock() + timeout, self.clock()
        while True:
            try:
                if done():
                    return True
            except TRANSIENT:
                pass  # the api-server is still starting or busy: ask again
            if not self.alive():
                raise AirflowExited
            if self.clock() >= deadline:
                return False
            if self.clock() - last_report >= self.every:
                self.say(f"waiting for {waiting_for()}")
                last_report = self.clock()
            self.sleep(1.0)


def registry_pools() -> dict[str, tuple[int, str]]:
    """The pools the registry asks for (`CITIZEN_DESK_REGISTRY`, else the packaged one)."""
    return pools_for(load_registry())


def make_ready(
    client: Any,
    dags: list[str],
    progress: Progress,
    timeout: float = 240,
    pools: Mapping[str, tuple[int, str]] | None = None,
    load_connections: Callable[[], int] | None = None,
) -> list[str]:
    """Wait, create the pools (default: the registry's), load the connections and unpause
    `dags`; returns the DAGs never serialized."""
    pools = registry_pools() if pools is None else pools
    health = f"the api-server ({client.base_url}/api/v2/monitor/health)"
    if not progress.wait(client.healthy, lambda: health, timeout):
        raise TimeoutError(f"{health} did not answer within {timeout:.0f} s")
    progress.say("api-server is up")
    for pool, (slots, description) in pools.items():
        client.ensure_pool(pool, slots, description)
    progress.say(f"pools {describe_pools(pools)}")
    if load_connections is not None:
        progress.say(f"{load_connections()} channel connections in Airflow's metadata DB")

    seen: set[str] = set()

    def serialized() -> bool:
        seen.update(client.dag_ids())
        return set(dags) <= seen

    def missing() -> str:
        absent = [dag for dag in dags if dag not in seen]
        return (
            f"the DAG processor to serialize the DAGs: {len(dags) - len(absent)}/{len(dags)} "
            f"(still missing: {', '.join(absent)})"
        )

    progress.wait(serialized, missing, timeout)
    for dag in dags:
        if dag in seen:
            client.set_paused(dag, False)
            progress.say(f"unpaused {dag}")
    return [dag for dag in dags if dag not in seen]


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dags", nargs="+", help="dag ids to unpause (scripts/list_dags.py)")
    parser.add_argument("--url", required=True, help="e.g. http://localhost:8080")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--pgid", type=int, required=True, help="airflow standalone's group")
    parser.add_argument("--log", type=Path, required=True, help="airflow standalone's log")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per wait")
    parser.add_argument("--connections", type=Path, help="channel connections to load (JSON)")
    args = parser.parse_args(argv)
    try:
        pools = registry_pools()
        bodies = read_connections_file(args.connections) if args.connections else None
    except ConfigError as exc:
        print(f"the registry or the connections file is broken:\n{exc}", file=sys.stderr)
        return 1
    client = AirflowClient(args.url, args.username, args.password)
    progress = Progress(lambda: process_group_alive(args.pgid))
    loader = None
    if bodies is not None:
        api = PoolsApi(ApiAccess(args.url, args.username, args.password), timeout=TIMEOUT)

        def loader() -> int:
            result = apply_connections(api, bodies)
            if result["refused"]:
                raise CitizenDeskError(f"Airflow refused connections: {result['errors'][:3]}")
            args.connections.unlink()  # the tokens now live (encrypted) in the metadata DB only
            return int(result["loaded"])

    try:
        never = make_ready(client, args.dags, progress, args.timeout, pools, loader)
    except (AirflowExited, TimeoutError, AirflowApiError, CitizenDeskError) as exc:
        problem = str(exc) or "airflow standalone exited"
        tail = args.log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        print(f"{problem}; the end of {args.log}:", *tail, sep="\n", file=sys.stderr)
        return 1
    for dag in never:
        print(
            f"warning: {dag} was not serialized within {args.timeout:.0f} s and stays paused "
            f"(an import error? see the UI's DAG import errors or {args.log})",
            file=sys.stderr,
        )
    progress.say("Airflow is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
