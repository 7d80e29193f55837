"""The versions of the trained triage model in `triage_models`: seed, promote, roll back, list.

* The shipped artifact (`triage/models/triage-model.json`) is recorded once per version by the
  weekly retrain's first step; it is the champion when the table has none, and a new release's
  artifact replaces a shipped champion (nothing was learned since). It does not replace a
  retrained champion: it waits as a challenger, one click away on the model page, and the next
  retrain learns from the release's corpus and rules anyway.
* :func:`make_champion` is the one way a version becomes the champion (the retrain's promotion
  and the page's rollback): the champion before is retired, the change audited
  (`triage_model_champion`); the database refuses two champions (a partial unique index), so two
  admins clicking at once cannot both win.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import TriageModelVersion
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.domain.vocabulary import TriageModelOrigin, TriageModelStatus
from citizen_desk.errors import ConfigError, NotFoundError, WorkflowError
from citizen_desk.learning.champion import forget
from citizen_desk.triage.model import DEFAULT_PATH, TriageModel, parse_model

CHAMPION_CHANGED = "triage_model_champion"
CHAMPION = TriageModelStatus.CHAMPION.value
CHALLENGER = TriageModelStatus.CHALLENGER.value
RETIRED = TriageModelStatus.RETIRED.value


def current_champion(session: Session) -> TriageModelVersion | None:
    return session.scalar(select(TriageModelVersion).where(TriageModelVersion.status == CHAMPION))


def by_version(session: Session, version: str) -> TriageModelVersion | None:
    return session.scalar(select(TriageModelVersion).where(TriageModelVersion.version == version))


def model_of(row: TriageModelVersion) -> TriageModel:
    """The row's artifact as a model (validated like the shipped file)."""
    return parse_model(row.artifact, f"triage_models[{row.version}]")


def shipped_artifact(path: Path = DEFAULT_PATH) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot read the model: {exc.strerror}") from None
    parse_model(document, path)  # refuse a broken artifact before it is stored
    return document


def seed_shipped(
    session: Session,
    *,
    now: datetime,
    actor: str,
    measure: Callable[[TriageModel], Mapping[str, Any]] | None = None,
    path: Path = DEFAULT_PATH,
) -> tuple[TriageModelVersion, bool]:
    """Record the shipped artifact (idempotent); returns (its row, whether this call added it).

    `measure` gives the figures of a version being added (None: recorded without figures)."""
    artifact = shipped_artifact(path)
    version = str(artifact["version"])
    row = by_version(session, version)
    added = False
    if row is None:
        figures = dict(measure(parse_model(artifact, path))) if measure is not None else None
        values = {
            "version": version,
            "origin": TriageModelOrigin.SHIPPED.value,
            "status": CHALLENGER,
            "artifact": artifact,
            "figures": figures,
            "evaluated_at": now if figures is not None else None,
            "created_at": now,
        }
        added = insert_if_absent(session, TriageModelVersion, values, ["version"])
        row = by_version(session, version)
        assert row is not None
    champion = current_champion(session)
    replaces = added and champion is not None and champion.origin == TriageModelOrigin.SHIPPED.value
    if champion is None or replaces:
        reason = "shipped" if champion is None else "new_release"
        make_champion(session, row.id, actor=actor, now=now, reason=reason)
    return row, added


def make_champion(
    session: Session, model_id: int, *, actor: str, now: datetime, reason: str
) -> TriageModelVersion:
    """Make version `model_id` the champion, retiring the one before (audited). `reason`:
    promoted, rollback, shipped, new_release."""
    row = session.get(TriageModelVersion, model_id)
    if row is None:
        raise NotFoundError(f"không có phiên bản mô hình số {model_id}")
    before = current_champion(session)
    if before is not None and before.id == row.id:
        raise WorkflowError(
            f"version {row.version} is already the champion / phiên bản {row.version} "
            "đang được dùng"
        )
    if before is not None:
        before.status = RETIRED
        session.flush()  # one champion at a time: retire first (partial unique index)
    row.status, row.champion_since = CHAMPION, now
    session.flush()
    record_audit(
        session,
        entity_type="triage_model",
        entity_id=row.version,
        action=CHAMPION_CHANGED,
        actor=actor,
        at=now,
        before={"champion": before.version if before is not None else None},
        after={"champion": row.version, "reason": reason},
    )
    forget(session)
    return row


@dataclass(frozen=True)
class VersionView:
    """A version as the model page lists it (no artifact)."""

    id: int
    version: str
    origin: str
    week: str | None
    status: str
    figures: Mapping[str, Any]
    evaluated_at: datetime | None
    created_at: datetime
    champion_since: datetime | None

    @property
    def decision(self) -> Mapping[str, Any]:
        value = self.figures.get("decision")
        return value if isinstance(value, Mapping) else {}


def list_versions(session: Session, limit: int = 52) -> list[VersionView]:
    """The newest versions first (a year of weekly retrains), the champion always among them."""
    columns = (
        TriageModelVersion.id,
        TriageModelVersion.version,
        TriageModelVersion.origin,
        TriageModelVersion.week,
        TriageModelVersion.status,
        TriageModelVersion.figures,
        TriageModelVersion.evaluated_at,
        TriageModelVersion.created_at,
        TriageModelVersion.champion_since,
    )
    newest = TriageModelVersion.created_at.desc(), TriageModelVersion.id.desc()
    rows = list(session.execute(select(*columns).order_by(*newest).limit(limit)))
    if not any(r.status == CHAMPION for r in rows):
        rows += session.execute(select(*columns).where(TriageModelVersion.status == CHAMPION))
    return [
        VersionView(
            id=r.id,
            version=r.version,
            origin=r.origin,
            week=r.week,
            status=r.status,
            figures=r.figures or {},
            evaluated_at=r.evaluated_at,
            created_at=r.created_at,
            champion_since=r.champion_since,
        )
        for r in rows
    ]
