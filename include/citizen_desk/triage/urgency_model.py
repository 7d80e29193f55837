"""The trained urgency model: a second opinion beside the urgency rules, for unseen wording.

A logistic regression over the folded words and word pairs of a message and the class features
of :mod:`~citizen_desk.triage.urgency_classes` (danger x now, plea, past, resolved ...), fitted
by ``python -m citizen_desk.triage.urgency_train`` (``make train-triage``) with its threshold
chosen by source-grouped cross-validation. It uses none of the rules' own urgency scores: the
rules were written from the same rows and separate them perfectly, so a model fed their scores
learns to copy them and adds nothing on new sources.

How it combines (:func:`citizen_desk.triage.classify.combine`): the rules stay the safety net
(rule-urgent stays urgent, with its cues); the model can only *add* urgency (:func:`fused`):
from its threshold, or from the lower ``GATE_PROBABILITY`` when the rules do not argue against
the message (score >= ``GATE_SCORE``), and not to a message whose "not now" cues (resolved,
past, a bystander's frame ...) weigh ``CALM_VETO`` or more in the rules: the guide's calm
classes are where the model, fitted on few rows, errs ("Sau khi gia đình nộp tiền chuộc, con
tôi đã được thả"). A message urgent by the model alone keeps its category, is marked for a
human ("cần người xem", with ``tip`` among its candidates) and is explained by "mô hình"
followed by the writer's words that pushed the model most (:meth:`UrgencyModel.assess`).

The artifact is JSON (``models/urgency-model.json``), read once per process; inference is plain
Python. ``CITIZEN_DESK_URGENCY_MODEL`` points at another artifact, or ``off`` (as does
``CITIZEN_DESK_TRIAGE_MODEL=off``) for the rules' urgency alone.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citizen_desk.errors import ConfigError
from citizen_desk.text.normalize import BREAK
from citizen_desk.triage.model import read_document
from citizen_desk.triage.urgency_classes import PREFIX as CLASS_PREFIX
from citizen_desk.triage.urgency_classes import class_features

FORMAT = "citizen-desk-urgency-linear/1"
DEFAULT_PATH = Path(__file__).with_name("models") / "urgency-model.json"
ENV_VAR = "CITIZEN_DESK_URGENCY_MODEL"
TRIAGE_ENV_VAR = "CITIZEN_DESK_TRIAGE_MODEL"
OFF = "off"
MODEL_CUE = "mô hình"  # first cue of an urgency only the model saw
MAX_WORDS = 3  # writer's words named after it
# The rules' "not now" weights summing to this or less veto the model's urgency (in the
# source-grouped simulation it cost no urgent row and removed one false urgent in 565).
CALM_VETO = -3.0
# The model's say is weighed against the rules' score (issue #18, fourteenth session): when
# the rules do not argue against a message (urgency score >= GATE_SCORE, no "not now" cue, no
# danger denied), GATE_PROBABILITY suffices instead of the artifact's threshold. Scored as the
# rules stood before each row was added (rows they had not seen) with out-of-fold
# probabilities, this raised the urgent rows found from about 56% to 63% for about one more
# false alarm in a hundred calm rows (``triage_cv.urgency --vintage``, README).
GATE_SCORE = -0.5
GATE_PROBABILITY = 0.6
WORD, PAIR = "w:", "b:"


def words_and_pairs(tokens: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The folded words of a message and its word pairs within a clause (as
    :func:`citizen_desk.triage.features.parts` builds them for the category model)."""
    words = frozenset(t for t in tokens if t != BREAK)
    pairs = frozenset(f"{a} {b}" for a, b in itertools.pairwise(tokens) if BREAK not in (a, b))
    return words, pairs


def features(tokens: tuple[str, ...]) -> dict[str, float]:
    """Feature name -> value of one message's folded ``tokens`` (training and inference)."""
    words, pairs = words_and_pairs(tokens)
    found: dict[str, float] = {WORD + w: 1.0 for w in words}
    found.update((PAIR + p, 1.0) for p in pairs)
    found.update(class_features(tokens))
    return found


@dataclass(frozen=True)
class UrgencyModel:
    """A loaded artifact."""

    version: str
    weights: Mapping[str, float]
    intercept: float
    threshold: float  # probability from which the model calls a message urgent

    def probability(self, found: Mapping[str, float]) -> float:
        weights = self.weights
        logit = self.intercept + sum(weights.get(n, 0.0) * v for n, v in found.items())
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    @functools.cached_property
    def _tables(self) -> tuple[dict[str, float], dict[str, float]]:
        """The word and word-pair weights keyed without their prefix (a look-up per word)."""
        words = {n[len(WORD) :]: w for n, w in self.weights.items() if n.startswith(WORD)}
        pairs = {n[len(PAIR) :]: w for n, w in self.weights.items() if n.startswith(PAIR)}
        return words, pairs

    def _fast_probability(
        self, tokens: tuple[str, ...], pairs: tuple[frozenset[str], frozenset[str]] | None
    ) -> float:
        """:meth:`probability` of :func:`features`, without building feature names."""
        words, bigrams = pairs or words_and_pairs(tokens)
        word_weights, pair_weights = self._tables
        weights = self.weights
        logit = self.intercept + sum(map(word_weights.get, words, itertools.repeat(0.0)))
        logit += sum(map(pair_weights.get, bigrams, itertools.repeat(0.0)))
        logit += sum(weights.get(n, 0.0) * v for n, v in class_features(tokens).items())
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    def assess(
        self,
        tokens: tuple[str, ...],
        accented: tuple[str, ...] = (),
        rules_calm: float = 0.0,
        words_pairs: tuple[frozenset[str], frozenset[str]] | None = None,
        rules_score: float | None = None,
    ) -> tuple[bool, float, tuple[str, ...]]:
        """(urgent, probability, explanation): "mô hình" then the writer's words (``accented``
        when aligned with ``tokens``) whose features pushed the score most. ``rules_calm`` is
        the sum of the rules' "not now" weights (<= 0); from ``CALM_VETO`` down it vetoes.
        ``rules_score``: the rules' urgency score (see :func:`fused`). ``words_pairs``:
        :func:`words_and_pairs` of ``tokens`` when already built."""
        probability = self._fast_probability(tokens, words_pairs)
        if not fused(probability, self.threshold, rules_calm, rules_score):
            return False, probability, ()
        found = features(tokens)
        pushed = sorted(
            ((self.weights.get(n, 0.0) * v, n) for n, v in found.items()),
            key=lambda pair: (-pair[0], pair[1]),
        )
        words: list[str] = []
        used: set[str] = set()  # folded words already shown: "gia đình" then not "đình"
        for weight, name in pushed:
            if weight <= 0 or len(words) >= MAX_WORDS:
                break
            if name.startswith(CLASS_PREFIX):
                continue  # a class is no word of the writer's
            own = name[len(WORD) :].split(" ")
            shown = _writers_words(name, tokens, accented)
            if shown and used.isdisjoint(own):
                words.append(shown)
                used.update(own)
        return True, probability, (MODEL_CUE, *words)


def fused(
    probability: float, threshold: float, rules_calm: float, rules_score: float | None
) -> bool:
    """Whether the model's say makes a message urgent: from its ``threshold``, or from
    ``GATE_PROBABILITY`` when the rules' score is at least ``GATE_SCORE`` with no "not now"
    weight at all (``rules_score`` ``None``: no rules' score, or a danger they denied); never
    when the rules' "not now" weights reach ``CALM_VETO``."""
    if rules_calm <= CALM_VETO:
        return False
    if rules_score is not None and rules_score >= GATE_SCORE and rules_calm == 0:
        return probability >= min(threshold, GATE_PROBABILITY)
    return probability >= threshold


def _writers_words(name: str, tokens: tuple[str, ...], accented: tuple[str, ...]) -> str:
    """The words of a word or word-pair feature as the writer typed them (first occurrence)."""
    wanted = tuple(name[len(WORD) :].split(" "))
    size = len(wanted)
    for start in range(len(tokens) - size + 1):
        if tokens[start : start + size] == wanted:
            if len(accented) == len(tokens):
                return " ".join(accented[start : start + size])
            return " ".join(wanted)
    return ""


def parse_urgency_model(document: Any, path: str | os.PathLike[str]) -> UrgencyModel:
    """Validate an artifact's JSON; every problem is a ``ConfigError`` naming the key."""
    if not isinstance(document, dict):
        raise ConfigError(path, "(root)", "not a JSON object")
    if document.get("format") != FORMAT:
        raise ConfigError(path, "format", f"expected {FORMAT!r}, got {document.get('format')!r}")
    weights = document.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise ConfigError(path, "weights", "expected an object of feature name -> weight")
    for name, value in weights.items():
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(path, f"weights.{name}", "expected a finite number")
    numbers = {}
    for key, low, high in (("intercept", -1e3, 1e3), ("threshold", 0.0, 1.0)):
        value = document.get(key)
        if not isinstance(value, int | float) or not low <= value <= high:
            raise ConfigError(path, key, f"expected a number in [{low}, {high}]")
        numbers[key] = float(value)
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigError(path, "version", "expected a non-empty string")
    return UrgencyModel(
        version,
        {str(n): float(v) for n, v in weights.items()},
        numbers["intercept"],
        numbers["threshold"],
    )


@functools.cache
def _packaged() -> bool:
    return DEFAULT_PATH.exists()  # once per process: a file-system call costs a message's time


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> UrgencyModel:
    return parse_urgency_model(read_document(path), path)


def load_urgency_model(path: str | os.PathLike[str] | None = None) -> UrgencyModel | None:
    """The model at ``path``, else ``$CITIZEN_DESK_URGENCY_MODEL``, else the packaged one;
    ``None`` when that variable or ``CITIZEN_DESK_TRIAGE_MODEL`` says ``off``, or when no
    artifact is packaged (the rules' urgency alone). Cached per path."""
    if path is None:
        if os.environ.get(TRIAGE_ENV_VAR, "").strip().lower() == OFF:
            return None
        configured = os.environ.get(ENV_VAR, "").strip()
        if configured.lower() == OFF:
            return None
        if not configured and not _packaged():
            return None
        path = configured or DEFAULT_PATH
    return _cached(os.fspath(path))
