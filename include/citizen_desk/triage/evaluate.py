"""Measure the triage (the model with the rules, and the rules alone) on a labelled JSON-lines set.

Usage: ``python -m citizen_desk.triage.evaluate [path ...] [--vocab FILE] [--model FILE]
[--split S] [--rules-only] [--errors]``

Each line is ``{"id", "text", "category", "topic", "urgent"}``; ``accepted`` (other defensible
categories), ``source`` / ``source_kind`` (``datasets/real/triage.jsonl``) are used when present,
``split`` with ``--split`` (only the rows of that split). Prints the confusion matrix,
per-category precision / recall / F1, urgency, topic and needs-human figures, then per source
family and with / without diacritics, and the rules alone next to the model; ``--errors`` also
lists the misclassified examples with the phrases that decided them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from citizen_desk.errors import ConfigError
from citizen_desk.triage.breakdown import format_breakdown
from citizen_desk.triage.classify import (
    CATEGORIES,
    PACKAGED,
    ModelChoice,
    Triage,
    classify,
    explain,
)
from citizen_desk.triage.model import load_model
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
    accepted: tuple[str, ...] = ()
    family: str = ""  # source family: a dataset's name, else the source kind ("news", "qa"...)


@dataclass(frozen=True)
class Outcome:
    example: Example
    triage: Triage

    @property
    def correct(self) -> bool:
        return self.triage.category == self.example.category

    @property
    def acceptable(self) -> bool:
        return self.correct or self.triage.category in self.example.accepted

    @property
    def sent_to_review(self) -> bool:
        """Left to a human with the expected category among its candidates (not misrouted)."""
        return self.triage.needs_human and self.example.category in self.triage.candidates


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

    @property
    def accuracy_accepted(self) -> float:
        """Accuracy counting the ``accepted`` alternatives as right."""
        return _ratio(sum(o.acceptable for o in self.outcomes), self.total)

    @property
    def accuracy_not_reviewed(self) -> float:
        """Accuracy on the messages routed without a human."""
        kept = [o for o in self.outcomes if not o.triage.needs_human]
        return _ratio(sum(o.correct for o in kept), len(kept))

    def recall_with_review(self, category: str) -> float:
        """Share of ``category`` examples routed to it, or left to a human with it a candidate."""
        of = [o for o in self.outcomes if o.example.category == category]
        return _ratio(sum(o.correct or o.sent_to_review for o in of), len(of))

    def subset(self, keep: Callable[[Outcome], bool]) -> Report:
        """The report of the outcomes ``keep`` selects."""
        return tabulate([o for o in self.outcomes if keep(o)])

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
    def false_urgent_rate(self) -> float:
        """Share of non-urgent examples flagged urgent (false alarms, whatever the category)."""
        calm = [o for o in self.outcomes if not o.example.urgent]
        return _ratio(self.false_urgents, len(calm))

    @property
    def false_urgents(self) -> int:
        return sum(o.triage.urgent and not o.example.urgent for o in self.outcomes)

    def urgency_by_category(self) -> dict[str, tuple[int, int, int]]:
        """Per expected category: (urgent examples, of them flagged, non-urgent flagged)."""
        result: dict[str, tuple[int, int, int]] = {}
        for category in CATEGORIES:
            of = [o for o in self.outcomes if o.example.category == category]
            urgent = [o for o in of if o.example.urgent]
            flagged = sum(o.triage.urgent for o in urgent)
            false = sum(o.triage.urgent for o in of if not o.example.urgent)
            if urgent or false:
                result[category] = (len(urgent), flagged, false)
        return result

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
                accepted=tuple(data.get("accepted") or ()),
                family=source_family(data),
            )
        )
    return examples


def source_family(row: Mapping[str, Any]) -> str:
    """A dataset's name ("dataset: ViHSD"), else the kind of page ("news", "qa"...)."""
    source = str(row.get("source") or "")
    if source.startswith("dataset:"):
        return "dataset: " + source.removeprefix("dataset:").split("/", 1)[0]
    return str(row.get("source_kind") or "")


def evaluate(
    examples: Iterable[Example],
    vocabulary: Vocabulary | None = None,
    model: ModelChoice = PACKAGED,
) -> Report:
    """Classify every example (``model=None``: the rules alone) and tabulate the results."""
    vocab = vocabulary or load_vocabulary()
    chosen = load_model() if isinstance(model, str) else model
    return tabulate([Outcome(e, classify(e.text, vocab, chosen)) for e in examples])


def tabulate(outcomes: list[Outcome]) -> Report:
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
    urgent = sum(o.example.urgent for o in report.outcomes)
    lines.append(
        f"urgent recall: {report.urgent_recall:.1%} "
        f"({sum(o.triage.urgent for o in report.outcomes if o.example.urgent)}/{urgent})   "
        f"false urgents: {report.false_urgent_rate:.1%} "
        f"({report.false_urgents} of {report.total - urgent} non-urgent)"
    )
    by_category = "   ".join(
        f"{c}: {flagged}/{n} urgent, {false} false" for c, (n, flagged, false)
        in report.urgency_by_category().items()
    )  # fmt: skip
    if by_category:
        lines.append(f"urgency per category: {by_category}")
    lines.append(f"topic accuracy (correct category, labelled topic): {report.topic_accuracy:.1%}")
    lines.append(
        f"needs_human: {report.needs_human_rate:.1%}   accuracy when not needs_human: "
        f"{report.accuracy_not_reviewed:.1%}   counting accepted: {report.accuracy_accepted:.1%}"
    )
    lines.append(
        f"tip recall with review (needs_human, tip a candidate): "
        f"{report.recall_with_review('tip'):.1%}"
    )
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
            f"    scores: {scores} urgency={detail.urgency:g}"
            f" cues={list(detail.urgency_cues)} negated={list(detail.negated)}\n    hits: {hits}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m citizen_desk.triage.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("paths", nargs="*", type=Path, help=f"default: {DEFAULT_SET}")
    parser.add_argument("--vocab", type=Path, default=None, help="vocabulary YAML to evaluate")
    parser.add_argument("--model", type=Path, default=None, help="model artifact to evaluate")
    parser.add_argument("--split", default=None, help="only rows of this split (train, dev, test)")
    parser.add_argument("--rules-only", action="store_true", help="the rules without the model")
    parser.add_argument("--errors", action="store_true", help="list misclassified examples")
    args = parser.parse_args(argv)
    try:
        vocab = load_vocabulary(args.vocab)
        model = None if args.rules_only else load_model(args.model)
        for path in args.paths or [DEFAULT_SET]:
            examples = load_examples(path, args.split)
            report = evaluate(examples, vocab, model)
            name = "rules only" if model is None else f"model {model.version} with the rules"
            title = f"== {path}" + (f" [split {args.split}]" if args.split else "") + f" ({name})"
            print(format_report(report, title=title), file=stdout)
            rules = evaluate(examples, vocab, None) if model is not None else None
            print("\n" + format_breakdown(report, rules), file=stdout)
            if args.errors:
                print("\n" + format_errors(report, vocab), file=stdout)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
