"""The lexicon and cue rules that find person names (see :mod:`citizen_desk.privacy.names`).

A capitalised surname and the capitalised words after it; a lower-case surname + middle name +
given name; a kinship cue, a title (also with an adjective: "cô giáo trẻ Trung Anh") or a
self-introduction before a name; initials. Names named by what surrounds them (a birth year, an
age, a phone number, a platform) are :mod:`~citizen_desk.privacy.name_context`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_context import (
    context_name,
    display_name,
    mention,
    named_foreigner,
    reversed_name,
)
from citizen_desk.privacy.name_lexicon import (
    ABBREVIATED_CUES,
    CONTACT_WORDS,
    CUE_FIRST_WORDS,
    CUES,
    CUES_FOLDED,
    INITIALS_RE,
    INTRO_RE,
    INTRO_WORDS,
    INTRO_WORDS_TYPED,
    LETTER_LABELS,
    LONE_NOT_NAME,
    LOWER_SURNAME_WORDS,
    LOWER_SURNAMES,
    LOWER_SURNAMES_FOLDED,
    MAX_NAME_WORDS,
    MIDDLE_NAMES,
    MIDDLE_NAMES_FOLDED,
    NAMING_INTRO_RE,
    NOT_INITIALS,
    NOT_NAME,
    PROVINCES_TYPED,
    SURNAMES,
    SYLLABLE_RE,
    TITLE_CUES,
    TITLE_CUES_FOLDED,
    word_set,
)
from citizen_desk.privacy.name_lower import folded_full_name, kin_named, known_given_run
from citizen_desk.privacy.name_words import (
    adjacent,
    all_caps,
    as_typed,
    capital_run,
    cycle_year,
    known_place,
    name_word,
    opens_sentence,
    place_chain,
    place_context,
    typed_province,
    typed_with_marks,
    word_spans,
)
from citizen_desk.privacy.wordlist import is_word


def _cue_length(canon: Canonical, words: list[tuple[int, int]], index: int) -> tuple[int, bool]:
    """(words, is a title) of a kinship or title cue starting at ``index`` (0 if none)."""
    if canon.text[slice(*words[index])] not in CUE_FIRST_WORDS:
        return 0, False
    for size in (4, 3, 2, 1):
        if index + size >= len(words) or not canon.is_capitalised(words[index + size][0]):
            continue
        span = words[index : index + size + 1]
        if not all(adjacent(canon, a, b) for a, b in pairwise(span[:-1])):
            continue
        if not (adjacent(canon, span[-2], span[-1]) or _closing_quote(canon, span[-2], span[-1])):
            continue  # "“Hiệp sĩ” Hải": a title in quotes, then the name
        accented = " ".join(as_typed(canon, *w) for w in span[:-1])
        folded = " ".join(canon.text[slice(*w)] for w in span[:-1])
        # typed without its marks ("chi Lan", "ong Tam"), unless a capital in a text typed with
        # them says it is a name or a place of its own ("xã Thèn Chu Phìn", "Bac Son")
        plain = accented == folded and not (
            canon.is_capitalised(words[index][0]) and typed_with_marks(canon.original)
        )
        if size == 1 and (accented in CUES or (plain and folded in CUES_FOLDED)):
            return 1, False
        if accented in TITLE_CUES or (plain and folded in TITLE_CUES_FOLDED):
            return size, True
        if _title_and_adjective(accented):
            return size, True
    return 0, False


def _closing_quote(canon: Canonical, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """A closing quotation mark and a space between a quoted title and a name."""
    gap = canon.original[canon.span(*left)[1] : canon.starts[right[0]]]
    return gap in ("” ", '" ')


# Adjectives papers put between a title and a given name ("cô giáo trẻ Trung Anh", "nạn nhân
# xấu số Thu Hà", "nữ sinh nghèo Lan Anh"), as typed with diacritics.
TITLE_ADJECTIVES = frozenset(
    {
        "trẻ", "già", "nghèo", "trẻ tuổi", "xấu số", "tốt bụng", "khuyết tật", "mồ côi",
        "tí hon", "nhỏ", "dũng cảm", "cao tuổi", "lớn tuổi", "hiếu học",
    }
)  # fmt: skip


def _title_and_adjective(accented: str) -> bool:
    """``accented`` (words as typed) is a title then one of `TITLE_ADJECTIVES`."""
    return any(
        accented.endswith(" " + adjective) and accented[: -len(adjective) - 1] in TITLE_CUES
        for adjective in TITLE_ADJECTIVES
    )


def _initials(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Words of the initials at ``index`` ("C.", "N.Đ.H.", "T.Thu", "NTP"), 0 if none."""
    if index >= len(words) or not canon.is_capitalised(words[index][0]):
        return 0
    start, end = words[index]
    word = canon.text[start:end]
    if 2 <= len(word) <= 4 and all_caps(canon, words[index]) and word not in NOT_INITIALS:
        return 1 if SYLLABLE_RE.fullmatch(word) is None else 0
    if len(word) != 1:
        return 0
    m = INITIALS_RE.match(canon.text, start)
    if m is None:
        return 0
    count = 0
    while index + count < len(words) and words[index + count][0] < m.end():
        if not canon.is_capitalised(words[index + count][0]):
            return 0
        count += 1
    return count


_NUMBERED_INITIAL_RE = re.compile(r"[a-z]\d{1,2}")
# A given name cut to its first consonant cluster by the paper: "chị Nguyễn Huỳnh Nh".
_CLUSTER_INITIAL_RE = re.compile(r"ngh|ng|nh|th|ch|tr|ph|kh|gi|gh|qu")


def _given_also(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> int:
    """``run`` plus a given name that is also an institution's word after a surname and a middle
    name: "Phạm Văn Hội" (not "Hội Nông dân")."""
    last = first + run
    if (
        run >= 2
        and last < len(words)
        and as_typed(canon, *words[last - 1]) in MIDDLE_NAMES
        and adjacent(canon, words[last - 1], words[last])
        and name_word(canon, words[last], cued=True)
    ):
        return run + 1
    return run


def _lower_middle(
    canon: Canonical, words: list[tuple[int, int]], first: int, *, cued: bool = False
) -> int:
    """A surname (any capitalised word after a kinship cue), "thị" / "văn" typed in lower case,
    then a capitalised given name ("chị Thẩm thị Thơm", "bà Nguyễn thị Lan"): the words of the
    name, 0 if none."""
    if first + 2 >= len(words):
        return 0
    if not cued and canon.text[slice(*words[first])] not in SURNAMES:
        return 0
    middle, given = words[first + 1], words[first + 2]
    if canon.is_capitalised(middle[0]) or as_typed(canon, *middle) not in ("thị", "văn"):
        return 0
    if not (adjacent(canon, words[first], middle) and adjacent(canon, middle, given)):
        return 0
    if not name_word(canon, given):
        return 0
    return 2 + capital_run(canon, words, first + 2)


def _surname_initial(canon: Canonical, words: list[tuple[int, int]], first: int) -> bool:
    """A surname and one capital letter with its full stop: "Nguyễn H.", "Trần T."."""
    if first + 1 >= len(words) or canon.text[slice(*words[first])] not in SURNAMES:
        return False
    start, end = words[first + 1]
    return (
        end - start == 1
        and canon.is_capitalised(start)
        and adjacent(canon, words[first], words[first + 1])
        and canon.text[end : end + 1] == "."
        and not canon.text[end + 1 : end + 2].isalnum()
    )


def _with_initial(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> int:
    """``run`` plus trailing initials: "Trần Văn C.", "Nguyễn Văn B", "Nguyễn Thị M.H."."""
    last = first + run
    if (
        run >= 2
        and last < len(words)
        and adjacent(canon, words[last - 1], words[last])
        and canon.is_capitalised(words[last][0])
        and _NUMBERED_INITIAL_RE.fullmatch(canon.text, *words[last])
    ):
        return run + 1  # a court's "Ông Vũ Văn Đ1", "bà Nguyễn Thị T2"
    if (
        run >= 2
        and last < len(words)
        and adjacent(canon, words[last - 1], words[last])
        and canon.is_capitalised(words[last][0])
        and not all_caps(canon, words[last])
        and _CLUSTER_INITIAL_RE.fullmatch(canon.text, *words[last])
    ):
        return run + 1  # "Nguyễn Huỳnh Nh"
    if (
        run >= 2
        and last < len(words)
        and adjacent(canon, words[last - 1], words[last])
        and words[last][1] - words[last][0] == 1
        and canon.is_capitalised(words[last][0])
    ):
        m = INITIALS_RE.match(canon.text, words[last][0])
        count = 1
        while (
            m is not None
            and last + count < len(words)
            and words[last + count][0] < m.end()
            and words[last + count][1] - words[last + count][0] == 1
            and canon.is_capitalised(words[last + count][0])
        ):
            count += 1
        return run + count
    return run


def rule_names(canon: Canonical) -> Iterator[tuple[int, int, int, int]]:
    """(start, end, first word index, word count) of names found by the lexicon and cue rules."""
    words = word_spans(canon)
    text = canon.text
    chain: set[int] | None = None
    i = 0
    while i < len(words):
        start, end = words[i]
        word = text[start:end]
        run = 0
        first = i
        inside_place = False
        if canon.is_capitalised(start) and i and canon.is_capitalised(words[i - 1][0]):
            if chain is None:
                chain = place_chain(canon, words)
            # "xã Hoàng Văn Thụ", "xã Tam Anh Bắc": a surname or a kinship word inside a place
            inside_place = i in chain
        surname = (
            canon.is_capitalised(start)
            and (word in SURNAMES or _before_middle_name(canon, words, i))
            and not inside_place
        )
        if surname and not place_context(canon, words, i):
            run = _given_also(canon, words, i, capital_run(canon, words, i))
            single = run == 1 and _surname_initial(canon, words, i)
            if run == 1:
                run = _lower_middle(canon, words, i) or run  # "Thẩm thị Thơm"
            if (
                run < 2
                or known_place(canon, words, i, run)
                or _ladder_province(canon, words, i, run)
            ):
                run = 0
            run = _with_initial(canon, words, i, run) or (2 if single else 0)
        if not run and word in LOWER_SURNAME_WORDS:
            run = _lower_full_name(canon, words, i)
        if not run and i + 1 < len(words) and not inside_place:
            size, title = _cue_length(canon, words, i)
            if size and not place_context(canon, words, i):
                first = i + size
                # a kinship cue, not a title: "cán bộ Công an" is an agency, "anh Quốc Khánh" a man
                run = _given_also(
                    canon, words, first, capital_run(canon, words, first, cued=not title)
                )
                place_cue = canon.is_capitalised(start) and not opens_sentence(canon, words, i)
                if run and (
                    cycle_year(canon, words, first, run)
                    or (place_cue and size == 1 and known_place(canon, words, i, run + 1))
                    or (title and known_place(canon, words, first, run))
                ):
                    run = 0
                if run == 1 and _surname_initial(canon, words, first):
                    run = 2  # "Bà Nguyễn H.": a surname and the initial of the rest
                elif run == 1:
                    run = _lower_middle(canon, words, first, cued=not title) or run
                run = _with_initial(canon, words, first, run) or _initials(canon, words, first)
                if title:
                    run = max(run, named_foreigner(canon, words, first))
        intro = None if run else INTRO_RE.search(text, max(0, start - 20), start)
        if intro and not (word in INTRO_WORDS and _intro_word(canon, start, end, word)):
            first = i
            run = capital_run(canon, words, i, cued=True) or _lower_full_name(
                canon, words, i, introduced=True
            )
            if run and known_place(canon, words, i, run):
                run = 0  # "cái tên Việt Nam": a country
            naming = NAMING_INTRO_RE.search(intro.group())
            # a bare "tên" in marked text is the classifier of "tên trộm", "tên tuổi", "sang
            # tên": a name after it is capitalised; unmarked chat ("ten hung") is read as one
            bare = naming is not None and naming.group().split() == ["ten"]
            if naming and not run and not (bare and typed_with_marks(canon.original)):
                run = _lower_given_name(canon, words, i)  # a capitalised name is exact
            elif naming and not run and kin_named(canon, words, i):
                run = known_given_run(canon, words, i)  # "con trai tên minh đạt"
        if not run and word in ABBREVIATED_CUES and i + 1 < len(words):
            first = i + 1
            run = _after_abbreviated_cue(canon, words, i)
        if not run and canon.text[start - 1 : start] == "@":
            first = i
            run = mention(canon, words, i)
        if not run and canon.is_capitalised(start):
            first = i
            run = (
                display_name(canon, words, i)
                or context_name(canon, words, i)
                or reversed_name(canon, words, i)
            )
        if run:
            yield words[first][0], words[first + run - 1][1], first, run
            i = first + run
        else:
            i += 1


def _ladder_province(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> bool:
    """A province named in full after a comma, as an address ladder ends ("…, huyện Phong Thổ,
    Lai Châu"): a place, though its first word is a surname."""
    before = canon.text[: words[first][0]].rstrip()
    if not before.endswith(","):
        return False
    typed = " ".join(as_typed(canon, *w) for w in words[first : first + run])
    return typed in PROVINCES_TYPED


def _intro_word(canon: Canonical, start: int, end: int, word: str) -> bool:
    """The word at ``[start, end)`` is an introduction's own ("tôi", "là", "tên"), unless typed
    as another in a text with marks ("tên minh đạt": the given name Minh; "Việt": not "viết");
    "la", "toi" typed bare are "là", "tôi" all the same."""
    if not typed_with_marks(canon.original):
        return True
    typed = as_typed(canon, start, end)
    return typed in INTRO_WORDS_TYPED or (typed == word and word != "minh")


def _before_middle_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """A capitalised word, then "Văn" or "Thị", then a capitalised word: a surname the lexicon
    lacks ("Ngũ Thị Phương Dung", "Khổng Văn Tú")."""
    if index + 2 >= len(words) or not all(
        canon.is_capitalised(w[0]) for w in words[index + 1 : index + 3]
    ):
        return False
    return (
        as_typed(canon, *words[index + 1]) in {"văn", "thị"}
        and name_word(canon, words[index])
        and adjacent(canon, words[index], words[index + 1])
    )


def _after_abbreviated_cue(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """The name after a one-letter kinship cue: "a Quyết" (anh), "A.Quang", "c Mai", "e Lan"."""
    start, end = words[index]
    if end - start != 1 or as_typed(canon, start, end) != canon.text[start]:
        return 0  # "ả", "ê" … are words of their own
    between = canon.text[end : words[index + 1][0]]
    capital = canon.is_capitalised(start)
    # "a Quyết", "A.Quang"; not "A1", "A Lưới" (a place), "khoản a. Thanh tra" (a clause)
    if not ((not capital and between == " ") or (capital and between == ".")):
        return 0
    if index and canon.text[slice(*words[index - 1])] in LETTER_LABELS:
        return 0
    first = index + 1
    run = capital_run(canon, words, first, cued=True)
    if run and (
        place_context(canon, words, first)
        or known_place(canon, words, first, run)
        or typed_province(canon, words, first, run)
    ):
        return 0
    return run


def _lower_full_name(
    canon: Canonical, words: list[tuple[int, int]], index: int, *, introduced: bool = False
) -> int:
    """Surname + middle name + given name(s) typed in lower case (0 if not one); after a
    self-introduction (`introduced`: "toi la le van nam", "tôi là lương thị mai") any surname
    of the lexicon, not only those that are no common word."""
    if index + 2 >= len(words) or canon.is_capitalised(words[index][0]):
        return 0
    text = canon.text
    surname = text[slice(*words[index])]
    middle = text[slice(*words[index + 1])]
    acc_surname = as_typed(canon, *words[index])
    acc_middle = as_typed(canon, *words[index + 1])
    plain = acc_surname == surname and acc_middle == middle
    known = (acc_surname in LOWER_SURNAMES and acc_middle in MIDDLE_NAMES) or (
        plain and surname in LOWER_SURNAMES_FOLDED and middle in MIDDLE_NAMES_FOLDED
    )
    if not known and introduced and surname in SURNAMES:
        known = acc_middle in MIDDLE_NAMES or (plain and middle in MIDDLE_NAMES_FOLDED)
    if not known and acc_surname in LOWER_SURNAMES and not plain:
        known = _three_syllable_name(canon, words, index)
    if not known and plain and not typed_with_marks(canon.original):
        known = folded_full_name(canon, words, index)
    if not known or place_context(canon, words, index):
        return 0
    if index and text[slice(*words[index - 1])] in {"vi", "xam", "tri"}:  # "vi phạm văn ..."
        return 0
    count = 2
    while (
        index + count < len(words)
        and count < MAX_NAME_WORDS
        and adjacent(canon, words[index + count - 1], words[index + count])
        and count < 3
    ):
        count += 1
    return count


# Words before "trần" that make it a ceiling, not a surname.
CEILING_BEFORE = word_set("lên trên dưới sát tới đến chạm kín dán treo gắn leo trèo ốp làm")


def _three_syllable_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """Surname + any middle name + given name in lower case, with diacritics ("vũ khắc tiệp"):
    three syllables of which no two neighbours make one word ("vũ trụ bao la", "phạm vi rộng",
    "hồ sơ gốc" are not names) and no function word."""
    if index + 2 >= len(words) or not typed_with_marks(canon.original):
        return False
    trio = words[index : index + 3]
    if not all(adjacent(canon, a, b) for a, b in pairwise(trio)):
        return False
    typed = [as_typed(canon, *w) for w in trio]
    if any(
        canon.is_capitalised(w[0]) or SYLLABLE_RE.fullmatch(canon.text[slice(*w)]) is None
        for w in trio
    ):
        return False
    if any(word in LONE_NOT_NAME or word in NOT_NAME for word in typed[1:]):
        return False
    if typed[0] == "trần" and index and as_typed(canon, *words[index - 1]) in CEILING_BEFORE:
        return False  # "trèo lên trần la phông": a ceiling
    return not (is_word(typed[0], typed[1]) or is_word(typed[1], typed[2]))


def _lower_given_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """After "tên (là)": up to three words up to the next punctuation, line or contact word."""
    count = 0
    while index + count < len(words) and count < 3:
        word = words[index + count]
        if count and not adjacent(canon, words[index + count - 1], word):
            break
        if (
            count
            and "\n"
            in canon.original[canon.span(*words[index + count - 1])[1] : canon.starts[word[0]]]
        ):
            break  # "Người gửi: hùng⏎Email: …"
        folded = canon.text[slice(*word)]
        if folded in {"la", "o", "nha", "sdt", "so", "va", "email", "mail"} or (
            count and folded in CONTACT_WORDS
        ):
            break
        count += 1
    return count
