"""An officer corrects (or confirms) a case's category and urgency.

One `triage_corrections` row per case, its natural key: the first correction stores what the
triage predicted (category, urgency, confidence, model version); every later one updates the
officer's verdict, who and when; the same verdict again (a repeated POST) changes nothing. Each
change is audited on the case (`triage_corrected`, before and after).

The case is then re-derived the way the collection derives it (`collect.cases.recompute_cases`,
under the channel's lock), which applies the verdict (`collect.corrected`) and so:

* a correction **to `tip`** creates the tip (status new, `tip_received`, received when the
  citizen first wrote: the days it was misfiled count, so the escalation ladder catches up), or
  reopens the tip an earlier correction closed;
* a correction **away from `tip`** closes the case's open tip through the tips workflow
  (`unfounded`, noting the new category, under the officer's name): the escalation stops, the tip
  row, its history and acknowledgements stay; a closed tip is left as it is;
* a change of **urgency** of a tip is carried to the tip (audited `tip_urgency_corrected`);
* the case leaves the "cần người xem" queue (an officer has looked) and its reply SLA follows
  the corrected category at the next sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.collect.cases import recompute_cases
from citizen_desk.collect.channels import channel_ref, lock_channel
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Case, Channel, Tip, TriageCorrection
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.domain.labels import category_label
from citizen_desk.domain.vocabulary import CATEGORIES, OPEN_TIP_STATUSES
from citizen_desk.errors import NotFoundError, WorkflowError

CORRECTED = "triage_corrected"
URGENCY_CORRECTED = "tip_urgency_corrected"


@dataclass(frozen=True)
class CorrectionResult:
    """What a correction did (ids and flags only: safe for logs and pages)."""

    case_id: int
    changed: bool  # False: the same verdict again, nothing written
    category: str
    urgent: bool
    tip_id: int | None = None
    tip_created: bool = False
    tip_closed: bool = False
    tip_reopened: bool = False


def correct_case(
    session: Session, case_id: int, *, category: str, urgent: bool, actor: str, now: datetime
) -> CorrectionResult:
    """Record an officer's verdict on a case's triage and apply it (the caller commits)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    actor = (actor or "").strip()[:128]
    if not actor:
        raise WorkflowError("a correction needs the officer's name / cần ghi người sửa phân loại")
    if category not in CATEGORIES:
        raise WorkflowError(f"unknown category {category!r} / không có loại hồ sơ {category!r}")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    lock_channel(session, case.channel_id)  # the collection derives this thread under it too
    session.refresh(case)
    row = session.scalar(select(TriageCorrection).where(TriageCorrection.case_id == case.id))
    if row is not None and (row.category, row.urgent) == (category, urgent):
        return CorrectionResult(case.id, False, case.category, case.urgent)

    before = {
        "category": case.category,
        "urgent": case.urgent,
        "needs_human_triage": case.needs_human_triage,
    }
    row = _store(session, case, row, category, urgent, actor, now)
    tip = session.scalar(select(Tip).where(Tip.case_id == case.id))
    tip_urgent = tip.urgent if tip is not None else None
    closed = False
    if category != "tip" and tip is not None and tip.status in OPEN_TIP_STATUSES:
        _close_tip(session, tip.id, category, actor, now)
        row.closed_tip_id, closed = tip.id, True
    was_closed = tip is not None and tip.status not in OPEN_TIP_STATUSES
    channel = session.get(Channel, case.channel_id)
    assert channel is not None  # a foreign key
    recompute_cases(session, channel_ref(session, channel.key), [case.thread_key], now=now,
                    actor=actor)  # fmt: skip
    session.refresh(case)
    created = tip is None and case.category == "tip"
    tip = session.scalar(select(Tip).where(Tip.case_id == case.id)) if created else tip
    reopened = was_closed and tip is not None and tip.status in OPEN_TIP_STATUSES
    if tip is not None and case.category == "tip" and tip.status in OPEN_TIP_STATUSES:
        _carry_urgency(session, tip, case.urgent, tip_urgent, actor, now)
    record_audit(
        session,
        entity_type="case",
        entity_id=case.id,
        action=CORRECTED,
        actor=actor,
        at=now,
        before=before,
        after={
            "category": case.category,
            "urgent": case.urgent,
            "predicted_category": row.predicted_category,
            "predicted_urgent": row.predicted_urgent,
            "model_version": row.model_version,
        },
    )
    session.flush()
    return CorrectionResult(
        case.id, True, case.category, case.urgent, tip.id if tip is not None else None,
        tip_created=created, tip_closed=closed, tip_reopened=reopened,
    )  # fmt: skip


def _store(
    session: Session,
    case: Case,
    row: TriageCorrection | None,
    category: str,
    urgent: bool,
    actor: str,
    now: datetime,
) -> TriageCorrection:
    """Insert the case's correction row (with the prediction), or update its verdict."""
    if row is None:
        values = {
            "case_id": case.id,
            "predicted_category": case.category,
            "predicted_urgent": bool(case.urgent),
            "predicted_confidence": float(case.triage_confidence or 0.0),
            "model_version": case.triage_model,
            "category": category,
            "urgent": urgent,
            "corrected_by": actor,
            "corrected_at": now,
            "first_corrected_at": now,
        }
        insert_if_absent(session, TriageCorrection, values, ["case_id"])
        stored = session.scalar(select(TriageCorrection).where(TriageCorrection.case_id == case.id))
        assert stored is not None
        return stored
    row.category, row.urgent = category, urgent
    row.corrected_by, row.corrected_at = actor, now
    session.flush()
    return row


def _close_tip(session: Session, tip_id: int, category: str, actor: str, now: datetime) -> None:
    from citizen_desk.tips.workflow import mark_unfounded

    note = (
        f"Hồ sơ được cán bộ phân loại lại: {category_label(category)}; không phải tin báo "
        "(đóng tự động khi sửa phân loại)."
    )
    mark_unfounded(session, tip_id, actor=actor, now=now, note=note)


def _carry_urgency(
    session: Session, tip: Tip, urgent: bool, was: bool | None, actor: str, now: datetime
) -> None:
    """The tip's urgency follows the case's corrected one (an officer may lower it too)."""
    if tip.urgent != urgent:
        tip.urgent = urgent
        tip.updated_at = now
    if urgent and not was:
        # raised by an officer (the recomputation may already have marked it urgent as of its
        # messages): urgent from now on, so its chief alerts go out now, not as a stale catch-up
        tip.urgent_since = now
    elif not urgent:
        tip.urgent_since = None
    if was is not None and was != urgent:
        record_audit(
            session,
            entity_type="tip",
            entity_id=tip.id,
            action=URGENCY_CORRECTED,
            actor=actor,
            at=now,
            before={"urgent": was},
            after={"urgent": urgent},
        )
