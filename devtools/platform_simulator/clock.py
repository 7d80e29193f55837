"""The simulated clock and the rolling-window / token-bucket limiters."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def to_ms(dt: datetime) -> int:
    return round(dt.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def graph_time(ms: int) -> str:
    """Graph timestamp format: 2026-11-20T09:28:50+0000."""
    return from_ms(ms).strftime("%Y-%m-%dT%H:%M:%S+0000")


class SimClock:
    """World time.

    Frozen (only :meth:`advance` moves it) when ``running`` is false; otherwise it runs at
    ``speed`` times wall-clock speed from ``start``.
    """

    def __init__(
        self,
        start: datetime,
        *,
        running: bool,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._start_ms = to_ms(start)
        self._running = running
        self._speed = speed
        self._monotonic = monotonic
        self._mono0 = monotonic()
        self._offset_ms = 0
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def speed(self) -> float:
        return self._speed

    def now_ms(self) -> int:
        with self._lock:
            elapsed = (self._monotonic() - self._mono0) * 1000 * self._speed
            base = self._start_ms + self._offset_ms
            return base + int(elapsed) if self._running else base

    def now(self) -> datetime:
        return from_ms(self.now_ms())

    def advance(self, delta: timedelta | float) -> int:
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset_ms += int(seconds * 1000)
        return self.now_ms()

    def rate_seconds(self) -> float:
        """Time base for rate-limit windows: world time, plus real time while frozen.

        Rolling windows must drain even when a test freezes the world clock.
        """
        with self._lock:
            real = self._monotonic() - self._mono0
            base = (self._start_ms + self._offset_ms) / 1000
            return base + real * (self._speed if self._running else 1.0)


class RollingWindow:
    """Counts events per key inside a sliding window (seconds on a caller-given time base)."""

    def __init__(self, window_seconds: float, budget: int) -> None:
        self.window = window_seconds
        self.budget = budget
        self._events: dict[str, deque[float]] = {}

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def count(self, key: str, now: float) -> int:
        return len(self._trim(key, now))

    def exceeded(self, key: str, now: float) -> bool:
        return self.count(key, now) >= self.budget

    def record(self, key: str, now: float) -> int:
        events = self._trim(key, now)
        events.append(now)
        return len(events)

    def percent(self, key: str, now: float) -> int:
        if self.budget <= 0:
            return 100
        return min(100, math.ceil(100 * self.count(key, now) / self.budget))

    def regain_seconds(self, key: str, now: float) -> float:
        events = self._trim(key, now)
        if len(events) < self.budget or not events:
            return 0.0
        # Budget frees once enough of the oldest calls slide out of the window.
        idx = len(events) - self.budget
        return max(0.0, events[idx] + self.window - now)

    def reset(self) -> None:
        self._events.clear()


class TokenBucket:
    """Per-key token bucket on real (monotonic) time: Slack's ~1 msg/s per channel."""

    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self._monotonic = monotonic
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Consume a token; return 0 when allowed, else the seconds until one is free."""
        now = self._monotonic()
        tokens, last = self._state.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._state[key] = (tokens - 1.0, now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0
