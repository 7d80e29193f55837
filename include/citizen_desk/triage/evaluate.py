"""Measure the triage rules on a labelled JSON-lines set.

Usage: ``python -m citizen_desk.triage.evaluate [path ...] [--vocab FILE] [--split S] [--errors]``

Each line is ``{"id", "text", "category", "topic", "urgent"}``; other fields are ignored, except
``split`` with ``--split`` (only the rows of that split, as in ``datasets/real/triage.jsonl``).
Prints the confusion matrix, per-category precision / recall / F1, urgency and topic figures;
``--errors`` also lists the misclassified examples with the phrases that decided them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from citizen_desk.errors import ConfigError
from citizen_desk.triage.classify import CATEGORIES, Triage, classify, explain
from citizen_desk.triage.vocabulary import Vocabulary, load_vocabulary

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SET = REPO_ROOT / "tests" / "triage" / "eval_set.jsonl"


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    category: str
    topic: str | None
    urgent: bool


@dataclass(frozen=True)
class Outcome:
    example: Example
    triage: Triage

    @property
    def correct(self) -> bool:
        return self.triage.category == self.example.category


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    outcomes: list[Outcome]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def accuracy(self) -> float:
        return _ratio(sum(o.correct for o in self.outcomes), self.total)

    def per_category(self) -> dict[str, Scores]:
        result: dict[str, Scores] = {}
        for category in CATEGORIES:
            true_pos = self.confusion[category][category]
            predicted = sum(self.confusion[c][category] for c in CATEGORIES)
            actual = sum(self.confusion[category].values())
            precision = _ratio(true_pos, predicted)
            recall = _ratio(true_pos, actual)
            f1 = _ratio(2 * precision * recall, precision + recall)
            result[category] = Scores(precision, recall, f1, actual)
        return result

    @property
    def urgent_recall(self) -> float:
        urgent = [o for o in self.outcomes if o.example.urgent]
        return _ratio(sum(o.triage.urgent for o in urgent), len(urgent))

    @property
    def non_tip_urgent_rate(self) -> float:
        """Share of non-tip examples flagged urgent (false alarms)."""
        others = [o for o in self.outcomes if o.example.category != "tip"]
        return _ratio(sum(o.triage.urgent for o in others), len(others))

    @property
    def false_urgent_tips(self) -> int:
        return sum(
            o.triage.urgent and not o.example.urgent
            for o in self.outcomes
            if o.example.category == "tip"
        )

    @property
    def topic_accuracy(self) -> float:
        """Topic agreement on correctly categorised examples that carry a topic label."""
        labelled = [o for o in self.outcomes if o.correct and o.example.topic]
        return _ratio(sum(o.triage.topic == o.example.topic for o in labelled), len(labelled))

    @property
    def needs_human_rate(self) -> float:
        return _ratio(sum(o.triage.needs_human for o in self.outcomes), self.total)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def load_examples(path: str | Path, split: str | None = None) -> list[Example]:
    """Read a labelled set (only the rows whose ``split`` is ``split``, when given); raises
    ``ConfigError`` naming the line of a malformed example."""
    examples: list[Example] = []
    source = Path(path)
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(source, f"line {number}", f"invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ConfigError(source, f"line {number}", "not a JSON object")
        if data.get("category") not in CATEGORIES:
            raise ConfigError(source, f"line {number}", "category missing or unknown")
        if not isinstance(data.get("text"), str) or not isinstance(data.get("urgent"), bool):
            raise ConfigError(source, f"line {number}", "text (str) and urgent (bool) required")
        if split is not None and data.get("split") != split:
            continue
        examples.append(
            Example(
                id=str(data.get("id", number)),
                text=data["text"],
                category=data["category"],
                topic=data.get("topic"),
                urgent=data["urgent"],
            )
        )
    return examples


def evaluate(examples: Iterable[Example], vocabulary: Vocabulary | None = None) -> Report:
    """Classify every example and tabulate the results."""
    vocab = vocabulary or load_vocabulary()
    outcomes = [Outcome(e, classify(e.text, vocab)) for e in examples]
    confusion = {c: dict.fromkeys(CATEGORIES, 0) for c in CATEGORIES}
    for outcome in outcomes:
        confusion[outcome.example.category][outcome.triage.category] += 1
    return Report(outcomes, confusion)


def format_report(report: Report, *, title: str = "") -> str:
    """The confusion matrix and metrics as plain text."""
    short = {c: c[:10] for c in CATEGORIES}
    lines = [title] if title else []
    lines.append(f"examples: {report.total}   accuracy: {report.accuracy:.1%}")
    lines.append("")
    lines.append("confusion (rows = expected, columns = predicted)")
    lines.append(f"{'':>12}" + "".join(f"{short[c]:>11}" for c in CATEGORIES))
    for expected in CATEGORIES:
        row = report.confusion[expected]
        lines.append(f"{short[expected]:>12}" + "".join(f"{row[c]:>11}" for c in CATEGORIES))
    lines.append("")
    lines.append(f"{'category':>12}{'precision':>11}{'recall':>11}{'f1':>11}{'support':>11}")
    for category, s in report.per_category().items():
        lines.append(
            f"{category:>12}{s.precision:>11.1%}{s.recall:>11.1%}{s.f1:>11.1%}{s.support:>11}"
        )
    lines.append("")
    lines.append(f"urgent recall: {report.urgent_recall:.1%}   "
                 f"non-tip flagged urgent: {report.non_tip_urgent_rate:.1%}   "
                 f"non-urgent tips flagged urgent: {report.false_urgent_tips}")  # fmt: skip
    lines.append(f"topic accuracy (correct category, labelled topic): {report.topic_accuracy:.1%}")
    lines.append(f"needs_human: {report.needs_human_rate:.1%}")
    return "\n".join(lines)


def format_errors(report: Report, vocabulary: Vocabulary | None = None) -> str:
    """Misclassified examples with their scores and the phrases that matched."""
    lines: list[str] = []
    for outcome in report.errors + [
        o for o in report.outcomes if o.correct and o.triage.urgent != o.example.urgent
    ]:
        e, t = outcome.example, outcome.triage
        detail = explain(e.text, vocabulary)
        scores = " ".join(f"{c}={v:g}" for c, v in detail.scores.items() if v)
        hits = ", ".join(f"{h.phrase}({h.category[:3]} {h.weight:+g})" for h in detail.hits)
        lines.append(
            f"{e.id}: expected {e.category}{' urgent' if e.urgent else ''}, got {t.category}"
            f"{' urgent' if t.urgent else ''} ({t.confidence:.2f}) | {e.text}\n"
            f"    scores: {scores} urgency={detail.urgency:g}\n    hits: {hits}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m citizen_desk.triage.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("paths", nargs="*", type=Path, help=f"default: {DEFAULT_SET}")
    parser.add_argument("--vocab", type=Path, default=None, help="vocabulary YAML to evaluate")
    parser.add_argument("--split", default=None, help="only rows of this split (train, dev, test)")
    parser.add_argument("--errors", action="store_true", help="list misclassified examples")
    args = parser.parse_args(argv)
    try:
        vocab = load_vocabulary(args.vocab)
        for path in args.paths or [DEFAULT_SET]:
            report = evaluate(load_examples(path, args.split), vocab)
            title = f"== {path}" + (f" [split {args.split}]" if args.split else "")
            print(format_report(report, title=title), file=stdout)
            if args.errors:
                print("\n" + format_errors(report, vocab), file=stdout)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
