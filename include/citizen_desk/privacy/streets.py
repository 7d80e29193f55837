"""Street names and the words around them as addresses use them: a run of capitalised words
after a lane or a house number ("ngõ 34 Phương Mai", "số 47 Phạm Văn Đồng"), a street typed in
lower case after a house number ("45 nguyễn trãi", "12 đường số 7"), and words as typed, with or
without their diacritics (:mod:`~citizen_desk.privacy.addresses` decides what is a home).
"""

from __future__ import annotations

import re
import unicodedata

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import SURNAMES, starts_with_place, word_set
from citizen_desk.privacy.name_words import typed_with_marks

# A street typed in lower case after a house number in a home: it opens with a surname
# ("45 nguyễn trãi"), or with "đường"/"phố" ("12 đường số 7"), and ends before an
# administrative word, a punctuation mark or a word of the sentence.
_LOWER_WORD_RE = re.compile(r" ([a-z0-9]+)")
# Surnames that open streets, as typed ("nguyễn trãi", "lê lợi", "lý thường kiệt").
_STREET_SURNAMES = word_set(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô lý trương đinh dương "
    "lương đào mai cao hà tô đoàn trịnh lạc tôn"
)
_LOWER_STREET_STOP = word_set(
    "o tai thi va nhe nha a oi phuong xa quan huyen tp tinh thanh p q x h tt tx kp to khu "
    "ap thon xom gan canh doi cua la co bi da dang duoc khong"
)


def capital_words_end(canon: Canonical, pos: int, limit: int = 3) -> int:
    """End of the run of up to ``limit`` capitalised words starting at ``pos`` (``pos`` if none)."""
    end = pos
    for count, m in enumerate(re.finditer(r"[a-z0-9]+", canon.text[pos:])):
        start = pos + m.start()
        gap = canon.text[end:start]
        if count >= limit or (count and gap.strip()) or not canon.is_capitalised(start):
            break
        end = pos + m.end()
    return end


def lower_accented(canon: Canonical, start: int, end: int) -> str:
    o_start, o_end = canon.span(start, end)
    return unicodedata.normalize("NFC", canon.original[o_start:o_end]).lower()


def typed_as(canon: Canonical, start: int, end: int, accented: frozenset[str]) -> bool:
    """The words at ``[start, end)`` are one of ``accented``, or typed without diacritics."""
    typed = " ".join(lower_accented(canon, start, end).split())
    return typed in accented or (
        typed == " ".join(canon.text[start:end].split()) and not (typed_with_marks(canon.original))
    )


def street_name_end(canon: Canonical, pos: int) -> int:
    """End of a capitalised street name right after ``pos`` ("ngõ 34 Phương Mai"), else ``pos``."""
    if not canon.text.startswith(" ", pos):
        return pos
    end = capital_words_end(canon, pos + 1, 4)
    name = canon.text[pos + 1 : end]
    if end == pos + 1 or starts_with_place(name):
        return pos
    return end


def lower_street_end(canon: Canonical, pos: int) -> int:
    """End of a street name typed in lower case right after ``pos``, else ``pos``."""
    end, count, limit = pos, 0, 4
    while count < limit:
        m = _LOWER_WORD_RE.match(canon.text, end)
        if m is None or canon.is_capitalised(m.start(1)):
            break
        word = m.group(1)
        if count == 0:
            if word in {"duong", "pho"}:
                limit = 5
            elif word not in SURNAMES or (
                typed_with_marks(canon.original)
                and lower_accented(canon, *m.span(1)) not in _STREET_SURNAMES
            ):
                break  # "kiệt 10 vợ cháu": "vợ" is no "Võ"
        if word in _LOWER_STREET_STOP or (count == 0 and word.isdigit()):
            break
        end, count = m.end(), count + 1
    return end if count >= 2 else pos


def any_street_end(canon: Canonical, pos: int) -> int:
    """End of a street name right after ``pos``, capitalised or not, else ``pos``."""
    end = street_name_end(canon, pos)
    return end if end > pos else lower_street_end(canon, pos)
