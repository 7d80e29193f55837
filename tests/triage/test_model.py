"""The trained model: the packaged artifact, the safety rules over it, abstaining, training."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.errors import ConfigError
from citizen_desk.triage import classify, classify_case, explain
from citizen_desk.triage.evaluate import main as evaluate_main
from citizen_desk.triage.features import FeatureSpec, extract, parts
from citizen_desk.triage.model import DEFAULT_PATH, ENV_VAR, FORMAT, load_model, parse_model

CARD = DEFAULT_PATH.with_suffix(".card.json")
TEXTS = [
    "Cho em hỏi đăng ký tạm trú cần giấy tờ gì ạ?",
    "cho e hoi dk tam tru can giay to j a",
    "tối nào cũng có nhóm bốc đầu, nẹt pô ở đường ven biển",
    "dm lũ ăn hại",
    "em đánh rơi ví ở chợ, ai nhặt được xin hậu tạ",
    "cảm ơn các anh đã nhiệt tình giúp đỡ gia đình tôi",
]


def artifact(other_bias: float = 0.0, abstain_below: float = 0.5, **weights: list[float]) -> dict:
    """A hand-made model: every class even, ``other`` ahead by ``other_bias``."""
    classes = list(CATEGORIES)
    return {
        "format": FORMAT,
        "version": "test",
        "classes": classes,
        "features": FeatureSpec().as_dict(),
        "intercept": [other_bias if c == "other" else 0.0 for c in classes],
        "temperature": 1.0,
        "abstain_below": abstain_below,
        "candidate_min": 0.15,
        "weights": {name.replace("__", ":"): row for name, row in weights.items()}
        or {"w:xyz": [0.0] * len(classes)},
    }


def test_the_packaged_model_loads_small_and_described_by_its_card() -> None:
    model = load_model()
    assert model is not None
    assert sorted(model.classes) == sorted(CATEGORIES)
    assert DEFAULT_PATH.stat().st_size < 3_000_000
    card = json.loads(CARD.read_text(encoding="utf-8"))
    assert card["version"] == model.version
    assert card["abstain_below"] == model.abstain_below
    assert card["training_data"]["real_train_rows"] > 0
    assert load_model() is model  # read once per process


def test_the_packaged_model_still_scores_its_card_on_dev() -> None:
    """The model reads the rules' scores: an edit of the vocabulary or the normaliser changes
    its inputs without touching the artifact. Its card's dev figures, recomputed under today's
    rules, catch that drift (then retrain: ``make train-triage``)."""
    from citizen_desk.triage.train import (
        REAL_SET,
        _predict,
        data_hash,
        examples,
        figures,
        read_rows,
    )
    from citizen_desk.triage.vocabulary import load_vocabulary

    model = load_model()
    assert model is not None
    card = json.loads(CARD.read_text(encoding="utf-8"))
    rows = read_rows(REAL_SET, split="dev", real=True)
    assert data_hash(rows) == card["dev_data"]["sha256"]
    decisions = _predict(model, examples(rows, load_vocabulary()))
    assert figures(rows, decisions, model.abstain_below) == card["dev"]


def test_fast_path_equals_the_named_features() -> None:
    model = load_model()
    assert model is not None
    for text in TEXTS:
        detail = explain(text)
        args = (detail.tokens, dict(detail.scores), detail.urgency, detail.triage.category,
                detail.features, model.spec)  # fmt: skip
        slow = model.probabilities(extract(*args))
        fast = model.probabilities_of(parts(*args))
        assert fast == pytest.approx(slow)
        assert sum(fast.values()) == pytest.approx(1.0)


def test_rules_urgency_overrides_the_model() -> None:
    model = parse_model(artifact(other_bias=20.0), "test")
    result = classify("cứu với có đánh nhau ở chợ", model=model)
    assert (result.category, result.urgent, result.needs_human) == ("tip", True, False)


def test_a_tip_the_model_misses_goes_to_a_human_with_tip_a_candidate() -> None:
    model = parse_model(artifact(other_bias=20.0), "test")
    text = "tối nào cũng có nhóm bốc đầu, nẹt pô ở đường ven biển"
    assert classify(text, model=None).category == "tip"
    result = classify(text, model=model)
    assert result.category == "other"
    assert result.confidence > model.abstain_below  # sure of itself, yet not left alone
    assert result.needs_human
    assert result.candidates[:2] == ("other", "tip")


def test_low_confidence_abstains_with_the_likely_categories() -> None:
    even = parse_model(artifact(other_bias=0.0, abstain_below=0.5), "test")
    result = classify("xin chào các anh", model=even)
    assert result.needs_human
    assert result.candidates[0] == result.category
    assert set(result.candidates) == set(CATEGORIES)  # every class at 1/6 >= candidate_min
    sure = parse_model(artifact(other_bias=20.0, abstain_below=0.5), "test")
    confident = classify("xin chào các anh", model=sure)
    assert (confident.category, confident.needs_human, confident.candidates) == (
        "other",
        False,
        (),
    )


def test_a_case_keeps_the_candidates_of_its_doubtful_messages() -> None:
    model = parse_model(artifact(other_bias=20.0), "test")
    result = classify_case(
        ["xin chào", "tối nào cũng có nhóm bốc đầu, nẹt pô ở đường ven biển"], model=model
    )
    assert result.category == "other"
    assert result.needs_human
    assert "tip" in result.candidates


def test_model_off_and_broken_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    assert load_model() is None
    assert classify("dm lũ ăn hại") == classify("dm lũ ăn hại", model=None)
    bad = artifact()
    bad["classes"] = ["tip", "other"]
    with pytest.raises(ConfigError, match="classes"):
        parse_model(bad, "x.json")
    bad = artifact(w__ngu=[1.0, 2.0])
    with pytest.raises(ConfigError, match=r"weights\.w:ngu"):
        parse_model(bad, "x.json")
    with pytest.raises(ConfigError, match="abstain_below"):
        parse_model({**artifact(), "abstain_below": 2}, "x.json")
    path = tmp_path / "model.json"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))
    with pytest.raises(ConfigError, match="invalid JSON"):
        load_model()


# --- training ------------------------------------------------------------------------------------

TINY = [
    ("r1", "cho em hỏi làm căn cước ở đâu ạ", "question", "train"),
    ("r2", "cho mình hỏi đăng ký tạm trú thế nào", "question", "train"),
    ("r3", "cho hỏi thủ tục cấp hộ chiếu", "question", "train"),
    ("r4", "ở ngõ 5 có người bán ma túy", "tip", "train"),
    ("r5", "quán cà phê đầu hẻm tổ chức đánh bạc", "tip", "train"),
    ("r6", "có nhóm thanh niên đua xe mỗi tối ở đường ven biển", "tip", "train"),
    ("r7", "đồ ngu, lũ ăn hại", "abuse", "train"),
    ("r8", "dm bọn mày", "abuse", "train"),
    ("r9", "óc chó thật sự", "abuse", "train"),
    ("r13", "cảm ơn các anh công an đã giúp đỡ", "feedback", "train"),
    ("r14", "cán bộ tiếp dân thái độ hách dịch quá", "feedback", "train"),
    ("r15", "góp ý nên mở thêm quầy làm căn cước", "feedback", "train"),
    ("r16", "em đánh rơi ví ở chợ", "lost_found", "train"),
    ("r17", "ai nhặt được điện thoại xin liên hệ", "lost_found", "train"),
    ("r18", "tìm người thân đi lạc từ sáng", "lost_found", "train"),
    ("r19", "hôm nay trời đẹp quá", "other", "train"),
    ("r20", "haha vui ghê", "other", "train"),
    ("r21", "ok ad", "other", "train"),
    ("r10", "cho em hỏi làm giấy phép lái xe ở đâu", "question", "dev"),
    ("r11", "chỗ ngã tư có người bán ma túy", "tip", "dev"),
    ("r12", "lũ ngu", "abuse", "dev"),
]


def _write_tiny(path: Path) -> None:
    rows = [
        {"id": i, "text": t, "category": c, "accepted": [], "urgent": False, "split": s}
        for i, t, c, s in TINY
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")


def test_training_is_deterministic_and_learns_the_tiny_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citizen_desk.triage import train

    monkeypatch.setattr(train, "FOLDS", 3)  # three rows a class
    real = tmp_path / "real.jsonl"
    _write_tiny(real)
    grid = [
        train.Params(1.0, False, 1.0, FeatureSpec()),
        train.Params(10.0, True, 1.0, FeatureSpec()),
    ]
    first = train.train(real, None, grid)
    second = train.train(real, None, grid)
    assert first == second
    artifact_doc, card = first
    assert card["training_data"]["real_train_rows"] == 18
    assert card["dev_data"]["rows"] == 3
    assert len(card["grid"]) == 2
    model_path, card_path = train.write(artifact_doc, card, tmp_path / "models")
    model = load_model(model_path)
    assert model is not None
    assert model.version == artifact_doc["version"]
    assert json.loads(card_path.read_text(encoding="utf-8"))["version"] == model.version
    for _, text, category, split in TINY:
        if split != "train":
            continue
        assert classify(text, model=model).category == category, text


def test_selection_follows_the_worst_goal_then_macro_recall_then_log_loss() -> None:
    """A grid point is judged by its worst goal ratio (dev figure / the issue's target), not by
    accuracy: one more dev message right costs nothing if abuse recall falls far from its goal."""
    from citizen_desk.triage import train

    spec = FeatureSpec()
    rest = {"question": 1.0, "feedback": 0.5, "lost_found": 0.5, "other": 0.5}

    def point(c: float, accuracy: float, tip: float, abuse: float, loss: float, **more: float):
        recall = {**rest, **more, "tip": tip, "abuse": abuse}
        return train.Searched(train.Params(c, False, 1.0, spec), accuracy, loss, recall)

    accurate = point(1.0, 0.64, tip=0.65, abuse=0.40, loss=1.0)  # abuse 0.47 of its goal
    balanced = point(2.0, 0.63, tip=0.70, abuse=0.70, loss=1.4)  # worst: accuracy 0.70
    assert min([accurate, balanced], key=train.selection_key) is balanced
    tied = point(3.0, 0.63, tip=0.69, abuse=0.70, loss=1.5, lost_found=0.6)  # same worst
    assert min([balanced, tied], key=train.selection_key) is tied  # higher macro recall
    same = point(4.0, 0.63, tip=0.70, abuse=0.70, loss=1.2)
    assert min([balanced, same], key=train.selection_key) is same  # lower log loss
    assert balanced.goal_ratios() == {"accuracy": 0.7, "tip": round(0.7 / 0.95, 6),
                                      "abuse": round(0.7 / 0.85, 6)}  # fmt: skip
    no_abuse = train.Searched(balanced.params, 0.63, 1.4, {**balanced.recall, "abuse": None})
    assert set(no_abuse.goal_ratios()) == {"accuracy", "tip"}  # a goal dev cannot measure


def test_the_card_records_every_grid_points_dev_figures() -> None:
    """The choice can be checked from the card: each grid point's dev accuracy, per-category
    recall and goal ratios, and the chosen one is the best by the stated rule."""
    from citizen_desk.triage import train

    card = json.loads(CARD.read_text(encoding="utf-8"))
    assert card["selection"] == train.SELECTION
    assert len(card["grid"]) == len(train.GRID)
    for entry in card["grid"]:
        assert set(entry["dev_recall"]) == set(CATEGORIES)
        assert set(entry["dev_goal_ratios"]) == {name for name, _ in train.GOALS}

    def key(entry: dict) -> tuple[float, float, float]:
        return (
            -min(entry["dev_goal_ratios"].values()),
            -entry["dev_macro_recall"],
            entry["dev_log_loss"],
        )

    best = min(card["grid"], key=key)
    assert {k: best[k] for k in card["chosen"]} == card["chosen"]


def test_training_needs_every_category(tmp_path: Path) -> None:
    from citizen_desk.triage import train

    real = tmp_path / "real.jsonl"
    _write_tiny(real)
    lines = [line for line in real.read_text("utf-8").splitlines() if '"other"' not in line]
    real.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(ValueError, match="other"):
        train.train(real, None, [train.Params(1.0, False, 1.0, FeatureSpec())])


def test_evaluate_reports_sources_diacritics_and_rules(tmp_path: Path) -> None:
    path = tmp_path / "real.jsonl"
    rows = [
        {"id": "a", "text": "cho em hỏi làm căn cước ở đâu", "category": "question",
         "topic": "id_card", "urgent": False, "source": "https://example.org/a",
         "source_kind": "qa", "accepted": [], "split": "dev"},
        {"id": "b", "text": "dm lu an hai", "category": "abuse", "topic": None, "urgent": False,
         "source": "dataset:ViHSD/dev.csv#1", "source_kind": "dataset", "accepted": [],
         "split": "dev"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    out = io.StringIO()
    assert evaluate_main([str(path)], stdout=out) == 0
    text = out.getvalue()
    for expected in ("dataset: ViHSD", "qa ", "with diacritics", "without diacritics",
                     "the rules alone:", "model 1-"):  # fmt: skip
        assert expected in text, expected
    out = io.StringIO()
    assert evaluate_main([str(path), "--rules-only"], stdout=out) == 0
    assert "(rules only)" in out.getvalue()
    assert "the rules alone:" not in out.getvalue()
