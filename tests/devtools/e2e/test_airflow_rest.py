"""The e2e/demo REST client against Airflow's own request models."""

from __future__ import annotations

from typing import Any

import pytest

from e2e.airflow_rest import AirflowApiError, AirflowClient


class Recorder(AirflowClient):
    """Answers POST /pools with 409 (the pool exists, as on a second `make demo`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, path: str, ok: Any = (200,), **kwargs: Any) -> Any:
        self.sent.append((method, path, kwargs["json"]))
        if method == "POST":
            raise AirflowApiError(f"{method} {path} -> 409: exists")
        return {}


@pytest.mark.airflow
def test_an_existing_pool_is_patched_with_every_field_airflow_requires() -> None:
    from airflow.api_fastapi.core_api.datamodels.pools import PoolBody

    client = Recorder("http://127.0.0.1:1", "u", "p")
    client.ensure_pool("facebook_api", 4, "Concurrent Graph API collections")
    (_, post, created), (method, path, patched) = client.sent
    assert (post, method, path) == ("/pools", "PATCH", "/pools/facebook_api")
    # Airflow 3.3 answers a PATCH without update_mask 422 unless every field is there
    required = set(PoolBody.model_fields) - {"pool", "team_name"}
    assert required <= set(patched)
    assert PoolBody.model_validate(patched).include_deferred is False
    assert created == patched
