"""An officer's correction in the derivation of a case (`collect.cases.recompute_cases`).

A case is re-derived from its messages whenever its thread moves, so the officer's verdict
(`triage_corrections`, written by `citizen_desk.learning.corrections`) is applied on every
recompute, over the triage. Safety first, as everywhere in triage: a citizen message stored
after the correction that reads as a tip, or as urgent, still raises the case (tip, urgent) and
puts it back in front of a human ("cần người xem"); nothing else moves it.

A correction away from `tip` closed the case's open tip (`closed_tip_id`); when the case is a tip
again (corrected back, or raised by a later message) that tip is reopened (`new`), audited, its
history and acknowledgements kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.collect.records import StoredMessage
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Tip, TriageCorrection
from citizen_desk.domain.vocabulary import TipStatus

REOPENED = "tip_reopened"


def corrections_of(session: Session, case_ids: Iterable[int]) -> dict[int, TriageCorrection]:
    """The corrections of these cases, by case id (one query; none for new cases)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    rows = session.scalars(select(TriageCorrection).where(TriageCorrection.case_id.in_(ids)))
    return {row.case_id: row for row in rows}


def apply_correction(
    values: dict[str, Any], correction: TriageCorrection, citizen_messages: Sequence[StoredMessage]
) -> None:
    """Put the officer's category and urgency into a case's derived `values` (see the module)."""
    later = [m for m in citizen_messages if m.collected_at > correction.corrected_at]
    category, urgent, raised = correction.category, correction.urgent, False
    if category != "tip" and any(m.category == "tip" for m in later):
        category, raised = "tip", True
    if not urgent and any(m.urgent for m in later):
        urgent, raised = True, True
    if category != values["category"]:
        values["topic"] = None  # the triage's topic belongs to the triage's category
    values["category"] = category
    values["urgent"] = urgent
    values["needs_human_triage"] = raised


def reopen_if_corrected(
    session: Session, tip: Tip, correction: TriageCorrection | None, now: datetime, actor: str
) -> bool:
    """Reopen the tip a correction away from `tip` closed, now that the case is a tip again."""
    if correction is None or correction.closed_tip_id != tip.id:
        return False
    correction.closed_tip_id = None
    if tip.status != TipStatus.UNFOUNDED or tip.public_outcome is not None:
        return False  # concluded otherwise since: closed tips stay closed
    before = {"status": tip.status, "closed_at": tip.closed_at, "verified_by": tip.verified_by}
    tip.status = TipStatus.NEW.value
    tip.closed_at = tip.verified_at = tip.verified_by = None
    tip.last_action, tip.last_action_at, tip.updated_at = "reopened", now, now
    record_audit(
        session,
        entity_type="tip",
        entity_id=tip.id,
        action=REOPENED,
        actor=actor,
        at=now,
        before=before,
        after={"status": tip.status, "case_category": "tip"},
    )
    return True
