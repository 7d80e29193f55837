"""The trained model triage uses: the champion of `triage_models`, else the shipped artifact.

The collection and the real-time path ask :func:`triage_model_for` once per session (one small
query for the champion's version, remembered in ``session.info``); the artifact of a version is
parsed once per process and kept by version, so a promotion or a rollback takes effect on the
next task without a restart. With no champion in the table (before the first retrain), the
shipped ``triage/models/triage-model.json`` is used, as before. ``CITIZEN_DESK_TRIAGE_MODEL``
(a path, or ``off`` for the rules alone) still wins over the database: the operator's choice.
"""

from __future__ import annotations

import os
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import TriageModelVersion
from citizen_desk.domain.vocabulary import TriageModelStatus
from citizen_desk.triage.model import ENV_VAR, TriageModel, load_model, parse_model

SESSION_KEY = "citizen_desk.triage_model"
KEEP = 4  # parsed versions kept per process (a rollback often returns to a recent one)
_parsed: dict[str, TriageModel] = {}
_lock = threading.Lock()


def champion_version(session: Session) -> str | None:
    """The version of the champion in the table (None: no champion yet)."""
    return session.scalar(
        select(TriageModelVersion.version).where(
            TriageModelVersion.status == TriageModelStatus.CHAMPION.value
        )
    )


def triage_model_for(session: Session) -> TriageModel | None:
    """The model to triage with in this session (None: the rules alone): see the module doc."""
    if SESSION_KEY in session.info:
        return session.info[SESSION_KEY]
    model = _resolve(session)
    session.info[SESSION_KEY] = model
    return model


def forget(session: Session) -> None:
    """Make the next :func:`triage_model_for` of this session ask the table again (after a
    promotion or a rollback in the same session)."""
    session.info.pop(SESSION_KEY, None)


def _resolve(session: Session) -> TriageModel | None:
    if os.environ.get(ENV_VAR, "").strip():
        return load_model()
    shipped = load_model()
    version = champion_version(session)
    if version is None or (shipped is not None and version == shipped.version):
        return shipped
    with _lock:
        cached = _parsed.get(version)
    if cached is not None:
        return cached
    artifact = session.scalar(
        select(TriageModelVersion.artifact).where(TriageModelVersion.version == version)
    )
    model = parse_model(artifact, f"triage_models[{version}]")
    with _lock:
        while len(_parsed) >= KEEP:
            _parsed.pop(next(iter(_parsed)))
        _parsed[version] = model
    return model
