"""The shipped models are what ``make train-triage`` makes of today's corpus, rules and code.

The category model reads the rules' scores, so an edit of the vocabulary, the normaliser or the
feature code changes its training inputs without touching the artifact. That happened once: the
``typed: plain`` rework (0138297) changed the rules' urgency on four synthetic training rows,
dev did not move, and the retrain chose other hyper-parameters (1-58bc5d49407c shipped, the recipe
made 1-bb7cf034cfeb). The fast checks compare a fingerprint of the inputs recorded in each card;
the slow one retrains both models and compares the files byte for byte.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from citizen_desk.triage.features import FeatureSpec

RETRAIN = "the shipped model is stale: run `make train-triage` and commit the models"


def _card(name: str) -> dict:
    from citizen_desk.triage.model import DEFAULT_PATH

    card_path = DEFAULT_PATH.parent / Path(name).with_suffix(".card.json")
    return json.loads(card_path.read_text(encoding="utf-8"))


def test_the_shipped_category_model_was_trained_on_todays_inputs() -> None:
    import sklearn

    from citizen_desk.triage import train
    from citizen_desk.triage.vocabulary import load_vocabulary

    card = _card("triage-model.json")
    vocab = load_vocabulary()
    rows = train.read_rows(train.REAL_SET, split="train", real=True)
    rows += train.read_rows(train.SYNTHETIC_SET, split=None, real=False)
    dev = train.read_rows(train.REAL_SET, split="dev", real=True)
    assert train.data_hash(rows) == card["training_data"]["sha256"], RETRAIN
    fingerprint = train.inputs_fingerprint(
        train.examples(rows, vocab), train.examples(dev, vocab), train.GRID
    )
    assert fingerprint == card["inputs_sha256"], RETRAIN
    assert sklearn.__version__ == card["scikit_learn"], "trained with another scikit-learn"


def test_the_shipped_urgency_model_was_trained_on_todays_rows() -> None:
    from citizen_desk.triage import urgency_train
    from citizen_desk.triage.vocabulary import load_vocabulary

    card = _card("urgency-model.json")
    vocab = load_vocabulary()
    rows = urgency_train.read_urgency_rows(vocab=vocab)
    extra = urgency_train.read_synthetic_calm(vocab=vocab)
    assert urgency_train.data_digest([*rows, *extra]) == card["training_data"]["sha256"], RETRAIN


def test_the_fingerprint_follows_the_features_not_only_the_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same rows, same labels, one feature more (as a rule edit gives): another fingerprint."""
    from citizen_desk.triage import train
    from citizen_desk.triage.vocabulary import load_vocabulary

    rows = [
        train.Row("a", "cho em hỏi làm căn cước ở đâu", "question", (), False, True),
        train.Row("b", "cứu với nhà em đang bị cháy", "tip", (), True, True),
    ]
    grid = [train.Params(1.0, False, 1.0, FeatureSpec())]
    vocab = load_vocabulary()
    before = train.inputs_fingerprint(train.examples(rows, vocab), [], grid)
    assert before == train.inputs_fingerprint(train.examples(rows, vocab), [], grid)
    real_extract = train.extract
    monkeypatch.setattr(train, "extract", lambda *a: {**real_extract(*a), "r:new": 1.0})
    assert train.inputs_fingerprint(train.examples(rows, vocab), [], grid) != before
    monkeypatch.undo()
    other_grid = [train.Params(3.0, False, 1.0, FeatureSpec())]
    assert train.inputs_fingerprint(train.examples(rows, vocab), [], other_grid) != before


@pytest.mark.slow
def test_make_train_triage_reproduces_the_shipped_files(tmp_path: Path) -> None:
    """What ``make train-triage`` runs, written elsewhere: the same bytes as the shipped files
    (about 30 s on one core)."""
    from citizen_desk.triage import train, urgency_train
    from citizen_desk.triage.model import DEFAULT_PATH

    assert train.main(["--output", str(tmp_path)], stdout=io.StringIO()) == 0
    assert urgency_train.main(["--output", str(tmp_path)], stdout=io.StringIO()) == 0
    names = [
        "triage-model.json", "triage-model.card.json",
        "urgency-model.json", "urgency-model.card.json",
    ]  # fmt: skip
    for name in names:
        shipped = (DEFAULT_PATH.parent / name).read_bytes()
        assert (tmp_path / name).read_bytes() == shipped, f"{name}: {RETRAIN}"
