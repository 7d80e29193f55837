"""A per-id secrets backend for the e2e topologies and the scale bench: a stand-in for Vault.

Production keeps the channels' tokens (one connection per page or OA: ~6,570 for the country) in
a secrets manager (HashiCorp Vault, AWS Secrets Manager, GCP Secret Manager…) that Airflow asks
for one connection id at a time. `DirectorySecretsBackend` behaves the same way on this machine:
one JSON file per connection id in a directory (`<dir>/<conn_id>.json`, Airflow's connection JSON
format, like Vault's `connections/<conn_id>` secret), read only when that id is asked for, so a
task builds exactly the connections it uses. Neither alternative does that at national size:

- `AIRFLOW_CONN_*` variables put ~1.45 MB into every process's environment;
- Airflow's `LocalFilesystemBackend` parses the whole file and builds every Connection on each
  lookup, and Airflow 3.3's secrets masker is O(N²) in the Connection objects one process creates
  (see `citizen_desk.pipeline.connections`).

Configured like any backend, in every Airflow process's environment (the module must be
importable: `devtools` on `PYTHONPATH`)::

    AIRFLOW__SECRETS__BACKEND=e2e.secrets_backend.DirectorySecretsBackend
    AIRFLOW__SECRETS__BACKEND_KWARGS={"connections_dir": "/path/to/dir"}

Airflow asks the configured backend first, then the environment, then the metastore (servers) or
the execution API (tasks): the service connections (`AIRFLOW_CONN_*`) and anything else keep
working. A connection id that is not a plain name (path separators, dots first) is never looked
up. Development and benchmarks only: the files are plain text (mode 0600), not encrypted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow.sdk.bases.secrets_backend import BaseSecretsBackend

_CONN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
BACKEND = "e2e.secrets_backend.DirectorySecretsBackend"


class DirectorySecretsBackend(BaseSecretsBackend):
    """Connections (and optionally variables) from one file per id in a directory."""

    def __init__(
        self, connections_dir: str, variables_dir: str | None = None, **_kwargs: Any
    ) -> None:
        super().__init__()
        self.connections_dir = Path(connections_dir)
        self.variables_dir = Path(variables_dir) if variables_dir else None

    @staticmethod
    def _read(directory: Path | None, secret_id: str, suffix: str) -> str | None:
        if directory is None or not _CONN_ID.fullmatch(secret_id):
            return None
        try:
            return (directory / f"{secret_id}{suffix}").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        """The connection's JSON (`{"conn_type": …, "password": …, "extra": {…}}`), or None."""
        return self._read(self.connections_dir, conn_id, ".json")

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        value = self._read(self.variables_dir, key, "")
        return None if value is None else value.rstrip("\n")


def write_connections(directory: Path, conns: Mapping[str, Mapping[str, Any]]) -> int:
    """`conns` (conn_id -> Airflow connection dict) as one file per id, readable by its owner
    only; returns how many were written."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    for conn_id, conn in conns.items():
        if not _CONN_ID.fullmatch(conn_id):
            raise ValueError(f"not a plain connection id: {conn_id!r}")
        path = directory / f"{conn_id}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(conn, out, ensure_ascii=False)
    return len(conns)


def backend_env(directory: Path) -> dict[str, str]:
    """The Airflow settings that make every process use `directory` (PYTHONPATH not included)."""
    return {
        "AIRFLOW__SECRETS__BACKEND": BACKEND,
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"connections_dir": str(directory)}),
    }
