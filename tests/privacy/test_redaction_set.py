"""The labelled redaction set of real published text (datasets/real/redaction.jsonl): its schema
and its split rule (the engine's figures on it: test_redaction_floor.py).

The checks run on the committed file and, to prove they can fail, on broken copies of a row.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

REAL = Path(__file__).resolve().parents[2] / "datasets" / "real"
SET = REAL / "redaction.jsonl"
FIELDS = {"id", "text", "source", "source_kind", "spans", "split"}
SPLITS = {"train", "dev", "test"}
SOURCE_KINDS = {"news", "qa", "police", "social", "forum", "court"}
SECRET_LABELS = {"name", "phone", "email", "id", "address", "url", "plate"}
KEEP_LABELS = {"place", "org", "date", "amount", "law"}


def split_of(source: str) -> str:
    """datasets/real/README.md: SHA-256 of the URL without fragment, mod 10: 0-4 train, 5-6 dev."""
    value = int(hashlib.sha256(source.split("#", 1)[0].encode()).hexdigest(), 16) % 10
    return "train" if value < 5 else "dev" if value < 7 else "test"


def problems(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Every violation of the set's schema, as ``row id: reason`` lines."""
    found: list[str] = []
    ids: set[str] = set()
    texts: set[str] = set()
    for number, row in enumerate(rows, start=1):
        rid = str(row.get("id", f"line {number}"))
        if set(row) != FIELDS:
            found.append(f"{rid}: fields {sorted(set(row) ^ FIELDS)} missing or unknown")
            continue
        if rid in ids or not rid.startswith("red-"):
            found.append(f"{rid}: duplicate or malformed id")
        ids.add(rid)
        text = row["text"]
        if not isinstance(text, str) or not text.strip():
            found.append(f"{rid}: empty text")
            continue
        if text != unicodedata.normalize("NFC", text):
            found.append(f"{rid}: text not NFC")
        if text in texts:
            found.append(f"{rid}: duplicate text")
        texts.add(text)
        source = row["source"]
        if not isinstance(source, str) or not source.startswith(("http://", "https://")):
            found.append(f"{rid}: source {source!r} is not a page URL")
        elif row["split"] != split_of(source):
            found.append(f"{rid}: split {row['split']!r}, the source's is {split_of(source)!r}")
        if row["source_kind"] not in SOURCE_KINDS:
            found.append(f"{rid}: source_kind {row['source_kind']!r}")
        found.extend(_span_problems(rid, text, row["spans"]))
    return found


def _span_problems(rid: str, text: str, spans: object) -> list[str]:
    if not isinstance(spans, list):
        return [f"{rid}: spans is not a list"]
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for span in spans:
        start, end, label, role = (span.get(k) for k in ("start", "end", "label", "role"))
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            found.append(f"{rid}: span {start}-{end} outside the text")
            continue
        if text[start:end] != text[start:end].strip():
            found.append(f"{rid}: span {start}-{end} starts or ends with a space")
        allowed = SECRET_LABELS if role == "secret" else KEEP_LABELS if role == "keep" else set()
        if label not in allowed:
            found.append(f"{rid}: label {label!r} with role {role!r}")
        if any(start < e and s < end for s, e in taken):
            found.append(f"{rid}: span {start}-{end} overlaps another")
        taken.append((start, end))
    return found


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line]


def test_committed_set_is_valid(rows: list[dict[str, Any]]) -> None:
    assert problems(rows) == []


def test_set_is_large_and_varied_enough(rows: list[dict[str, Any]]) -> None:
    spans = [s for r in rows for s in r["spans"]]
    assert len(rows) >= 150
    assert len({r["source"] for r in rows}) >= 30
    assert sum(s["role"] == "secret" for s in spans) >= 300
    assert sum(s["role"] == "keep" for s in spans) >= 300
    assert {r["split"] for r in rows} == SPLITS


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("split", "holdout", "split"),
        ("source", "dataset:x/y#1", "not a page URL"),
        ("source_kind", "blog", "source_kind"),
        ("text", "", "empty text"),
    ],
)
def test_broken_rows_are_reported(
    rows: list[dict[str, Any]], field: str, value: object, reason: str
) -> None:
    broken = {**rows[0], field: value}
    assert any(reason in p for p in problems([broken]))


def test_broken_spans_and_leaks_are_reported(rows: list[dict[str, Any]]) -> None:
    first = rows[0]
    other = next(s for s in sorted(SPLITS) if s != first["split"])
    assert any("split" in p for p in problems([{**first, "split": other}]))
    span = dict(first["spans"][0])
    outside = {**span, "end": len(first["text"]) + 5}
    mislabelled = {**span, "label": "place" if span["role"] == "secret" else "name"}
    for bad in (outside, mislabelled):
        assert problems([{**first, "spans": [bad]}])
    assert any("overlaps" in p for p in problems([{**first, "spans": [span, span]}]))
    assert any("duplicate" in p for p in problems([first, {**first, "id": "red-9999"}]))
