"""Person names in free Vietnamese text, found without knowing them in advance.

Four sources, all mapped onto the canonical text (see :mod:`citizen_desk.privacy.canonical`):

* a surname lexicon: a capitalised surname followed by capitalised words ("Nguyễn Văn Nam",
  "Tran Thi Hoa"), or, lower-case, an unambiguous surname + a common middle name + a word
  ("nguyễn văn nam"), or any three syllables after one when no two of them make a word
  ("vũ khắc tiệp", not "vũ trụ bao la");
* cue words: kinship and titles before a capitalised name ("chị Mai", "anh Tuấn", "ông Lê Văn
  Tám", "bạn đọc Thu Hương", "anh Amaud Hervé") and introductions and signatures ("tôi là
  ...", "tên tôi là ...", "tôi tên ...", "mình là ...", "Người gửi: ...");
* underthesea's CRF named-entity tagger (offline, models ship in the wheel; run through
  :mod:`~citizen_desk.privacy.tagger`: the same output, without its quadratic features), run
  only when a capitalised word is left that none of the rules above explains, cached per text;
* context: later mentions of a given name already found, a nickname in quotes after a name
  (`tức Huy "Ổi"`), and a given name standing alone mid-sentence ("3 ngày sau, Yến nghỉ") that
  is no capitalised common word nor half of a two-syllable word (:mod:`~citizen_desk.privacy.
  wordlist`);
* given names as citizens type them, in lower case or without diacritics, after a kinship
  word, a verb that takes a person or "là" ("chị mai bị trộm", "gọi cho hùng", "a tuan"):
  :mod:`~citizen_desk.privacy.name_lower`.

Capitalised words right after a place or agency word ("xã Nga Thủy", "đường Lê Lợi", "Công an
huyện Nga Sơn", also abbreviated: "TP Dĩ An", "P.Thạch Thang") and legal references ("Điều 9
Luật Tố cáo", "Quyết định số 537") are never names.

The rules are :mod:`~citizen_desk.privacy.name_rules` and ``name_context`` (their words in
``name_lexicon``, the word-level tests in ``name_words``); places named bare that stop names are
``bare_places``; this module adds the tagger and the context rules.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from citizen_desk.privacy.addresses import residence_places
from citizen_desk.privacy.bare_places import (
    at_places,
    bracket_places,
    ladder_places,
    province_pairs,
)
from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.name_lexicon import (
    CUES,
    LONE_NOT_NAME,
    LONE_PLACE_BEFORE,
    NICKNAME_AFTER_RE,
    PLACES,
    SURNAMES,
    TITLE_CUES,
    WORD_RE,
    word_set,
)
from citizen_desk.privacy.name_lower import lone_lower_names, lower_cued_names
from citizen_desk.privacy.name_openers import (
    SUBJECT_AFTER,
    called_names,
    listed_handles,
    opening_names,
    quoted_writers,
    reader_handles,
)
from citizen_desk.privacy.name_rules import rule_names
from citizen_desk.privacy.name_words import (
    adjacent,
    all_caps,
    as_typed,
    cycle_year,
    known_place,
    name_word,
    numbered,
    opens_clause,
    place_chain,
    place_context,
    sentence_initial,
    stop_word,
    typed_province,
    typed_with_marks,
    word_spans,
)
from citizen_desk.privacy.wordlist import is_word
from citizen_desk.text.normalize import fold

TYPED_WORD_RE = re.compile(r"[^\W_]+")  # a word as typed, diacritics and all


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
    # in a text typed with diacritics the tagger's "Tô" is not the "Tố" of "Luật Tố cáo"
    marked = typed_with_marks(canon.original)
    typed_people = {
        tuple(TYPED_WORD_RE.findall(unicodedata.normalize("NFC", p).lower())) for p in people
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
            if not all(canon.text[slice(*w)] == s for w, s in zip(window, seq, strict=True)):
                continue
            if _institution_head(canon, words, i):
                continue  # "Báo Đồng Khởi", "Bệnh viện Trần Văn An": the institution
            if marked and tuple(as_typed(canon, *w) for w in window) not in typed_people:
                continue
            if all(name_word(canon, w) and not all_caps(canon, w) for w in window):
                spans.append((window[0][0], window[-1][1]))
    return spans


# The head words of an institution's name, as typed: a run the tagger reads as a person that
# opens with them is a paper, a hospital, a bank or a firm ("Ngoài ra, Báo Đồng Khởi còn …").
_INSTITUTION_HEADS = frozenset({"báo", "đài"})
_INSTITUTION_HEAD_PAIRS = frozenset(
    {"bệnh viện", "tạp chí", "ngân hàng", "công ty", "ủy ban", "uỷ ban", "tập đoàn"}
)


def _institution_head(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """``words[i]`` opens an institution's name ("Báo …", "Bệnh viện …", "Ngân hàng …")."""
    head = as_typed(canon, *words[i])
    if head in _INSTITUTION_HEADS:
        return True
    return i + 1 < len(words) and f"{head} {as_typed(canon, *words[i + 1])}" in (
        _INSTITUTION_HEAD_PAIRS
    )


def _same_pairs(
    canon: Canonical,
    words: list[tuple[int, int]],
    pairs: set[tuple[str, str]],
    taken: set[int],
) -> list[tuple[int, int]]:
    """Two capitalised words, alone, that end a full name found before ("Mỹ Linh")."""
    found: list[tuple[int, int]] = []
    for i in range(len(words) - 1):
        left, right = words[i], words[i + 1]
        if i in taken or i + 1 in taken or not adjacent(canon, left, right):
            continue
        if (as_typed(canon, *left), as_typed(canon, *right)) not in pairs:
            continue
        before = i > 0 and canon.is_capitalised(words[i - 1][0])
        after = i + 2 < len(words) and canon.is_capitalised(words[i + 2][0])
        if (before and adjacent(canon, words[i - 1], left)) or (
            after and adjacent(canon, right, words[i + 2])
        ):
            continue  # part of a longer capitalised name
        if not (place_context(canon, words, i) or numbered(canon, words, i + 1)):
            found.append((left[0], right[1]))
    return found


def _same_person(
    canon: Canonical, words: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Later mentions by the given name alone ("... Nguyễn Văn Hòa ... rồi Hòa về") or by the
    last two words of a full name of three or more ("Trần Mỹ Linh … Hà Nội. Mỹ Linh là …")."""
    given: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for start, end in spans:
        inside = [w for w in words if start <= w[0] and w[1] <= end]
        if inside and inside[-1][1] - inside[-1][0] > 1 and name_word(canon, inside[-1]):
            given.add(as_typed(canon, *inside[-1]))
            if len(inside) >= 3 and canon.is_capitalised(inside[-2][0]):
                pairs.add((as_typed(canon, *inside[-2]), as_typed(canon, *inside[-1])))
    if not given:
        return []
    taken = {i for i, w in enumerate(words) for s, e in spans if s <= w[0] and w[1] <= e}
    found = _same_pairs(canon, words, pairs, taken)
    taken.update(i for i, w in enumerate(words) for s, e in found if s <= w[0] and w[1] <= e)
    chain: set[int] | None = None
    for i, word in enumerate(words):
        if i in taken or not canon.is_capitalised(word[0]) or as_typed(canon, *word) not in given:
            continue
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if any(
            canon.is_capitalised(words[j][0])
            and adjacent(canon, *sorted((word, words[j])))
            and not (j > i and all_caps(canon, words[j]))
            for j in neighbours
        ):
            continue  # part of a longer capitalised name: "Hòa Khê", "Hà Nội"; not "Hảo FPT"
        if place_context(canon, words, i) or numbered(canon, words, i):
            continue
        if chain is None:
            chain = place_chain(canon, words)
        if i not in chain:
            found.append(word)
    return found


def _nicknames(canon: Canonical, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A nickname in quotes right after a name: "Trần Quang Huy (tức Huy "Ổi")", "T. "Tin"."""
    found = []
    for _start, end in spans:
        m = NICKNAME_AFTER_RE.match(canon.text, end)
        if m is not None and canon.is_capitalised(m.start(1)):
            found.append(m.span(1))
    return found


def _lone_given_names(
    canon: Canonical, words: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """A given name standing alone inside a sentence: "3 ngày sau, Yến nghỉ", "thông tin về
    Đắc", "Khiêm, Đầy, Bảo bàn với nhau".

    One capitalised Vietnamese syllable of a text typed with diacritics: neither word beside
    it capitalised, not opening a sentence, a line or a bracket, not after a place or agency
    word, not a kinship word, not one of the capitalised common words (Tết, Đảng, Nhà nước …)
    or single-word places (Huế, Vinh, Pháp …), and not half of a two-syllable word with the
    word beside it ("Căn cước", "Cơ quan Thuế", "Thành phố": :mod:`~citizen_desk.privacy.
    wordlist`). Names met this way are the ones a reader knows from the article around the
    excerpt; Vietnamese capitalises little else alone in mid-sentence.
    """
    if not typed_with_marks(canon.original):
        return []  # unmarked chat and SMS capitalise at random ("Uy tin, Danh du")
    taken = {i for i, w in enumerate(words) for s, e in spans if s <= w[0] and w[1] <= e}
    chain: set[int] | None = None
    found: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if i in taken or word[1] - word[0] < 2 or not canon.is_capitalised(word[0]):
            continue
        typed = as_typed(canon, *word)
        if all_caps(canon, word) or not name_word(canon, word):
            continue
        person_verb = _person_before(canon, words, i)
        if typed in LONE_NOT_NAME and not (
            typed in LONE_GIVEN_ALSO and (person_verb or _person_after(canon, words, i))
        ):
            continue
        if typed in CUES or typed in TITLE_CUES or opens_clause(canon, words, i):
            continue
        if (numbered(canon, words, i) and not person_verb) or _in_word(canon, words, i):
            continue  # "Tổ 6", "Đội 3"; but "tuyên phạt Trung 6 tháng tù"
        previous = as_typed(canon, *words[i - 1])
        if previous in LONE_PLACE_BEFORE or place_context(canon, words, i):
            continue  # "tiếng Việt", "quốc tịch Pháp", "xã Nga"
        if chain is None:
            chain = place_chain(canon, words)
        if i not in chain:
            found.append(word)
    return found


# Given names that are also capitalised common words alone ("miền Trung", "Quốc hội", "Ngân
# hàng"): a name only where a person stands, after a verb that takes one ("tuyên phạt Trung 6
# tháng tù") or before a subject's verb ("ngày hôm sau, Trung đi bộ đến …").
LONE_GIVEN_ALSO = word_set("trung quốc ngân nhân cảnh")
PERSON_BEFORE = word_set("phạt giữ tố bắt gặp gọi đánh đâm chém")
PERSON_AFTER = SUBJECT_AFTER | word_set("đi khai nhận chạy lấy trộm cầm dùng rủ mang về ra")


def _person_before(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """A verb that takes a person right before ``words[i]`` ("tuyên phạt Trung")."""
    return (
        i > 0
        and adjacent(canon, words[i - 1], words[i])
        and as_typed(canon, *words[i - 1]) in PERSON_BEFORE
    )


def _person_after(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """A subject's verb right after ``words[i]`` ("Trung đi bộ", "Trung khai nhận")."""
    return (
        i + 1 < len(words)
        and adjacent(canon, words[i], words[i + 1])
        and as_typed(canon, *words[i + 1]) in PERSON_AFTER
    )


def _half_of_word(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """``words[i]`` makes one dictionary word with the word beside it ("Căn cước")."""
    typed = as_typed(canon, *words[i])
    for j in (i - 1, i + 1):
        if not 0 <= j < len(words) or not adjacent(canon, *sorted((words[i], words[j]))):
            continue
        other = as_typed(canon, *words[j])
        if is_word(*((other, typed) if j < i else (typed, other))):
            return True
    return False


def _in_word(canon: Canonical, words: list[tuple[int, int]], i: int) -> bool:
    """The word beside ``words[i]`` is capitalised too, or makes one word with it."""
    for j in (i - 1, i + 1):
        if (
            0 <= j < len(words)
            and adjacent(canon, *sorted((words[i], words[j])))
            and canon.is_capitalised(words[j][0])
        ):
            return True
    return _half_of_word(canon, words, i)


# What follows "Công an" when it is the agency: its unit, its people or its branch.
_AGENCY_AFTER = word_set(
    "xa phuong thi tran huyen quan tinh tp thanh nhan vien khu kinh hinh giao dac bo cac va"
)


def _agency_given(
    canon: Canonical, words: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """A surname found alone, then "Công an" that names no agency: the person's middle and given
    names ("Đối tượng Dương Công an cùng tang vật"), unless a unit, a place or the agency's
    people follow ("Công an xã …", "Công an Hà Nội", "Công an nhân dân")."""
    ends = {w[1]: i for i, w in enumerate(words)}
    out = []
    for start, end in spans:
        k = ends.get(end)  # the span's last word: a surname, or "Công" after a surname
        if k is not None and canon.text[slice(*words[k])] == "cong" and k > 0:
            k -= 1
        if k is None or words[k][0] < start or k + 2 >= len(words):
            out.append((start, end))
            continue
        nxt = words[k + 3] if k + 3 < len(words) else None
        agency = (
            nxt is not None
            and adjacent(canon, words[k + 2], nxt)
            and (canon.is_capitalised(nxt[0]) or canon.text[slice(*nxt)] in _AGENCY_AFTER)
        )
        if (
            canon.text[slice(*words[k])] in SURNAMES
            and canon.text[words[k + 1][0] : words[k + 2][1]] == "cong an"
            and adjacent(canon, words[k], words[k + 1])
            and adjacent(canon, words[k + 1], words[k + 2])
            and not agency
        ):
            end = max(end, words[k + 2][1])
        out.append((start, end))
    return out


def find_names(canon: Canonical, use_tagger: bool = True) -> list[tuple[int, int]]:
    """Canonical spans of person names in ``canon``."""
    found = list(rule_names(canon))
    spans = [(start, end) for start, end, _first, _count in found]
    words = word_spans(canon)
    if use_tagger:
        covered = {first + k for _s, _e, first, count in found for k in range(count)}
        if _unexplained_capital(canon, covered):
            spans += _tagged_spans(canon, words)
    taken = {i for i, w in enumerate(words) for s, e in spans if s <= w[0] and w[1] <= e}
    rules = (
        opening_names,
        called_names,
        quoted_writers,
        listed_handles,
        reader_handles,
        lower_cued_names,
        lone_lower_names,
    )
    for rule in rules:
        spans += rule(canon, words, taken)
    spans += _same_person(canon, words, spans)
    spans += _nicknames(canon, spans)
    lone = _lone_given_names(canon, words, spans)
    if lone:  # "… bắt giữ Hảo “tú bà” …, Hảo FPT đã nhận …": its other mentions too, unless
        spans += lone  # half of a word there ("Căn cưới" met alone is no name in "Căn cước")
        index = {w: i for i, w in enumerate(words)}
        spans += [
            w
            for w in _same_person(canon, words, spans)
            if w not in index or not _half_of_word(canon, words, index[w])
        ]
    spans = _agency_given(canon, words, spans)
    places = (
        residence_places(canon)
        + bracket_places(canon)
        + ladder_places(canon, words)
        + province_pairs(canon, words)
        + at_places(canon, words)
        if spans
        else []
    )
    if places:  # "Quê quán: Thụy Vân, Việt Trì": places the tagger may call people
        spans = [s for s in spans if not any(p <= s[0] and s[1] <= q for p, q in places)]
    return spans
