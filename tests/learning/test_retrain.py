"""The weekly retrain's task bodies (`learning.retrain`) on SQLite and PostgreSQL: the shipped
champion seeded, a challenger trained on the corpus and the corrections, measured beside the
champion, promoted or not, once per week; and the promotion rule itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import LearningPolicy
from citizen_desk.db.models import TriageModelVersion
from citizen_desk.learning import retrain
from citizen_desk.learning.corrections import correct_case
from citizen_desk.learning.figures import decide
from citizen_desk.learning.versions import current_champion
from citizen_desk.triage.features import FeatureSpec
from citizen_desk.triage.model import load_model
from citizen_desk.triage.train import Params
from tests.conftest import NOW
from tests.learning.helpers import PLAIN_TIP, QUESTION, audit, case_of, counts, ingest
from tests.learning.models import add_version, skewed

# one grid point (words and bigrams): a few seconds instead of the full grid's twenty
SOURCES = retrain.Sources(grid=(Params(1.0, True, 3.0, FeatureSpec(char_min=0, char_max=0)),))
DAY = timedelta(days=1)
FIGURE_KEYS = {
    "test_rows", "test_accuracy", "tip_recall", "urgent_rows", "urgent_recall", "false_urgents",
    "false_urgent_rate", "abuse_recall", "recent_corrections", "recent_agreement",
}  # fmt: skip


def policy(margin: float) -> LearningPolicy:
    return LearningPolicy(promotion_margin=margin, recent_window=7 * DAY, min_recent_corrections=2)


def corrections(engine) -> tuple[int, int]:
    """Three corrections made 10 days ago (trained on) and two yesterday (held out)."""
    made = []
    for when, texts, verdict in (
        (NOW - 10 * DAY, [QUESTION], "feedback"),
        (NOW - 10 * DAY, [PLAIN_TIP], "tip"),
        (NOW - 10 * DAY, ["Dạ em cảm ơn các anh nhiều ạ"], "feedback"),
        (NOW - DAY, [QUESTION], "question"),
        (NOW - DAY, [PLAIN_TIP], "other"),
    ):
        thread = ingest(engine, texts, at=when - 2 * DAY)
        with Session(engine) as session:
            case = case_of(session, thread)
            correct_case(session, case.id, category=verdict, urgent=False, actor="officer",
                         now=when)  # fmt: skip
            session.commit()
        made.append(when)
    return sum(w < NOW - 7 * DAY for w in made), sum(w >= NOW - 7 * DAY for w in made)


def run(engine, margin: float) -> tuple[dict, dict, dict]:
    args = {"now": NOW, "actor": "retrain_triage_model/run", "policy": policy(margin)}
    shipped = retrain.register_shipped(engine, sources=SOURCES, **args)
    trained = retrain.train_challenger(engine, sources=SOURCES, **args)
    decided = retrain.decide(engine, **args)
    return shipped, trained, decided


def test_a_challenger_short_of_the_margin_is_kept_and_a_rerun_changes_nothing(synced_engine):
    older, recent = corrections(synced_engine)
    shipped, trained, decided = run(synced_engine, margin=0.5)  # 50 points: out of reach
    assert shipped == {"version": load_model().version, "status": "champion", "added": True}
    assert trained["week"] == "2026-W48"
    assert (trained["correction_rows"], trained["recent_corrections"]) == (older, recent)
    assert trained["champion"] == load_model().version
    assert decided["promote"] is False
    assert any(reason.startswith("điểm tăng") for reason in decided["reasons"])
    with Session(synced_engine) as session:
        champion = current_champion(session)
        assert champion.version == load_model().version
        assert set(champion.figures) >= FIGURE_KEYS  # measured again this week
        assert champion.evaluated_at == NOW
        assert champion.figures["recent_corrections"] == recent
        challenger = session.scalars(
            select(TriageModelVersion).where(TriageModelVersion.week == "2026-W48")
        ).one()
        assert (challenger.status, challenger.origin) == ("challenger", "retrained")
        assert set(challenger.figures) >= FIGURE_KEYS
        assert challenger.figures["training"]["correction_rows"] == older
        assert challenger.figures["decision"]["champion"] == champion.version
        assert [a for _, a in audit(session, "triage_model", challenger.version)] == [
            "triage_model_trained",
            "triage_model_decided",
        ]
    before = counts(synced_engine)
    again_shipped, again_trained, again_decided = run(synced_engine, margin=0.0)
    assert again_shipped["added"] is False
    assert again_trained == {"week": "2026-W48", "version": trained["version"],
                             "already_trained": True}  # fmt: skip
    assert again_decided["promote"] is False  # decided once: a rerun does not decide again
    assert counts(synced_engine) == before


def test_a_better_challenger_is_promoted(synced_engine):
    """The champion says "other" to nearly everything: a challenger trained the usual way beats
    it by far, and the rules keep the urgent tips for both, so neither recall drops."""
    with Session(synced_engine) as session:
        bad = add_version(session, skewed("other", "1-otheronly"), status="champion",
                          now=NOW - 30 * DAY)  # fmt: skip
        session.commit()
        bad_id = bad.id
    shipped, trained, decided = run(synced_engine, margin=0.01)
    assert (shipped["status"], shipped["added"]) == ("challenger", True)  # a learned champion
    assert decided["promote"] is True, decided
    assert decided["challenger_score"] >= decided["champion_score"] + 0.01
    with Session(synced_engine) as session:
        champion = current_champion(session)
        assert (champion.version, champion.week) == (trained["version"], "2026-W48")
        assert champion.champion_since == NOW
        assert session.get(TriageModelVersion, bad_id).status == "retired"
        assert audit(session, "triage_model", champion.version)[-2:] == [
            ("retrain_triage_model/run", "triage_model_champion"),
            ("retrain_triage_model/run", "triage_model_decided"),
        ]
    thread = ingest(synced_engine, [QUESTION], at=NOW + DAY)  # the collection follows at once
    with Session(synced_engine) as session:
        assert case_of(session, thread).triage_model == trained["version"]


@pytest.mark.parametrize(
    ("challenger", "promote", "reason"),
    [
        ({"test_accuracy": 0.70, "tip_recall": 0.9, "urgent_recall": 1.0}, True, None),
        ({"test_accuracy": 0.655, "tip_recall": 0.9, "urgent_recall": 1.0}, False, "điểm tăng"),
        ({"test_accuracy": 0.80, "tip_recall": 0.85, "urgent_recall": 1.0}, False, "tin báo"),
        ({"test_accuracy": 0.80, "tip_recall": 0.9, "urgent_recall": 0.5}, False, "tin khẩn"),
    ],
)
def test_the_promotion_rule(challenger, promote, reason):
    champion = {"test_accuracy": 0.65, "tip_recall": 0.9, "urgent_recall": 1.0}
    decision = decide(champion, challenger, policy(0.01))
    assert decision["promote"] is promote
    assert decision["basis"] == "test"
    if reason:
        assert any(reason in r for r in decision["reasons"]), decision["reasons"]


def test_enough_recent_corrections_count_in_the_score():
    champion = {"test_accuracy": 0.70, "tip_recall": 0.9, "urgent_recall": 1.0,
                "recent_corrections": 30, "recent_agreement": 0.60}  # fmt: skip
    challenger = {**champion, "test_accuracy": 0.70, "recent_agreement": 0.80}
    decision = decide(champion, challenger, policy(0.05))
    assert (decision["basis"], decision["gain"], decision["promote"]) == ("test+corrections",
                                                                         0.1, True)  # fmt: skip
    few = {**challenger, "recent_corrections": 1}
    assert decide({**champion, "recent_corrections": 1}, few, policy(0.05))["promote"] is False
