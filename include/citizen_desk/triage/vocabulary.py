"""The triage vocabulary: ``vocabulary.yaml`` loaded, validated and compiled for scoring.

Every problem is a ``ConfigError(path, key, problem)`` naming the YAML key (unknown keys,
duplicate keys, weights of 0, phrases that normalise to the same words or contain punctuation,
invalid regular expressions, topics of the wrong category...), so an admin's edit fails loudly
instead of silently changing the triage. Phrases are normalised like messages
(:func:`~citizen_desk.text.normalize.normalize`): written without diacritics they match both
typings, with diacritics only accented typing.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.errors import ConfigError
from citizen_desk.text.normalize import (
    BREAK,
    Expansion,
    compile_abbreviations,
    has_diacritics,
    normalize,
)
from citizen_desk.triage.literals import required_literals

URGENT = "urgent"  # pseudo-category of urgency phrases (danger, and "not now" when negative)
URGENT_NOW = "urgent_now"  # pseudo-category of "it is happening now" markers (count with danger)
FEATURES = ("_qmark", "_exclaim", "_phone", "_plate", "_url", "_money", "_short")
DEFAULT_PATH = Path(__file__).with_name("vocabulary.yaml")
ENV_VAR = "CITIZEN_DESK_TRIAGE_VOCAB"

# Vietnamese names of the topics in vocabulary.yaml, for reports and Slack (a test keeps them in
# sync with the YAML; a topic an admin adds without a label is shown by its name).
TOPIC_LABELS: Mapping[str, str] = {
    # question
    "procedure": "thủ tục chung",
    "residence": "cư trú (tạm trú, thường trú)",
    "id_card": "căn cước, CMND",
    "vneid": "định danh điện tử VNeID",
    "vehicle": "đăng ký xe",
    "traffic_fine": "xử phạt giao thông, phạt nguội",
    "driving_licence": "giấy phép lái xe",
    "criminal_record": "lý lịch tư pháp",
    "passport": "hộ chiếu, xuất nhập cảnh",
    "lodging": "lưu trú",
    "office_hours": "giờ làm việc, liên hệ",
    "permit": "giấy phép, điều kiện an ninh trật tự",
    "fire_safety": "phòng cháy chữa cháy",
    "reporting": "cách tố giác, trình báo",
    "safety_advice": "phòng ngừa, cảnh giác",
    # tip
    "street_racing": "đua xe, bốc đầu",
    "gambling": "cờ bạc, cá độ",
    "loan_sharking": "cho vay nặng lãi",
    "theft": "trộm cắp tài sản",
    "drugs": "ma túy",
    "fraud": "lừa đảo",
    "impersonation": "mạo danh",
    "threat": "đe dọa",
    "weapon": "vũ khí",
    "fireworks": "pháo nổ",
    "fight": "đánh nhau, gây rối",
    "domestic_violence": "bạo lực gia đình",
    "fire": "cháy nổ",
    "accident": "tai nạn",
    "kidnapping": "bắt cóc, giam giữ",
    "suicide": "tự tử, tự hại",
    "trafficking": "mua bán người",
    "prostitution": "mại dâm",
    "corruption": "tham nhũng, tiêu cực",
    "public_order": "trật tự công cộng",
    "traffic_violation": "vi phạm giao thông",
    "illegal_fishing": "khai thác thủy sản trái phép",
    "environment": "môi trường",
    "counterfeit": "hàng giả",
    "forgery": "làm giả giấy tờ",
    "child_abuse": "xâm hại trẻ em",
    "suspicious": "hoạt động khả nghi",
    # feedback
    "service_complaint": "phản ánh thái độ, thời gian giải quyết",
    "suggestion": "góp ý, kiến nghị",
    "praise": "khen ngợi, cảm ơn",
    # lost_found
    "missing_person": "tìm người thân",
    "found_person": "người đi lạc được tìm thấy",
    "lost_property": "thất lạc tài sản, giấy tờ",
    "found_property": "nhặt được tài sản",
    # abuse
    "insult": "xúc phạm",
    "spam": "quảng cáo, spam",
    "scam": "tin nhắn lừa đảo",
    "misinformation": "tin sai sự thật",
}
_TOPIC_RE = re.compile(r"[a-z][a-z0-9_]*")
_MAX_WEIGHT = 20.0
_MAX_WORDS = 8


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds; every field can be set under ``thresholds:`` in the YAML."""

    min_score: float = 1.5  # below: the message is "other"
    needs_human_below: float = 0.45  # confidence under which a human must triage
    urgent_min: float = 3.0  # urgency score from which a message is urgent (any category)
    urgent_tip_boost: float = 0.5  # share of the positive urgency added to the tip score
    urgent_ongoing_max: float = 2.0  # "happening now" markers add at most this much
    # danger cues add at most this much together: a text full of danger words is no more "now"
    # than one with a few, so the "not now" cues (past, resolved, told afterwards) can outweigh it
    urgent_danger_max: float = 5.0
    strength_scale: float = 2.5  # score at which confidence reaches ~63% of its margin part
    short_message_tokens: int = 3  # messages with at most this many words are "short"
    short_confidence: float = 0.8  # confidence of a short message with no real signal
    unknown_confidence: float = 0.25  # confidence of a longer message nothing matched
    empty_confidence: float = 0.95  # confidence of an empty / emoji-only message


class Cue(NamedTuple):
    """A vocabulary phrase's contribution."""

    phrase: str
    category: str  # one of CATEGORIES, URGENT or URGENT_NOW
    topic: str | None
    weight: float


@dataclass(frozen=True)
class Rule:
    """A regular-expression pattern from the ``patterns:`` list."""

    regex: re.Pattern[str]
    stream: str  # "folded" or "accented"
    category: str | None
    topic: str | None
    weight: float
    urgent: float
    label: str | None = None  # how an urgency explanation names it (Vietnamese)
    requires: tuple[str, ...] = ()  # one must occur for the regex to be tried: a cheap test
    needles: tuple[str, ...] = ()  # one is in every text the regex matches: `triage.literals`
    plain: bool = False  # `typed: plain`: only where the words around are mostly unaccented


@dataclass(frozen=True)
class Vocabulary:
    """A validated, compiled vocabulary (see ``vocabulary.yaml``)."""

    path: str
    folded: Mapping[str, tuple[Cue, ...]]
    accented: Mapping[str, tuple[Cue, ...]]
    prefixes: frozenset[str]
    rules: tuple[Rule, ...]
    abbreviations: Mapping[str, Expansion]
    thresholds: Thresholds
    topics: Mapping[str, tuple[str, ...]]
    max_words: int
    topic_only_factor: Mapping[str, float] = field(default_factory=dict)
    generic_topic: Mapping[str, str] = field(default_factory=dict)
    # words that cancel the urgency phrase right after them ("không bị đánh"), folded / accented
    negators: frozenset[str] = frozenset()
    negators_accented: frozenset[str] = frozenset()
    # accented words that fold like an urgency word ("đảng" like "đang", "khổng" like "không"):
    # typed so, they are never an urgency cue's word nor a negator
    false_friends: frozenset[str] = frozenset()


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader (libyaml when present) that refuses duplicate mapping keys.

    PyYAML silently keeps the last of two equal keys, which would hide an admin's typo.
    """


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Builder:
    """Validates the raw YAML document and compiles it into a :class:`Vocabulary`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.folded: dict[str, list[Cue]] = {}
        self.accented: dict[str, list[Cue]] = {}
        self.max_words = 1
        self.abbreviations: dict[str, Expansion] = {}

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def mapping(self, value: object, key: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, got {type(value).__name__}")
        for name in value:
            if not isinstance(name, str):
                hint = " (YAML reads on/off/yes/no/true as booleans: quote it)" * (
                    isinstance(name, bool)
                )
                raise self.fail(key, f"keys must be strings, got {name!r}{hint}")
            if allowed is not None and name not in allowed:
                raise self.fail(f"{key}.{name}" if key else name, "unknown key")
        return value

    def number(self, value: object, key: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(key, f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high}, got {value}")
        return float(value)

    def weight(self, value: object, key: str) -> float:
        result = self.number(value, key, -_MAX_WEIGHT, _MAX_WEIGHT)
        if result == 0:
            raise self.fail(key, "weight must not be 0")
        return result

    def thresholds(self, raw: object) -> Thresholds:
        data = self.mapping(raw, "thresholds", set(Thresholds.__dataclass_fields__))
        values: dict[str, Any] = {}
        for name, value in data.items():
            key = f"thresholds.{name}"
            if name == "short_message_tokens":
                values[name] = int(self.number(value, key, 0, 50))
            elif name.endswith("_confidence") or name == "needs_human_below":
                values[name] = self.number(value, key, 0, 1)
            else:
                values[name] = self.number(value, key, 0.01, 100)
        return Thresholds(**values)

    def compile_abbreviations(self, raw: object) -> None:
        data = self.mapping(raw, "abbreviations")
        for short, full in data.items():
            key = f"abbreviations.{short}"
            if not re.fullmatch(r"[^\W_]+", short):
                raise self.fail(key, "must be a single word")
            if not isinstance(full, str) or not full.strip():
                raise self.fail(key, "expansion must be a non-empty string")
        self.abbreviations = compile_abbreviations(data)

    def add_phrases(self, raw: object, key: str, category: str, topic: str | None) -> None:
        data = self.mapping(raw, key)
        if not data:
            raise self.fail(key, "needs at least one phrase")
        seen: set[tuple[str, str]] = set()
        for phrase, weight in data.items():
            phrase_key = f"{key}[{phrase!r}]"
            value = self.weight(weight, phrase_key)
            if phrase.startswith("_"):
                if phrase not in FEATURES:
                    raise self.fail(phrase_key, f"unknown feature; known: {', '.join(FEATURES)}")
                stream, canonical = "folded", phrase
            else:
                norm = normalize(phrase, self.abbreviations)
                if BREAK in norm.folded:
                    raise self.fail(phrase_key, "a phrase cannot contain punctuation")
                if not norm.folded:
                    raise self.fail(phrase_key, "phrase has no words")
                if len(norm.folded) > _MAX_WORDS:
                    raise self.fail(phrase_key, f"phrase is longer than {_MAX_WORDS} words")
                if has_diacritics(phrase):
                    stream, canonical = "accented", norm.accented_text
                else:
                    stream, canonical = "folded", norm.text
                self.max_words = max(self.max_words, len(norm.folded))
            if (stream, canonical) in seen:
                raise self.fail(
                    phrase_key, f"duplicate of another phrase once normalised: {canonical!r}"
                )
            seen.add((stream, canonical))
            index = self.accented if stream == "accented" else self.folded
            index.setdefault(canonical, []).append(Cue(canonical, category, topic, value))

    def negators(self, raw: object) -> list[tuple[str, bool]]:
        """(word, accented) of each negator: one word, normalised like a phrase."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self.fail("urgent.negators", "must be a list of words")
        found: list[tuple[str, bool]] = []
        for number, word in enumerate(raw):
            key = f"urgent.negators[{number}]"
            norm = normalize(word, self.abbreviations) if isinstance(word, str) else None
            if norm is None or len(norm.folded) != 1 or BREAK in norm.folded:
                raise self.fail(key, "must be a single word")
            accented = has_diacritics(word)
            found.append((norm.accented[0] if accented else norm.folded[0], accented))
        return found

    def false_friends(self, raw: object) -> frozenset[str]:
        """The accented words of ``urgent.false_friends`` (one word each, with diacritics)."""
        if raw is None:
            return frozenset()
        if not isinstance(raw, list):
            raise self.fail("urgent.false_friends", "must be a list of words")
        found: set[str] = set()
        for number, word in enumerate(raw):
            key = f"urgent.false_friends[{number}]"
            norm = normalize(word, self.abbreviations) if isinstance(word, str) else None
            if norm is None or len(norm.accented) != 1 or BREAK in norm.accented:
                raise self.fail(key, "must be a single word")
            if not has_diacritics(word):
                raise self.fail(key, "must be written with its diacritics")
            found.add(norm.accented[0])
        return frozenset(found)

    def requires(self, raw: object, key: str, stream: str) -> tuple[str, ...]:
        """A pattern's ``requires`` words, normalised for its stream and padded with spaces."""
        if raw is None:
            return ()
        if not isinstance(raw, list) or not raw:
            raise self.fail(key, "must be a non-empty list of words")
        found: list[str] = []
        for number, words in enumerate(raw):
            norm = normalize(words, self.abbreviations) if isinstance(words, str) else None
            if norm is None or not norm.folded or BREAK in norm.folded:
                raise self.fail(f"{key}[{number}]", "must be words without punctuation")
            found.append(f" {norm.accented_text if stream == 'accented' else norm.text} ")
        return tuple(found)

    def rules(self, raw: object, topics: Mapping[str, tuple[str, ...]]) -> tuple[Rule, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("patterns", "must be a list")
        rules: list[Rule] = []
        allowed = {
            "regex", "category", "topic", "weight", "urgent", "stream", "note", "label", "requires",
            "typed",
        }  # fmt: skip
        for number, item in enumerate(raw):
            key = f"patterns[{number}]"
            data = self.mapping(item, key, allowed)
            regex = data.get("regex")
            if not isinstance(regex, str) or not regex:
                raise self.fail(f"{key}.regex", "required non-empty string")
            try:
                compiled = re.compile(regex)
            except re.error as exc:
                raise self.fail(f"{key}.regex", f"invalid regular expression: {exc}") from exc
            category = data.get("category")
            if category is not None and category not in CATEGORIES:
                raise self.fail(f"{key}.category", f"must be one of {', '.join(CATEGORIES)}")
            topic = data.get("topic")
            if topic is not None and (category is None or topic not in topics.get(category, ())):
                raise self.fail(f"{key}.topic", "must be a topic of the pattern's category")
            weight = self.weight(data["weight"], f"{key}.weight") if "weight" in data else 0.0
            urgent = self.weight(data["urgent"], f"{key}.urgent") if "urgent" in data else 0.0
            if weight and category is None:
                raise self.fail(f"{key}.category", "required when weight is set")
            if not weight and not urgent:
                raise self.fail(key, "needs a weight, an urgent weight or both")
            stream = data.get("stream", "folded")
            if stream not in ("folded", "accented"):
                raise self.fail(f"{key}.stream", "must be 'folded' or 'accented'")
            label = data.get("label")
            if label is not None and (not isinstance(label, str) or not label.strip()):
                raise self.fail(f"{key}.label", "must be a non-empty string")
            requires = self.requires(data.get("requires"), f"{key}.requires", stream)
            if (plain := data.get("typed")) not in (None, "plain"):
                raise self.fail(f"{key}.typed", "must be 'plain' (or left out)")
            needles = required_literals(regex)
            fields = (category, topic, weight, urgent, label, requires, needles, plain == "plain")
            rules.append(Rule(compiled, stream, *fields))
        return tuple(rules)

    def build(self, document: object) -> Vocabulary:
        root = self.mapping(
            document,
            "",
            {"version", "description", "thresholds", "abbreviations", "categories", "urgent",
             "patterns"},
        )  # fmt: skip
        if not root:
            raise self.fail("", "vocabulary is empty")
        if root.get("version") != 1:
            raise self.fail("version", f"must be 1, got {root.get('version')!r}")
        thresholds = self.thresholds(root.get("thresholds"))
        self.compile_abbreviations(root.get("abbreviations"))
        categories = self.mapping(root.get("categories"), "categories", set(CATEGORIES))
        topics: dict[str, tuple[str, ...]] = {}
        factors: dict[str, float] = {}
        generic: dict[str, str] = {}
        for category in CATEGORIES:
            key = f"categories.{category}"
            data = self.mapping(
                categories.get(category),
                key,
                {"description", "cues", "topics", "topic_only_factor", "generic_topic"},
            )
            if "topic_only_factor" in data:
                factor_key = f"{key}.topic_only_factor"
                factors[category] = self.number(data["topic_only_factor"], factor_key, 0, 1)
            if "cues" in data:
                self.add_phrases(data["cues"], f"{key}.cues", category, None)
            names: list[str] = []
            for topic, phrases in self.mapping(data.get("topics"), f"{key}.topics").items():
                if not _TOPIC_RE.fullmatch(topic):
                    raise self.fail(f"{key}.topics.{topic}", "topic names are lower_snake_case")
                self.add_phrases(phrases, f"{key}.topics.{topic}", category, topic)
                names.append(topic)
            topics[category] = tuple(names)
            if "generic_topic" in data:
                if data["generic_topic"] not in names:
                    raise self.fail(
                        f"{key}.generic_topic", "must name one of the category's topics"
                    )
                generic[category] = data["generic_topic"]
        if not any(topics.values()):
            raise self.fail("categories", "no topic defined")
        urgent = self.mapping(
            root.get("urgent"),
            "urgent",
            {"description", "phrases", "ongoing", "negators", "false_friends"},
        )
        if "phrases" not in urgent:
            raise self.fail("urgent.phrases", "required")
        self.add_phrases(urgent["phrases"], "urgent.phrases", URGENT, None)
        if "ongoing" in urgent:
            self.add_phrases(urgent["ongoing"], "urgent.ongoing", URGENT_NOW, None)
        negators = self.negators(urgent.get("negators"))
        false_friends = self.false_friends(urgent.get("false_friends"))
        rules = self.rules(root.get("patterns"), topics)

        prefixes: set[str] = set()
        for phrase in (*self.folded, *self.accented):
            words = phrase.split(" ")
            prefixes.update(" ".join(words[:n]) for n in range(1, len(words)))
        return Vocabulary(
            path=self.path,
            folded={k: tuple(v) for k, v in self.folded.items()},
            accented={k: tuple(v) for k, v in self.accented.items()},
            prefixes=frozenset(prefixes),
            rules=rules,
            abbreviations=self.abbreviations,
            thresholds=thresholds,
            topics=topics,
            max_words=self.max_words,
            topic_only_factor=factors,
            generic_topic=generic,
            negators=frozenset(w for w, accented in negators if not accented),
            negators_accented=frozenset(w for w, accented in negators if accented),
            false_friends=false_friends,
        )


def _read(path: Path) -> Vocabulary:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read: {exc}") from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", f"invalid YAML: {exc}") from None
    return _Builder(str(path)).build(document)


@functools.lru_cache(maxsize=8)
def _cached(path: str) -> Vocabulary:
    return _read(Path(path))


def default_path() -> Path:
    """The vocabulary used by default: ``$CITIZEN_DESK_TRIAGE_VOCAB`` or the packaged file."""
    override = os.environ.get(ENV_VAR, "").strip()
    return Path(override) if override else DEFAULT_PATH


def load_vocabulary(path: str | os.PathLike[str] | None = None) -> Vocabulary:
    """Load and validate a vocabulary; raises ``ConfigError(path, key, problem)`` on bad content.

    Without ``path`` the default (env override or packaged file) is loaded once and cached;
    an explicit path is read fresh each time so that edits are picked up.
    """
    if path is None:
        return _cached(str(default_path()))
    return _read(Path(path))
