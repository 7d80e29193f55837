"""The trained model's features of one message: the rules' scores plus words and character n-grams.

One function for training and inference alike, so both always see the same features. Words are
the syllables of the folded stream (:mod:`citizen_desk.text.normalize`: no diacritics, so a
message typed without accents looks like one typed with them) and their bigrams, which stand in
for Vietnamese compound words (word segmentation with underthesea costs milliseconds a message,
far over the triage budget). Character n-grams catch teencode and misspellings ("hok", "dc",
"ngu vl"). The rules' category scores, urgency and features (a "?", a phone number, money) come
from the :class:`~citizen_desk.triage.classify.Explanation` the rules computed anyway.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.text.normalize import BREAK


@dataclass(frozen=True)
class FeatureSpec:
    """Which feature groups the model uses; stored in the artifact next to the weights."""

    rules: bool = True
    words: bool = True
    bigrams: bool = True
    char_min: int = 2
    char_max: int = 4  # 0: no character n-grams

    def as_dict(self) -> dict[str, object]:
        return {
            "rules": self.rules,
            "words": self.words,
            "bigrams": self.bigrams,
            "char_min": self.char_min,
            "char_max": self.char_max,
        }


@dataclass(frozen=True)
class Parts:
    """One message's features by group: real-valued rule features, then binary sets."""

    dense: dict[str, float]
    words: frozenset[str]
    bigrams: frozenset[str]
    chars: frozenset[str]


# feature-name prefix of each binary group (the dense names carry their own: "r:", "f:", "n:")
PREFIXES = {"words": "w:", "bigrams": "b:", "chars": "c:"}


def parts(
    tokens: tuple[str, ...],
    scores: dict[str, float] | None,
    urgency: float,
    rule_category: str,
    rule_features: tuple[str, ...],
    spec: FeatureSpec,
) -> Parts:
    """The features of one message (what the rules found, its words and n-grams)."""
    dense: dict[str, float] = {}
    words = [t for t in tokens if t != BREAK]
    if spec.rules and scores is not None:
        for category in CATEGORIES:
            score = scores.get(category, 0.0)
            if score > 0:
                dense[f"r:{category}"] = math.log1p(score)
        if urgency:
            dense["r:urgency"] = max(min(urgency, 6.0), -3.0) / 3.0
        dense[f"r:top:{rule_category}"] = 1.0
        for name in rule_features:
            dense[f"f:{name}"] = 1.0
        dense["n:words"] = math.log1p(len(words)) / 4.0
    bigrams: frozenset[str] = frozenset()
    if spec.bigrams:
        bigrams = frozenset(
            f"{a} {b}" for a, b in itertools.pairwise(tokens) if BREAK not in (a, b)
        )
    chars: frozenset[str] = frozenset()
    if spec.char_max:
        line = f" {' '.join(words)} "
        chars = frozenset(
            {
                line[start : start + size]
                for size in range(spec.char_min, spec.char_max + 1)
                for start in range(len(line) - size + 1)
            }
        )  # a set comprehension: twice as fast as a generator here
    return Parts(dense, frozenset(words) if spec.words else frozenset(), bigrams, chars)


def extract(
    tokens: tuple[str, ...],
    scores: dict[str, float] | None,
    urgency: float,
    rule_category: str,
    rule_features: tuple[str, ...],
    spec: FeatureSpec,
) -> dict[str, float]:
    """Feature name -> value for one message (binary features have the value 1.0): the
    :func:`parts` under one namespace, as training sees them."""
    found = parts(tokens, scores, urgency, rule_category, rule_features, spec)
    result = dict(found.dense)
    for group, prefix in PREFIXES.items():
        for name in sorted(getattr(found, group)):
            result[prefix + name] = 1.0
    return result
