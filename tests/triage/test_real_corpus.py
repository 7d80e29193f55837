"""Schema of the labelled corpus of real citizens' messages (datasets/real/triage.jsonl).

Every row is a verbatim excerpt of a public text with its source; see datasets/real/README.md.
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

from citizen_desk.domain.vocabulary import Category
from citizen_desk.text.normalize import has_diacritics

CORPUS = Path(__file__).resolve().parents[2] / "datasets" / "real" / "triage.jsonl"
FIELDS = {
    "id", "text", "source", "source_kind", "category", "accepted", "urgent", "topic",
    "diacritics", "pii", "split",
}  # fmt: skip
CATEGORIES = {c.value for c in Category}
SPLITS = {"train", "dev", "test"}
SOURCE_KINDS = {"news", "qa", "forum", "dataset", "social"}
PII_KINDS = {"name", "phone", "id", "email", "url", "address"}


def source_key(source: str) -> str:
    """The unit of the split: a page URL without fragment, or a dataset file without row."""
    return source.split("#", 1)[0]


def page_split(url: str) -> str:
    """A page's split (README, "Split rule"): SHA-256 of the URL without fragment, mod 10."""
    value = int(hashlib.sha256(source_key(url).encode("utf-8")).hexdigest(), 16) % 10
    return "train" if value < 5 else "dev" if value < 7 else "test"


def problems(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Every violation of the corpus schema, as ``row id: reason`` lines."""
    found: list[str] = []
    ids: set[str] = set()
    texts: dict[str, str] = {}
    split_of: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        rid = str(row.get("id", f"line {number}"))
        if set(row) != FIELDS:
            found.append(f"{rid}: fields {sorted(set(row) ^ FIELDS)} missing or unknown")
            continue
        if rid in ids:
            found.append(f"{rid}: duplicate id")
        ids.add(rid)
        text = row["text"]
        if not isinstance(text, str) or not text.strip():
            found.append(f"{rid}: empty text")
            continue
        if text != unicodedata.normalize("NFC", text):
            found.append(f"{rid}: text not NFC")
        if text in texts:
            found.append(f"{rid}: same text as {texts[text]}")
        texts.setdefault(text, rid)
        source = row["source"]
        if not isinstance(source, str) or not (
            source.startswith(("http://", "https://")) or source.startswith("dataset:")
        ):
            found.append(f"{rid}: source must be a URL or dataset:path#row")
        elif source.startswith("dataset:") and "#" not in source:
            found.append(f"{rid}: dataset source without a row id")
        if row["source_kind"] not in SOURCE_KINDS:
            found.append(f"{rid}: source_kind {row['source_kind']!r}")
        if row["category"] not in CATEGORIES:
            found.append(f"{rid}: category {row['category']!r}")
        accepted = row["accepted"]
        if not isinstance(accepted, list) or any(
            a not in CATEGORIES or a == row["category"] for a in accepted
        ):
            found.append(f"{rid}: accepted must list other valid categories")
        if not isinstance(row["urgent"], bool):
            found.append(f"{rid}: urgent not a bool")
        if row["topic"] is not None and not isinstance(row["topic"], str):
            found.append(f"{rid}: topic")
        if row["diacritics"] is not has_diacritics(text):
            found.append(f"{rid}: diacritics flag disagrees with the text")
        if not isinstance(row["pii"], list):
            found.append(f"{rid}: pii not a list")
        else:
            for span in row["pii"]:
                start, end = span.get("start"), span.get("end")
                if (
                    set(span) != {"start", "end", "kind"}
                    or span["kind"] not in PII_KINDS
                    or not isinstance(start, int)
                    or not isinstance(end, int)
                    or not 0 <= start < end <= len(text)
                    or not text[start:end].strip()
                ):
                    found.append(f"{rid}: pii span {span} not inside the text")
        split = row["split"]
        if split not in SPLITS:
            found.append(f"{rid}: split {split!r}")
        elif isinstance(source, str):
            first = split_of.setdefault(source_key(source), split)
            if first != split:
                found.append(f"{rid}: source {source_key(source)} is in {first} and {split}")
            elif not source.startswith("dataset:") and split != page_split(source):
                found.append(f"{rid}: split {split} is not the page's hash split")
    return found


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return load(CORPUS)


def test_corpus_schema(rows: list[dict[str, Any]]) -> None:
    assert problems(rows) == []


def test_corpus_covers_every_category_and_split(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= 100
    assert {r["category"] for r in rows} == CATEGORIES
    assert {r["split"] for r in rows} == SPLITS
    assert any(r["urgent"] for r in rows)
    # urgency is a property of the situation, not of one category (guide: "urgent")
    assert {r["category"] for r in rows if r["urgent"]} >= {"tip", "lost_found"}
    assert any(not r["diacritics"] for r in rows)
    assert any(r["pii"] for r in rows)


BROKEN = [
    ("category", "complaint", "category"),
    ("source", "", "source must be"),
    ("source", "dataset:ViHSD/train.csv", "without a row id"),
    ("pii", [{"start": 0, "end": 10_000, "kind": "name"}], "not inside the text"),
    ("pii", [{"start": 0, "end": 2, "kind": "nickname"}], "not inside the text"),
    ("split", "holdout", "split"),
    ("urgent", "yes", "urgent not a bool"),
    ("accepted", ["tip", "rumour"], "accepted"),
    ("diacritics", None, "diacritics flag"),
]


@pytest.mark.parametrize(("field", "value", "reason"), BROKEN, ids=[b[2] for b in BROKEN])
def test_malformed_row_fails(
    tmp_path: Path, rows: list[dict[str, Any]], field: str, value: object, reason: str
) -> None:
    broken = [*rows[:3], {**rows[3], field: value}]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in broken) + "\n", "utf-8")
    found = problems(load(path))
    assert any(reason in p for p in found), found


def test_missing_field_duplicate_text_and_split_leak_fail(rows: list[dict[str, Any]]) -> None:
    first = rows[0]
    missing = {k: v for k, v in first.items() if k != "source"}
    assert any("missing or unknown" in p for p in problems([missing]))
    twin = {**first, "id": "twin"}
    assert any("same text as" in p for p in problems([first, twin]))
    other_split = next(s for s in sorted(SPLITS) if s != first["split"])
    leak = {**rows[1], "source": first["source"], "split": other_split}
    assert any("is in" in p for p in problems([first, leak]))


def test_a_page_row_outside_its_hash_split_fails(rows: list[dict[str, Any]]) -> None:
    page = next(r for r in rows if r["source"].startswith("http"))
    moved = {**page, "split": next(s for s in sorted(SPLITS) if s != page["split"])}
    assert any("hash split" in p for p in problems([moved]))
