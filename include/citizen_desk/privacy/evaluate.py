"""`python -m citizen_desk.privacy.evaluate SET.jsonl [--split dev|test]`: redaction, scored.

Each row: `text` and `spans` (`start`, `end`, `label`, `role`: `secret` must be masked, `keep` must
survive). A secret span counts as masked when every letter and digit of it lies inside a finding
of `contains_pii` (so nothing of it reaches the redacted text); a keep span is intact when no
finding touches it. Figures per label; the rows are never printed (they hold personal data).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citizen_desk.privacy.redact import PiiFinding, contains_pii


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


def _covered(text: str, start: int, end: int, findings: Sequence[PiiFinding]) -> bool:
    return all(
        any(f.start <= i < f.end for f in findings) for i in range(start, end) if text[i].isalnum()
    )


def _touched(start: int, end: int, findings: Sequence[PiiFinding]) -> bool:
    return any(f.start < end and start < f.end for f in findings)


def score(rows: Iterable[Mapping[str, Any]], *, tagger: bool = True) -> Scores:
    scores = Scores()
    for row in rows:
        text = str(row["text"])
        findings = contains_pii(text, tagger=tagger)
        scores.rows += 1
        for span in row.get("spans") or ():
            start, end, role = int(span["start"]), int(span["end"]), str(span["role"])
            ok = (
                _covered(text, start, end, findings)
                if role == "secret"
                else not _touched(start, end, findings)
            )
            scores.add(str(span["label"]), role, ok)
    return scores


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


def load(path: Path, split: str | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split is None or r.get("split") == split]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m citizen_desk.privacy.evaluate")
    parser.add_argument("path", type=Path)
    parser.add_argument("--split", default=None, help="only rows of this split (dev, test)")
    parser.add_argument("--no-tagger", action="store_true", help="rules only, no NER tagger")
    args = parser.parse_args(argv)
    print(report(score(load(args.path, args.split), tagger=not args.no_tagger)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
