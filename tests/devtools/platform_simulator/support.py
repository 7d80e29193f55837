"""Constants and helpers shared by the simulator tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = ROOT / "include" / "config" / "registry.yaml"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 16:00 in Asia/Ho_Chi_Minh
PAGE = "100064512300001"  # fb-th
OTHER_PAGE = "100064512300010"  # fb-th-ns
OA = "4318800000000000011"  # zalo-th-ns-ttns
SLACK_TOKEN = "xoxb-sim-citizen-desk"
CANARIES = [
    {"name": "Trịnh Canary Một", "psid": "7777000011112222", "phone": "0912000111"},
    {"name": "Lò Canary Hai", "psid": "7777000033334444"},
]


def page_token(page: str = PAGE) -> str:
    return f"sim-page-token-{page}"


def graph_get(base_url: str, path: str, page: str = PAGE, **params: Any) -> requests.Response:
    params.setdefault("access_token", page_token(page))
    return requests.get(f"{base_url}/v21.0/{path}", params=params, timeout=10)


def follow_all(first: requests.Response) -> list[dict[str, Any]]:
    """Follow ``paging.next`` URLs as-is; return every item of every page."""
    items: list[dict[str, Any]] = []
    response = first
    for _ in range(1000):
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["data"])
        next_url = body.get("paging", {}).get("next")
        if not next_url:
            return items
        response = requests.get(next_url, timeout=10)
    raise AssertionError("paging never ended")
