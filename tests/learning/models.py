"""Model versions for the learning tests: the shipped artifact and deliberately skewed copies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from citizen_desk.db.models import TriageModelVersion
from citizen_desk.learning.versions import shipped_artifact


def skewed(category: str, version: str, push: float = 50.0) -> dict[str, Any]:
    """The shipped artifact with its intercept pushed towards `category`: a model that says
    `category` to almost everything (the rules' urgent tips aside)."""
    artifact = shipped_artifact()
    index = artifact["classes"].index(category)
    intercept = list(artifact["intercept"])
    intercept[index] += push
    return {**artifact, "intercept": intercept, "version": version}


def add_version(
    session: Session,
    artifact: dict[str, Any],
    *,
    status: str,
    now: datetime,
    origin: str = "retrained",
    week: str | None = None,
    figures: dict[str, Any] | None = None,
) -> TriageModelVersion:
    row = TriageModelVersion(
        version=artifact["version"],
        origin=origin,
        week=week,
        status=status,
        artifact=artifact,
        figures=figures,
        created_at=now,
        champion_since=now if status == "champion" else None,
    )
    session.add(row)
    session.flush()
    return row
