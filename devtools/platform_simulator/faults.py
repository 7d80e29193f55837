"""Fault injection: error rates, latency, timeouts, rate-limit bursts, bad tokens, broken bodies.

A fault is a JSON object with a ``kind``; see README.md ("Fault injection") for every kind.
Count-limited faults (``count``) disappear once they have fired that many times.
"""

from __future__ import annotations

import json
import random
import threading
from typing import Any

KINDS = {
    "error_rate": {"target"},
    "latency": {"target", "ms"},
    "timeout": {"target"},
    "rate_limit": set(),
    "expired_token": set(),
    "invalid_token": set(),
    "malformed_json": {"target"},
    "truncated_pages": {"target"},
    "slack_429": set(),
    "not_in_channel": {"channel"},
    "missing_permission": {"permission"},
}
GRAPH_RATE_CODES = {4, 17, 32, 613, 80001, 80006}


class FaultError(ValueError):
    """A fault spec is invalid."""


def parse_fault_arg(text: str) -> dict[str, Any]:
    """``--fault`` value: a JSON object or ``kind:key=value,key=value``."""
    text = text.strip()
    if text.startswith("{"):
        spec = json.loads(text)
        if not isinstance(spec, dict):
            raise FaultError("fault JSON must be an object")
        return spec
    kind, _, rest = text.partition(":")
    spec: dict[str, Any] = {"kind": kind.strip()}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise FaultError(f"fault option {item!r} is not key=value")
        spec[key.strip()] = _coerce(value.strip())
    return spec


def _coerce(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)


def target_matches(target: str | None, endpoint: str) -> bool:
    if not target or target == "all":
        return True
    return endpoint == target or endpoint.startswith(target + ".")


class FaultBook:
    """The active faults; thread-safe."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.faults: list[dict[str, Any]] = []
        self._rngs: dict[int, random.Random] = {}
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
        missing = KINDS[kind] - set(spec)
        if missing:
            raise FaultError(f"fault {kind!r} needs {sorted(missing)}")
        fault = dict(spec)
        if kind == "rate_limit" and not (
            fault.get("page") or fault.get("oa") or fault.get("target")
        ):
            raise FaultError("rate_limit needs page, oa or target")
        if kind == "rate_limit" and fault.get("page") is not None:
            code = int(fault.get("code", 80001))
            if code not in GRAPH_RATE_CODES:
                raise FaultError(f"rate_limit code must be one of {sorted(GRAPH_RATE_CODES)}")
            fault["code"] = code
        if kind in ("expired_token", "invalid_token") and not (
            fault.get("page") or fault.get("oa")
        ):
            raise FaultError(f"{kind} needs page or oa")
        if "count" in fault:
            fault["count"] = int(fault["count"])
        for key in ("page", "oa", "channel"):
            if key in fault and fault[key] is not None:
                fault[key] = str(fault[key])
        with self._lock:
            fault["id"] = self._next_id
            fault["fired"] = 0
            self._rngs[self._next_id] = random.Random(f"{self.seed}|fault|{self._next_id}")
            self._next_id += 1
            self.faults.append(fault)
        return fault

    def clear(self, fault_id: int | None = None) -> int:
        with self._lock:
            before = len(self.faults)
            self.faults = [f for f in self.faults if fault_id is not None and f["id"] != fault_id]
            return before - len(self.faults)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self.faults]

    def _fire(self, fault: dict[str, Any]) -> None:
        fault["fired"] += 1
        if "count" in fault:
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.faults = [f for f in self.faults if f is not fault]

    def _find(self, kind: str, pred: Any) -> dict[str, Any] | None:
        for fault in self.faults:
            if fault["kind"] == kind and pred(fault):
                return fault
        return None

    def delay_for(self, endpoint: str) -> float:
        """Seconds of added latency plus any timeout sleep for this call."""
        with self._lock:
            delay = 0.0
            for fault in list(self.faults):
                if fault["kind"] == "latency" and target_matches(fault["target"], endpoint):
                    delay += float(fault["ms"]) / 1000
                    self._fire(fault)
                elif fault["kind"] == "timeout" and target_matches(fault["target"], endpoint):
                    delay += float(fault.get("seconds", 65))
                    self._fire(fault)
            return delay

    def server_error(self, endpoint: str) -> dict[str, Any] | None:
        """An ``error_rate`` fault that fires for this call, if any (seeded RNG)."""
        with self._lock:
            for fault in list(self.faults):
                if fault["kind"] != "error_rate" or not target_matches(fault["target"], endpoint):
                    continue
                rate = float(fault.get("rate", 1.0))
                if self._rngs[fault["id"]].random() < rate:
                    self._fire(fault)
                    return dict(fault)
            return None

    def take(self, kind: str, endpoint: str) -> dict[str, Any] | None:
        """Consume one firing of a target-based fault (malformed_json, truncated_pages)."""
        with self._lock:
            fault = self._find(kind, lambda f: target_matches(f["target"], endpoint))
            if fault is None:
                return None
            self._fire(fault)
            return dict(fault)

    def rate_limited(
        self, endpoint: str, page: str | None = None, oa: str | None = None
    ) -> dict[str, Any] | None:
        with self._lock:

            def match(f: dict[str, Any]) -> bool:
                if page is not None and f.get("page") == page:
                    return True
                if oa is not None and f.get("oa") == oa:
                    return True
                return (
                    f.get("page") is None
                    and f.get("oa") is None
                    and target_matches(f.get("target"), endpoint)
                )

            fault = self._find("rate_limit", match)
            if fault is None:
                return None
            self._fire(fault)
            return dict(fault)

    def token_fault(self, page: str | None = None, oa: str | None = None) -> str | None:
        """``expired`` or ``invalid`` when a token fault covers this page / OA."""
        with self._lock:
            for fault in self.faults:
                if fault["kind"] not in ("expired_token", "invalid_token"):
                    continue
                if (page is not None and fault.get("page") == page) or (
                    oa is not None and fault.get("oa") == oa
                ):
                    fault["fired"] += 1
                    return "expired" if fault["kind"] == "expired_token" else "invalid"
            return None

    def missing_permissions(self, page: str | None = None) -> set[str]:
        """Permissions (Graph, with `page`) or scopes (Slack, without) a fault takes away."""
        with self._lock:
            return {
                str(f["permission"])
                for f in self.faults
                if f["kind"] == "missing_permission" and f.get("page") == page
            }

    def is_not_in_channel(self, channel: str | None) -> bool:
        """Whether a `not_in_channel` fault covers `channel` (without firing it)."""
        with self._lock:
            return any(
                f["kind"] == "not_in_channel" and f.get("channel") == channel for f in self.faults
            )

    def slack_429(
        self, channel: str | None, method: str = "chat.postMessage"
    ) -> dict[str, Any] | None:
        """A 429 for `method` (the fault's `method`, default chat.postMessage) in `channel`."""

        def matches(f: dict[str, Any]) -> bool:
            return (
                f.get("channel") in (None, "", channel)
                and (f.get("method") or "chat.postMessage") == method
            )

        with self._lock:
            fault = self._find("slack_429", matches)
            if fault is None:
                return None
            self._fire(fault)
            return dict(fault)

    def not_in_channel(self, channel: str | None) -> bool:
        with self._lock:
            fault = self._find("not_in_channel", lambda f: f.get("channel") == channel)
            if fault is not None:
                fault["fired"] += 1
            return fault is not None
