"""Citizen Desk: collection, triage, SLA, escalation and publication for police citizen channels."""

from __future__ import annotations

__version__ = "0.1.0"
