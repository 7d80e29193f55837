"""The urgency model beside the rules: its artifact, its class features, how it combines with the
rules (safety net kept, urgency only added, explained, sent to a human), training."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from citizen_desk.errors import ConfigError
from citizen_desk.text.normalize import normalize, strip_diacritics
from citizen_desk.triage import classify, explain
from citizen_desk.triage.model import load_model
from citizen_desk.triage.urgency_classes import class_counts, class_features
from citizen_desk.triage.urgency_model import (
    CALM_VETO,
    DEFAULT_PATH,
    ENV_VAR,
    FORMAT,
    GATE_PROBABILITY,
    GATE_SCORE,
    MODEL_CUE,
    UrgencyModel,
    features,
    fused,
    load_urgency_model,
    parse_urgency_model,
)

CARD = DEFAULT_PATH.with_suffix(".card.json")


def folded(text: str) -> tuple[str, ...]:
    return normalize(text).folded


def always(**weights: float) -> UrgencyModel:
    """A hand-made model that calls everything urgent (threshold 0), words weighted as given."""
    return UrgencyModel("test", {f"w:{k}": v for k, v in weights.items()} or {"w:x": 0.0}, 0, 0)


NEVER = UrgencyModel("never", {"w:x": 0.0}, -10.0, 1.0)
CALM = "cho em hỏi làm căn cước gắn chip ở đâu ạ"  # no urgency cue of the rules
URGENT = "Cứu với, nhà em nước lên tới mái rồi, có 2 đứa nhỏ"  # the rules' urgency


def test_the_packaged_model_loads_and_matches_its_card() -> None:
    model = load_urgency_model()
    assert model is not None
    assert 0 < model.threshold < 1
    assert DEFAULT_PATH.stat().st_size < 1_000_000
    card = json.loads(CARD.read_text(encoding="utf-8"))
    assert card["version"] == model.version
    assert card["cv_at_threshold"]["threshold"] == model.threshold
    assert card["cv_at_threshold"]["false_share"] <= 0.03  # the budget it was chosen for
    assert card["training_data"]["splits"] == ["train", "dev"]
    assert load_urgency_model() is model  # read once per process


def test_off_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    assert load_urgency_model() is None
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("CITIZEN_DESK_TRIAGE_MODEL", "off")  # rules alone: no model at all
    assert load_urgency_model() is None


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ([], "(root)"),
        ({"format": "other"}, "format"),
        ({"format": FORMAT, "weights": {}}, "weights"),
        ({"format": FORMAT, "weights": {"w:a": "x"}}, "weights.w:a"),
        ({"format": FORMAT, "weights": {"w:a": 1}, "intercept": 0, "threshold": 2}, "threshold"),
        (
            {"format": FORMAT, "weights": {"w:a": 1}, "intercept": 0, "threshold": 0.5},
            "version",
        ),
    ],
)
def test_a_broken_artifact_names_its_key(document: object, key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(key)):
        parse_urgency_model(document, "m.json")


def test_class_features_read_typing_with_and_without_diacritics_alike() -> None:
    text = "Cứu với, con tôi 4 tuổi bị bắt cóc đang bị nhốt"
    assert class_features(folded(text)) == class_features(folded(strip_diacritics(text)))
    counts = class_counts(folded(text))
    assert counts["captivity"] >= 2
    assert counts["plea"] >= 1
    assert counts["child"] == 1
    found = class_features(folded(text))
    assert found["x:danger&now"] == found["x:danger&plea"] == 1.0


@pytest.mark.parametrize(
    ("text", "age"),
    [("bé 4 tuổi đi lạc", "child"), ("cháu 15 tuổi bỏ nhà", "teen"), ("em gai e 19t", "adult"),
     ("bé 3 tháng tuổi sốt cao", "child")],
)  # fmt: skip
def test_a_stated_age_makes_its_class(text: str, age: str) -> None:
    assert class_counts(folded(text)).get(age) == 1


def test_phrases_never_cross_a_clause_break() -> None:
    assert "past" not in class_counts(folded("hôm, qua"))
    assert "past" in class_counts(folded("hôm qua"))
    assert "b:hom qua" not in features(folded("hôm, qua"))


def test_the_rules_stay_the_safety_net() -> None:
    model = load_model()
    assert model is not None
    by_rules = classify(URGENT, model=model, urgency_model=NEVER)
    assert by_rules.urgent
    assert by_rules.urgency_cues[0] != MODEL_CUE  # the rules' own cues explain it
    assert classify(URGENT, model=model, urgency_model=always()) == by_rules


def test_the_model_adds_urgency_keeps_the_category_and_asks_a_human() -> None:
    model = load_model()
    assert model is not None
    plain = classify(CALM, model=model, urgency_model=NEVER)
    assert not plain.urgent
    second = classify(CALM, model=model, urgency_model=always(can=2.0, cuoc=1.0))
    assert second.urgent
    assert second.category == plain.category  # not filed as a tip on a statistical guess
    assert second.needs_human
    assert second.candidates[0] == plain.category
    assert "tip" in second.candidates
    assert second.urgency_cues == (MODEL_CUE, "căn", "cước")  # the writer's words, strongest first


def test_the_rules_not_now_cues_veto_the_model() -> None:
    text = "Sau khi gia đình nộp tiền chuộc, con tôi đã được thả và về đến nhà"
    calm = sum(h.weight for h in explain(text).hits if h.category == "urgent" and h.weight < 0)
    assert calm <= CALM_VETO
    assert not classify(text, urgency_model=always()).urgent


def test_the_rules_score_gates_the_model() -> None:
    """From GATE_SCORE up the rules do not argue against the message and GATE_PROBABILITY
    suffices; below it, or vetoed, the model needs its own threshold or nothing."""
    between = (GATE_PROBABILITY + 0.9) / 2
    assert fused(between, 0.9, 0.0, GATE_SCORE)
    assert not fused(between, 0.9, 0.0, GATE_SCORE - 0.5)
    assert not fused(between, 0.9, 0.0, None)  # no rules' score: the model alone
    assert fused(0.95, 0.9, 0.0, GATE_SCORE - 5)  # the model alone, from its threshold
    assert not fused(0.99, 0.9, CALM_VETO, 5.0)  # the rules' "not now" cues veto it
    assert not fused(GATE_PROBABILITY - 0.01, 0.9, 0.0, 5.0)
    assert not fused(between, 0.9, -1.0, 5.0)  # a "not now" cue: no gate


def test_a_plain_message_needs_less_of_the_model_than_a_story_told_afterwards() -> None:
    model = load_model()
    assert model is not None
    logit = math.log(0.65 / 0.35)  # probability 0.65: above the gate, below the threshold
    middling = UrgencyModel("t", {"w:x": 0.0}, logit, 0.9)
    assert GATE_PROBABILITY <= 0.65 < middling.threshold
    assert explain(CALM).urgency >= GATE_SCORE
    assert classify(CALM, model=model, urgency_model=middling).urgent
    past = "hôm qua tôi đi làm căn cước ở phường"
    assert explain(past).urgency < GATE_SCORE
    assert not classify(past, model=model, urgency_model=middling).urgent


def test_the_rules_alone_use_no_urgency_model() -> None:
    assert classify(CALM, model=None, urgency_model=always()) == classify(CALM, model=None)


def test_an_explanation_names_each_word_once() -> None:
    model = UrgencyModel("t", {"b:gia dinh": 3.0, "w:dinh": 2.0, "w:lac": 1.0}, 0.0, 0.0)
    detail = explain("Gia đình đang tìm cháu đi lạc")
    urgent, _, cues = model.assess(detail.tokens, detail.accented)
    assert urgent
    assert cues == (MODEL_CUE, "gia đình", "lạc")  # as typed (lower-cased), "đình" once


def _write_corpus(path: Path) -> None:
    """Ten sources, each with one urgent and three calm rows (invented, for the mechanics)."""
    rows = []
    for source in range(10):
        texts = [
            (f"cứu với nhà em đang bị cháy ở ngõ {source}", True),
            (f"cho em hỏi làm căn cước ở phường {source}", False),
            (f"cảm ơn công an phường {source} rất nhiệt tình", False),
            (f"quán karaoke số {source} hát to quá", False),
        ]
        for n, (text, urgent) in enumerate(texts):
            rows.append(
                {
                    "id": f"real-{source:02d}{n}",
                    "text": text,
                    "source": f"https://site{source}.vn/a",
                    "source_kind": "news",
                    "urgent": urgent,
                    "split": "train" if source < 7 else "dev",
                }
            )
    rows.append({**rows[0], "id": "real-9999", "split": "test", "urgent": False})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")


def test_training_is_deterministic_grouped_and_learns(tmp_path: Path) -> None:
    from citizen_desk.triage import urgency_train

    real = tmp_path / "real.jsonl"
    _write_corpus(real)
    first = urgency_train.train_urgency(real, None)
    assert first == urgency_train.train_urgency(real, None)
    artifact, card = first
    assert card["training_data"]["rows"] == 40  # train + dev; the test row is never read
    assert card["groups"] == 10
    model_path, _ = urgency_train.write(artifact, card, tmp_path / "models")
    model = load_urgency_model(model_path)
    assert model is not None
    assert model.version == artifact["version"]
    assert model.assess(folded("cứu với nhà em đang bị cháy"))[0]
    assert not model.assess(folded("cho em hỏi làm căn cước"))[0]


def test_source_groups_fold_the_site() -> None:
    from citizen_desk.triage.urgency_train import source_group

    assert source_group("https://www.plo.vn/a") == source_group("https://m.plo.vn/b") == "plo.vn"
    assert source_group("dataset:ViHSD/train.csv#3") == "dataset:ViHSD"
