"""The collection triages with the champion of `triage_models` (read once per session, parsed once
per version), else the shipped artifact; `CITIZEN_DESK_TRIAGE_MODEL` still wins."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from citizen_desk.learning import champion
from citizen_desk.learning.champion import triage_model_for
from citizen_desk.learning.versions import make_champion
from citizen_desk.triage.model import ENV_VAR, load_model
from tests.conftest import NOW
from tests.learning.helpers import QUESTION, case_of, ingest
from tests.learning.models import add_version, skewed


def test_the_collection_triages_with_the_champion_of_the_table(synced_engine):
    with Session(synced_engine) as session:
        add_version(session, skewed("feedback", "1-feedbackonly"), status="champion", now=NOW)
        session.commit()
    thread = ingest(synced_engine, [QUESTION])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.triage_model) == ("feedback", "1-feedbackonly")


def test_without_a_champion_the_shipped_artifact(synced_engine):
    thread = ingest(synced_engine, [QUESTION])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.triage_model) == ("question", load_model().version)


def test_read_once_per_session_parsed_once_per_version(synced_engine, monkeypatch):
    parsed: list[str] = []
    real_parse = champion.parse_model
    monkeypatch.setattr(champion, "parse_model", lambda d, p: parsed.append(p) or real_parse(d, p))
    monkeypatch.setattr(champion, "_parsed", {})
    with Session(synced_engine) as session:
        first = add_version(session, skewed("abuse", "1-abuseonly"), status="champion", now=NOW)
        second = add_version(session, skewed("other", "1-otheronly"), status="challenger", now=NOW)
        session.commit()
        first_id, second_id = first.id, second.id
    with Session(synced_engine) as one, Session(synced_engine) as two:
        model = triage_model_for(one)
        assert model is not None
        assert model.version == "1-abuseonly"
        assert triage_model_for(two) is model  # the same parsed artifact
        # a promotion in another session: this session keeps its model, a new one sees the new
        with Session(synced_engine) as admin:
            make_champion(admin, second_id, actor="tech", now=NOW, reason="rollback")
            admin.commit()
        assert triage_model_for(one) is model
    with Session(synced_engine) as three:
        model = triage_model_for(three)
        assert model is not None
        assert model.version == "1-otheronly"
    assert parsed == ["triage_models[1-abuseonly]", "triage_models[1-otheronly]"]
    with Session(synced_engine) as four:  # and back: still parsed, nothing read again
        make_champion(four, first_id, actor="tech", now=NOW + timedelta(hours=1), reason="rollback")
        four.commit()
        model = triage_model_for(four)  # make_champion forgot the session's model
        assert model is not None
        assert model.version == "1-abuseonly"
    assert len(parsed) == 2


def test_the_environment_variable_still_wins(synced_engine, monkeypatch):
    with Session(synced_engine) as session:
        add_version(session, skewed("feedback", "1-feedbackonly"), status="champion", now=NOW)
        session.commit()
    monkeypatch.setenv(ENV_VAR, "off")
    thread = ingest(synced_engine, [QUESTION])
    with Session(synced_engine) as session:
        case = case_of(session, thread)
        assert (case.category, case.triage_model) == ("question", None)  # the rules alone
