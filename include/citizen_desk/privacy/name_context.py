"""Names told by what surrounds them rather than by a cue word before them: a capitalised run
named by a birth year, an age, a phone number or an e-mail after it (a foreigner's name too:
"gồm Xia Feiyang (SN 2006)"), a display name after its platform ("tài khoản Facebook Trang Hà
Trang", "Ảnh: Minh Trần"), a display name in the Western order ("Minh Trần") and a social-media
mention ("@Đoàn Thế Xuân"). The cue and lexicon rules are :mod:`~citizen_desk.privacy.name_rules`.
"""

from __future__ import annotations

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import (
    BIRTH_AFTER_RE,
    CONTACT_WORDS,
    CREDIT_RE,
    DISPLAY_CUE_RE,
    EMAIL_AFTER_RE,
    LAST_SURNAMES,
    LAST_SURNAMES_FOLDED,
    MAX_NAME_WORDS,
    NOT_DISPLAY,
    NOT_NAME,
    PHONE_AFTER_RE,
    SURNAMES,
    word_set,
)
from citizen_desk.privacy.name_words import (
    adjacent,
    all_caps,
    as_typed,
    capital_run,
    foreign_name,
    known_place,
    name_word,
    place_context,
    stop_word,
    typed_with_marks,
)


def foreign_run(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Capitalised words from ``index`` that are Vietnamese name syllables or foreign names
    ("Xia Feiyang", "Wang Meng"), one space apart."""
    count = 0
    while index + count < len(words) and count < MAX_NAME_WORDS:
        word = words[index + count]
        if count and not adjacent(canon, words[index + count - 1], word):
            break
        if not (name_word(canon, word) or foreign_name(canon, word)):
            break
        count += 1
    return count


def named_foreigner(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """A foreign name after a title, named by a birth year, an age or an e-mail after it
    ("Nghi phạm Xia Feiyang (35 tuổi, …)"), else 0."""
    run = foreign_run(canon, words, index)
    if not run:
        return 0
    end = words[index + run - 1][1]
    if BIRTH_AFTER_RE.match(canon.text, end) or EMAIL_AFTER_RE.match(canon.text, end):
        return run
    return 0


def context_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """A capitalised run named by what follows it: a birth year, an age, a phone number, an
    e-mail in brackets (a reader's signature). Before a birth year, an age or an e-mail the
    run may hold foreign names that no Vietnamese syllable spells ("gồm Xia Feiyang (SN
    2006)", "đối tượng cầm đầu Wang Meng (SN 1990, quốc tịch Trung Quốc)")."""
    run = capital_run(canon, words, index)
    foreign = foreign_run(canon, words, index)
    if not (run or foreign):
        return 0
    if (
        index
        and canon.is_capitalised(words[index - 1][0])
        and adjacent(canon, words[index - 1], words[index])
    ):
        return 0  # the tail of a longer capitalised run ("xã Mường Hung: 0354..."), judged whole
    if foreign > run:
        end = words[index + foreign - 1][1]
        if BIRTH_AFTER_RE.match(canon.text, end) or EMAIL_AFTER_RE.match(canon.text, end):
            run = foreign
    if not run:
        return 0
    end = words[index + run - 1][1]
    birth = BIRTH_AFTER_RE.match(canon.text, end) or EMAIL_AFTER_RE.match(canon.text, end)
    if not (birth or PHONE_AFTER_RE.match(canon.text, end)):
        return 0
    if not birth and any(
        as_typed(canon, *w) in CONTACT_WORDS or canon.text[slice(*w)] in CONTACT_WORDS
        for w in words[index : index + run]
    ):
        return 0
    if place_context(canon, words, index) or known_place(canon, words, index, run):
        return 0
    return 0 if any(all_caps(canon, w) for w in words[index : index + run]) else run


def reversed_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """A given name then a surname ("Minh Trần"): a social-media display name."""
    run = capital_run(canon, words, index)
    if run not in (2, 3) or canon.text[slice(*words[index])] in SURNAMES:
        return 0
    last = words[index + run - 1]
    accented, folded = as_typed(canon, *last), canon.text[slice(*last)]
    if accented not in LAST_SURNAMES and not (
        accented == folded and folded in LAST_SURNAMES_FOLDED
    ):
        return 0
    if place_context(canon, words, index) or known_place(canon, words, index, run):
        return 0
    return run


# Page words that are given names too ("Facebook Trang Hà Trang" is a woman, "Facebook trang
# tin" a page): a name when a surname follows them.
DISPLAY_GIVEN_ALSO = word_set("trang")


def page_word_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """``words[index]`` is a page word that is a given name too, and a capitalised surname
    follows it one space apart ("Trang Hà Trang", "Trang Nguyễn"; not "Trang Tin Tức"); later
    in a display name such a word is a given name all the same ("Hà Trang")."""
    if as_typed(canon, *words[index]) not in DISPLAY_GIVEN_ALSO or index + 1 >= len(words):
        return False
    following = words[index + 1]
    return (
        adjacent(canon, words[index], following)
        and canon.is_capitalised(following[0])
        and not all_caps(canon, following)
        and canon.text[slice(*following)] in SURNAMES
    )


def display_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Words of a display name at ``index`` named by the platform before it (0 if none)."""
    start = words[index][0]
    before = canon.text[max(0, start - 40) : start]
    cue = DISPLAY_CUE_RE.search(before)
    if cue is None:
        credit = CREDIT_RE.search(before)
        if credit is None:
            return 0
        word_start = start - len(before) + credit.start()
        if as_typed(canon, word_start, word_start + 3) != "ảnh" and typed_with_marks(
            canon.original
        ):
            return 0
    count = 0
    while index + count < len(words) and count < 3:
        word = words[index + count]
        if count and not adjacent(canon, words[index + count - 1], word):
            break
        if not canon.is_capitalised(word[0]) or all_caps(canon, word):
            break
        if any(ch.isupper() for ch in canon.original[slice(*canon.span(*word))][1:]):
            break  # "VNeID", "MoMo": an app or a brand, not a person
        if (as_typed(canon, *word) in NOT_DISPLAY | NOT_NAME or stop_word(canon, word)) and not (
            page_word_name(canon, words, index)
            if count == 0
            else as_typed(canon, *word) in DISPLAY_GIVEN_ALSO
        ):
            break  # "Ngân hàng", "Công an"; "Ngân Kim" is a name
        if any(ch.isdigit() for ch in canon.text[slice(*word)]):
            break  # "Nay128": a user name, the handle detectors' (and what follows is no name)
        count += 1
    if count and known_place(canon, words, index, count):
        return 0
    return count


def mention(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """A social-media mention: "@Đoàn Thế Xuân", "@Tủn 3K" (capitalised words, then one token
    of digits or letters typed with them)."""
    count = 0
    while index + count < len(words) and count < MAX_NAME_WORDS:
        word = words[index + count]
        if count and not adjacent(canon, words[index + count - 1], word):
            break
        with_digit = any(ch.isdigit() for ch in canon.text[slice(*word)])
        if not (name_word(canon, word, cued=True) or (count and with_digit)):
            break  # "<@U0123ABC>" is a Slack user id, kept
        count += 1
        if with_digit:
            break
    return count
