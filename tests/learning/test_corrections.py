"""An officer's correction of a case's triage (`learning.corrections`), on SQLite and PostgreSQL:
stored once per case, audited, applied to the case, carried to its tip, kept by later collections.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import TriageCorrection
from citizen_desk.errors import WorkflowError
from citizen_desk.learning.corrections import correct_case
from citizen_desk.tips.open_tips import open_tip_snapshots
from citizen_desk.triage.model import load_model
from tests.conftest import NOW
from tests.learning.helpers import (
    PLAIN_TIP,
    QUESTION,
    URGENT,
    audit,
    case_of,
    counts,
    ingest,
    tip_of,
)

LATER = NOW + timedelta(days=1)


def test_a_question_corrected_to_an_urgent_tip_creates_the_tip_escalation_sees(synced_engine):
    thread = ingest(synced_engine, [QUESTION])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.urgent, tip_of(session, case.id)) == ("question", False, None)
        assert case.triage_model == load_model().version  # no champion in the table: shipped
        result = correct_case(
            session, case.id, category="tip", urgent=True, actor="officer.ngathuy", now=LATER
        )
        session.commit()
    assert result.changed
    assert result.tip_created
    assert result.tip_id is not None
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.urgent, case.needs_human_triage) == ("tip", True, False)
        assert case.topic is None  # the triage's topic was a question's
        tip = tip_of(session, case.id)
        assert tip is not None
        assert (tip.status, tip.urgent, tip.received_at) == ("new", True, NOW)  # when written
        assert tip.urgent_since == LATER  # urgent since the officer said so: alerts go out now
        assert tip.id in {t.id for t, _ in open_tip_snapshots(session)}  # the escalation's view
        row = session.scalars(select(TriageCorrection)).one()
        assert (row.predicted_category, row.predicted_urgent, row.model_version) == (
            "question", False, load_model().version,
        )  # fmt: skip
        assert (row.category, row.urgent, row.corrected_by, row.corrected_at) == (
            "tip", True, "officer.ngathuy", LATER,
        )  # fmt: skip
        assert audit(session, "case", case.id) == [("officer.ngathuy", "triage_corrected")]
        assert audit(session, "tip", tip.id) == [("officer.ngathuy", "tip_received")]
    before = counts(synced_engine)
    with Session(synced_engine) as session:  # the same POST again: nothing changes
        again = correct_case(
            session, case.id, category="tip", urgent=True, actor="officer.ngathuy",
            now=LATER + timedelta(minutes=1),
        )  # fmt: skip
        session.commit()
    assert not again.changed
    assert counts(synced_engine) == before


def test_away_from_tip_closes_the_open_tip_and_back_reopens_it(synced_engine):
    thread = ingest(synced_engine, [PLAIN_TIP])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        tip = tip_of(session, case.id)
        assert case.category == "tip"
        assert tip is not None
        assert tip.status == "new"
        tip_id = tip.id
        result = correct_case(session, case.id, category="feedback", urgent=False,
                              actor="officer.ns", now=LATER)  # fmt: skip
        session.commit()
    assert result.tip_closed
    assert result.tip_id == tip_id
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        tip = tip_of(session, case.id)
        assert case.category == "feedback"
        assert (tip.status, tip.verified_by, tip.closed_at) == ("unfounded", "officer.ns", LATER)
        assert tip_id not in {t.id for t, _ in open_tip_snapshots(session)}  # no escalation
        assert session.scalars(select(TriageCorrection)).one().closed_tip_id == tip_id
        history = audit(session, "tip", tip_id)
        assert history == [("run-" + thread, "tip_received"), ("officer.ns", "tip_unfounded")]
    with Session(synced_engine) as session:
        back = correct_case(session, case.id, category="tip", urgent=False, actor="chief.ns",
                            now=LATER + timedelta(hours=1))  # fmt: skip
        session.commit()
    assert back.tip_reopened
    assert not back.tip_created
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        tip = tip_of(session, case.id)
        assert case.category == "tip"
        assert (tip.id, tip.status, tip.closed_at, tip.verified_by) == (tip_id, "new", None, None)
        assert audit(session, "tip", tip_id)[-1] == ("chief.ns", "tip_reopened")
        row = session.scalars(select(TriageCorrection)).one()
        assert (row.closed_tip_id, row.predicted_category, row.corrected_by) == (
            None, "tip", "chief.ns",
        )  # fmt: skip
        assert [a for _, a in audit(session, "case", case.id)] == ["triage_corrected"] * 2


def test_a_closed_tip_is_left_as_it_is(synced_engine):
    thread = ingest(synced_engine, [PLAIN_TIP])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        tip = tip_of(session, case.id)
        tip.status, tip.closed_at, tip.verified_by, tip.verified_at = "verified", NOW, "x", NOW
        session.commit()
        result = correct_case(session, case.id, category="question", urgent=False,
                              actor="officer.ns", now=LATER)  # fmt: skip
        session.commit()
        assert not result.tip_closed
        assert tip_of(session, case.id).status == "verified"
        assert session.scalars(select(TriageCorrection)).one().closed_tip_id is None


def test_lowering_an_urgent_tip_is_carried_to_the_tip(synced_engine):
    thread = ingest(synced_engine, [URGENT])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        tip = tip_of(session, case.id)
        assert (case.urgent, tip.urgent) == (True, True)
        correct_case(session, case.id, category="tip", urgent=False, actor="officer.ns",
                     now=LATER)  # fmt: skip
        session.commit()
        assert (case_of(session, thread).urgent, tip_of(session, case.id).urgent) == (False, False)
        assert tip_of(session, case.id).urgent_since is None
        assert audit(session, "tip", tip.id)[-1] == ("officer.ns", "tip_urgency_corrected")


def test_the_correction_holds_when_the_thread_moves_but_a_later_danger_still_raises_it(
    synced_engine,
):
    thread = ingest(synced_engine, [PLAIN_TIP])
    with Session(synced_engine) as session:
        case_id = case_of(session, thread).id
        correct_case(session, case_id, category="other", urgent=False, actor="officer.ns",
                     now=LATER)  # fmt: skip
        session.commit()
    # the citizen writes again (collected after the correction): the officer's verdict holds
    ingest(synced_engine, [QUESTION], at=LATER + timedelta(hours=1), thread=thread)
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.urgent, case.needs_human_triage) == ("other", False, False)
        assert tip_of(session, case_id).status == "unfounded"
    # then reports a danger happening now: tip and urgent again, in front of a human, tip reopened
    ingest(synced_engine, [URGENT], at=LATER + timedelta(hours=3), thread=thread)
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.urgent, case.needs_human_triage) == ("tip", True, True)
        tip = tip_of(session, case_id)
        assert (tip.status, tip.urgent) == ("new", True)
        assert tip.urgent_since == LATER + timedelta(hours=3)  # the new message, not the thread's
        assert audit(session, "tip", tip.id)[-1] == (f"run-{thread}", "tip_reopened")


def test_raising_a_tip_to_urgent_makes_it_urgent_from_the_correction_on(synced_engine):
    thread = ingest(synced_engine, [PLAIN_TIP])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (tip_of(session, case.id).urgent, tip_of(session, case.id).urgent_since) == (
            False, None,
        )  # fmt: skip
        correct_case(session, case.id, category="tip", urgent=True, actor="officer.ns", now=LATER)
        session.commit()
        tip = tip_of(session, case.id)
        assert (tip.urgent, tip.urgent_since) == (True, LATER)
        snapshot = dict((t.id, s) for t, s in open_tip_snapshots(session))[tip.id]
        assert snapshot.urgent_since == LATER


def test_a_confirmation_is_a_correction_that_agrees(synced_engine):
    thread = ingest(synced_engine, [QUESTION])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        result = correct_case(session, case.id, category="question", urgent=False,
                              actor="officer", now=LATER)  # fmt: skip
        session.commit()
        row = session.scalars(select(TriageCorrection)).one()
    assert result.changed
    assert not result.tip_created
    assert (row.predicted_category, row.category) == ("question", "question")


def test_bad_input_writes_nothing(synced_engine):
    thread = ingest(synced_engine, [QUESTION])
    before = counts(synced_engine)
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        with pytest.raises(WorkflowError, match="không có loại hồ sơ"):
            correct_case(session, case.id, category="crime", urgent=False, actor="a", now=LATER)
        with pytest.raises(WorkflowError, match="cần ghi người sửa"):
            correct_case(session, case.id, category="tip", urgent=False, actor=" ", now=LATER)
        session.rollback()
    assert counts(synced_engine) == before
