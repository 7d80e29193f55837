"""A small client for Airflow 3's public REST API (JWT from `POST /auth/token`)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

TERMINAL_RUN_STATES = frozenset({"success", "failed"})
FINISHED_TI_STATES = frozenset(
    {"success", "failed", "skipped", "upstream_failed", "removed", "deferred_failed"}
)


class AirflowApiError(RuntimeError):
    """An unexpected HTTP status from the Airflow API."""


@dataclass
class AirflowClient:
    base_url: str
    username: str
    password: str
    timeout: float = 60.0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # never route 127.0.0.1 through a proxy
        self._token: str | None = None
        self._token_at = 0.0

    # --- plumbing ------------------------------------------------------------------------------

    def healthy(self) -> bool:
        try:
            resp = self.session.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
        except requests.RequestException:
            return False
        return resp.status_code == 200

    def health(self) -> dict[str, Any]:
        resp = self.session.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
        return resp.json()

    def token(self) -> str:
        if self._token is None or time.monotonic() - self._token_at > 600:
            resp = self.session.post(
                f"{self.base_url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=self.timeout,
            )
            if resp.status_code not in (200, 201):
                raise AirflowApiError(f"POST /auth/token -> {resp.status_code}: {resp.text[:200]}")
            self._token = resp.json()["access_token"]
            self._token_at = time.monotonic()
        return self._token

    def request(self, method: str, path: str, ok: Iterable[int] = (200,), **kwargs: Any) -> Any:
        url = f"{self.base_url}/api/v2{path}"
        attempts = 6  # a busy single-worker api-server (2 cores, CI) can be slow to answer
        for attempt in range(attempts):
            try:
                headers = {"Authorization": f"Bearer {self.token()}"}
                resp = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout):
                if attempt == attempts - 1:
                    raise
                time.sleep(2 + 2 * attempt)  # e.g. the api-server restarting or overloaded
                continue
            if resp.status_code == 401 and attempt == 0:
                self._token = None
                continue
            if resp.status_code in set(ok):
                return resp.json() if resp.content else None
            if resp.status_code >= 500 and attempt < attempts - 1:
                time.sleep(2 + 2 * attempt)
                continue
            raise AirflowApiError(f"{method} {path} -> {resp.status_code}: {resp.text[:400]}")
        raise AirflowApiError(f"{method} {path}: no answer")

    def paged(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.request("GET", path, params={**params, "limit": 100, "offset": offset})
            batch = page.get(key) or []
            items.extend(batch)
            offset += len(batch)
            if not batch or offset >= int(page.get("total_entries", 0)):
                return items

    # --- DAGs and runs -------------------------------------------------------------------------

    def dag_ids(self) -> list[str]:
        return sorted(d["dag_id"] for d in self.paged("/dags", "dags"))

    def dag(self, dag_id: str) -> dict[str, Any]:
        return self.request("GET", f"/dags/{dag_id}")

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def trigger(
        self,
        dag_id: str,
        run_id: str,
        conf: dict[str, Any] | None = None,
        run_after: datetime | None = None,
        logical_date: datetime | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "dag_run_id": run_id,
            "logical_date": logical_date.isoformat() if logical_date else None,
            "conf": conf or {},
        }
        if run_after is not None:
            body["run_after"] = run_after.isoformat()
        # 409: a retried POST whose first attempt got through (the run id is ours and unique)
        created = self.request("POST", f"/dags/{dag_id}/dagRuns", ok=(200, 409), json=body)
        return created if created and "dag_run_id" in created else self.run(dag_id, run_id)

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def runs(self, dag_id: str = "~", **params: Any) -> list[dict[str, Any]]:
        return self.paged(f"/dags/{dag_id}/dagRuns", "dag_runs", **params)

    def task_instances(self, dag_id: str = "~", run_id: str = "~", **params: Any) -> list[dict]:
        return self.paged(
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances", **params
        )

    def wait_run(
        self, dag_id: str, run_id: str, timeout: float, poll: float = 2.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(dag_id, run_id)
            if run["state"] in TERMINAL_RUN_STATES:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id}/{run_id} still {run['state']} after {timeout:.0f}s")
            time.sleep(poll)

    # --- pools, HITL ---------------------------------------------------------------------------

    def ensure_pool(self, name: str, slots: int, description: str) -> None:
        # A PATCH without `update_mask` must carry every field: without `include_deferred`
        # Airflow 3.3 answers 422, and a second `make demo` on the same state stopped there.
        # The body is the one the setup DAG's `sync_pools` sends (`citizen_desk.pipeline.pools`).
        from citizen_desk.pipeline.pools import pool_body

        body = pool_body(name, slots, description)
        try:
            self.request("POST", "/pools", ok=(200, 201), json=body)
        except AirflowApiError as exc:
            if "409" not in str(exc):
                raise
            self.request("PATCH", f"/pools/{name}", json=body)

    def hitl_details(self, dag_id: str = "~", run_id: str = "~") -> list[dict[str, Any]]:
        return self.paged(f"/dags/{dag_id}/dagRuns/{run_id}/hitlDetails", "hitl_details")

    def respond_hitl(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        options: list[str],
        params_input: dict[str, Any] | None = None,
        map_index: int = -1,
    ) -> dict[str, Any]:
        return self.request(
            "PATCH",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails",
            json={"chosen_options": options, "params_input": params_input or {}},
        )
