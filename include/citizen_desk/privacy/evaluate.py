"""`python -m citizen_desk.privacy.evaluate --set SET.jsonl [--split S]`: redaction, measured.

Each row: `text` and `spans` (`start`, `end`, `label`, `role`: `secret` must be masked, `keep` must
survive), or, as in `datasets/real/triage.jsonl`, `pii` spans (`start`, `end`, `kind`), all
secrets. A secret span counts as masked when every letter and digit of it lies inside a finding
of `contains_pii` (so nothing of it reaches the redacted text); a keep span is intact when no
finding touches it. Figures per label, then per split and per source family (a dataset, or a
site); the rows are never printed (they hold personal data) except by `--errors`, which shows
the missed spans of the `train` or `dev` split on a developer's terminal and refuses `test`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from citizen_desk.privacy.redact import PiiFinding, contains_pii

ERROR_SPLITS = ("train", "dev")  # never show the errors of the split that is only reported


@dataclass
class Scores:
    """Per label: spans seen and spans handled right (masked secrets, intact keeps)."""

    seen: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    roles: dict[str, str] = field(default_factory=dict)
    rows: int = 0

    def add(self, label: str, role: str, ok: bool) -> None:
        self.seen[label] += 1
        self.right[label] += int(ok)
        self.roles[label] = role

    def share(self, role: str) -> tuple[int, int]:
        labels = [label for label, r in self.roles.items() if r == role]
        return sum(self.right[label] for label in labels), sum(self.seen[label] for label in labels)


@dataclass(frozen=True)
class SpanResult:
    """One labelled span of one row and whether the engine handled it right."""

    label: str
    role: str
    ok: bool
    start: int
    end: int


def _covered(text: str, start: int, end: int, findings: Sequence[PiiFinding]) -> bool:
    return all(
        any(f.start <= i < f.end for f in findings) for i in range(start, end) if text[i].isalnum()
    )


def _touched(start: int, end: int, findings: Sequence[PiiFinding]) -> bool:
    return any(f.start < end and start < f.end for f in findings)


def spans_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The row's labelled spans; the `pii` spans of the triage corpus are secrets."""
    if row.get("spans") is not None:
        return [dict(s) for s in row["spans"]]
    return [
        {"start": s["start"], "end": s["end"], "label": s["kind"], "role": "secret"}
        for s in row.get("pii") or ()
    ]


def judge(row: Mapping[str, Any], *, tagger: bool = True) -> list[SpanResult]:
    """Every labelled span of ``row`` with its verdict under :func:`contains_pii`."""
    text = str(row["text"])
    findings = contains_pii(text, tagger=tagger)
    results = []
    for span in spans_of(row):
        start, end, role = int(span["start"]), int(span["end"]), str(span["role"])
        ok = (
            _covered(text, start, end, findings)
            if role == "secret"
            else not _touched(start, end, findings)
        )
        results.append(SpanResult(str(span["label"]), role, ok, start, end))
    return results


def score(rows: Iterable[Mapping[str, Any]], *, tagger: bool = True) -> Scores:
    scores = Scores()
    for row in rows:
        scores.rows += 1
        for result in judge(row, tagger=tagger):
            scores.add(result.label, result.role, result.ok)
    return scores


def family(source: str) -> str:
    """A row's source family: the dataset's name, or the site without `www.`/`m.`/`amp.`."""
    if source.startswith("dataset:"):
        return source.removeprefix("dataset:").split("/", 1)[0]
    host = urlsplit(source).netloc.lower().split(":", 1)[0]
    for prefix in ("www.", "m.", "amp.", "beta.", "lite."):
        host = host.removeprefix(prefix)
    return host or source


def report(scores: Scores) -> str:
    lines = [f"rows: {scores.rows}", f"{'label':<10} {'role':<7} {'ok':>6} {'of':>6} {'share':>7}"]
    for label in sorted(scores.seen, key=lambda name: (scores.roles[name], name)):
        seen, right = scores.seen[label], scores.right[label]
        role = scores.roles[label]
        lines.append(f"{label:<10} {role:<7} {right:>6} {seen:>6} {right / seen:>7.1%}")
    for role, what in (("secret", "secrets masked"), ("keep", "keep-spans intact")):
        right, seen = scores.share(role)
        if seen:
            lines.append(f"{what}: {right}/{seen} = {right / seen:.1%}")
    return "\n".join(lines)


def _cell(scores: Scores, role: str) -> str:
    right, seen = scores.share(role)
    return f"{right}/{seen} = {right / seen:.1%}" if seen else "–"


def grouped(
    rows: Sequence[Mapping[str, Any]],
    verdicts: Sequence[list[SpanResult]],
    key: Callable[[Mapping[str, Any]], str],
) -> dict[str, Scores]:
    groups: dict[str, Scores] = {}
    for row, results in zip(rows, verdicts, strict=True):
        scores = groups.setdefault(key(row), Scores())
        scores.rows += 1
        for result in results:
            scores.add(result.label, result.role, result.ok)
    return groups


def group_table(title: str, groups: Mapping[str, Scores]) -> str:
    lines = [f"{title:<34} {'rows':>5}  {'secrets masked':<20} {'keep-spans intact':<20}"]
    order = sorted(groups, key=lambda name: (-groups[name].rows, name))
    for name in order:
        scores = groups[name]
        secrets, keeps = _cell(scores, "secret"), _cell(scores, "keep")
        lines.append(f"{name:<34} {scores.rows:>5}  {secrets:<20} {keeps:<20}")
    return "\n".join(lines)


def full_report(rows: Sequence[Mapping[str, Any]], *, tagger: bool = True) -> str:
    """Per label, then per split, source kind and source family."""
    verdicts = [judge(row, tagger=tagger) for row in rows]
    total = grouped(rows, verdicts, lambda _row: "all")
    parts = [report(total.get("all", Scores()))]
    parts.append(group_table("split", grouped(rows, verdicts, lambda r: str(r.get("split")))))
    kinds = grouped(rows, verdicts, lambda r: str(r.get("source_kind", "–")))
    parts.append(group_table("source kind", kinds))
    families = grouped(rows, verdicts, lambda r: family(str(r.get("source", ""))))
    parts.append(group_table("source family", families))
    return "\n\n".join(parts)


def errors(rows: Sequence[Mapping[str, Any]], *, tagger: bool = True) -> Iterator[str]:
    """One line per mishandled span: row id, role, label and the span in its context."""
    for row in rows:
        text = str(row["text"])
        for result in judge(row, tagger=tagger):
            if result.ok:
                continue
            before = text[max(0, result.start - 50) : result.start]
            after = text[result.end : result.end + 30]
            shown = f"{before}⟦{text[result.start : result.end]}⟧{after}".replace("\n", " ")
            yield f"{row.get('id', '?')} {result.role} {result.label}: {shown}"


def load(path: Path, split: str | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split is None or r.get("split") == split]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m citizen_desk.privacy.evaluate")
    parser.add_argument("path", type=Path, nargs="?", help="the labelled set (or --set)")
    parser.add_argument("--set", dest="set_path", type=Path, help="the labelled set (JSON lines)")
    parser.add_argument("--split", default=None, help="only rows of this split (train, dev, test)")
    parser.add_argument("--no-tagger", action="store_true", help="rules only, no NER tagger")
    parser.add_argument(
        "--errors", action="store_true", help="print the missed spans (train or dev split only)"
    )
    args = parser.parse_args(argv)
    path = args.set_path or args.path
    if path is None:
        parser.error("give the labelled set: --set PATH")
    rows = load(path, args.split)
    if args.errors:
        if args.split not in ERROR_SPLITS:
            parser.error("--errors shows the train or dev split only (--split train|dev)")
        for line in errors(rows, tagger=not args.no_tagger):
            print(line)
        return 0
    print(full_report(rows, tagger=not args.no_tagger))
    return 0


if __name__ == "__main__":
    sys.exit(main())
