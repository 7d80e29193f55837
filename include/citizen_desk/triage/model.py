"""The trained triage model: a linear classifier over :mod:`~citizen_desk.triage.features`.

The artifact is plain JSON (``models/triage-model.json``): weights per feature name, the
intercepts, the calibration temperature and the abstain threshold, written by
``python -m citizen_desk.triage.train``. JSON, not pickle, so loading it never runs code; it is
read once per process, on the first message (never at import or DAG parse time). Inference is a
sum of the weights of the features present, then ``softmax(logits / temperature)``: no numpy or
scikit-learn at run time.

``CITIZEN_DESK_TRIAGE_MODEL`` points at another artifact, or ``off`` for the rules alone.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.errors import ConfigError
from citizen_desk.triage.features import PREFIXES, FeatureSpec, Parts

FORMAT = "citizen-desk-triage-linear/1"
DEFAULT_PATH = Path(__file__).with_name("models") / "triage-model.json"
ENV_VAR = "CITIZEN_DESK_TRIAGE_MODEL"
OFF = "off"


@dataclass(frozen=True)
class TriageModel:
    """A loaded artifact; :meth:`probabilities` is the calibrated model."""

    version: str
    classes: tuple[str, ...]
    spec: FeatureSpec
    weights: Mapping[str, tuple[float, ...]]
    intercept: tuple[float, ...]
    temperature: float
    abstain_below: float  # calibrated confidence under which a human triages the message
    candidate_min: float  # probability from which a category is a candidate for the SLA

    def probabilities(self, features: Mapping[str, float]) -> dict[str, float]:
        """Calibrated probability of every class for one message's features (by name)."""
        weights = self.weights
        rows: list[tuple[float, ...]] = [self.intercept]
        for name, value in features.items():
            row = weights.get(name)
            if row is not None:
                rows.append(row if value == 1.0 else tuple(w * value for w in row))
        return self._softmax(rows)

    def probabilities_of(self, found: Parts) -> dict[str, float]:
        """:meth:`probabilities` of :func:`~citizen_desk.triage.features.parts`, faster: each
        binary group is looked up in its own table, without building feature names."""
        rows: list[tuple[float, ...]] = [self.intercept]
        weights = self.weights
        for name, value in found.dense.items():
            row = weights.get(name)
            if row is not None:
                rows.append(row if value == 1.0 else tuple(w * value for w in row))
        for group, table in self._groups.items():
            rows += filter(None, map(table.get, getattr(found, group)))  # rows are never empty
        return self._softmax(rows)

    def _softmax(self, rows: list[tuple[float, ...]]) -> dict[str, float]:
        logits = [sum(column) / self.temperature for column in zip(*rows, strict=True)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    @functools.cached_property
    def _groups(self) -> dict[str, dict[str, tuple[float, ...]]]:
        """The binary features' weights per group, keyed without the group's prefix."""
        groups: dict[str, dict[str, tuple[float, ...]]] = {g: {} for g in PREFIXES}
        for name, row in self.weights.items():
            for group, prefix in PREFIXES.items():
                if name.startswith(prefix):
                    groups[group][name[len(prefix) :]] = row
        return groups


def parse_model(document: Any, path: str | os.PathLike[str]) -> TriageModel:
    """Validate an artifact's JSON; every problem is a ``ConfigError`` naming the key."""

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(path, key, problem)

    if not isinstance(document, dict):
        raise fail("(root)", "not a JSON object")
    if document.get("format") != FORMAT:
        raise fail("format", f"expected {FORMAT!r}, got {document.get('format')!r}")
    classes = document.get("classes")
    if not isinstance(classes, list) or sorted(classes) != sorted(CATEGORIES):
        raise fail("classes", f"expected the categories {sorted(CATEGORIES)}")
    width = len(classes)

    def vector(value: Any, key: str) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != width:
            raise fail(key, f"expected {width} numbers")
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in value):
            raise fail(key, "expected finite numbers")
        return tuple(float(v) for v in value)

    raw_weights = document.get("weights")
    if not isinstance(raw_weights, dict) or not raw_weights:
        raise fail("weights", "expected an object of feature name -> weights")
    weights = {str(name): vector(row, f"weights.{name}") for name, row in raw_weights.items()}
    numbers = {}
    for key, low, high in (
        ("temperature", 1e-3, 1e3),
        ("abstain_below", 0.0, 1.0),
        ("candidate_min", 0.0, 1.0),
    ):
        value = document.get(key)
        if not isinstance(value, int | float) or not low <= value <= high:
            raise fail(key, f"expected a number in [{low}, {high}]")
        numbers[key] = float(value)
    raw_spec = document.get("features")
    try:
        spec = FeatureSpec(**raw_spec) if isinstance(raw_spec, dict) else None
    except TypeError as exc:
        raise fail("features", str(exc)) from None
    if spec is None:
        raise fail("features", "expected the feature groups object")
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise fail("version", "expected a non-empty string")
    return TriageModel(
        version=version,
        classes=tuple(classes),
        spec=spec,
        weights=weights,
        intercept=vector(document.get("intercept"), "intercept"),
        temperature=numbers["temperature"],
        abstain_below=numbers["abstain_below"],
        candidate_min=numbers["candidate_min"],
    )


def read_document(path: str) -> Any:
    """A model artifact's JSON; an unreadable or invalid file fails naming it."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot read the model: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(path, "(file)", f"invalid JSON: {exc}") from None


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> TriageModel:
    return parse_model(read_document(path), path)


def load_model(path: str | os.PathLike[str] | None = None) -> TriageModel | None:
    """The model at ``path``, else ``$CITIZEN_DESK_TRIAGE_MODEL``, else the packaged one;
    ``None`` when the variable says ``off`` (rules only). Cached per path."""
    if path is None:
        configured = os.environ.get(ENV_VAR, "").strip()
        if configured.lower() == OFF:
            return None
        path = configured or DEFAULT_PATH
    return _cached(os.fspath(path))  # no resolve(): it costs a file-system call a message
