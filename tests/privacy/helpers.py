"""Shared by the property tests of the redaction engine."""

from __future__ import annotations

from citizen_desk.privacy import contains_pii


def covered(text: str, start: int, end: int, tagger: bool = False) -> bool:
    """Every letter and digit of text[start:end] lies inside a finding."""
    findings = contains_pii(text, tagger=tagger)
    return all(
        any(f.start <= i < f.end for f in findings) for i in range(start, end) if text[i].isalnum()
    )


def untouched(text: str, part: str) -> bool:
    """No finding overlaps the first occurrence of `part` in `text`."""
    start = text.index(part)
    end = start + len(part)
    return not any(f.start < end and start < f.end for f in contains_pii(text))
