"""The confidentiality sweep: planted informants' identities must appear in no output at all.

Needles are the canaries' names, platform user ids and phone numbers. A name also matches
without diacritics and JSON-escaped (`\\u1ed5`). A phone number matches however it is spelled:
each haystack is also searched in a "digit view" written here, independently of the product's
redaction engine (a shared normaliser would hide its own bugs): NFKC (full-width digits), Vietnamese
digit words ("không chín một…", "linh", "lẻ", "mốt", "tư", "lăm") and teencode letters between
digits (O for 0, l/I for 1) become digits, and any run of separators (Unicode spaces, dashes, dots,
brackets, zero-width characters) between digits is dropped. Haystacks: every Slack payload and
published post in the simulator, every file under the data dir (HTML reports...) except the
domain DB itself, every task log file under AIRFLOW_HOME/logs, the Airflow processes' own logs,
the outbox payloads, and the XCom table of the metadata DB. Every hit is reported with where
it was found.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SKIP_SUFFIXES = (".db", ".db-wal", ".db-shm", ".sqlite", ".pyc")


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d), for diacritics-insensitive name matching."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


@dataclass(frozen=True)
class Needle:
    label: str  # e.g. "canary 1 name" (never the value itself: reports are outputs too)
    pattern: re.Pattern[str]
    folded: bool  # match against the folded haystack
    digits: bool = False  # match against the digit view of the haystack


DIGIT_WORDS = {
    "khong": "0", "linh": "0", "le": "0", "mot": "1", "hai": "2", "ba": "3",
    "bon": "4", "tu": "4", "nam": "5", "lam": "5", "sau": "6", "bay": "7", "tam": "8", "chin": "9",
}  # fmt: skip
_WORD_RUN = re.compile(
    r"\b(?:" + "|".join(DIGIT_WORDS) + r")(?:[\s,.\-]+(?:" + "|".join(DIGIT_WORDS) + r"))+\b"
)
# after fold(): lower case, so O is "o" and I is "i"
_TEENCODE = re.compile(r"(?<=[0-9])[oli](?=[0-9oli])|(?<=[0-9oli])[oli](?=[0-9])|\bo(?=[0-9]{2})")
_SEPARATORS = re.compile(r"(?<=[0-9])[^0-9A-Za-z\n]{1,4}(?=[0-9])")


def digit_view(text: str) -> str:
    """The haystack with every spelling of a number folded to plain digits (see module doc)."""
    text = fold(unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")  # zero-width characters
    text = _WORD_RUN.sub(
        lambda m: "".join(DIGIT_WORDS[w] for w in re.findall(r"[a-z']+", m.group())), text
    )
    text = _TEENCODE.sub(lambda m: "0" if m.group() == "o" else "1", text)
    return _SEPARATORS.sub("", text)


def needles(canaries: Sequence[Mapping[str, str]]) -> list[Needle]:
    out: list[Needle] = []
    for index, canary in enumerate(canaries, start=1):
        name = canary.get("name")
        if name:
            out.append(Needle(f"canary {index} name", re.compile(re.escape(fold(name))), True))
            escaped = json.dumps(name)[1:-1]
            if escaped != name:
                out.append(
                    Needle(
                        f"canary {index} name (JSON-escaped)", re.compile(re.escape(escaped)), False
                    )
                )
        for field, label in (("alias", "name with a kinship word"), ("address", "home")):
            if canary.get(field):
                pattern = r"\s+".join(re.escape(w) for w in fold(canary[field]).split())
                out.append(Needle(f"canary {index} {label}", re.compile(pattern), True))
        for field in ("psid", "user_id"):
            if canary.get(field):
                out.append(
                    Needle(
                        f"canary {index} platform id",
                        re.compile(rf"(?<!\d){re.escape(canary[field])}(?!\d)"),
                        False,
                    )
                )
        # "digits" when the message spells the number ("phone") in words or teencode
        phone = re.sub(r"\D", "", canary.get("digits") or canary.get("phone") or "")
        if phone:
            # The significant digits anywhere in the digit view (0…, +84…, 0084…, glued to a date
            # or another number): nine given digits in a row are never a coincidence.
            pattern = re.escape(phone[1:])
            out.append(Needle(f"canary {index} phone", re.compile(pattern), False, digits=True))
    return out


@dataclass(frozen=True)
class Hit:
    needle: str
    where: str

    def __str__(self) -> str:
        return f"{self.needle} found in {self.where}"


def scan_text(text: str, where: str, pins: Sequence[Needle]) -> list[Hit]:
    folded: str | None = None
    digits: str | None = None
    hits: list[Hit] = []
    for needle in pins:
        if needle.digits:
            digits = digits if digits is not None else digit_view(text)
            haystack = digits
        elif needle.folded:
            folded = folded if folded is not None else fold(text)
            haystack = folded
        else:
            haystack = text
        match = needle.pattern.search(haystack)
        if match:
            line = haystack.count("\n", 0, match.start()) + 1
            hits.append(Hit(needle.label, f"{where}:{line}" if "\n" in haystack else where))
    return hits


def scan_files(paths: Iterable[Path], pins: Sequence[Needle], label: str) -> tuple[list[Hit], int]:
    hits: list[Hit] = []
    count = 0
    for path in paths:
        if not path.is_file() or path.name.endswith(SKIP_SUFFIXES):
            continue
        count += 1
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits.extend(scan_text(text, f"{label} {path}", pins))
    return hits, count


def walk(root: Path) -> Iterator[Path]:
    if root.exists():
        yield from sorted(p for p in root.rglob("*") if p.is_file())


def scan_slack(messages: Iterable[Mapping[str, Any]], pins: Sequence[Needle]) -> list[Hit]:
    hits: list[Hit] = []
    for message in messages:
        payload = json.dumps(message, ensure_ascii=False)
        where = f"Slack message to {message.get('requested_channel')} ts={message.get('ts')}"
        hits.extend(scan_text(payload, where, pins))
        hits.extend(scan_text(json.dumps(message), where + " (escaped)", pins))
    return hits


def scan_posts(
    pages: Mapping[str, Iterable[Mapping[str, Any]]], pins: Sequence[Needle]
) -> list[Hit]:
    hits: list[Hit] = []
    for page, posts in pages.items():
        for post in posts:
            where = f"post {post.get('id')} on page {page}"
            hits.extend(scan_text(json.dumps(post, ensure_ascii=False), where, pins))
    return hits


def scan_xcom(metadata_url: str, pins: Sequence[Needle]) -> tuple[list[Hit], int]:
    """Every XCom value in Airflow's metadata DB (test code may read it directly)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(metadata_url)
    hits: list[Hit] = []
    rows = 0
    try:
        with engine.connect() as conn:
            result = conn.execute(
                text(
                    "SELECT dag_id, run_id, task_id, map_index, key, CAST(value AS TEXT) FROM xcom"
                )
            )
            for dag_id, run_id, task_id, map_index, key, value in result:
                rows += 1
                if value is None:
                    continue
                where = f"XCom {dag_id}/{run_id}/{task_id}[{map_index}] key={key}"
                hits.extend(scan_text(str(value), where, pins))
    finally:
        engine.dispose()
    return hits, rows


def scan_outbox(notifications: Iterable[Mapping[str, Any]], pins: Sequence[Needle]) -> list[Hit]:
    hits: list[Hit] = []
    for note in notifications:
        payload = json.dumps(note.get("payload"), ensure_ascii=False)
        hits.extend(scan_text(payload, f"outbox payload {note.get('key')}", pins))
    return hits
