"""Learning from officers: their corrections of the triage, and the versions of the trained model.

`triage_corrections` holds one row per corrected case (its natural key): what triage predicted
the first time an officer looked (category, urgency, model version) and what the officer last
decided, by whom and when; the history of every change is in `audit_log`. `triage_models` holds
every version of the trained model (its JSON artifact, its figures, its status): at most one is
the champion, the one triage uses (`citizen_desk.learning`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from citizen_desk.db.models.base import Base, one_of
from citizen_desk.domain.vocabulary import (
    CATEGORIES,
    TriageModelOrigin,
    TriageModelStatus,
    values,
)

TRIAGE_MODEL_STATUSES = values(TriageModelStatus)
TRIAGE_MODEL_ORIGINS = values(TriageModelOrigin)


class TriageCorrection(Base):
    """An officer's verdict on a case's triage (a confirmation when it equals the prediction)."""

    __tablename__ = "triage_corrections"
    __table_args__ = (
        CheckConstraint(one_of("predicted_category", CATEGORIES), name="predicted_category"),
        CheckConstraint(one_of("category", CATEGORIES), name="category"),
        Index("ix_triage_corrections_corrected_at", "corrected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    predicted_category: Mapped[str] = mapped_column(String(16))
    predicted_urgent: Mapped[bool] = mapped_column(Boolean)
    predicted_confidence: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))  # None: the rules alone
    category: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean)
    corrected_by: Mapped[str] = mapped_column(String(128))
    corrected_at: Mapped[datetime]
    first_corrected_at: Mapped[datetime]
    # the open tip this correction closed (the case is not a tip): reopened if corrected back
    closed_tip_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id"))


class TriageModelVersion(Base):
    """One version of the trained triage model: artifact, figures, status."""

    __tablename__ = "triage_models"
    __table_args__ = (
        CheckConstraint(one_of("status", TRIAGE_MODEL_STATUSES), name="status"),
        CheckConstraint(one_of("origin", TRIAGE_MODEL_ORIGINS), name="origin"),
        # the database itself refuses a second champion
        Index(
            "ix_triage_models_one_champion",
            "status",
            unique=True,
            postgresql_where=sql("status = 'champion'"),
            sqlite_where=sql("status = 'champion'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(16))
    # ISO week ("2026-W48") a retrain ran for: one retrained version a week, whatever the reruns
    week: Mapped[str | None] = mapped_column(String(10), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    artifact: Mapped[dict[str, Any]]
    # test split, recent corrections, the training data, the promotion decision (JSON, no text)
    figures: Mapped[dict[str, Any] | None]
    evaluated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    champion_since: Mapped[datetime | None]
