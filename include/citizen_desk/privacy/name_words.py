"""Word-level judgements on the canonical text shared by the name rules and the tagger check:
where the words are, how they were typed, and whether a capitalised word can be (part of) a
person's name or continues a place, an agency or a law.

Words are ``(start, end)`` spans of the canonical text (:mod:`citizen_desk.privacy.canonical`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import (
    ABBREVIATED_CUES,
    ABBREVIATED_UNITS,
    BRANCHES,
    CAPITALISED_PLACE_WORDS,
    CUES,
    CUES_FOLDED,
    FOREIGN_NAME_RE,
    GIVEN_ALSO,
    MAX_NAME_WORDS,
    NOT_DISPLAY,
    NOT_NAME,
    ORG_ACRONYMS,
    PLACE_BIGRAMS,
    PLACE_WORDS,
    PLACE_WORDS_ACCENTED,
    PROVINCES_TYPED,
    SENTENCE_END,
    SENTENCE_OPENERS,
    STEMS,
    STOP_BEFORE,
    SYLLABLE_RE,
    TITLE_CUES,
    VERB_BIGRAMS,
    WORD_RE,
    starts_with_place,
    word_set,
)
from citizen_desk.text.normalize import fold


def stop_word(canon: Canonical, span: tuple[int, int], *, cued: bool = False) -> bool:
    """Never a name word (`NOT_NAME`), or a word that is not one before certain words
    ("Quốc khánh", "Ngân hàng"). After a kinship cue or a self-introduction (`cued`: "anh Quốc
    Khánh", "tôi là Quốc Khánh") the second kind is a name all the same."""
    word = as_typed(canon, *span)
    if word in NOT_NAME:
        return not (cued and word in GIVEN_ALSO and not _followed_by(canon, span, GIVEN_ALSO[word]))
    before = STOP_BEFORE.get(word)
    if before is None or cued:
        return False
    return _followed_by(canon, span, before)


def _followed_by(canon: Canonical, span: tuple[int, int], words: frozenset[str]) -> bool:
    """The word after ``span``, as typed, is one of ``words``."""
    rest = unicodedata.normalize("NFC", canon.original[canon.span(*span)[1] :][:24])
    following = re.match(r"\s+(\w+)", rest)
    return following is not None and following.group(1).lower() in words


def cycle_year(canon: Canonical, words: list[tuple[int, int]], first: int, count: int) -> bool:
    """``words[first:first+count]`` ends in a year of the sixty-year cycle ("Xuân Đinh Dậu")."""
    last = first + count - 1
    return (
        count >= 2
        and as_typed(canon, *words[last - 1]) in STEMS
        and as_typed(canon, *words[last]) in BRANCHES
    )


def name_word(canon: Canonical, span: tuple[int, int], *, cued: bool = False) -> bool:
    """A capitalised Vietnamese syllable that is not a place, agency or function word."""
    return (
        canon.is_capitalised(span[0])
        and SYLLABLE_RE.fullmatch(canon.text[span[0] : span[1]]) is not None
        and not stop_word(canon, span, cued=cued)
    )


def word_spans(canon: Canonical) -> list[tuple[int, int]]:
    return [m.span() for m in WORD_RE.finditer(canon.text)]


def as_typed(canon: Canonical, start: int, end: int) -> str:
    o_start, o_end = canon.span(start, end)
    return unicodedata.normalize("NFC", canon.original[o_start:o_end]).lower()


def adjacent(canon: Canonical, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """Only spaces (no punctuation) between two words, or an apostrophe inside one ("B’Lao",
    "H’Hen")."""
    return canon.text[left[1] : right[0]].strip() in ("", "'", "’")


def abbreviated_unit(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """An abbreviated administrative word right before ``words[index]``: "TP Dĩ An",
    "TP.Đà Nẵng", "P.Thạch Thang", "H. Mang Thít" (a single letter needs its dot, and is no
    initial after a kinship cue or another initial: "chị H. Nam", "N.V.P. Hùng")."""
    if index == 0:
        return False
    prev = words[index - 1]
    gap = canon.text[prev[1] : words[index][0]]
    letters = canon.text[slice(*prev)]
    if letters not in ABBREVIATED_UNITS or gap not in {".", " ", ". "}:
        return False
    if not canon.is_capitalised(prev[0]) and letters != "tp":
        return False
    if len(letters) > 1:
        return True
    if gap == " " or index < 2:
        return gap != " " and index < 2
    before = words[index - 2]
    between = canon.text[before[1] : prev[0]]
    if between == "." and before[1] - before[0] == 1:
        return False  # "N.V.P. Hùng": initials
    typed, folded = as_typed(canon, *before), canon.text[slice(*before)]
    return not (
        typed in CUES | TITLE_CUES
        or folded in ABBREVIATED_CUES
        or (typed == folded and folded in CUES_FOLDED)
    )


# The level words of a school's name: "Trường tiểu học", "trường THCS", "Trường trung học cơ sở".
SCHOOL_WORDS = word_set(
    "tiểu học trung cơ sở phổ thông mầm non mẫu giáo thcs thpt ptth ptcs ptdtnt dân lập chuyên "
    "quốc tế liên cấp bán công tư thục cao đẳng dạy nghề"
)


def after_school(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """``words[index]`` opens a school's name after "trường" and its level words ("Trường tiểu
    học Trần Quang Vinh", "trường THCS Nguyễn Du", "Đại học Tôn Đức Thắng"): a school named
    after a person, not the person."""
    j = index - 1
    while j >= 0 and index - j <= 5 and adjacent(canon, words[j], words[j + 1]):
        typed = as_typed(canon, *words[j])
        if typed == "trường" or (typed == "học" and j and as_typed(canon, *words[j - 1]) == "đại"):
            return j < index - 1 or typed == "học"
        if typed not in SCHOOL_WORDS:
            return False
        j -= 1
    return False


# The kind words of a hospital's name: "Bệnh viện Nhi đồng", "Bệnh viện Y học cổ truyền".
HOSPITAL_WORDS = word_set(
    "đa khoa khu vực y học cổ truyền nhi đồng quân dân sản phụ mắt tâm thần ung bướu phổi lao "
    "nội tiết tỉnh thành phố trung ương hữu nghị quốc tế chấn thương chỉnh hình răng hàm mặt da "
    "liễu phục hồi chức năng điều dưỡng huyện quận"
)


def after_hospital(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """``words[index]`` opens a hospital's name after "bệnh viện" and its kind words ("Bệnh
    viện Y học cổ truyền Trần Văn An", "Bệnh viện Nhi đồng Nguyễn Tri Phương")."""
    j = index - 1
    while j >= 1 and index - j <= 6 and adjacent(canon, words[j], words[j + 1]):
        typed = as_typed(canon, *words[j])
        if typed == "viện" and as_typed(canon, *words[j - 1]) == "bệnh":
            return j < index - 1 and adjacent(canon, words[j - 1], words[j])
        if typed not in HOSPITAL_WORDS:
            return False
        j -= 1
    return False


def place_context(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """The word before ``words[index]`` is a place/agency/law word (lower-case in the text), or
    a unit's number after one ("phường 3 Bảo Lộc"), or a school's level word."""
    if abbreviated_unit(canon, words, index) or after_numbered_unit(canon, words, index):
        return True
    if after_school(canon, words, index) or after_hospital(canon, words, index):
        return True
    if index == 0 or not adjacent(canon, words[index - 1], words[index]):
        return False
    prev = canon.text[slice(*words[index - 1])]
    if index >= 2 and adjacent(canon, words[index - 2], words[index - 1]):
        bigram = canon.text[words[index - 2][0] : words[index - 1][1]]
        if " ".join(bigram.split()) in PLACE_BIGRAMS:
            return True
    if canon.is_capitalised(words[index - 1][0]):
        return as_typed(canon, *words[index - 1]) in ORG_ACRONYMS | CAPITALISED_PLACE_WORDS
    accented = as_typed(canon, *words[index - 1])
    if (
        index >= 2
        and adjacent(canon, words[index - 2], words[index - 1])
        and f"{as_typed(canon, *words[index - 2])} {accented}" in VERB_BIGRAMS
    ):
        return False
    if accented in PLACE_WORDS_ACCENTED:
        return True
    return accented == prev and prev in PLACE_WORDS and not typed_with_marks(canon.original)


@lru_cache(maxsize=256)
def typed_with_marks(text: str) -> bool:
    """The text has diacritics, so a plain "cho" is "cho", not "chợ" typed without them."""
    return fold(text) != text.lower()


def capital_run(
    canon: Canonical, words: list[tuple[int, int]], index: int, *, cued: bool = False
) -> int:
    """How many capitalised name-like words start at ``index`` (0 if none); `cued`: right after
    a kinship cue or a self-introduction."""
    count = 0
    while index + count < len(words) and count < MAX_NAME_WORDS:
        i = index + count
        if not (name_word(canon, words[i], cued=cued) or (cued and foreign_name(canon, words[i]))):
            break
        if count and not adjacent(canon, words[i - 1], words[i]):
            break
        count += 1
    return count


def foreign_name(canon: Canonical, span: tuple[int, int]) -> bool:
    """A capitalised word of Latin letters that is not a Vietnamese syllable ("Amaud", "Hervé"):
    a foreigner's name when a kinship cue or an introduction stands before it."""
    o_start, o_end = canon.span(*span)
    word = canon.original[o_start:o_end]
    return (
        2 <= len(word) <= 12
        and word.isalpha()
        and word[0].isupper()
        and not word.isupper()
        and FOREIGN_NAME_RE.fullmatch(canon.text[slice(*span)]) is not None
        and as_typed(canon, *span) not in NOT_DISPLAY | NOT_NAME
    )


def sentence_initial(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """First word of a sentence, a line, a list item or a markup field ("*Hạn xác minh:*")."""
    if index == 0:
        return True
    o_start = canon.span(*words[index - 1])[1]
    o_end = canon.starts[words[index][0]]
    return any(ch in SENTENCE_END for ch in canon.original[o_start:o_end])


def opens_sentence(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """First word of a sentence or a line proper: not after a bracket, comma or dash, where a
    capitalised word inside a sentence may still stand ("(Bà Rịa - Vũng Tàu)")."""
    if index == 0:
        return True
    o_start = canon.span(*words[index - 1])[1]
    o_end = canon.starts[words[index][0]]
    return any(ch in SENTENCE_OPENERS for ch in canon.original[o_start:o_end])


def opens_clause(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """First word of a sentence, a line, a bracket, a dashed item or after a label ("(Ảnh: …",
    "– Anh …", "[KHẨN] Tin báo"); a word after a closing round bracket or a comma is inside a
    sentence ("…), Khiêm, Đầy …")."""
    if opens_sentence(canon, words, index):
        return True
    o_start = canon.span(*words[index - 1])[1]
    o_end = canon.starts[words[index][0]]
    return any(ch in "([{]}–—-" for ch in canon.original[o_start:o_end])


def numbered(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """The word after ``words[index]`` (a space apart) is a number."""
    return (
        index + 1 < len(words)
        and canon.text[words[index + 1][0]].isdigit()
        and adjacent(canon, words[index], words[index + 1])
    )


# Since the 2025 mergers wards carry a number and their city's name ("phường 3 Bảo Lộc",
# "Phường 1 Bảo Lộc"): the name after such a number is the place's.
NUMBERED_UNITS = frozenset({"phường", "xã", "quận", "huyện", "phuong", "xa", "quan", "huyen"})


def after_numbered_unit(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """``words[index]`` follows an administrative unit's number ("phường 3 Bảo Lộc")."""
    if index < 2:
        return False
    number, unit = words[index - 1], words[index - 2]
    return (
        canon.text[slice(*number)].isdigit()
        and adjacent(canon, number, words[index])
        and adjacent(canon, unit, number)
        and as_typed(canon, *unit) in NUMBERED_UNITS
    )


def all_caps(canon: Canonical, span: tuple[int, int]) -> bool:
    o_start, o_end = canon.span(*span)
    return o_end - o_start > 1 and canon.original[o_start:o_end].isupper()


def known_place(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> bool:
    span_text = " ".join(canon.text[slice(*w)] for w in words[first : first + run])
    typed = canon.original[slice(*canon.span(words[first][0], words[first + run - 1][1]))]
    return starts_with_place(span_text, typed) or cycle_year(canon, words, first, run)


def typed_province(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> bool:
    """The run starts with a province's name as typed with diacritics ("Thanh Hóa")."""
    typed = " ".join(as_typed(canon, *w) for w in words[first : first + run])
    return any(typed == p or typed.startswith(p + " ") for p in PROVINCES_TYPED)


def place_chain(canon: Canonical, words: list[tuple[int, int]]) -> set[int]:
    """Indexes of capitalised words that continue a place name ("xã Nga Thủy")."""
    chain: set[int] = set()
    for i in range(len(words)):
        if canon.is_capitalised(words[i][0]) and (
            place_context(canon, words, i)
            or ((i - 1) in chain and adjacent(canon, words[i - 1], words[i]))
        ):
            chain.add(i)
    return chain
