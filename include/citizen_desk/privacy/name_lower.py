"""Given names typed in lower case, or without diacritics, as citizens write them.

* After a kinship word ("chị hương nhà bên", "thằng tuấn", "a tuan", "chi huong"). A given
  name that is an ordinary word too ("mai": tomorrow, "thu": autumn or collect, "sơn": paint)
  or that makes a dictionary word with the kinship word ("anh hùng": a hero) is a name only
  when what follows it belongs to a person (`PERSON_AFTER`: "bị", "đã", "ơi", "nói", "lấy",
  "nhà bên" …) or the clause ends: "chị mai bị trộm xe", "gặp anh hùng.", not "anh mai về",
  "các anh hùng đã hy sinh".
* Alone after a verb or a preposition that takes a person ("gọi cho hùng", "nói với tuấn"),
  only the given names that are no word of their own (`LONE_GIVEN`); after "là" in a
  self-introduction ("em là hùng", "vợ tôi là lan"), any common given name.

In a text typed without diacritics only the kinship rule runs, with the given names whose folded
form is not a common word (`FOLDED_GIVEN`: "tuan", "huong", not "dung", "hieu", "nhung"); the
full names of such texts are :mod:`~citizen_desk.privacy.name_rules`'.
"""

from __future__ import annotations

from itertools import pairwise

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import MIDDLE_NAMES, MIDDLE_NAMES_FOLDED, word_set
from citizen_desk.privacy.name_openers import LOWER_GIVEN, OPENING_GIVEN
from citizen_desk.privacy.name_words import adjacent, as_typed, typed_with_marks
from citizen_desk.privacy.wordlist import is_folded_word, is_word
from citizen_desk.text.normalize import fold

# Given names that are ordinary words after a kinship word, which is also a pronoun ("anh mai
# về": you, tomorrow; "chị thu tiền": you collect money; "anh sơn nhà": you paint the house).
AMBIGUOUS_GIVEN = (
    (OPENING_GIVEN - LOWER_GIVEN)
    | word_set(
        "mai thu nam bảo sơn thành thắng đạt tiến sang phát lợi tín trọng chiến mạnh tâm "
        "an bình minh long phong kim hòa hoà tài trí nhân thanh liên tân quang hoài"
    )
) - word_set("toàn")  # "em toàn nói …": always
LOWER_CUES = word_set("anh chị em ông bà cô chú bác cháu cậu dì mợ thím bạn")
LOWER_CUES |= word_set("thằng mụ lão chàng nàng a c e bé cụ mẹ vợ chồng bố cha")
# What follows a person and not a time word, a verb or an adjective; two-word followers first.
PERSON_AFTER = word_set(
    "bị đã đang ơi nói kể khai chửi đánh đập lấy mượn vay nợ lừa trộm bán thường từng chưa mới mất"
)
PERSON_AFTER_PAIRS = frozenset(
    {"nhà bên", "nhà cạnh", "nhà đối", "nhà kế", "nhà trên", "nhà dưới", "hàng xóm", "xóm trên",
     "xóm dưới", "ở xóm", "ở thôn", "ở tổ", "ở ấp"}
)  # fmt: skip
# Words before a kinship word that make it a common noun ("các anh hùng", "những chị em").
PLURAL_BEFORE = word_set("các những mấy vị người một là như làm bậc nhiều hai ba")
# Kinship nouns of two words before a given name ("con bé thảo", "cậu bé tuấn", "bà cụ hoa").
KIN_PAIRS = frozenset(
    {"con bé", "thằng bé", "cô bé", "cậu bé", "em bé", "bà cụ", "ông cụ", "cụ bà", "cụ ông",
     "chị gái", "em gái", "em trai", "anh trai", "con gái", "con trai", "bé gái", "bé trai"}
)  # fmt: skip
# Dictionary words of a kinship word and a given name that are read as a name all the same.
NAMED_WORDS = frozenset({"anh tuấn"})
# ... and words of the two the dictionary lacks ("bác tài": a driver).
COMMON_PAIRS = frozenset({"bác tài"})

# Given names that are no word of their own in lower case: a person wherever they stand.
LONE_GIVEN = word_set(
    "tuấn hùng dũng huy khánh cường quỳnh oanh nguyệt uyên thúy thuý loan tùng phượng diễm "
    "trâm hường khôi thảo nhung yến hiếu hạnh quyên tuyền huệ trinh vy nhi thắm"
)
# Given and middle names a reader knows in lower case ("con trai tên minh đạt").
KNOWN_GIVEN = LOWER_GIVEN | OPENING_GIVEN | AMBIGUOUS_GIVEN | MIDDLE_NAMES | LONE_GIVEN
KNOWN_GIVEN |= {"anh"}  # "ngọc anh": a given name after another
PERSON_BEFORE = word_set(
    "cho với gặp gọi hỏi nhờ báo rủ tìm đưa kêu nhắn theo cùng thấy đánh chửi bảo mắng"
)
# "em là hùng", "vợ tôi là lan": the subject before "là" is the writer or one of theirs.
SELF_BEFORE_LA = word_set("tôi mình em tao tớ tui anh chị") | word_set("vợ chồng con bạn")
# Given names that are adjectives or nouns after "là" ("với mình là quý rồi", "là việt kiều").
NOT_AFTER_LA = word_set(
    "quý hiền thắm phúc lộc vinh đức nhàn quyết dương hậu trường quân việt thịnh hưng kiên "
    "thiện nghĩa bách"
)

# The folded forms of the words the rules above look at, to skip every other word cheaply.
_FOLDED_CUED = frozenset(fold(w) for w in LOWER_GIVEN | AMBIGUOUS_GIVEN)
_FOLDED_CUES = frozenset(fold(w) for w in LOWER_CUES | {p.split()[1] for p in KIN_PAIRS})
_FOLDED_LONE = frozenset(fold(w) for w in LOWER_GIVEN | LONE_GIVEN)

FOLDED_CUES = word_set("anh chi em ong chu bac thim thang a c e")
FOLDED_GIVEN = word_set(
    "tuan hung cuong khanh oanh quynh nguyet uyen vy thuy trang huong linh yen hanh loan duy "
    "phuong trinh diem tuyen quyen hue giang lan ngoc phuc loc thinh thien vinh nghia hoang "
    "huyen tram thoa kiet"
)
# Given names of a full name typed without diacritics ("le thi thao"): the common given names,
# folded, without those that fold onto the words of a clause ("ho van an": "họ vẫn ăn").
FOLDED_FULL_GIVEN = FOLDED_GIVEN | frozenset(fold(n) for n in LOWER_GIVEN | OPENING_GIVEN)
FOLDED_FULL_GIVEN -= word_set(
    "an hai nam mai tam lam con ha ly my thu quan phat sang toan loi tai tri nhan man ba bon"
)
# Given names that fold onto common words ("thao": tháo, "dung": dùng, "hieu": hiểu): after a
# kinship word they are names only before what follows a person ("anh dung bi danh").
FOLDED_WEAK_GIVEN = word_set(
    "thao dung hieu nhung hoa ha mai nam son tam binh thu hai my ly khoa huy quan duong truong "
    "hong tuyet chau nhi nga han hau"
)
FOLDED_PERSON_AFTER = word_set("bi dang oi noi ke khai chui danh lay muon vay lua trom")
FOLDED_PERSON_AFTER_PAIRS = frozenset({"nha ben", "nha canh", "hang xom", "o xom", "o thon"})
# Verbs that take a person, typed without diacritics, before a kinship word or a given name
# ("gap anh tuan", "goi cho chi mai", "bao voi em hung", "gap tuan o cho").
FOLDED_PERSON_VERBS = frozenset(
    {"gap", "goi cho", "goi dien cho", "nhan tin cho", "nhan cho", "noi voi", "bao voi",
     "hoi", "nho", "ru", "keu", "don", "tim gap"}
)  # fmt: skip
# Words after "nam", "mai" that make them a time ("hen gap anh nam sau": next year).
_FOLDED_TIME_AFTER = word_set("sau truoc nay toi ngoai nua roi")
# Small words after a given name that join it into a word only by chance of the folding ("gap
# anh cuong de hoi": "cưỡng đề"); after a verb that takes a person the name is read.
_FOLDED_FUNCTION_AFTER = word_set("de o la nhe di voi va thi ma cho nha roi")
# Given names that fold onto no common word after such a verb ("gap tuan"; not "tim huong":
# tìm hướng, "hoi lan": hỏi lần, "noi voi hue": Huế).
FOLDED_LONE_GIVEN = word_set(
    "tuan hung cuong khanh oanh quynh nguyet uyen vy thuy trinh diem tuyen quyen huyen tram "
    "thoa kiet"
)


def _clause_ends(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """Nothing follows ``words[i]`` in its clause (the text ends, or punctuation comes)."""
    if i + 1 >= len(words):
        return True
    return not adjacent(canon, words[i], words[i + 1])


def _typed(canon: Canonical, span: tuple[int, int], folded: bool) -> str:
    return canon.text[slice(*span)] if folded else as_typed(canon, *span)


def _pair_follows(
    canon: Canonical,
    words: list[tuple[int, int]],
    i: int,
    pairs: frozenset[str],
    *,
    folded: bool = False,
) -> bool:
    """The two words after ``words[i]`` are one of ``pairs`` ("nhà bên", "hàng xóm")."""
    return (
        i + 2 < len(words)
        and adjacent(canon, words[i], words[i + 1])
        and adjacent(canon, words[i + 1], words[i + 2])
        and f"{_typed(canon, words[i + 1], folded)} {_typed(canon, words[i + 2], folded)}" in pairs
    )


def _person_follows(
    canon: Canonical,
    words: list[tuple[int, int]],
    i: int,
    folded: bool = False,
    *,
    clause_end: bool = True,
) -> bool:
    """What follows ``words[i]`` makes it a person (see `PERSON_AFTER`); with `clause_end`, also
    the end of its clause ("gặp chị mai.")."""
    if _clause_ends(canon, words, i):
        return clause_end
    singles, pairs = (
        (FOLDED_PERSON_AFTER, FOLDED_PERSON_AFTER_PAIRS)
        if folded
        else (PERSON_AFTER, PERSON_AFTER_PAIRS)
    )
    if _typed(canon, words[i + 1], folded) in singles:
        return True
    return _pair_follows(canon, words, i, pairs, folded=folded)


def lower_cued_names(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """A lower-case given name after a lower-case kinship word: "chị hương nhà bên"."""
    if not typed_with_marks(canon.original):
        return _folded_cued_names(canon, words, taken)
    found: list[tuple[int, int]] = []
    text = canon.text
    for i in range(1, len(words)):
        if text[slice(*words[i])] not in _FOLDED_CUED or text[slice(*words[i - 1])] not in (
            _FOLDED_CUES
        ):
            continue  # the cheap test first: neither a given name nor after a cue, once folded
        if i in taken or canon.is_capitalised(words[i][0]):
            continue
        cue, given = as_typed(canon, *words[i - 1]), as_typed(canon, *words[i])
        if not (given in LOWER_GIVEN or given in AMBIGUOUS_GIVEN):
            continue
        if not adjacent(canon, words[i - 1], words[i]):
            continue
        kin_pair = (
            i >= 2
            and adjacent(canon, words[i - 2], words[i - 1])
            and f"{as_typed(canon, *words[i - 2])} {cue}" in KIN_PAIRS
        )
        if cue not in LOWER_CUES and not kin_pair:
            continue
        following = i + 1 < len(words) and adjacent(canon, words[i], words[i + 1])
        if following and is_word(given, as_typed(canon, *words[i + 1])):
            continue  # "em trang bị", "anh huy động", "anh thành công"
        if not kin_pair and i >= 2 and adjacent(canon, words[i - 2], words[i - 1]):
            before = as_typed(canon, *words[i - 2])
            if is_word(before, cue):
                continue  # "anh em", "bà con": the cue is half of a word
            plural = before in PLURAL_BEFORE
        else:
            plural = False
        # a kinship word and a given name that make a word ("anh hùng", "bác sĩ", "chú tâm")
        # need a follower; the end of the clause is no sign there ("khí phách anh hùng.")
        pair = f"{cue} {given}" in COMMON_PAIRS or (
            is_word(cue, given) and f"{cue} {given}" not in NAMED_WORDS
        )
        if (given in LOWER_GIVEN and not pair) or (
            not plural and _person_follows(canon, words, i, clause_end=not pair)
        ):
            found.append(words[i])
    return found


def _folded_cued_names(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """The kinship rule in a text typed without diacritics: "chi huong nha ben", "a tuan"."""
    found: list[tuple[int, int]] = []
    text = canon.text
    for i in range(1, len(words)):
        weak = text[slice(*words[i])] in FOLDED_WEAK_GIVEN
        if i in taken or not (weak or text[slice(*words[i])] in FOLDED_GIVEN):
            continue
        cue, given = text[slice(*words[i - 1])], text[slice(*words[i])]
        if cue not in FOLDED_CUES or not adjacent(canon, words[i - 1], words[i]):
            continue
        if len(cue) == 1 and canon.is_capitalised(words[i - 1][0]):
            continue  # "A Tuan" is no "a" (anh) of a chat
        # typed without marks the follower decides, even a dictionary word with it ("anh
        # huong noi voi em": "hương nội"); without one, such a word is read ("chi huong dan")
        person = _person_follows(canon, words, i, folded=True)
        after = i + 1 < len(words) and adjacent(canon, words[i], words[i + 1])
        verb = _folded_verb_before(canon, words, i - 1)
        follower = text[slice(*words[i + 1])] if after else ""
        if (
            not person
            and after
            and is_folded_word(given, follower)
            and (not verb or follower not in _FOLDED_FUNCTION_AFTER)
        ):
            continue  # "anh tuan tra", "chi huong dan", "em trang diem"
        time_after = after and weak and follower in _FOLDED_TIME_AFTER
        if verb and not time_after:
            found.append(words[i])  # "gap anh tuan", "goi cho chi mai": whatever word it makes
            continue
        before = i >= 2 and adjacent(canon, words[i - 2], words[i - 1])
        if before and is_folded_word(text[slice(*words[i - 2])], cue):
            continue  # "anh em", "ba con"
        pair = is_folded_word(cue, given)
        if person and pair and _clause_ends(canon, words, i):
            continue  # "bac si.", "anh hung!": a word, whatever its marks
        if person or not (weak or pair):
            found.append(words[i])
    return found


def lone_lower_names(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """A lower-case given name called out ("hùng ơi về đi"), after a verb that takes a person
    ("gọi cho hùng", "gặp tuấn") or after "là" in a self-introduction ("em là hùng", "vợ tôi
    là lan")."""
    if not typed_with_marks(canon.original):
        return _folded_lone_names(canon, words, taken)
    found: list[tuple[int, int]] = []
    for i in range(len(words)):
        if canon.text[slice(*words[i])] not in _FOLDED_LONE:
            continue
        if i in taken or canon.is_capitalised(words[i][0]):
            continue
        given = as_typed(canon, *words[i])
        if given not in LOWER_GIVEN and given not in LONE_GIVEN:
            continue
        joined = i > 0 and adjacent(canon, words[i - 1], words[i])
        before = as_typed(canon, *words[i - 1]) if joined else ""
        if _called_out(canon, words, i) and not (before and is_word(before, given)):
            found.append(words[i])  # "hùng ơi về đi"; not "anh hùng ơi"
        elif joined and _introduced_or_taken(canon, words, i, before, given):
            found.append(words[i])
    return found


def _folded_verb_before(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """``words[i]`` comes right after a verb that takes a person (`FOLDED_PERSON_VERBS`)."""
    for size in (1, 2, 3):
        if i - size < 0 or not adjacent(canon, words[i - 1], words[i]):
            return False
        span = words[i - size : i]
        if (size > 1 and not adjacent(canon, span[0], span[1])) or (
            size > 2 and not adjacent(canon, span[1], span[2])
        ):
            return False
        if " ".join(canon.text[slice(*w)] for w in span) in FOLDED_PERSON_VERBS:
            return True
    return False


def _folded_lone_names(
    canon: Canonical, words: list[tuple[int, int]], taken: set[int]
) -> list[tuple[int, int]]:
    """A given name alone after a verb that takes a person, typed without diacritics: "gap
    tuan o cho", "goi cho hung di"; not when it makes a word with what follows ("gap tuan tra")."""
    found: list[tuple[int, int]] = []
    text = canon.text
    for i in range(1, len(words)):
        if text[slice(*words[i])] not in FOLDED_LONE_GIVEN or i in taken:
            continue
        if canon.is_capitalised(words[i][0]) or not _folded_verb_before(canon, words, i):
            continue
        after = i + 1 < len(words) and adjacent(canon, words[i], words[i + 1])
        follower = text[slice(*words[i + 1])] if after else ""
        joined = follower not in _FOLDED_FUNCTION_AFTER | {""}
        if joined and is_folded_word(text[slice(*words[i])], follower):
            continue  # "gap tuan tra": a patrol
        found.append(words[i])
    return found


def _called_out(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    return (
        i + 1 < len(words)
        and adjacent(canon, words[i], words[i + 1])
        and as_typed(canon, *words[i + 1]) == "ơi"
    )


def _introduced_or_taken(
    canon: Canonical, words: list[tuple[int, int]], i: int, before: str, given: str
) -> bool:
    """``given`` follows "là" after the writer or one of theirs, or a verb taking a person."""
    if before == "là":
        subject = i >= 2 and as_typed(canon, *words[i - 2]) in SELF_BEFORE_LA
        subject = subject or (
            i >= 3
            and as_typed(canon, *words[i - 3]) in SELF_BEFORE_LA
            and as_typed(canon, *words[i - 2]) in SELF_BEFORE_LA
        )
        if not subject or given in NOT_AFTER_LA:
            return False
    elif before not in PERSON_BEFORE or given not in LONE_GIVEN:
        return False
    if is_word(before, given):
        return False  # "cho hùng" is none, "theo dõi" would be
    # "cho huy chương", "với khánh thành": a word with what follows
    return _clause_ends(canon, words, i) or not is_word(given, as_typed(canon, *words[i + 1]))


# Kinship nouns and possessives before a bare "tên" that names someone ("con trai tên minh đạt",
# "vợ tôi tên lan"), as typed with diacritics.
KIN_NOUNS = word_set("con trai gái vợ chồng bạn mẹ bố cha cháu bé người em anh chị")
POSSESSIVES = word_set("tôi em mình tao nó anh chị của")


def kin_named(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """``words[index]`` follows "tên" after a kinship noun (a possessive between them)."""
    before = index - 2  # the word before "tên"
    while before >= 0 and as_typed(canon, *words[before]) in POSSESSIVES - {"em", "anh", "chị"}:
        before -= 1
    if (
        before >= 1
        and as_typed(canon, *words[before]) in {"em", "anh", "chị"}
        and as_typed(canon, *words[before - 1]) in KIN_NOUNS
    ):
        before -= 1  # "mẹ em tên …", "con trai anh tên …"
    return before >= 0 and as_typed(canon, *words[before]) in KIN_NOUNS


def known_given_run(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Up to three given or middle names in lower case from ``index`` ("minh đạt", "thu hà")."""
    count = 0
    while index + count < len(words) and count < 3:
        word = words[index + count]
        if count and not adjacent(canon, words[index + count - 1], word):
            break
        if as_typed(canon, *word) not in KNOWN_GIVEN:
            break
        count += 1
    return count


def folded_full_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """A full name typed without diacritics whose surname is a word once folded ("le thi lan",
    "vo van kiet", "do thi trang"): a middle name and a common given name after it, and no
    dictionary word in them nor across both ends ("do thi hoa" is "đô thị hóa", "vo van hoa"
    "vô văn hóa", "dich vu cong truc tuyen" "dịch vụ công trực tuyến")."""
    trio = words[index : index + 3]
    if len(trio) < 3 or not all(adjacent(canon, a, b) for a, b in pairwise(trio)):
        return False
    text = canon.text
    surname, middle, given = (text[slice(*w)] for w in trio)
    if middle not in MIDDLE_NAMES_FOLDED or given not in FOLDED_FULL_GIVEN:
        return False
    if is_folded_word(surname, middle, given) or is_folded_word(middle, given):
        return False
    # words on both sides: the surname ends one and the given name begins one ("dich vu cong
    # truc tuyen": "dịch vụ công trực tuyến"); one alone is chance ("hom qua do thi lan")
    before = index and adjacent(canon, words[index - 1], trio[0])
    after = (
        index + 3 < len(words)
        and adjacent(canon, trio[2], words[index + 3])
        and text[slice(*words[index + 3])] not in FOLDED_PERSON_AFTER  # "trang bi": "bị"
    )
    return not (
        before
        and after
        and is_folded_word(text[slice(*words[index - 1])], surname)
        and is_folded_word(given, text[slice(*words[index + 3])])
    )
