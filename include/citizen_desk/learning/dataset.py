"""Officers' corrections as labelled data: training rows, and threads to measure a model on.

A correction's text is what the officer judged: the case's citizen messages stored up to the
correction, oldest first. They stay in the task's memory: never logged, never in XCom, never in
a figure (figures are counts and shares).

For training, personal data is masked (`privacy.redact`, with the case's own names) and the masks
blanked, as the corpus's marked spans are (`triage.train.without_pii`): no fragment of an
informant's name or number can become a feature of a model stored in the database. A correction
whose text overlaps a row of the corpus's frozen **test** split (same text, or one inside the
other) is never a training row, so the test figures stay honest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Message, TriageCorrection
from citizen_desk.text.normalize import fold
from citizen_desk.triage.evaluate import load_examples
from citizen_desk.triage.train import Row

MIN_OVERLAP_CHARS = 20  # shorter texts ("ok", "cảm ơn") only count as overlapping when equal
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Corrected:
    """One corrected case: its citizen messages (raw: in memory only) and the officer's verdict."""

    case_id: int
    texts: tuple[str, ...]
    category: str
    urgent: bool
    predicted_category: str
    corrected_at: datetime


def load_corrections(
    session: Session, *, until: datetime, since: datetime | None = None
) -> list[Corrected]:
    """Corrections made in [since, until), by case id, with the texts the officer judged."""
    query = select(TriageCorrection).where(TriageCorrection.corrected_at < until)
    if since is not None:
        query = query.where(TriageCorrection.corrected_at >= since)
    rows = list(session.scalars(query.order_by(TriageCorrection.case_id)))
    texts: dict[int, list[str]] = {row.case_id: [] for row in rows}
    cutoff = {row.case_id: row.corrected_at for row in rows}
    for chunk in chunks(list(texts), 300):
        for case_id, text, collected_at in session.execute(
            select(Message.case_id, Message.text, Message.collected_at)
            .where(Message.case_id.in_(chunk), Message.direction == "in")
            .order_by(Message.case_id, Message.created_at, Message.id)
        ):
            if case_id is not None and collected_at <= cutoff[case_id]:
                texts[case_id].append(text or "")
    return [
        Corrected(
            case_id=row.case_id,
            texts=tuple(texts[row.case_id]),
            category=row.category,
            urgent=row.urgent,
            predicted_category=row.predicted_category,
            corrected_at=row.corrected_at,
        )
        for row in rows
        if texts[row.case_id]
    ]


def _key(text: str) -> str:
    return _SPACES.sub(" ", fold(text)).strip()


def held_out_keys(corpus: Path) -> tuple[str, ...]:
    """The folded texts of the corpus's test split (what no training row may hold)."""
    return tuple(_key(example.text) for example in load_examples(corpus, "test"))


def overlaps(text: str, test_keys: Sequence[str]) -> bool:
    """Does `text` hold a test row's text, or sit inside one (or equal it)?"""
    key = _key(text)
    for test in test_keys:
        if key == test:
            return True
        if len(test) >= MIN_OVERLAP_CHARS and test in key:
            return True
        if len(key) >= MIN_OVERLAP_CHARS and key in test:
            return True
    return False


def training_rows(
    session: Session, corrections: Sequence[Corrected], test_keys: Sequence[str]
) -> tuple[list[Row], int]:
    """(training rows, how many corrections were left out for overlapping the test split)."""
    from citizen_desk.privacy import PLACEHOLDERS, redact
    from citizen_desk.tips.views import protected_names_by_case

    chosen = [c for c in corrections if not overlaps("\n".join(c.texts), test_keys)]
    names = protected_names_by_case(session, [c.case_id for c in chosen])
    rows = []
    for corrected in chosen:
        text = redact("\n".join(corrected.texts), names.get(corrected.case_id, ()))
        for mask in PLACEHOLDERS.values():
            text = text.replace(mask, " ")
        rows.append(
            Row(
                id=f"correction-{corrected.case_id:09d}",
                text=text,
                category=corrected.category,
                accepted=(),
                urgent=corrected.urgent,
                real=True,
            )
        )
    return rows, len(corrections) - len(chosen)
