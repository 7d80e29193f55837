"""Channel connections (page tokens, Zalo app credentials) kept in Airflow's metadata DB.

A province has ~330 channels, each an Airflow connection. As `AIRFLOW_CONN_*` variables they sit
in every process's environment (at the country's ~6,600: 1.45 MB, 70 % of the kernel's limit);
`airflow connections import` commits once per connection. So they go in through Airflow's public
REST API, in chunks of the bulk endpoint (`PATCH /api/v2/connections`, action `create` with
`action_on_existence: overwrite`): one transaction per chunk, encrypted at rest with Airflow's
Fernet key, read by tasks through the Task SDK like any other connection.

Measured limit (Airflow 3.3): creating a `Connection` masks its password, and the masker
recompiles one regular expression of every secret the process has seen, so N connections created
in one process cost O(N²): 100 in 1.5 s, 330 in 22 s, 1,000 in 205 s (2 cores, load ~9). The
api-server pays it for every connection it creates until it restarts, as `airflow connections
import` and the `LocalFilesystemBackend` (which builds every connection of its file per lookup)
do. Fine for a province; at national size use a secrets backend that looks up one connection per
id (Vault, AWS/GCP secret managers: the same connection ids, nothing else changes).

The file is what `airflow connections export --file-format json` writes: `{conn_id: {conn_type,
host, login, password, schema, port, extra, description}}` (`extra` a JSON object or its text).
Nothing here logs or raises a value: errors name the file, the connection id and the field.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from citizen_desk.errors import CitizenDeskError, ConfigError
from citizen_desk.pipeline.pools import PoolsApi

log = logging.getLogger(__name__)

CHUNK = 100  # connections per bulk request, one metadata-DB transaction each
TIMEOUT = 180.0  # seconds per request: the api-server's masker slows as it sees more secrets
TEXT_FIELDS = ("host", "login", "password", "schema", "description")
CONN_ID = re.compile(r"^[\w.-]{1,200}$")  # Airflow's ConnectionBody.connection_id


class ConnectionsApiError(CitizenDeskError):
    """The api-server refused connections (the message names ids and fields, never values)."""


def connection_body(conn_id: str, spec: Mapping[str, Any], where: str = "connections") -> dict:
    """Airflow 3.3's `ConnectionBody` for one connection; every field is sent (`null` clears a
    field a previous load had set, since an overwrite changes only the fields a body carries)."""
    if not isinstance(conn_id, str) or not CONN_ID.match(conn_id):
        raise ConfigError(where, str(conn_id)[:80], "not a valid Airflow connection id")
    if not isinstance(spec, Mapping):
        raise ConfigError(where, conn_id, "must be a mapping of connection fields")
    unknown = sorted(set(spec) - {"conn_type", "port", "extra", *TEXT_FIELDS})
    if unknown:
        raise ConfigError(where, f"{conn_id}.{unknown[0]}", "unknown connection field")
    conn_type = spec.get("conn_type")
    if not isinstance(conn_type, str) or not conn_type.strip():
        raise ConfigError(where, f"{conn_id}.conn_type", "missing")
    body: dict[str, Any] = {"connection_id": conn_id, "conn_type": conn_type.strip()}
    for name in TEXT_FIELDS:
        value = spec.get(name)
        if value is not None and not isinstance(value, str):
            raise ConfigError(where, f"{conn_id}.{name}", "must be text")
        body[name] = value
    port = spec.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise ConfigError(where, f"{conn_id}.port", "must be an integer")
    body["port"] = port
    body["extra"] = _extra(spec.get("extra"), f"{conn_id}.extra", where)
    return body


def _extra(value: Any, key: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(where, key, "not JSON") from None
    if not isinstance(value, dict):
        raise ConfigError(where, key, "must be a JSON object")
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def read_connections_file(path: str | Path) -> list[dict]:
    """The `ConnectionBody`s of an `airflow connections export` JSON file, checked."""
    where = str(path)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(where, "-", "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # the position only: the decoder's message would quote the file's text
        line = getattr(exc, "lineno", "?")
        raise ConfigError(where, f"line {line}", "not a JSON document") from None
    if not isinstance(document, dict):
        raise ConfigError(where, "-", "must map connection ids to connections")
    return [connection_body(conn_id, spec, where) for conn_id, spec in document.items()]


def _chunks(items: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refusal(status: int, payload: Any, ids: Iterable[str]) -> str:
    """What went wrong, without the request's values (a 422's `input` would echo passwords)."""
    where = ""
    if isinstance(payload, dict) and isinstance(payload.get("detail"), list):
        places = {
            ".".join(str(part) for part in item.get("loc", ())[-2:])
            for item in payload["detail"]
            if isinstance(item, dict)
        }
        where = f" at {', '.join(sorted(places))}" if places else ""
    first = sorted(ids)[:3]
    return f"PATCH /api/v2/connections -> {status}{where} (chunk starting {', '.join(first)})"


def apply_connections(api: PoolsApi, bodies: list[dict], chunk: int = CHUNK) -> dict[str, Any]:
    """Create or overwrite every connection; returns counts and the ids Airflow refused."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    loaded: list[str] = []
    errors: list[str] = []
    for part in _chunks(bodies, chunk):
        ids = [body["connection_id"] for body in part]
        action = {"action": "create", "action_on_existence": "overwrite", "entities": part}
        resp = api.call("PATCH", "/connections", ok=range(100, 600), json={"actions": [action]})
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if resp.status_code != 200:
            raise ConnectionsApiError(_refusal(resp.status_code, payload, ids))
        result = (payload or {}).get("create") or {}
        loaded.extend(result.get("success") or [])
        # Airflow's own messages here name connection ids (e.g. "already exist"), no values
        errors.extend(
            f"{e.get('status_code')}: {e.get('error')}" for e in result.get("errors") or []
        )
    refused = sorted({body["connection_id"] for body in bodies} - set(loaded))
    log.info("%d connection(s) loaded into Airflow, %d refused", len(loaded), len(refused))
    return {"loaded": len(loaded), "refused": refused, "errors": errors}
