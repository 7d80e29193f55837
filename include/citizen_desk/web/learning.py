"""What the pages show of learning from officers: a case's correction and the form to make one,
the live agreement between triage and officers (overview), the model versions (model page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import TriageCorrection
from citizen_desk.domain.labels import TRIAGE_MODEL_STATUS_LABELS, category_label
from citizen_desk.domain.vocabulary import CATEGORIES, DeskAction
from citizen_desk.web.permissions import access_of

URGENT_FIELD = "urgent"
CATEGORY_FIELD = "category"
CHOICES = tuple((c, category_label(c)) for c in CATEGORIES)
FIGURES = (  # (key, label, percent?) of the model page's table
    ("test_accuracy", "Độ chính xác (tập kiểm tra)", True),
    ("tip_recall", "Nhận ra tin báo", True),
    ("urgent_recall", "Nhận ra tin khẩn", True),
    ("false_urgents", "Báo khẩn nhầm", False),
    ("abuse_recall", "Nhận ra xúc phạm, spam", True),
    ("recent_agreement", "Khớp với cán bộ (sửa gần đây)", True),
)


@dataclass(frozen=True)
class CorrectionView:
    """An officer's verdict on a case, as its page shows it (no message text)."""

    predicted_category: str
    predicted_urgent: bool
    model_version: str | None
    category: str
    urgent: bool
    corrected_by: str
    corrected_at: datetime

    @property
    def predicted_label(self) -> str:
        return category_label(self.predicted_category)

    @property
    def confirmed(self) -> bool:
        """The officer kept what the triage said."""
        return (self.category, self.urgent) == (self.predicted_category, self.predicted_urgent)


def correction_view(session: Session, case_id: int) -> CorrectionView | None:
    row = session.scalar(select(TriageCorrection).where(TriageCorrection.case_id == case_id))
    if row is None:
        return None
    return CorrectionView(
        row.predicted_category, row.predicted_urgent, row.model_version, row.category,
        row.urgent, row.corrected_by, row.corrected_at,
    )  # fmt: skip


def triage_context(
    request: Request,
    user: Any,
    session: Session,
    *,
    case_id: int,
    unit_code: str,
    category: str,
    urgent: bool,
    back: str = "case",
) -> dict[str, Any]:
    """The `triage` variable of the case and tip pages: the correction so far and the form (only
    for those who may correct: the case's unit's officers and chiefs)."""
    return {
        "triage": {
            "case_id": case_id,
            "category": category,
            "urgent": urgent,
            "correction": correction_view(session, case_id),
            "may_correct": access_of(request, user).may(DeskAction.TRIAGE_CORRECT, unit_code),
            "choices": CHOICES,
            "back": back,
            "category_field": CATEGORY_FIELD,
            "urgent_field": URGENT_FIELD,
        }
    }


@dataclass(frozen=True)
class Agreement:
    """Corrected cases (confirmations included) in a window, and those where the officer kept
    the predicted category."""

    agreed: int
    total: int
    since: datetime

    @property
    def share(self) -> float | None:
        return self.agreed / self.total if self.total else None


def _agreement_rows(session: Session, since: datetime, now: datetime) -> Any:
    kept = func.sum(case((TriageCorrection.category == TriageCorrection.predicted_category, 1),
                         else_=0))  # fmt: skip
    return (
        select(TriageCorrection.model_version, func.coalesce(kept, 0), func.count())
        .where(TriageCorrection.corrected_at > since, TriageCorrection.corrected_at <= now)
        .group_by(TriageCorrection.model_version)
    )


def live_agreement(session: Session, *, now: datetime, window: timedelta) -> Agreement:
    """The overview's figure: share of the cases corrected in (now - window, now] whose
    category the officer kept."""
    since = now - window
    rows = session.execute(_agreement_rows(session, since, now)).all()
    return Agreement(sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows), since)


def agreement_by_version(
    session: Session, *, now: datetime, window: timedelta
) -> Mapping[str | None, Agreement]:
    """The same, per model version that triaged the corrected cases (None: the rules alone)."""
    since = now - window
    rows = session.execute(_agreement_rows(session, since, now)).all()
    return {version: Agreement(int(kept), int(total), since) for version, kept, total in rows}


def model_page(session: Session, *, now: datetime, window: timedelta) -> dict[str, Any]:
    """The model page's context: versions (newest first), the version in use, live agreement."""
    from citizen_desk.learning.champion import champion_version, triage_model_for
    from citizen_desk.learning.versions import list_versions

    model = triage_model_for(session)  # what the collection triages with (None: rules alone)
    in_use = model.version if model is not None else None
    return {
        "versions": list_versions(session),
        "in_use": in_use,
        "from_table": in_use is not None and in_use == champion_version(session),
        "agreement": agreement_by_version(session, now=now, window=window),
        "window_days": round(window / timedelta(days=1)),
        "figures": FIGURES,
        "status_labels": TRIAGE_MODEL_STATUS_LABELS,
    }
