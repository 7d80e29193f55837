"""Person names in free Vietnamese text, found without knowing them in advance.

Three sources, all mapped onto the canonical text (see :mod:`citizen_desk.privacy.canonical`):

* a surname lexicon: a capitalised surname followed by capitalised words ("Nguyễn Văn Nam",
  "Tran Thi Hoa"), or, lower-case, an unambiguous surname + a common middle name + a word
  ("nguyễn văn nam");
* cue words: kinship and titles before a capitalised name ("chị Mai", "anh Tuấn", "ông Lê Văn
  Tám") and introductions ("tôi là ...", "tên tôi là ...", "tôi tên ...", "mình là ...");
* underthesea's CRF named-entity tagger (offline, models ship in the wheel; run through
  :mod:`~citizen_desk.privacy.tagger`: the same output, without its quadratic features), run
  only when a capitalised word is left that none of the rules above explains, cached per text.

Capitalised words right after a place or agency word ("xã Nga Thủy", "đường Lê Lợi", "Công an
huyện Nga Sơn") and legal references ("Điều 9 Luật Tố cáo") are never names.

The rules are :mod:`~citizen_desk.privacy.name_rules` (their words in ``name_lexicon``, the
word-level tests in ``name_words``); this module adds the tagger and later mentions of a
given name already found.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import PLACES, WORD_RE
from citizen_desk.privacy.name_rules import rule_names
from citizen_desk.privacy.name_words import (
    adjacent,
    all_caps,
    as_typed,
    cycle_year,
    known_place,
    name_word,
    numbered,
    place_chain,
    place_context,
    sentence_initial,
    stop_word,
    typed_province,
    word_spans,
)
from citizen_desk.text.normalize import fold


def _unexplained_capital(canon: Canonical, covered: set[int]) -> bool:
    """A capitalised word mid-sentence that no rule explains: worth asking the tagger."""
    words = word_spans(canon)
    chain: set[int] | None = None
    for i, (start, _end) in enumerate(words):
        if i in covered or not canon.is_capitalised(start):
            continue
        if all_caps(canon, words[i]):
            continue  # an abbreviation (UBND, CSGT) or a shouted word (KHẨN)
        if numbered(canon, words, i):
            continue
        if stop_word(canon, words[i]) or sentence_initial(canon, words, i):
            continue
        if chain is None:
            chain = place_chain(canon, words)
        if i in chain:
            continue
        return True
    return False


@lru_cache(maxsize=4096)
def _tagged_people(text: str) -> tuple[str, ...]:
    """Surface forms the CRF tagger labels PER in ``text`` (NFC)."""
    try:
        import underthesea  # noqa: F401
    except ImportError:  # pragma: no cover - underthesea is a runtime requirement
        return ()
    from citizen_desk.privacy.tagger import ner  # underthesea's, without its O(n²) features

    people: list[list[str]] = []
    for token, _pos, _chunk, tag in ner(text):
        if tag == "B-PER" or (tag == "I-PER" and not people):
            people.append([token])
        elif tag == "I-PER":
            people[-1].append(token)
    return tuple(" ".join(words) for words in people)


def _tagged_spans(canon: Canonical, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of the tagger's people that are not places ("Bắc Từ Liêm") nor cycle years."""
    people = _tagged_people(unicodedata.normalize("NFC", canon.original))
    if not people:
        return []
    chain = place_chain(canon, words)
    wanted = {tuple(WORD_RE.findall(fold(p))) for p in people}
    wanted = {
        seq for seq in wanted if not any(" ".join(seq[k:]) in PLACES for k in range(len(seq)))
    }
    spans: list[tuple[int, int]] = []
    for i in range(len(words)):
        if i in chain or place_context(canon, words, i):
            continue
        for seq in wanted:
            if not seq or i + len(seq) > len(words):
                continue
            window = words[i : i + len(seq)]
            if len(seq) == 1 and sentence_initial(canon, words, i):
                continue  # "Hạn xác minh": a lone capitalised word opening a line
            if numbered(canon, words, i + len(seq) - 1):
                continue  # "Tuần 47", "Quý 3": a label before a number, not a person
            if cycle_year(canon, words, i, len(seq)) or any(
                typed_province(canon, words, i + k, len(seq) - k) for k in range(len(seq))
            ):
                continue  # "c) Thanh Hóa", "loại A Thanh Hóa": a province, not a person
            if (
                i
                and adjacent(canon, words[i - 1], words[i])
                and known_place(canon, words, i - 1, len(seq) + 1)
            ):
                continue  # "Anh Quốc", "Bà Rịa": the word before belongs to the place
            if all(canon.text[slice(*w)] == s for w, s in zip(window, seq, strict=True)) and all(
                name_word(canon, w) and not all_caps(canon, w) for w in window
            ):
                spans.append((window[0][0], window[-1][1]))
    return spans


def _same_person(
    canon: Canonical, words: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Later mentions by the given name alone ("... Nguyễn Văn Hòa ... rồi Hòa về")."""
    given: set[str] = set()
    for start, end in spans:
        inside = [w for w in words if start <= w[0] and w[1] <= end]
        if inside and inside[-1][1] - inside[-1][0] > 1 and name_word(canon, inside[-1]):
            given.add(as_typed(canon, *inside[-1]))
    if not given:
        return []
    taken = {i for i, w in enumerate(words) for s, e in spans if s <= w[0] and w[1] <= e}
    chain: set[int] | None = None
    found: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if i in taken or not canon.is_capitalised(word[0]) or as_typed(canon, *word) not in given:
            continue
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if any(
            canon.is_capitalised(words[j][0]) and adjacent(canon, *sorted((word, words[j])))
            for j in neighbours
        ):
            continue  # part of a longer capitalised name: "Hòa Khê", "Hà Nội"
        if place_context(canon, words, i) or numbered(canon, words, i):
            continue
        if chain is None:
            chain = place_chain(canon, words)
        if i not in chain:
            found.append(word)
    return found


def find_names(canon: Canonical, use_tagger: bool = True) -> list[tuple[int, int]]:
    """Canonical spans of person names in ``canon``."""
    found = list(rule_names(canon))
    spans = [(start, end) for start, end, _first, _count in found]
    words = word_spans(canon)
    if use_tagger:
        covered = {first + k for _s, _e, first, count in found for k in range(count)}
        if _unexplained_capital(canon, covered):
            spans += _tagged_spans(canon, words)
    return spans + _same_person(canon, words, spans)
