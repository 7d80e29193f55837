"""Places named bare, without their administrative word, where the name rules would read a
person: a district and its province in brackets after a reader's name ("(Hoằng Hóa, Thanh
Hóa)"), a unit closed by its province with a dash or a comma ("ở Vị Xuyên - Hà Giang"), and a
unit after a comma that closes a place ("Công an phường Vĩnh Phúc, Ba Đình"), and a unit after
"ở" / "tại" ("bị sát hại ở Thạch Thất", "xảy ra tại Trần Phú"). Used by
:func:`citizen_desk.privacy.names.find_names` to drop such spans.
"""

from __future__ import annotations

import re

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import PROVINCES_TYPED
from citizen_desk.privacy.name_words import adjacent, as_typed, place_chain, typed_with_marks
from citizen_desk.privacy.wordlist import unit_names
from citizen_desk.text.normalize import fold

_PROVINCES_FOLDED = frozenset(fold(p) for p in PROVINCES_TYPED)


_BRACKET_PAIR_RE = re.compile(r"\(([a-z ]{2,30}), ([a-z .]{2,30})\)")


def bracket_places(canon: Canonical) -> list[tuple[int, int]]:
    """A district and its province in brackets, as papers sign a reader's letter ("Nguyễn Văn
    Quang (Hoằng Hóa, Thanh Hóa)"): both names of the official list of units, places."""
    if "(" not in canon.text:
        return []
    found = []
    for m in _BRACKET_PAIR_RE.finditer(canon.text):
        inner, outer = m.group(1).strip(), m.group(2).strip()
        if inner in unit_names() and outer in unit_names() and canon.is_capitalised(m.start(1)):
            found += [m.span(1), m.span(2)]
    return found


_PAIR_BEFORE = frozenset(("o", "tai", "que", "tru", "ngu", "song"))
_PAIR_SEPARATORS = frozenset(("-", "–", ","))


def _run_in(
    canon: Canonical, words: list[tuple[int, int]], first: int, names: frozenset[str]
) -> int:
    """Index of the last word of the longest run of up to three capitalised words from
    ``first`` that is one of ``names`` (-1 if none)."""
    found = -1
    for last in range(first, min(first + 3, len(words))):
        if last > first and not (
            canon.is_capitalised(words[last][0]) and adjacent(canon, words[last - 1], words[last])
        ):
            break
        if canon.text[words[first][0] : words[last][1]] in names:
            found = last
    return found


def province_pairs(canon: Canonical, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A district or commune named bare and closed by its province with a dash or a comma, as
    citizens type where they are ("bé trai ở Vị Xuyên - Hà Giang", "Em ở xóm Bầu Trạnh, Bạn
    Lộc, Hòa Mỹ Đông, Đắk Lắk"): both places, after "ở"/"tại"/"quê"/"trú" or a comma, never after
    a person's title ("anh Hồng Đào, Đắk Lắk" is a man and his province)."""
    found: list[tuple[int, int]] = []
    for i in range(1, len(words)):
        if not canon.is_capitalised(words[i][0]):
            continue
        gap = canon.text[words[i - 1][1] : words[i][0]].strip()
        if not (gap == "," or (gap == "" and canon.text[slice(*words[i - 1])] in _PAIR_BEFORE)):
            continue
        last = _run_in(canon, words, i, unit_names())
        if last < 0 or last + 1 >= len(words) or not canon.is_capitalised(words[last + 1][0]):
            continue
        if canon.text[words[last][1] : words[last + 1][0]].strip() not in _PAIR_SEPARATORS:
            continue
        end = _run_in(canon, words, last + 1, _PROVINCES_FOLDED)
        if end >= 0:
            found += [(words[i][0], words[last][1]), (words[last + 1][0], words[end][1])]
    return found


def ladder_places(canon: Canonical, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A unit named bare after a comma that closes a place ("Công an phường Vĩnh Phúc, Ba Đình",
    "xã Quảng Hợp, Quảng Xương"): a name of the official list of units is a place there."""
    if ", " not in canon.text:
        return []
    chain = place_chain(canon, words)
    found: list[tuple[int, int]] = []
    for i in range(1, len(words)):
        if i in chain or (i - 1) not in chain or not canon.is_capitalised(words[i][0]):
            continue
        if canon.text[words[i - 1][1] : words[i][0]] not in (", ", ","):
            continue
        last = capitalised_run_end(canon, words, i, longest=3)
        if canon.text[words[i][0] : words[last][1]] in unit_names():
            found.append((words[i][0], words[last][1]))
            chain.update(range(i, last + 1))  # the next rung: "…, Ba Đình, Hà Nội"
    return found


def capitalised_run_end(
    canon: Canonical, words: list[tuple[int, int]], start: int, *, longest: int
) -> int:
    """The index of the last word of the run of at most `longest` words from `start` whose words
    after the first are capitalised and typed next to each other."""
    last = start
    while (
        last + 1 < len(words)
        and last - start < longest - 1
        and canon.is_capitalised(words[last + 1][0])
        and adjacent(canon, words[last], words[last + 1])
    ):
        last += 1
    return last


_AT_TYPED = frozenset(("ở", "tại"))


def at_places(canon: Canonical, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Two or three capitalised words right after "ở" / "tại" that name, whole, a unit of the
    official list ("cháu bé bị sát hại ở Thạch Thất", "vụ cháy tại Trần Phú"): a place there,
    though their first word is a surname. A longer run ("ở Trần Phú Cường") is left alone."""
    marked = typed_with_marks(canon.original)
    found: list[tuple[int, int]] = []
    for i in range(1, len(words) - 1):
        before = words[i - 1]
        if canon.text[slice(*before)] not in ("o", "tai") or not adjacent(canon, before, words[i]):
            continue
        if marked and as_typed(canon, *before) not in _AT_TYPED:
            continue
        last = capitalised_run_end(canon, words, i, longest=4)
        if not canon.is_capitalised(words[i][0]) or last == i or last - i > 2:
            continue
        if canon.text[words[i][0] : words[last][1]] in unit_names():
            found.append((words[i][0], words[last][1]))
    return found
