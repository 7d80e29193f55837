"""Fake HTTP responses and sessions for the platform client tests."""

from __future__ import annotations

import json
from typing import Any


class FakeResponse:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self._body = body
        self.headers = headers or {}

    def json(self) -> Any:
        if isinstance(self._body, str):
            return json.loads(self._body)
        return self._body


class FakeSession:
    """Replays scripted responses (or raises scripted exceptions) and records the calls."""

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    def _next(self, **call: Any) -> Any:
        self.calls.append(call)
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self._next(method=method, url=url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._next(method="GET", url=url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._next(method="POST", url=url, **kwargs)
