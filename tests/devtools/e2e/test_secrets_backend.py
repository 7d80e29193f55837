"""The e2e secrets backend (the stand-in for Vault): one file per connection id, read only when
that id is asked for, configured through Airflow's own `[secrets] backend` settings."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from e2e.secrets_backend import BACKEND, DirectorySecretsBackend, backend_env, write_connections

PAGE = {
    "conn_type": "http",
    "password": "sim-page-token-100000000000001",
    "extra": {"base_url": "http://127.0.0.1:1/", "graph_version": "v25.0"},
}
OA = {
    "conn_type": "http",
    "login": "sim-app-1",
    "password": "sim-secret-1",
    "extra": {"refresh_token": "sim-refresh-1-0"},
}


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    directory = tmp_path / "vault"
    assert write_connections(directory, {"fb_page": PAGE, "zalo_oa": OA}) == 2
    return directory


def test_each_connection_is_its_own_file_only_the_owner_reads(vault: Path) -> None:
    assert sorted(p.name for p in vault.iterdir()) == ["fb_page.json", "zalo_oa.json"]
    assert stat.S_IMODE(vault.stat().st_mode) == 0o700
    for path in vault.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads((vault / "zalo_oa.json").read_text(encoding="utf-8")) == OA


def test_a_connection_is_built_from_its_file(vault: Path) -> None:
    backend = DirectorySecretsBackend(connections_dir=str(vault))
    conn = backend.get_connection("fb_page")
    assert conn is not None
    assert conn.conn_id == "fb_page"
    assert conn.conn_type == "http"
    assert conn.password == PAGE["password"]
    assert conn.extra_dejson == PAGE["extra"]
    oa = backend.get_connection("zalo_oa")
    assert oa is not None
    assert (oa.login, oa.password) == ("sim-app-1", "sim-secret-1")
    assert oa.extra_dejson["refresh_token"] == "sim-refresh-1-0"


def test_only_the_asked_id_is_read(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = DirectorySecretsBackend(connections_dir=str(vault))
    read: list[str] = []
    original = Path.read_text

    def spy(self: Path, *args: object, **kwargs: object) -> str:
        read.append(self.name)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", spy)
    assert backend.get_conn_value("zalo_oa") is not None
    assert read == ["zalo_oa.json"]


@pytest.mark.parametrize("conn_id", ["missing", "../vault/fb_page", "fb_page/..", ".hidden", ""])
def test_unknown_or_unsafe_ids_are_not_found(vault: Path, conn_id: str) -> None:
    backend = DirectorySecretsBackend(connections_dir=str(vault))
    assert backend.get_conn_value(conn_id) is None
    assert backend.get_connection(conn_id) is None


def test_unsafe_ids_are_not_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain connection id"):
        write_connections(tmp_path / "v", {"../escape": PAGE})


def test_variables_come_from_their_own_directory_if_given(tmp_path: Path, vault: Path) -> None:
    assert DirectorySecretsBackend(connections_dir=str(vault)).get_variable("x") is None
    variables = tmp_path / "variables"
    variables.mkdir()
    (variables / "answer").write_text("42\n", encoding="utf-8")
    backend = DirectorySecretsBackend(connections_dir=str(vault), variables_dir=str(variables))
    assert backend.get_variable("answer") == "42"
    assert backend.get_variable("other") is None


def test_airflow_builds_it_from_its_secrets_settings(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`AIRFLOW__SECRETS__BACKEND[_KWARGS]` as the topology sets them: Airflow's own loader
    (servers, and workers, which fall back to `[secrets]`) builds the backend."""
    from airflow.sdk.configuration import conf

    for key, value in backend_env(vault).items():
        monkeypatch.setenv(key, value)
    assert backend_env(vault)["AIRFLOW__SECRETS__BACKEND"] == BACKEND
    for worker_mode in (False, True):
        backend = conf._get_custom_secret_backend(worker_mode=worker_mode)
        assert isinstance(backend, DirectorySecretsBackend)
        assert backend.connections_dir == vault
        conn = backend.get_connection("fb_page")
        assert conn is not None
        assert conn.password == PAGE["password"]
