"""Person names in free Vietnamese text, found without knowing them in advance.

Three sources, all mapped onto the canonical text (see :mod:`citizen_desk.privacy.canonical`):

* a surname lexicon: a capitalised surname followed by capitalised words ("Nguyễn Văn Nam",
  "Tran Thi Hoa"), or, lower-case, an unambiguous surname + a common middle name + a word
  ("nguyễn văn nam");
* cue words: kinship and titles before a capitalised name ("chị Mai", "anh Tuấn", "ông Lê Văn
  Tám") and introductions ("tôi là ...", "tên tôi là ...", "tôi tên ...", "mình là ...");
* underthesea's CRF named-entity tagger (offline, models ship in the wheel), run only when a
  capitalised word is left that none of the rules above explains, and cached per text.

Capitalised words right after a place or agency word ("xã Nga Thủy", "đường Lê Lợi", "Công an
huyện Nga Sơn") and legal references ("Điều 9 Luật Tố cáo") are never names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.text.normalize import fold


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


SURNAMES = _set(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh trinh truong "
    "lam mai cao luong luu ha ta doan vuong trieu thai quach kieu tong to chu la lai tang dao "
    "khuc mac lu thach giang tieu au banh bach chung dam dieu han hua khong kha lieu nghiem "
    "nong phung quan than thieu tu van vi"
)
# Lower-case surname + middle name: only the surnames that are not also common words.
_LOWER_SURNAMES = _set("nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô")
_LOWER_SURNAMES_FOLDED = _set("nguyen tran pham hoang huynh phan dang bui")
_MIDDLE_NAMES = _set(
    "văn thị đức hữu đình công quang minh ngọc thanh xuân hồng kim quốc bá trọng thế "
    "tiến mạnh duy gia hoài khánh phương thùy như bảo"
)
_MIDDLE_NAMES_FOLDED = _set("van thi duc huu dinh cong quang minh ngoc thanh xuan")

# Kinship and title words, as typed with diacritics; without diacritics only the forms that
# are not also common words ("đi", "có", "cầu", "mở" fold to di, co, cau, mo).
_CUES = _set("anh chị em ông bà cô chú bác cháu cậu dì mợ thím bạn")
_CUES_FOLDED = _set("anh chi em ong chu bac chau thim")
_INTRO_RE = re.compile(
    r"(?<![a-z])(?:ten toi la|ten toi|toi ten la|toi ten|toi la|minh ten la|minh ten|minh la|"
    r"em ten la|em ten|ho ten|ho va ten|ten la|ten)\s*:?\s+$"
)
_INTRO_WORDS = _set("toi la ten minh em ho va")
# After these, whatever follows is a name, even in lower case ("tên tôi là hùng").
_NAMING_INTRO_RE = re.compile(
    r"(?:ten(?: toi)?(?: la)?|(?:toi|minh|em) ten(?: la)?|ho(?: va)? ten)\s*:?\s+$"
)

# Words after which capitalised words are a place, an agency or a law, not a person.
_PLACE_WORDS = _set(
    "xa phuong huyen quan tinh tp thanh pho thi tran duong pho ap thon xom ngo hem kiet khu lang "
    "ban buon cau cho song nui truong benh vien chua den cong an ubnd hdnd cuc so bo doi tram "
    "vien toa dieu luat khoan nghi dinh quyet thong tu chuong muc tuyen ben cang cty hang "
    "to chi nganh mien vung tay dong nam bac dao"
)
_PLACE_BIGRAMS = frozenset(
    {"thanh pho", "thi xa", "thi tran", "cong an", "khu pho", "benh vien", "uy ban", "to dan"}
)
# Capitalised words that are never (part of) a person's name here, as typed with diacritics.
_NOT_NAME = _set(
    "tôi chúng mình ubnd hđnd xã phường huyện quận tỉnh tp phố điều luật khoản nghị "
    "bộ sở cục viện tòa bệnh đội trạm hội đoàn đảng nhà ngân cty hôm ngày tháng sáng chiều "
    "tối đêm lúc vào tại ở các những một xin kính gửi nhờ chào đã đang sẽ chủ trưởng phó "
    "giám cán bí tuần quý thứ bài thôn xóm ấp ngõ ngách hẻm kiệt đường số quốc lộ tỉnh lộ"
)
# Well-known places whose first word is also a surname ("Hà Nội", "Thái Bình").
_PLACES = frozenset(
    {
        "ha noi", "ha giang", "ha nam", "ha tinh", "ha tay", "ha long", "ha dong", "ha tien",
        "ha trung", "ho chi minh", "lam dong", "cao bang", "thai binh", "thai nguyen",
        "phan thiet", "phan rang", "do son", "ly son", "mai chau", "to lich", "vu ban",
        "ho guom", "ho tay", "lam thao", "cao lanh", "tran de", "ha hoa", "ha quang",
    }
)  # fmt: skip
_WORD_RE = re.compile(r"[a-z0-9]+")
# One Vietnamese syllable (folded): "Annam", "QL", "Putin" are not Vietnamese given names.
_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(?:[aeiouy]{1,3})(?:ng|nh|ch|[cmnpt])?"
)
_SENTENCE_END = '.!?\n:;"“”()[]*•|>_`#\t–—'
_MAX_NAME_WORDS = 4


def _stop(canon: Canonical, span: tuple[int, int]) -> bool:
    return _accented(canon, *span) in _NOT_NAME


def _name_word(canon: Canonical, span: tuple[int, int]) -> bool:
    """A capitalised Vietnamese syllable that is not a place, agency or function word."""
    return (
        canon.is_capitalised(span[0])
        and _SYLLABLE_RE.fullmatch(canon.text[span[0] : span[1]]) is not None
        and not _stop(canon, span)
    )


def _words(canon: Canonical) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD_RE.finditer(canon.text)]


def _accented(canon: Canonical, start: int, end: int) -> str:
    o_start, o_end = canon.span(start, end)
    return unicodedata.normalize("NFC", canon.original[o_start:o_end]).lower()


def _adjacent(canon: Canonical, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """Only spaces (no punctuation) between two words."""
    return canon.text[left[1] : right[0]].strip() == ""


def _place_context(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """The word before ``words[index]`` is a place/agency/law word (lower-case in the text)."""
    if index == 0 or not _adjacent(canon, words[index - 1], words[index]):
        return False
    prev = canon.text[slice(*words[index - 1])]
    if index >= 2 and _adjacent(canon, words[index - 2], words[index - 1]):
        bigram = canon.text[words[index - 2][0] : words[index - 1][1]]
        if " ".join(bigram.split()) in _PLACE_BIGRAMS:
            return True
    return prev in _PLACE_WORDS and not canon.is_capitalised(words[index - 1][0])


def _capital_run(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """How many capitalised name-like words start at ``index`` (0 if none)."""
    count = 0
    while index + count < len(words) and count < _MAX_NAME_WORDS:
        i = index + count
        if not _name_word(canon, words[i]):
            break
        if count and not _adjacent(canon, words[i - 1], words[i]):
            break
        count += 1
    return count


def _sentence_initial(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """First word of a sentence, a line, a list item or a markup field ("*Hạn xác minh:*")."""
    if index == 0:
        return True
    o_start = canon.span(*words[index - 1])[1]
    o_end = canon.starts[words[index][0]]
    return any(ch in _SENTENCE_END for ch in canon.original[o_start:o_end])


def _numbered(canon: Canonical, words: list[tuple[int, int]], index: int) -> bool:
    """The word after ``words[index]`` (a space apart) is a number."""
    return (
        index + 1 < len(words)
        and canon.text[words[index + 1][0]].isdigit()
        and _adjacent(canon, words[index], words[index + 1])
    )


def _all_caps(canon: Canonical, span: tuple[int, int]) -> bool:
    o_start, o_end = canon.span(*span)
    return o_end - o_start > 1 and canon.original[o_start:o_end].isupper()


def _rule_names(canon: Canonical) -> Iterator[tuple[int, int, int, int]]:
    """(start, end, first word index, word count) of names found by the lexicon and cue rules."""
    words = _words(canon)
    text = canon.text
    i = 0
    while i < len(words):
        start, end = words[i]
        word = text[start:end]
        run = 0
        first = i
        if canon.is_capitalised(start) and word in SURNAMES and not _place_context(canon, words, i):
            run = _capital_run(canon, words, i)
            span_text = " ".join(canon.text[slice(*w)] for w in words[i : i + run])
            if run < 2 or any(span_text.startswith(p) for p in _PLACES):
                run = 0
        if not run and word in _LOWER_SURNAMES_FOLDED | {"le", "vu", "vo", "do", "ho", "ngo"}:
            run = _lower_full_name(canon, words, i)
        if not run and i + 1 < len(words) and _adjacent(canon, words[i], words[i + 1]):
            accented = _accented(canon, start, end)
            is_cue = accented in _CUES or (accented == word and word in _CUES_FOLDED)
            if is_cue and not _place_context(canon, words, i):
                first = i + 1
                run = _capital_run(canon, words, first)
        if not run and word not in _INTRO_WORDS:
            intro = _INTRO_RE.search(text, max(0, start - 20), start)
            if intro:
                first = i
                run = _capital_run(canon, words, i) or _lower_full_name(canon, words, i)
                if not run and _NAMING_INTRO_RE.search(intro.group()):
                    run = _lower_given_name(canon, words, i)
        if run:
            yield words[first][0], words[first + run - 1][1], first, run
            i = first + run
        else:
            i += 1


def _lower_full_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Surname + middle name + given name(s) typed in lower case (0 if not one)."""
    if index + 2 >= len(words) or canon.is_capitalised(words[index][0]):
        return 0
    text = canon.text
    surname = text[slice(*words[index])]
    middle = text[slice(*words[index + 1])]
    acc_surname = _accented(canon, *words[index])
    acc_middle = _accented(canon, *words[index + 1])
    plain = acc_surname == surname and acc_middle == middle
    known = (acc_surname in _LOWER_SURNAMES and acc_middle in _MIDDLE_NAMES) or (
        plain and surname in _LOWER_SURNAMES_FOLDED and middle in _MIDDLE_NAMES_FOLDED
    )
    if not known or _place_context(canon, words, index):
        return 0
    if index and text[slice(*words[index - 1])] in {"vi", "xam", "tri"}:  # "vi phạm văn ..."
        return 0
    count = 2
    while (
        index + count < len(words)
        and count < _MAX_NAME_WORDS
        and _adjacent(canon, words[index + count - 1], words[index + count])
        and count < 3
    ):
        count += 1
    return count


def _lower_given_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """After "tên (là)": up to three words up to the next punctuation."""
    count = 0
    while index + count < len(words) and count < 3:
        if count and not _adjacent(canon, words[index + count - 1], words[index + count]):
            break
        if canon.text[slice(*words[index + count])] in {"la", "o", "nha", "sdt", "so", "va"}:
            break
        count += 1
    return count


def _unexplained_capital(canon: Canonical, covered: set[int]) -> bool:
    """A capitalised word mid-sentence that no rule explains: worth asking the tagger."""
    words = _words(canon)
    chain: set[int] | None = None
    for i, (start, _end) in enumerate(words):
        if i in covered or not canon.is_capitalised(start):
            continue
        if _all_caps(canon, words[i]):
            continue  # an abbreviation (UBND, CSGT) or a shouted word (KHẨN)
        if _numbered(canon, words, i):
            continue
        if _stop(canon, words[i]) or _sentence_initial(canon, words, i):
            continue
        if chain is None:
            chain = _place_chain(canon, words)
        if i in chain:
            continue
        return True
    return False


def _place_chain(canon: Canonical, words: list[tuple[int, int]]) -> set[int]:
    """Indexes of capitalised words that continue a place name ("xã Nga Thủy")."""
    chain: set[int] = set()
    for i in range(len(words)):
        if canon.is_capitalised(words[i][0]) and (
            _place_context(canon, words, i)
            or ((i - 1) in chain and _adjacent(canon, words[i - 1], words[i]))
        ):
            chain.add(i)
    return chain


@lru_cache(maxsize=4096)
def _tagged_people(text: str) -> tuple[str, ...]:
    """Surface forms the CRF tagger labels PER in ``text`` (NFC)."""
    try:
        from underthesea import ner
    except ImportError:  # pragma: no cover - underthesea is a runtime requirement
        return ()
    people: list[list[str]] = []
    for token, _pos, _chunk, tag in ner(text):
        if tag == "B-PER" or (tag == "I-PER" and not people):
            people.append([token])
        elif tag == "I-PER":
            people[-1].append(token)
    return tuple(" ".join(words) for words in people)


def find_names(canon: Canonical, use_tagger: bool = True) -> list[tuple[int, int]]:
    """Canonical spans of person names in ``canon``."""
    found = list(_rule_names(canon))
    spans = [(start, end) for start, end, _first, _count in found]
    if not use_tagger:
        return spans
    covered = {first + k for _s, _e, first, count in found for k in range(count)}
    if not _unexplained_capital(canon, covered):
        return spans
    people = _tagged_people(unicodedata.normalize("NFC", canon.original))
    if not people:
        return spans
    words = _words(canon)
    chain = _place_chain(canon, words)
    wanted = {tuple(_WORD_RE.findall(fold(p))) for p in people}
    wanted = {seq for seq in wanted if " ".join(seq) not in _PLACES}
    for i in range(len(words)):
        if i in chain or _place_context(canon, words, i):
            continue
        for seq in wanted:
            if not seq or i + len(seq) > len(words):
                continue
            window = words[i : i + len(seq)]
            if len(seq) == 1 and _sentence_initial(canon, words, i):
                continue  # "Hạn xác minh": a lone capitalised word opening a line
            if _numbered(canon, words, i + len(seq) - 1):
                continue  # "Tuần 47", "Quý 3": a label before a number, not a person
            if all(canon.text[slice(*w)] == s for w, s in zip(window, seq, strict=True)) and all(
                _name_word(canon, w) and not _all_caps(canon, w) for w in window
            ):
                spans.append((window[0][0], window[-1][1]))
    return spans
