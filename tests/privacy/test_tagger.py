"""The named-entity pipeline without underthesea's quadratic features: the very same output."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from citizen_desk.privacy.tagger import ner, sentence_features

ROOT = Path(__file__).resolve().parents[2]
TEXT_SETS = (
    ROOT / "tests" / "triage" / "eval_set.jsonl",
    ROOT / "datasets" / "real" / "triage.jsonl",
)


def _texts() -> list[str]:
    """The triage evaluation set and the real set's training rows (never its test split)."""
    texts = []
    for path in TEXT_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row.get("split", "train") != "test":
                texts.append(row["text"])
    return texts


def _templates() -> list[tuple[str, ...]]:
    from underthesea.pipeline.chunking.model_crf import CRFChunkingPredictor
    from underthesea.pipeline.ner.model_crf import CRFNERPredictor
    from underthesea.pipeline.pos_tag.model_crf import CRFPOSTagPredictor

    return [
        tuple(p.Instance().transformer.template)
        for p in (CRFPOSTagPredictor, CRFChunkingPredictor, CRFNERPredictor)
    ]


def test_features_are_underthesea_s_on_odd_sentences() -> None:
    from underthesea.pipeline.ner.tagged_feature import word2features

    rng = random.Random(7)
    words = ["Nguyễn", "văn", "An", "ở", "Hà Nội", "0912", "", "a  b", "CSGT", "Thanh Hóa", "."]
    for template in _templates():
        width = 4 if "[3]" in "".join(template) else 3 if "[2]" in "".join(template) else 2
        for size in (0, 1, 2, 3, 7):
            for _ in range(5):
                sent = [(*(rng.choice(words) for _ in range(width - 1)), "X") for _ in range(size)]
                expected = [word2features(sent, i, list(template)) for i in range(len(sent))]
                assert sentence_features(sent, template) == expected


@pytest.mark.parametrize("start", range(4))
def test_ner_is_underthesea_s_on_real_texts(start: int) -> None:
    from underthesea import ner as reference

    texts = _texts()[start::8][:30]  # a spread of both sets (the whole sets take ~30 s)
    assert texts
    for text in texts:
        assert ner(text) == reference(text), text
