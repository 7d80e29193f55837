"""The weekly retrain of the triage model: a challenger, measured beside the champion, promoted
only when it is better (the task bodies of `retrain_triage_model` call these).

1. :func:`register_shipped`: the shipped artifact is recorded (and is the champion when there
   is none), with its figures (`learning.versions.seed_shipped`).
2. :func:`train_challenger`: the challenger is trained the way ``make train-triage`` trains
   (`triage.train.train`: same recipe, hyper-parameters chosen on `dev` by the issue's goals
   (`triage.train.selection_key`), abstain threshold on `dev`, deterministic) on the corpus's
   `train` split, the synthetic set when present, and every correction made before the recent
   window, as rows labelled with the officer's category (`learning.dataset`: masked, never a
   test-split text). The corrections of the recent window (`triage_learning.recent_window`, default
   7 days) are held out: both models are measured on them and on the frozen `test` split
   (`learning.figures`). The challenger is stored for the run's ISO week (`triage_models.week`,
   unique: a rerun trains nothing new); a challenger identical to a stored version (nothing new to
   learn) is not stored again.
3. :func:`decide`: promoted only if it beats the champion's score by `promotion_margin` without
   losing tip or urgent recall (`learning.figures.decide`); the decision and its reasons are kept
   with the challenger's figures, the champion's figures are those measured the same week.

Nothing here holds message text beyond the task's memory: figures, logs and return values are
counts, shares and version ids.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from citizen_desk.config.registry import LearningPolicy, deployment_zone
from citizen_desk.db.audit import record_audit
from citizen_desk.db.engine import session_scope
from citizen_desk.db.models import TriageModelVersion
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.domain.vocabulary import TriageModelOrigin
from citizen_desk.learning.dataset import held_out_keys, load_corrections, training_rows
from citizen_desk.learning.figures import decide as decide_promotion
from citizen_desk.learning.figures import measure
from citizen_desk.learning.versions import (
    CHALLENGER,
    by_version,
    current_champion,
    make_champion,
    model_of,
    seed_shipped,
)
from citizen_desk.triage.evaluate import load_examples
from citizen_desk.triage.model import parse_model
from citizen_desk.triage.train import GRID, REAL_SET, SYNTHETIC_SET, Params, train
from citizen_desk.triage.vocabulary import load_vocabulary

log = logging.getLogger(__name__)
TRAINED = "triage_model_trained"
DECIDED = "triage_model_decided"


@dataclass(frozen=True)
class Sources:
    """What a challenger is trained and measured on (tests pass a one-point grid)."""

    corpus: Path = REAL_SET
    synthetic: Path | None = SYNTHETIC_SET  # used when the file exists (not in the image)
    grid: Sequence[Params] | None = None  # None: `make train-triage`'s grid


def iso_week(now: datetime) -> str:
    """The run's ISO week in the deployment's zone, e.g. ``2026-W48`` (the retrain's key)."""
    year, week, _ = now.astimezone(deployment_zone()).isocalendar()
    return f"{year}-W{week:02d}"


def _test(sources: Sources) -> list[Any]:
    return load_examples(sources.corpus, "test")


def register_shipped(
    engine: Engine, *, now: datetime, actor: str, policy: LearningPolicy, sources: Sources
) -> dict[str, Any]:
    """Step 1 (see the module docstring)."""
    test, vocab = _test(sources), load_vocabulary()
    with session_scope(engine) as session:
        recent = load_corrections(session, since=now - policy.recent_window, until=now)
        row, added = seed_shipped(
            session, now=now, actor=actor, measure=lambda model: measure(model, test, recent, vocab)
        )
        return {"version": row.version, "status": row.status, "added": added}


def train_challenger(
    engine: Engine, *, now: datetime, actor: str, policy: LearningPolicy, sources: Sources
) -> dict[str, Any]:
    """Step 2 (see the module docstring); returns counts and version ids."""
    week = iso_week(now)
    since = now - policy.recent_window
    with session_scope(engine) as session:
        done = session.scalar(select(TriageModelVersion).where(TriageModelVersion.week == week))
        if done is not None:
            return {"week": week, "version": done.version, "already_trained": True}
        champion = current_champion(session)
        if champion is None:
            raise RuntimeError("no champion in triage_models: register the shipped model first")
        champion_version, champion_model = champion.version, model_of(champion)
        older = load_corrections(session, until=since)
        recent = load_corrections(session, since=since, until=now)
        rows, excluded = training_rows(session, older, held_out_keys(sources.corpus))

    synthetic = sources.synthetic if sources.synthetic and sources.synthetic.exists() else None
    import sklearn.linear_model  # noqa: F401  (loads BLAS, so that the limit below reaches it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # as `make train-triage`: one BLAS thread, repeatable
        grid = sources.grid or GRID
        artifact, card = train(sources.corpus, synthetic, grid, extra_rows=rows)
    challenger = parse_model(artifact, "(retrain)")
    test, vocab = _test(sources), load_vocabulary()
    champion_figures = measure(champion_model, test, recent, vocab)
    figures = measure(challenger, test, recent, vocab)
    figures["training"] = {
        **card["training_data"],
        "correction_rows": len(rows),
        "corrections_overlapping_test": excluded,
        "chosen": card["chosen"],
        "dev_accuracy": card["dev"]["accuracy"],
    }
    summary = {
        "week": week,
        "version": challenger.version,
        "champion": champion_version,
        "correction_rows": len(rows),
        "corrections_overlapping_test": excluded,
        "recent_corrections": len(recent),
        "synthetic_rows": card["training_data"]["synthetic_rows"],
    }
    with session_scope(engine) as session:
        measured = by_version(session, champion_version)
        if measured is not None:
            measured.figures = {**(measured.figures or {}), **champion_figures}
            measured.evaluated_at = now
        if by_version(session, challenger.version) is not None:
            log.info("retrain %s: the challenger is version %s again", week, challenger.version)
            return {**summary, "identical_to_stored": True}
        values = {
            "version": challenger.version,
            "origin": TriageModelOrigin.RETRAINED.value,
            "week": week,
            "status": CHALLENGER,
            "artifact": artifact,
            "figures": figures,
            "evaluated_at": now,
            "created_at": now,
        }
        if not insert_if_absent(session, TriageModelVersion, values, ["week"]):
            return {**summary, "already_trained": True}  # a concurrent run stored the week's
        record_audit(
            session, entity_type="triage_model", entity_id=challenger.version, action=TRAINED,
            actor=actor, at=now, after={k: v for k, v in summary.items() if k != "version"},
        )  # fmt: skip
    log.info("retrain %s: challenger %s (%s correction rows)", week, challenger.version, len(rows))
    return summary


def decide(engine: Engine, *, now: datetime, actor: str, policy: LearningPolicy) -> dict[str, Any]:
    """Step 3 (see the module docstring); idempotent: a decided week is not decided again."""
    week = iso_week(now)
    with session_scope(engine) as session:
        row = session.scalar(select(TriageModelVersion).where(TriageModelVersion.week == week))
        if row is None:
            return {"week": week, "skipped": "no challenger stored for the week"}
        figures = dict(row.figures or {})
        if "decision" in figures:
            return {"week": week, "version": row.version, **figures["decision"]}
        champion = current_champion(session)
        if champion is None:
            raise RuntimeError("no champion in triage_models")
        decision = decide_promotion(champion.figures or {}, figures, policy)
        row.figures = {**figures, "decision": {**decision, "champion": champion.version}}
        session.flush()
        if decision["promote"]:
            make_champion(session, row.id, actor=actor, now=now, reason="promoted")
        record_audit(
            session, entity_type="triage_model", entity_id=row.version, action=DECIDED,
            actor=actor, at=now, after={**decision, "champion": champion.version},
        )  # fmt: skip
        return {"week": week, "version": row.version, **decision, "champion": champion.version}
