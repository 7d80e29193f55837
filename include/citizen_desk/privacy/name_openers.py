"""Given names the cue and lexicon rules cannot see: a name opening a sentence ("Ngân chăm sóc
một bà cụ", "Tuấn nói với tôi") and a name called out ("Tuấn ơi", "Hải Yến mày …", "Minh, …"
at the head of a message). Given names in lower case are :mod:`~citizen_desk.privacy.
name_lower`'s.

A capitalised word opening a sentence is capitalised by spelling, so alone it says nothing; it
is taken for a name only when it is a common given name (`OPENING_GIVEN`: not a season, a
direction, a time word or a verb that opens sentences: "Mai", "Thu", "Nam", "Bảo" are left
out), does not make one dictionary word with the word after it ("Ngân hàng", "Bình thường",
"An toàn", :mod:`~citizen_desk.privacy.wordlist`), and is followed by what follows a subject
or an addressee (`SUBJECT_AFTER`: "bị", "đã", "nói", "ơi", "mày" …). `LOWER_GIVEN` lists the
given names that, in lower case after a kinship word, are no ordinary word ("chị hương", not
"anh bảo", "chị thu tiền", "em nam").
"""

from __future__ import annotations

import re

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import (
    CUES,
    LONE_NOT_NAME,
    NOT_DISPLAY,
    NOT_INITIALS,
    NOT_NAME,
    SYLLABLE_RE,
    TITLE_CUES,
    starts_with_place,
    word_set,
)
from citizen_desk.privacy.name_words import (
    adjacent,
    all_caps,
    as_typed,
    capital_run,
    known_place,
    name_word,
    opens_sentence,
    place_context,
    typed_province,
    typed_with_marks,
)
from citizen_desk.privacy.wordlist import is_word

# Given names that, typed in lower case after a kinship word, are a name and not a word
# ("chị hương", "anh tuấn", "em trang"); those that are also verbs, seasons, directions or
# common nouns there ("anh bảo", "chị thu", "em nam", "anh sơn nhà", "chị mai về") are left out.
LOWER_GIVEN = word_set(
    "tuấn dũng hương trang thảo huy khánh cường linh hằng nhung yến oanh quỳnh vy nhi hiếu "
    "hùng hạnh thủy thuỷ thúy thuý loan hiền duy khoa tùng nguyệt phượng uyên trinh diễm hân "
    "tuyền quyên thắm huệ phương giang ly my vân lan ngọc dung nga thư hà hoa quân hải phúc "
    "lộc đức tú thịnh kiên thiện vinh hưng nghĩa bách việt hoàng huyền trâm thoa châu bích "
    "cúc lệ diệp thùy thuỳ hậu khôi nhàn quyết quý dương trường tuyết hồng hường"
)
# Given names that, capitalised at the head of a sentence, are a name when a subject's or an
# addressee's word follows ("Ngân chăm sóc", "Thiên nghỉ học", "Lan bị mất"), unless the two
# make a word ("Ngân hàng", "Thiên nhiên", "Minh bạch", "Bình thường").
OPENING_GIVEN = (
    LOWER_GIVEN - word_set("hoa thư nga hồng hường ly lệ cúc bích dương trường quân hậu tuyết hà")
) | word_set(
    "ngân thiên minh bình an tâm quang long phong kim sơn hòa hoà tài trí nhân tân toàn "
    "thành thắng đạt tiến chiến mạnh lợi phát sang tín trọng hoài thanh liên "
    "luân kiều khải khang khiêm tuệ thuận sĩ sỹ ánh trúc liễu"
)
# Words that follow a subject or an addressee: an auxiliary, a verb of saying or suffering,
# a vocative particle or a second-person pronoun ("Hải Yến mày mới là …", "Tuấn ơi").
SUBJECT_AFTER = word_set(
    "bị được đã đang sẽ vẫn cũng còn chưa chẳng chả mới vừa từng thường luôn hay nói kể khai "
    "bảo hỏi kêu chăm nghỉ mất trốn bỏ đánh chửi nhắn gọi ơi ạ à ơ mày bạn m bn cậu "
    "cầm thuê lấy mua"
)
# Words that open a clause before its subject: "Khi Hải cầm dao …", "Lúc Lan về …".
CLAUSE_OPENERS = word_set("khi lúc nếu")
VOCATIVE_AFTER = word_set("ơi ạ à mày bạn m bn")
_NOT_OPENING_NAME = NOT_NAME | CUES
# Words called out before "ơi" that name nobody: kin, titles, common words ("Mẹ ơi", "Trời ơi").
_NOT_CALLED_NAME = CUES | TITLE_CUES | LONE_NOT_NAME | word_set("trời con ba má bố mẹ")


def _opening_run(canon: Canonical, words: list[tuple[int, int]], i: int) -> int:
    """One or two capitalised given names at ``words[i]`` (0 if the first is none)."""
    count = 0
    while i + count < len(words) and count < 2:
        word = words[i + count]
        typed = as_typed(canon, *word)
        if count and not adjacent(canon, words[i + count - 1], word):
            break
        if not canon.is_capitalised(word[0]) or all_caps(canon, word):
            break
        if typed not in OPENING_GIVEN or typed in _NOT_OPENING_NAME:
            break
        if not name_word(canon, word):
            break
        count += 1
    return count


def _followed_as_person(
    canon: Canonical, words: list[tuple[int, int]], last: int, *, text_start: bool
) -> bool:
    """The words after ``words[last]`` make it a subject or an addressee."""
    end = words[last][1]
    if last + 1 >= len(words):
        return False
    after = words[last + 1]
    gap = canon.original[canon.span(*words[last])[1] : canon.starts[after[0]]]
    following = as_typed(canon, *after)
    if canon.is_capitalised(after[0]) and following not in VOCATIVE_AFTER:
        return False
    if gap.strip() == "," and text_start:
        return True  # "Bắc, tài khoản của bạn …": the message opens by naming its reader
    if not adjacent(canon, words[last], after) or canon.text[end : after[0]] != " ":
        return False
    if is_word(as_typed(canon, *words[last]), following):
        return False  # "Ngân hàng", "Thiên nhiên", "Hải quan"
    return following in SUBJECT_AFTER


def _after_opener(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """``words[i]`` follows a clause opener that opens the sentence ("Khi Hải cầm dao")."""
    return (
        i > 0
        and as_typed(canon, *words[i - 1]) in CLAUSE_OPENERS
        and opens_sentence(canon, words, i - 1)
        and adjacent(canon, words[i - 1], words[i])
    )


def opening_names(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """Given names opening a sentence or called out (see the module docstring)."""
    if not typed_with_marks(canon.original):
        return []  # unmarked chat and SMS capitalise at random
    found: list[tuple[int, int]] = []
    for i in range(len(words)):
        if i in taken or not (opens_sentence(canon, words, i) or _after_opener(canon, words, i)):
            continue
        run = _opening_run(canon, words, i)
        if not run or any(i + k in taken for k in range(run)):
            continue
        span_words = " ".join(canon.text[slice(*w)] for w in words[i : i + run])
        typed = canon.original[slice(*canon.span(words[i][0], words[i + run - 1][1]))]
        if starts_with_place(span_words, typed) or typed_province(canon, words, i, run):
            continue
        if _followed_as_person(canon, words, i + run - 1, text_start=i == 0):
            found.append((words[i][0], words[i + run - 1][1]))
    return found


def called_names(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """A capitalised word right before "ơi" anywhere ("…, Tuấn ơi về đi"), not a kinship word,
    a title or a common word ("Mẹ ơi", "Trời ơi", "Bà con ơi")."""
    found: list[tuple[int, int]] = []
    for i in range(len(words) - 1):
        if i in taken or as_typed(canon, *words[i + 1]) != "ơi":
            continue
        word = words[i]
        typed = as_typed(canon, *word)
        if not adjacent(canon, word, words[i + 1]) or all_caps(canon, word):
            continue
        if typed in _NOT_CALLED_NAME:
            continue
        if not name_word(canon, word) or place_context(canon, words, i):
            continue
        found.append(word)
    return found


# The writer named after a quotation ("“…”, Dương viết.", "“…” - Ngọc kể"): a verb of saying
# after one to three capitalised words, right after the closing quote and a comma or a dash.
_AFTER_QUOTE_RE = re.compile(r"[”\"]\s*[,\-–—]\s*$")
SAYING = word_set("viết nói kể chia cho bức tâm nhận hỏi đáp trả kêu than thốt khóc nghẹn bày")


def quoted_writers(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """Capitalised words between a closing quotation mark and a verb of saying."""
    if "”" not in canon.original and '"' not in canon.original:
        return []
    found: list[tuple[int, int]] = []
    for i in range(1, len(words)):
        if i in taken or not canon.is_capitalised(words[i][0]):
            continue
        gap = canon.original[canon.span(*words[i - 1])[1] : canon.starts[words[i][0]]]
        if _AFTER_QUOTE_RE.search(gap) is None:
            continue
        run = capital_run(canon, words, i)
        after = i + run
        if not run or run > 3 or after >= len(words):
            continue
        if not _role_after_dash(canon, words, after) and (
            not adjacent(canon, words[after - 1], words[after])
            or as_typed(canon, *words[after]) not in SAYING
        ):
            continue
        if known_place(canon, words, i, run) or typed_province(canon, words, i, run):
            continue  # "“…”, Thanh Hóa cho biết": a province speaking through its office
        found.append((words[i][0], words[after - 1][1]))
    return found


def _role_after_dash(canon: Canonical, words: list[tuple[int, int]], after: int) -> bool:
    """A dash, then who the writer is in lower case: "“…”, Hoa – sinh viên năm 3 …"."""
    gap = canon.text[words[after - 1][1] : words[after][0]]
    return gap.strip() in ("-", "–", "—") and not canon.is_capitalised(words[after][0])


# Readers' handles as papers list them: "Bạn đọc có tên SINGLE FIREFLY; HUUSON; SG…", "Bạn đọc
# ký tên NÔNG DÂN", and a handle in capitals before "bình luận" ("KGB bình luận là …").
_HANDLES_AFTER_RE = re.compile(
    r"(?<![a-z])(?:ban doc|doc gia|ban|nguoi dung|tai khoan|nick)\s+(?:co|ky|mang|lay|dat)\s+ten"
    r"\s*:?\s+"
)
_HANDLE_SEPARATORS = frozenset({";", ",", "; ", ", "})


def _upper_run(canon: Canonical, words: list[tuple[int, int]], i: int) -> int:
    """Up to four capitalised or all-capital words from ``words[i]``, one apart each."""
    count = 0
    while i + count < len(words) and count < 4:
        word = words[i + count]
        if count and not adjacent(canon, words[i + count - 1], word):
            break
        if not canon.is_capitalised(word[0]):
            break
        count += 1
    return count


def listed_handles(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """Handles listed after "bạn đọc có tên" (parted by ";" or ","), and a handle in capitals
    right before "bình luận"."""
    text = canon.text
    found: list[tuple[int, int]] = []
    lists = {m.end() for m in _HANDLES_AFTER_RE.finditer(text)} if " ten" in text else set()
    i = 0
    while i < len(words):
        if words[i][0] not in lists:
            i += 1
            continue
        while i < len(words):  # one handle, then the next after a separator
            run = _upper_run(canon, words, i)
            if not run:
                break
            if not any(i + k in taken for k in range(run)):
                found.append((words[i][0], words[i + run - 1][1]))
            i += run
            if i >= len(words) or text[words[i - 1][1] : words[i][0]] not in _HANDLE_SEPARATORS:
                break
        i += 1
    for i in range(len(words) - 2 if "binh luan" in text else 0):
        if i in taken or not all_caps(canon, words[i]):
            continue
        if text[slice(*words[i])] in NOT_INITIALS or not adjacent(canon, words[i], words[i + 1]):
            continue
        if f"{as_typed(canon, *words[i + 1])} {as_typed(canon, *words[i + 2])}" == "bình luận":
            found.append(words[i])
    return found


# A reader's handle as papers print it: "Độc giả vivantrung kể", "Độc giả nickname
# ledachinh.mda than phiền", "bạn đọc nick tuan_88".
_READER_RE = re.compile(
    r"(?<![a-z])(?:doc gia|ban doc)(?: (?:co )?(?:nickname|nick|biet danh|tai khoan))?\s+"
    r"([\"'“‘]?)"
)
_CLOSING_QUOTES = frozenset("\"'”’")
_HANDLE_JOINS = frozenset({".", "_", "-"})


def reader_handles(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """A handle right after "độc giả"/"bạn đọc": words joined by ".", "_" or "-", a word with a
    digit, or one lower-case word that is no Vietnamese syllable ("vivantrung"); a capitalised
    word is left to the name rules ("Độc giả Thao Phan", "độc giả VnExpress")."""
    text = canon.text
    if "doc " not in text:
        return []
    starts = {m.end(): bool(m.group(1)) for m in _READER_RE.finditer(text)}
    found: list[tuple[int, int]] = []
    for i, (start, _end) in enumerate(words):
        if start not in starts or i in taken:
            continue
        j = i
        while j + 1 < len(words) and text[words[j][1] : words[j + 1][0]] in _HANDLE_JOINS:
            j += 1
        if starts[start]:  # "Bạn đọc ‘dung phan’": a lower-case handle in quotes, up to 4 words
            while j + 1 < len(words) and j - i < 3 and text[words[j][1] : words[j + 1][0]] == " ":
                j += 1
            if text[words[j][1] : words[j][1] + 1] in _CLOSING_QUOTES and not any(
                canon.is_capitalised(w[0]) for w in words[i : j + 1]
            ):
                found.append((start, words[j][1]))
            continue
        handle = text[start : words[j][1]]
        odd = any(ch.isdigit() for ch in handle) or SYLLABLE_RE.fullmatch(handle) is None
        if j > i or (
            odd and (not canon.is_capitalised(start) or _one_word_handle(canon, words, i))
        ):
            found.append((start, words[j][1]))
    return found


def _one_word_handle(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """A capitalised handle of one word, no Vietnamese syllable, standing alone ("Bạn đọc
    Nguoimientay bức xúc", "Bạn đọc Utnho cho biết"): not a brand or a paper with capitals
    inside ("VnExpress"), not an abbreviation, nor the first word of a longer capitalised name."""
    typed = canon.original[slice(*canon.span(*words[i]))]
    if all_caps(canon, words[i]) or any(ch.isupper() for ch in typed[1:]):
        return False
    if as_typed(canon, *words[i]) in NOT_DISPLAY | NOT_NAME:
        return False
    following = words[i + 1] if i + 1 < len(words) else None
    return not (
        following is not None
        and adjacent(canon, words[i], following)
        and canon.is_capitalised(following[0])
    )
