"""Model versions (`learning.versions`): the shipped artifact seeded once, a release's artifact
replacing a shipped champion (not a learned one), one champion at a time, audited switches."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citizen_desk.db.models import TriageModelVersion
from citizen_desk.errors import WorkflowError
from citizen_desk.learning.versions import current_champion, make_champion, seed_shipped
from citizen_desk.triage.model import load_model
from tests.conftest import NOW
from tests.learning.helpers import audit, counts
from tests.learning.models import add_version, skewed

H = timedelta(hours=1)


def release(tmp_path, version: str):
    """A later release's artifact (same weights, another version)."""
    path = tmp_path / f"{version}.json"
    path.write_text(json.dumps(skewed("other", version, push=0.0)), encoding="utf-8")
    return path


def test_the_shipped_artifact_is_seeded_once_as_the_champion(synced_engine):
    with Session(synced_engine) as session:
        row, added = seed_shipped(session, now=NOW, actor="run", measure=lambda m: {"v": m.version})
        session.commit()
        assert added
        assert (row.version, row.status, row.origin) == (
            load_model().version,
            "champion",
            "shipped",
        )
        assert row.figures == {"v": load_model().version}
        assert audit(session, "triage_model", row.version) == [("run", "triage_model_champion")]
    before = counts(synced_engine)
    with Session(synced_engine) as session:
        again, added = seed_shipped(session, now=NOW + H, actor="run2")
        session.commit()
        assert not added
        assert again.status == "champion"
    assert counts(synced_engine) == before


def test_a_release_replaces_a_shipped_champion_but_not_a_learned_one(synced_engine, tmp_path):
    with Session(synced_engine) as session:
        seed_shipped(session, now=NOW, actor="run")
        row, _ = seed_shipped(session, now=NOW + H, actor="run", path=release(tmp_path, "2-next"))
        session.commit()
        assert (row.version, row.status) == ("2-next", "champion")
        assert current_champion(session).version == "2-next"
        learned = add_version(session, skewed("tip", "2-learned"), status="retired", now=NOW)
        make_champion(session, learned.id, actor="tech", now=NOW + 2 * H, reason="rollback")
        row, _ = seed_shipped(session, now=NOW + 3 * H, actor="run",
                              path=release(tmp_path, "3-later"))  # fmt: skip
        session.commit()
        assert row.status == "challenger"  # one click away on the model page
        assert current_champion(session).version == "2-learned"
        statuses = dict(session.execute(select(TriageModelVersion.version,
                                               TriageModelVersion.status)).all())  # fmt: skip
    assert statuses == {
        load_model().version: "retired",
        "2-next": "retired",
        "2-learned": "champion",
        "3-later": "challenger",
    }


def test_one_champion_at_a_time(synced_engine):
    with Session(synced_engine) as session:
        first = add_version(session, skewed("tip", "1-a"), status="champion", now=NOW)
        session.commit()
        with pytest.raises(WorkflowError, match="đang được dùng"):
            make_champion(session, first.id, actor="tech", now=NOW, reason="rollback")
        session.rollback()
        with pytest.raises(IntegrityError):  # the database itself refuses a second champion
            add_version(session, skewed("abuse", "1-b"), status="champion", now=NOW)
        session.rollback()
