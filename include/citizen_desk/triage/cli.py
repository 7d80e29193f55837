"""Triage JSON lines: ``{"id", "text"}`` in, ``{"id", "category", "urgent", "urgency_cues",
"topic", "confidence", "redacted"}`` out (``urgency_cues``: why an urgent message is urgent, its
cues redacted like the text; empty when not urgent).

Usage: ``citizen-desk triage < in.jsonl > out.jsonl`` (or
``python -m citizen_desk.triage.cli``). An input line may also carry ``"names"`` (the citizen's
names, masked in ``redacted``). Bad lines are reported on stderr with their line number (never
their content) and skipped; the exit code is 0 when every line was good, 1 otherwise, 2 when the
vocabulary cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from citizen_desk.errors import ConfigError
from citizen_desk.privacy.redact import redact
from citizen_desk.triage.classify import classify
from citizen_desk.triage.vocabulary import Vocabulary, load_vocabulary


class _BadLine(ValueError):
    """A line that cannot be triaged; the message is safe to print (no message content)."""


def _parse(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"invalid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(record, dict):
        raise _BadLine(f"expected a JSON object, got {type(record).__name__}")
    if "text" not in record:
        raise _BadLine("missing 'text'")
    if not isinstance(record["text"], str):
        raise _BadLine(f"'text' must be a string, got {type(record['text']).__name__}")
    names = record.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _BadLine("'names' must be a list of strings")
    return record


def triage_record(record: dict[str, Any], vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The output object for one parsed input record."""
    result = classify(record["text"], vocabulary)
    names = record.get("names", [])
    return {
        "id": record.get("id"),
        "category": result.category,
        "urgent": result.urgent,
        "urgency_cues": [redact(cue, names) for cue in result.urgency_cues],
        "topic": result.topic,
        "confidence": result.confidence,
        "redacted": redact(record["text"], names),
    }


def main(
    argv: list[str] | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    parser = argparse.ArgumentParser(
        prog="citizen-desk triage",
        description="Classify and redact citizen messages given as JSON lines on stdin.",
    )
    parser.add_argument(
        "--vocab", type=Path, default=None, help="vocabulary YAML (default: packaged or env)"
    )
    args = parser.parse_args(argv)
    try:
        vocabulary = load_vocabulary(args.vocab)
    except ConfigError as exc:
        print(f"error: {exc}", file=stderr)
        return 2

    bad = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            record = _parse(line)
        except _BadLine as exc:
            bad += 1
            print(f"line {number}: {exc}", file=stderr)
            continue
        stdout.write(json.dumps(triage_record(record, vocabulary), ensure_ascii=False) + "\n")
    if bad:
        print(f"{bad} bad line(s) skipped", file=stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
