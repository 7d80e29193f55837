"""Process environments for the two end-to-end topologies.

The celery topology's environment is *derived from docker-compose.yml* (`x-airflow-common`'s
`environment`), with container host names and paths rewritten for plain local processes, so the
e2e run and the compose file cannot drift apart. The local topology reuses `scripts/demo.sh env`.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
CONTAINER_HOME = "/opt/airflow"
# compose service name -> where it listens on this machine (same ports unless overridden)
SERVICE_HOSTS = {"postgres": "127.0.0.1", "redis": "127.0.0.1", "airflow-apiserver": "127.0.0.1"}
_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ComposeError(ValueError):
    """docker-compose.yml does not have the shape the e2e run relies on."""


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "x-airflow-common" not in data:
        raise ComposeError(f"{path}: no x-airflow-common section")
    return data


def common_environment(compose: Mapping[str, Any]) -> dict[str, str]:
    """`x-airflow-common.environment`, values as strings (compose's own view, uninterpolated)."""
    env = compose["x-airflow-common"].get("environment")
    if not isinstance(env, dict):
        raise ComposeError("x-airflow-common.environment must be a mapping")
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def volume_paths(compose: Mapping[str, Any], repo: Path = REPO) -> dict[str, str]:
    """Container path -> host path from `x-airflow-common.volumes` (`./dags:/opt/airflow/dags`)."""
    mapping: dict[str, str] = {}
    for item in compose["x-airflow-common"].get("volumes") or []:
        host, _, container = str(item).partition(":")
        container = container.split(":")[0]
        if host.startswith("./") and container:
            mapping[container.rstrip("/")] = str((repo / host[2:]).resolve())
    return mapping


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose-style `${NAME}` / `${NAME:-default}`; an unset variable without default fails."""

    def sub(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if variables.get(name):
            return variables[name]
        if default is not None:
            return default
        raise ComposeError(f"${{{name}}} is not set and has no default")

    return _VAR.sub(sub, value)


def rewrite_url(
    value: str,
    databases: Mapping[str, str] | None = None,
    services: Mapping[str, str] | None = None,
) -> str:
    """Point a compose service URL at this machine.

    `databases` maps a compose database name (`airflow`, `citizen_desk`) to a full local URL whose
    credentials, host and database replace the compose ones (the scheme is kept, so
    `db+postgresql://` stays a Celery result-backend URL). `services` maps a service name to
    `host:port` (e.g. the api-server on a free port); other known services keep their port on
    127.0.0.1. URLs naming no compose service are returned unchanged.
    """
    parts = urlsplit(value)
    host = parts.hostname
    if not host or host not in SERVICE_HOSTS:
        return value
    db_name = parts.path.lstrip("/")
    if databases and db_name in databases and host == "postgres":
        local = urlsplit(databases[db_name])
        return urlunsplit((parts.scheme, local.netloc, local.path, local.query, ""))
    userinfo = parts.netloc.rpartition("@")[0]
    if services and host in services:
        address = services[host]
    else:
        address = SERVICE_HOSTS[host] + (f":{parts.port}" if parts.port else "")
    netloc = f"{userinfo}@{address}" if "@" in parts.netloc else address
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def rewrite_paths(value: str, paths: Mapping[str, str]) -> str:
    """Container paths (/opt/airflow/...) to host paths, longest prefix first."""
    for container in sorted(paths, key=len, reverse=True):
        if value == container or value.startswith(container + "/"):
            return paths[container] + value[len(container) :]
    return value


def compose_environment(
    overrides: Mapping[str, str | None] | None = None,
    *,
    variables: Mapping[str, str] | None = None,
    databases: Mapping[str, str] | None = None,
    services: Mapping[str, str] | None = None,
    paths: Mapping[str, str] | None = None,
    redis_url: str | None = None,
    compose: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The Airflow services' environment from docker-compose.yml, rewritten for local processes.

    Every key of `x-airflow-common.environment` is kept; values are interpolated with
    `variables` (FERNET_KEY, JWT_SECRET, ...), service hosts become 127.0.0.1 (`services` gives
    `host:port` per service), database URLs are replaced through `databases` (compose db name ->
    local URL), the Redis broker URL by `redis_url`, and container paths through the compose
    volumes plus `paths`. `overrides` are
    applied last; a value of None removes the key.
    """
    compose = compose if compose is not None else load_compose()
    path_map = {**volume_paths(compose), CONTAINER_HOME: str(REPO), **(paths or {})}
    env: dict[str, str] = {}
    for key, raw in common_environment(compose).items():
        value = interpolate(raw, variables or {})
        if redis_url and value.startswith("redis://"):
            value = redis_url
        elif "://" in value:
            value = rewrite_url(value, databases, services)
        value = rewrite_paths(value, path_map)
        env[key] = value
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def generated_secrets() -> dict[str, str]:
    """Fresh FERNET_KEY / JWT_SECRET / API_SECRET_KEY, as `.env` would hold them."""
    from cryptography.fernet import Fernet

    return {
        "FERNET_KEY": Fernet.generate_key().decode(),
        "JWT_SECRET": secrets.token_urlsafe(32),
        "API_SECRET_KEY": secrets.token_urlsafe(32),
    }


def demo_environment(state_dir: Path, overrides: Mapping[str, str]) -> dict[str, str]:
    """What `scripts/demo.sh env` exports (AIRFLOW*, CITIZEN_DESK*, PYTHONPATH), for the given
    state dir / ports (`AIRFLOW_PORT`, `SIM_PORT`, `CITIZEN_DESK_*` in `overrides`).

    demo.sh runs in a clean environment (`base_process_env`): it passes every inherited
    AIRFLOW*/CITIZEN_DESK* variable through to its output, and scripts/demo_env.py loads the
    registry that `CITIZEN_DESK_REGISTRY` / `CITIZEN_DESK_BASE_URL` name. The caller's (a test
    worker's: another test's registry, Airflow's task context; a developer's demo shell) must
    neither break it nor reach the topology."""
    run_env = base_process_env({**overrides, "CITIZEN_DESK_DEMO_DIR": str(state_dir)})
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "demo.sh"), "env"],
        cwd=REPO,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/demo.sh env failed ({done.returncode}): {done.stderr[-2000:]}")
    out = done.stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key):
            env[key] = value
    return env


def free_port(avoid: tuple[int, ...] = (8080, 8765, 8793, 8794, 8974)) -> int:
    """A TCP port nothing listens on (and not one of the demo's / Airflow's defaults)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def base_process_env(extra: Mapping[str, str]) -> dict[str, str]:
    """A clean environment for child processes: PATH/HOME/locale plus `extra`.

    Inherited AIRFLOW_* / CITIZEN_DESK_* variables (e.g. from a demo shell) are dropped so they
    cannot leak into the topology under test.
    """
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL", "TERM")
    env = {k: v for k, v in os.environ.items() if k in keep}
    # `airflow standalone` starts its components as `airflow ...`: the venv must be on PATH
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env
