"""Fixtures for the SLA sweep and its DAG: the platform simulator's Slack (shared with notify)."""

from __future__ import annotations

from tests.notify.conftest import SIM_TOKEN, sim, slack

__all__ = ["SIM_TOKEN", "sim", "slack"]
