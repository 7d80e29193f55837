"""Make Airflow's pools match the registry, through Airflow's public REST API only.

The pools (`citizen_desk.config.collection.pools_for`) bound how many collection tasks of each
platform run at once. They live in Airflow's metadata DB, which Citizen Desk never touches: the
setup DAG's `sync_pools` task and `citizen-desk pools --apply` ask the api-server instead
(`POST /auth/token`, then `GET`, `POST` or `PATCH /api/v2/pools/{name}`), logged in with the
HTTP connection `citizen_desk_airflow_api`: host = the api-server's URL (`http://host:8080`, or
host + port + schema `https`), login/password = a user allowed to edit pools (an admin).

Without that connection nothing is changed: the task logs the pools an admin should create and
the `airflow pools set` commands that do it, and succeeds with a warning.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from citizen_desk.config.collection import describe_pools
from citizen_desk.errors import CitizenDeskError, ConfigError

log = logging.getLogger(__name__)

CONN_ID = "citizen_desk_airflow_api"
Pools = Mapping[str, tuple[int, str]]


class PoolsApiError(CitizenDeskError):
    """The api-server refused a pools call (or the login)."""


@dataclass(frozen=True)
class ApiAccess:
    """Where the api-server answers and who logs in (from the `citizen_desk_airflow_api` conn)."""

    base_url: str
    username: str
    password: str = field(repr=False)


def base_url(host: str, port: int | None = None, schema: str | None = None) -> str:
    """`http://host:port` from a connection's fields; a host with a scheme is taken as it is
    (its port added when it has none)."""
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = f"{(schema or 'http').strip() or 'http'}://{host}"
    scheme, rest = host.split("://", 1)
    netloc, slash, path = rest.partition("/")
    if port and ":" not in netloc:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{slash}{path}".rstrip("/")


def api_access(conn_id: str = CONN_ID) -> ApiAccess | None:
    """The connection's access, None when the connection does not exist.

    A connection that exists without host, login or password is a configuration error: the
    admin meant to set it up.
    """
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException (its type varies between Airflow versions)
        return None
    fields = {key: str(getattr(conn, key, None) or "") for key in ("host", "login", "password")}
    for key, value in fields.items():
        if not value.strip():
            raise ConfigError(
                f"airflow connection {conn_id}",
                key,
                "missing (the api-server URL and an admin's login)",
            )
    return ApiAccess(
        base_url(fields["host"], conn.port, conn.schema), fields["login"], fields["password"]
    )


def pool_body(name: str, slots: int, description: str, include_deferred: bool = False) -> dict:
    """Airflow 3.3's `PoolBody`, also sent as the `PoolPatchBody` of a PATCH without
    `update_mask`: such a PATCH must carry every field of a pool (else 422)."""
    return {
        "name": name,
        "slots": slots,
        "description": description,
        "include_deferred": include_deferred,
    }


@dataclass(frozen=True)
class PoolChange:
    """What `sync_pools` did to one pool: `created`, `updated` or `unchanged`."""

    name: str
    slots: int
    action: str
    before: int | None = None  # the slots it had (None: it did not exist)


class PoolsApi:
    """The few calls of Airflow's public REST API that pools need (a JWT from `/auth/token`)."""

    def __init__(
        self, access: ApiAccess, session: requests.Session | None = None, timeout: float = 30.0
    ) -> None:
        self.access = access
        self.session = session or requests.Session()
        self.timeout = timeout
        self._token: str | None = None

    def _login(self) -> str:
        resp = self.session.post(
            f"{self.access.base_url}/auth/token",
            json={"username": self.access.username, "password": self.access.password},
            timeout=self.timeout,
        )
        if resp.status_code not in (200, 201):
            raise PoolsApiError(
                f"POST /auth/token as {self.access.username!r} -> {resp.status_code} (check the"
                f" login and password of the {CONN_ID} connection)"
            )
        return str(resp.json()["access_token"])

    def call(
        self, method: str, path: str, ok: Iterable[int] = (200,), json: Any = None
    ) -> requests.Response:
        """One API call; a 401 (expired token) logs in again once."""
        for attempt in (1, 2):
            if self._token is None:
                self._token = self._login()
            resp = self.session.request(
                method,
                f"{self.access.base_url}/api/v2{path}",
                json=json,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self.timeout,
            )
            if resp.status_code == 401 and attempt == 1:
                self._token = None
                continue
            if resp.status_code in set(ok):
                return resp
            raise PoolsApiError(f"{method} /api/v2{path} -> {resp.status_code}: {resp.text[:300]}")
        raise AssertionError("unreachable")  # pragma: no cover

    def get_pool(self, name: str) -> dict[str, Any] | None:
        resp = self.call("GET", f"/pools/{quote(name, safe='')}", ok=(200, 404))
        return None if resp.status_code == 404 else resp.json()

    def create_pool(self, body: dict[str, Any]) -> bool:
        """False when the pool appeared meanwhile (409)."""
        return self.call("POST", "/pools", ok=(200, 201, 409), json=body).status_code != 409

    def patch_pool(self, name: str, body: dict[str, Any]) -> None:
        self.call("PATCH", f"/pools/{quote(name, safe='')}", json=body)


def sync_pools(api: PoolsApi, wanted: Pools) -> list[PoolChange]:
    """Create the missing pools, update those whose slots or description differ (keeping the
    pool's own `include_deferred`), leave the rest alone. Pools not in `wanted` are not ours."""
    changes = []
    for name, (slots, description) in wanted.items():
        current = api.get_pool(name)
        if current is None and api.create_pool(pool_body(name, slots, description)):
            changes.append(PoolChange(name, slots, "created"))
            continue
        current = current if current is not None else api.get_pool(name) or {}
        before = current.get("slots")
        if before == slots and current.get("description") == description:
            changes.append(PoolChange(name, slots, "unchanged", before))
            continue
        deferred = bool(current.get("include_deferred", False))
        api.patch_pool(name, pool_body(name, slots, description, deferred))
        changes.append(PoolChange(name, slots, "updated", before))
    return changes


def admin_commands(wanted: Pools) -> list[str]:
    """The `airflow pools set` commands that create (or update) the pools by hand."""
    return [
        f"airflow pools set {shlex.quote(name)} {slots} {shlex.quote(description)}"
        for name, (slots, description) in wanted.items()
    ]


def apply_pools(
    wanted: Pools,
    *,
    access: Callable[[], ApiAccess | None] = api_access,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Body of the setup DAG's `sync_pools` task (and `citizen-desk pools --apply`).

    Returns `{"applied": bool, "pools": {name: {"slots", "action"[, "before"]}}}`.
    """
    login = access()
    if login is None:
        log.warning(
            "connection %s is absent, so Airflow's pools were not checked. The registry asks"
            " for %s; an Airflow admin creates them with:\n  %s\n(or add the connection: host ="
            " the api-server URL, login/password = a user allowed to edit pools)",
            CONN_ID,
            describe_pools(wanted),
            "\n  ".join(admin_commands(wanted)),
        )
        unchecked = {
            name: {"slots": slots, "action": "unchecked"} for name, (slots, _) in wanted.items()
        }
        return {"applied": False, "pools": unchecked}
    changes = sync_pools(PoolsApi(login, session), wanted)
    for change in changes:
        was = f" (was {change.before})" if change.action == "updated" else ""
        log.info("pool %s: %s, %d slots%s", change.name, change.action, change.slots, was)
    return {
        "applied": True,
        "pools": {
            c.name: {"slots": c.slots, "action": c.action}
            | ({"before": c.before} if c.action == "updated" else {})
            for c in changes
        },
    }
