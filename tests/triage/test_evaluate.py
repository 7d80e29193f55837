from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from citizen_desk.errors import ConfigError
from citizen_desk.triage.evaluate import evaluate, load_examples, main

EXAMPLES = [
    {"id": "a", "text": "cho em hỏi làm căn cước ở đâu", "category": "question",
     "topic": "id_card", "urgent": False},
    {"id": "b", "text": "cứu với, cháy nhà", "category": "tip", "topic": "fire", "urgent": True},
    {"id": "c", "text": "xin chào", "category": "feedback", "topic": None, "urgent": False},
]  # fmt: skip


@pytest.fixture
def small_set(tmp_path: Path) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in EXAMPLES) + "\n", "utf-8")
    return path


def test_metrics(small_set: Path) -> None:
    report = evaluate(load_examples(small_set))
    assert report.total == 3
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.confusion["feedback"]["other"] == 1
    scores = report.per_category()
    assert scores["question"].precision == 1.0
    assert scores["feedback"].recall == 0.0
    assert report.urgent_recall == 1.0
    assert [o.example.id for o in report.errors] == ["c"]


def test_main_prints_matrix_and_scores(small_set: Path) -> None:
    out = io.StringIO()
    assert main([str(small_set), "--errors"], stdout=out) == 0
    text = out.getvalue()
    assert "accuracy: 66.7%" in text
    assert "confusion (rows = expected, columns = predicted)" in text
    assert "precision" in text
    assert "recall" in text
    assert "f1" in text
    assert "c: expected feedback, got other" in text


def test_malformed_set(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "x", "category": "nope", "urgent": false}\n', "utf-8")
    with pytest.raises(ConfigError, match="line 1"):
        load_examples(path)
    assert main([str(path)], stdout=io.StringIO()) == 2


def test_split_filter_and_extra_fields(tmp_path: Path) -> None:
    path = tmp_path / "real.jsonl"
    rows = [
        {**e, "split": split, "source": "https://example.org/a", "pii": [], "accepted": []}
        for e, split in zip(EXAMPLES, ["train", "test", "test"], strict=True)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    assert [e.id for e in load_examples(path)] == ["a", "b", "c"]
    assert [e.id for e in load_examples(path, "test")] == ["b", "c"]
    assert load_examples(path, "dev") == []
    out = io.StringIO()
    assert main([str(path), "--split", "train"], stdout=out) == 0
    assert "[split train]" in out.getvalue()
    assert "examples: 1   accuracy: 100.0%" in out.getvalue()
