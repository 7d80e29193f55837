"""Corrections as training rows: what the officer judged, personal data blanked, never a text of
the corpus's test split."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from citizen_desk.learning.corrections import correct_case
from citizen_desk.learning.dataset import (
    held_out_keys,
    load_corrections,
    overlaps,
    training_rows,
)
from citizen_desk.triage.evaluate import load_examples
from citizen_desk.triage.train import REAL_SET
from tests.conftest import NOW
from tests.learning.helpers import QUESTION, case_of, ingest

PHONE = "0987 654 321"
WITH_PII = f"Em là Trần Văn Khánh, số em {PHONE}, nhà em bị mất trộm xe máy đêm qua"


def _correct(engine, texts, category, when, *, then=None):
    thread = ingest(engine, texts, at=when - timedelta(hours=2))
    with Session(engine) as session:
        case_id = case_of(session, thread).id
        correct_case(session, case_id, category=category, urgent=False, actor="o", now=when)
        session.commit()
    if then:  # a message collected after the correction: not what the officer judged
        ingest(engine, then, at=when + timedelta(hours=1), thread=thread)
    return case_id


def test_training_rows_mask_personal_data_and_leave_the_test_split_out(synced_engine):
    test_text = load_examples(REAL_SET, "test")[0].text
    keys = held_out_keys(REAL_SET)
    masked = _correct(synced_engine, [WITH_PII], "tip", NOW, then=["Cảm ơn anh ạ"])
    leaked = _correct(synced_engine, [test_text], "abuse", NOW)
    inside = _correct(synced_engine, [QUESTION, f"  {test_text.upper()}  "], "other", NOW)
    with Session(synced_engine) as session:
        found = load_corrections(session, until=NOW + timedelta(seconds=1))
        assert [c.case_id for c in found] == sorted([masked, leaked, inside])
        judged = next(c for c in found if c.case_id == masked)
        assert judged.texts == (WITH_PII,)  # not the thanks that came after the correction
        rows, excluded = training_rows(session, found, keys)
    assert excluded == 2  # the test row's text, alone or inside a thread (case, accents aside)
    [row] = rows
    assert (row.id, row.category, row.real) == (f"correction-{masked:09d}", "tip", True)
    assert "Khánh" not in row.text
    assert PHONE not in row.text
    assert "[" not in row.text  # masks blanked, as the corpus's marked spans are
    assert "mất trộm xe máy" in row.text


def test_the_window_of_corrections(synced_engine):
    old = _correct(synced_engine, [QUESTION], "question", NOW - timedelta(days=10))
    new = _correct(synced_engine, [QUESTION], "feedback", NOW - timedelta(days=1))
    with Session(synced_engine) as session:
        since = NOW - timedelta(days=7)
        assert [c.case_id for c in load_corrections(session, until=since)] == [old]
        recent = load_corrections(session, since=since, until=NOW)
        assert [(c.case_id, c.category, c.predicted_category) for c in recent] == [
            (new, "feedback", "question")
        ]


def test_overlaps_short_texts_only_when_equal():
    keys = ("cam on", "day la mot tin nhan du dai de so sanh")
    assert overlaps("Cảm ơn", keys)
    assert not overlaps("Cảm ơn anh nhiều lắm, chúc anh sức khỏe", keys)  # "cam on" is short
    assert overlaps("Trước: đây là một tin nhắn đủ dài để so sánh. Sau.", keys)
    assert overlaps("tin nhan du dai de so sanh", keys)  # a part of a test row
    assert not overlaps("một tin khác hẳn", keys)
