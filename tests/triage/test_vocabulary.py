from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from citizen_desk.errors import ConfigError
from citizen_desk.triage import TOPIC_LABELS, classify, load_vocabulary
from citizen_desk.triage.vocabulary import DEFAULT_PATH, ENV_VAR

Document = dict[str, Any]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture(scope="module")
def document() -> Document:
    return yaml.load(DEFAULT_PATH.read_text(encoding="utf-8"), Loader=_LOADER)


def write(tmp_path: Path, document: object, name: str = "vocab.yaml") -> Path:
    path = tmp_path / name
    text = yaml.dump(document, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_vocabulary_loads_and_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    vocabulary = load_vocabulary()
    assert vocabulary is load_vocabulary()  # lru_cache: classify() does not re-read the file
    assert vocabulary.path == str(DEFAULT_PATH)
    assert set(vocabulary.topics) == {
        "question", "tip", "feedback", "lost_found", "abuse", "other",
    }  # fmt: skip
    assert {"residence", "id_card", "vehicle", "traffic_fine", "passport"} <= set(
        vocabulary.topics["question"]
    )
    assert {"street_racing", "gambling", "drugs", "fraud", "fire", "accident"} <= set(
        vocabulary.topics["tip"]
    )


def test_every_topic_has_a_vietnamese_label(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    topics = {t for names in load_vocabulary().topics.values() for t in names}
    assert topics == set(TOPIC_LABELS)


def test_env_variable_selects_another_file(
    tmp_path: Path, document: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, document)
    monkeypatch.setenv(ENV_VAR, str(path))
    assert load_vocabulary().path == str(path)


TEXT = "Ở xóm tôi có người hay rao bán tê tê qua mạng"  # pangolins: not in the vocabulary


def test_adding_a_phrase_to_a_copy_changes_the_result(tmp_path: Path, document: Document) -> None:
    """An admin extends the YAML; no code changes (the rules alone: the model is trained on
    the packaged vocabulary's scores)."""
    before = classify(TEXT, model=None)
    assert before.category != "tip"

    edited = copy.deepcopy(document)
    edited["categories"]["tip"]["topics"]["environment"]["tê tê"] = 4.0
    vocabulary = load_vocabulary(write(tmp_path, edited))

    after = classify(TEXT, vocabulary, model=None)
    assert (after.category, after.topic) == ("tip", "environment")
    assert after.confidence > before.confidence


def test_an_explicit_path_is_read_fresh(tmp_path: Path, document: Document) -> None:
    path = write(tmp_path, document)
    assert load_vocabulary(path) is not load_vocabulary(path)


def _set(keys: tuple[str, ...], value: object) -> Callable[[Document], None]:
    def mutate(doc: Document) -> None:
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def _add_pattern(pattern: dict[str, object]) -> Callable[[Document], None]:
    def mutate(doc: Document) -> None:
        doc["patterns"].append(pattern)

    return mutate


TOPICS = ("categories", "tip", "topics")
BAD_DOCUMENTS: list[tuple[str, Callable[[Document], None], str, str]] = [
    ("bad version", _set(("version",), 2), "version", "must be 1"),
    ("unknown root key", _set(("categoriez",), {}), "categoriez", "unknown key"),
    ("unknown category", _set(("categories", "spam"), {}), "categories.spam", "unknown key"),
    ("text weight", _set((*TOPICS, "theft", "trom"), "abc"), "trom", "must be a number"),
    ("bool weight", _set((*TOPICS, "theft", "trom"), True), "trom", "must be a number"),
    ("zero weight", _set((*TOPICS, "theft", "trom"), 0), "trom", "must not be 0"),
    ("huge weight", _set((*TOPICS, "theft", "trom"), 999), "trom", "between"),
    ("unknown feature", _set((*TOPICS, "theft", "_foo"), 1), "_foo", "unknown feature"),
    (
        "duplicate once normalised",
        _set((*TOPICS, "theft", "TROM"), 1),
        "TROM",
        "duplicate of another phrase",
    ),
    ("punctuation", _set((*TOPICS, "theft", "trộm, cướp"), 1), "trộm, cướp", "punctuation"),
    ("empty phrase", _set((*TOPICS, "theft", "!!"), 1), "!!", "no words"),
    ("bad topic name", _set((*TOPICS, "Bad Topic"), {"x": 1}), "Bad Topic", "lower_snake"),
    ("empty topic", _set((*TOPICS, "theft"), {}), "theft", "at least one phrase"),
    (
        "threshold out of range",
        _set(("thresholds", "needs_human_below"), 1.5),
        "thresholds.needs_human_below",
        "between",
    ),
    ("unknown threshold", _set(("thresholds", "min_scor"), 1), "min_scor", "unknown key"),
    (
        "abbreviation not text",
        _set(("abbreviations", "ko"), 3),
        "abbreviations.ko",
        "non-empty string",
    ),
    ("abbreviation key", _set(("abbreviations", "k o"), "x"), "abbreviations.k o", "single word"),
    (
        "generic topic unknown",
        _set(("categories", "question", "generic_topic"), "nope"),
        "generic_topic",
        "one of the category's topics",
    ),
    ("no urgent phrases", _set(("urgent",), {}), "urgent.phrases", "required"),
    (
        "false friend without accents",
        _set(("urgent", "false_friends"), ["dang"]),
        "urgent.false_friends[0]",
        "diacritics",
    ),
    (
        "false friend of two words",
        _set(("urgent", "false_friends"), ["đảng viên"]),
        "urgent.false_friends[0]",
        "single word",
    ),
    (
        "bad regex",
        _add_pattern({"regex": "(unclosed", "category": "tip", "weight": 1}),
        "regex",
        "invalid regular expression",
    ),
    (
        "pattern topic elsewhere",
        _add_pattern({"regex": "x", "category": "tip", "topic": "residence", "weight": 1}),
        "topic",
        "topic of the pattern's category",
    ),
    (
        "pattern without weight",
        _add_pattern({"regex": "x", "category": "tip"}),
        "patterns",
        "needs a weight",
    ),
    (
        "pattern requires no list",
        _add_pattern({"regex": "x", "urgent": 1, "requires": "nuoc"}),
        "requires",
        "non-empty list of words",
    ),
    (
        "pattern requires punctuation",
        _add_pattern({"regex": "x", "urgent": 1, "requires": ["nuoc, lu"]}),
        "requires[0]",
        "without punctuation",
    ),
    (
        "pattern stream",
        _add_pattern({"regex": "x", "urgent": 1, "stream": "raw"}),
        "stream",
        "'folded' or 'accented'",
    ),
    (
        "pattern typed",
        _add_pattern({"regex": "x", "urgent": 1, "typed": "accented"}),
        "typed",
        "must be 'plain'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "key_part", "problem_part"),
    [case[1:] for case in BAD_DOCUMENTS],
    ids=[case[0] for case in BAD_DOCUMENTS],
)
def test_bad_content_raises_config_error(
    tmp_path: Path,
    document: Document,
    mutate: Callable[[Document], None],
    key_part: str,
    problem_part: str,
) -> None:
    bad = copy.deepcopy(document)
    mutate(bad)
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as caught:
        load_vocabulary(path)
    assert caught.value.path == str(path)
    assert key_part in caught.value.key
    assert problem_part in caught.value.problem


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[1, 2]", "", "must be a mapping"),
        ("", "", "vocabulary is empty"),
        ("version: 1\nversion: 1\n", "", "duplicate key"),
        ("version: [1\n", "", "invalid YAML"),
    ],
)
def test_bad_yaml_raises_config_error(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = tmp_path / "vocab.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_vocabulary(path)
    assert key in caught.value.key
    assert problem in caught.value.problem


def test_yaml_boolean_key_gets_a_hint(tmp_path: Path) -> None:
    """YAML 1.1 reads a bare ``on:`` as ``True``; the error says so."""
    path = tmp_path / "vocab.yaml"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    path.write_text(text + "  - {regex: x, urgent: 1, on: accented}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="booleans"):
        load_vocabulary(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_vocabulary(tmp_path / "nope.yaml")


def test_a_pattern_is_tried_only_when_a_required_word_occurs(
    tmp_path: Path, document: Document
) -> None:
    doc = copy.deepcopy(document)
    doc["patterns"].append({"regex": r"\bxanh la\b", "urgent": 9, "requires": ["Cây"]})
    vocab = load_vocabulary(write(tmp_path, doc))
    assert classify("cay xanh la", vocab, model=None).urgent  # folded like the folded stream
    assert not classify("áo xanh lá", vocab, model=None).urgent  # no "cây": never tried
