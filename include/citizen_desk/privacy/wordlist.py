"""Two-syllable Vietnamese words, to tell a capitalised common word from a given name.

"Căn cước", "Giao thông", "Thành phố", "Vui lòng" are words of two syllables; "Hùng đi",
"Ngọc xuống", "Đắc sống" are a name and a verb. The list is the Viet74K dictionary that
underthesea ships inside its wheel (the same file its tagger reads), read from the installed
package without importing it (importing underthesea costs seconds), once per process.
When the file cannot be read the list is empty, so nothing is taken for a common word: the
engine then masks more, never less.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

DICTIONARY = ("corpus", "data", "Viet74K.txt")
MAPPING = ("address", "data", "mapping.json")  # the official list of units


def _dictionary_path() -> Path | None:
    try:
        spec = importlib.util.find_spec("underthesea")
    except (ImportError, ValueError):  # pragma: no cover - underthesea is a runtime requirement
        return None
    if spec is None or not spec.submodule_search_locations:
        return None  # pragma: no cover
    return Path(next(iter(spec.submodule_search_locations)), *DICTIONARY)


@lru_cache(maxsize=1)
def two_syllable_words() -> frozenset[str]:
    """The dictionary's words of exactly two syllables, lower-case NFC ("căn cước")."""
    path = _dictionary_path()
    try:
        text = path.read_text(encoding="utf-8") if path is not None else ""
    except OSError:  # pragma: no cover - a broken install: mask more, see the module docstring
        text = ""
    words = (unicodedata.normalize("NFC", line.strip().lower()) for line in text.splitlines())
    return frozenset(word for word in words if word.count(" ") == 1)


def is_word(first: str, second: str) -> bool:
    """``first second`` (lower-case NFC syllables) is one Vietnamese word of the dictionary."""
    return f"{first} {second}" in two_syllable_words()


@lru_cache(maxsize=1)
def _folded_words() -> tuple[frozenset[str], frozenset[str]]:
    """The dictionary's words of two and of three syllables, folded ("can cuoc", "do thi hoa"):
    what a text typed without diacritics may mean by a pair or a triple of syllables."""
    from citizen_desk.text.normalize import fold

    path = _dictionary_path()
    try:
        text = path.read_text(encoding="utf-8") if path is not None else ""
    except OSError:  # pragma: no cover - a broken install: mask more, see the module docstring
        text = ""
    pairs: set[str] = set()
    triples: set[str] = set()
    for line in text.splitlines():
        word = " ".join(fold(line).split())
        count = word.count(" ")
        if count == 1:
            pairs.add(word)
        elif count == 2:
            triples.add(word)
    return frozenset(pairs), frozenset(triples)


def is_folded_word(*syllables: str) -> bool:
    """``syllables`` (two or three, folded: lower-case, no marks) may be one dictionary word
    typed without its diacritics ("anh hung" for "anh hùng", "do thi hoa" for "đô thị hóa")."""
    pairs, triples = _folded_words()
    return " ".join(syllables) in (pairs if len(syllables) == 2 else triples)


_UNIT_HEAD_RE = re.compile(r"(?:thanh pho|thi xa|thi tran|phuong|xa|huyen|quan|tinh|dac khu) ")


@lru_cache(maxsize=1)
def unit_names() -> frozenset[str]:
    """Names of the communes, wards, districts and provinces of the official list underthesea
    ships (vietnamadminunits, 2025, before and after the merger), folded, without their
    administrative word ("hoang mai", "thuy van", "ha noi"); empty when the file cannot be read
    (a street is then never told from a unit by this list)."""
    from citizen_desk.text.normalize import fold

    path = _dictionary_path()
    if path is None:  # pragma: no cover - underthesea is a runtime requirement
        return frozenset()
    try:
        mapping = json.loads(path.parents[2].joinpath(*MAPPING).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # pragma: no cover - a broken install
        return frozenset()
    names: set[str] = set()
    for row in mapping.get("ward_mapping", ()):
        for key in ("old_ward", "new_ward", "old_district", "old_province", "new_province"):
            head = _UNIT_HEAD_RE.match(" ".join(fold(row.get(key) or "").split()))
            if head is not None:
                names.add(" ".join(fold(row[key]).split())[head.end() :])
    return frozenset(names)
