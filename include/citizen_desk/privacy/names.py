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
from itertools import pairwise

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
_LOWER_SURNAME_WORDS = _LOWER_SURNAMES_FOLDED | _set("le vu vo do ho ngo")
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
# The same words as typed with diacritics: "truy tố", "giao dịch viên", "khách hàng", "đồng chí"
# and "chị" fold onto "tổ", "viện", "hãng", "đông" and "chi" but are not place words.
_PLACE_WORDS_ACCENTED = _set(
    "xã phường huyện quận tỉnh tp thành phố thị trấn đường ấp thôn xóm ngõ hẻm kiệt khu làng "
    "bản buôn bon cầu chợ sông núi trường bệnh viện chùa đền công an ubnd hđnd cục sở bộ đội "
    "trạm toà tòa điều luật khoản nghị định quyết thông tư chương mục tuyến bến cảng cty hãng "
    "tổ chi ngành miền vùng tây đông nam bắc đảo khóm khối vpls dntn htx tnhh"
)
# Verbs ending in a place word: "yêu cầu Hòa" is not "cầu Hòa" (a bridge).
_VERB_BIGRAMS = frozenset(
    {
        "yêu cầu", "nhu cầu", "đề nghị", "kiến nghị", "xác định", "nhận định", "khẳng định",
        "quyết định", "thông báo",
    }
)  # fmt: skip
_PLACE_WORDS = _PLACE_WORDS | _set("khom khoi vpls dntn htx tnhh")
_PLACE_BIGRAMS = frozenset(
    {"thanh pho", "thi xa", "thi tran", "cong an", "khu pho", "benh vien", "uy ban", "to dan"}
)
# Capitalised words that are never (part of) a person's name here, as typed with diacritics.
_NOT_NAME = _set(
    "tôi chúng mình ubnd hđnd xã phường huyện quận tỉnh tp phố điều luật khoản nghị "
    "bộ sở cục viện tòa bệnh đội trạm hội đảng nhà cty hôm ngày tháng chiều "
    "tối đêm lúc vào tại ở các những một xin kính gửi nhờ chào đã đang sẽ chủ trưởng phó "
    "giám cán bí tuần thứ bài thôn xóm ấp ngõ ngách hẻm kiệt đường số lộ tỉnh lộ"
)
# Also given names or surnames ("Đinh Quốc Thiện", "Hà Văn Ngân", "Đoàn Tuế", "Huỳnh Quý"): a
# stop word only before these words ("Quốc lộ", "Ngân hàng", "Đoàn thanh niên", "Sáng nay").
_STOP_BEFORE: dict[str, frozenset[str]] = {
    "quốc": _set("lộ tế hội gia phòng khánh doanh ca kỳ tịch lập"),
    "ngân": _set("hàng sách quỹ khố"),
    "đoàn": _set("thanh thể kết công viên trưởng xe luật đại kiểm tàu người khách"),
    "quý": _set("i ii iii iv khách vị ông bà cơ"),
    "sáng": _set("nay mai qua sớm ngày hôm cùng chủ thứ mùng mồng"),
    "công": _set("an ty trình đoàn nghệ thương nhân"),
    "trường": _set("học tiểu trung đại mầm cao chính quân nghề thpt thcs"),
}
# Years of the sixty-year cycle ("Tết Đinh Dậu", "năm Canh Tý"): a stem and a branch, not a name.
_STEMS = _set("giáp ất bính đinh mậu kỷ kỉ canh tân nhâm quý")
_BRANCHES = _set("tý tí sửu dần mão mẹo thìn tỵ tị ngọ mùi thân dậu tuất hợi")
# Capitalised acronyms of a business or office named after its owner ("VPLS Đặng Sơn").
_ORG_ACRONYMS = _set("vpls dntn htx tnhh cty")
# Well-known places whose first word is also a surname ("Hà Nội", "Thái Bình").
PLACES = frozenset(
    {
        "ha noi", "ha giang", "ha nam", "ha tinh", "ha tay", "ha long", "ha dong", "ha tien",
        "ha trung", "ho chi minh", "lam dong", "cao bang", "thai binh", "thai nguyen",
        "phan thiet", "phan rang", "do son", "ly son", "mai chau", "to lich", "vu ban",
        "ho guom", "ho tay", "lam thao", "cao lanh", "tran de", "ha hoa", "ha quang",
        "hoang mai", "tu liem", "viet nam", "trung quoc", "han quoc", "nhat ban", "thai lan",
        "dai loan", "anh quoc", "ba ria", "ba chieu", "ba diem", "ba den", "co to", "ong lanh",
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


def _stop(canon: Canonical, span: tuple[int, int], *, cued: bool = False) -> bool:
    """Never a name word (`_NOT_NAME`), or a word that is not one before certain words
    ("Quốc khánh", "Ngân hàng"). After a kinship cue or a self-introduction (`cued`: "anh Quốc
    Khánh", "tôi là Quốc Khánh") the second kind is a name all the same."""
    word = _accented(canon, *span)
    if word in _NOT_NAME:
        return True
    before = _STOP_BEFORE.get(word)
    if before is None or cued:
        return False
    rest = unicodedata.normalize("NFC", canon.original[canon.span(*span)[1] :][:24])
    following = re.match(r"\s+(\w+)", rest)
    return following is not None and following.group(1).lower() in before


def _cycle_year(canon: Canonical, words: list[tuple[int, int]], first: int, count: int) -> bool:
    """``words[first:first+count]`` ends in a year of the sixty-year cycle ("Xuân Đinh Dậu")."""
    last = first + count - 1
    return (
        count >= 2
        and _accented(canon, *words[last - 1]) in _STEMS
        and _accented(canon, *words[last]) in _BRANCHES
    )


def _name_word(canon: Canonical, span: tuple[int, int], *, cued: bool = False) -> bool:
    """A capitalised Vietnamese syllable that is not a place, agency or function word."""
    return (
        canon.is_capitalised(span[0])
        and _SYLLABLE_RE.fullmatch(canon.text[span[0] : span[1]]) is not None
        and not _stop(canon, span, cued=cued)
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
    if canon.is_capitalised(words[index - 1][0]):
        return _accented(canon, *words[index - 1]) in _ORG_ACRONYMS
    accented = _accented(canon, *words[index - 1])
    if (
        index >= 2
        and _adjacent(canon, words[index - 2], words[index - 1])
        and f"{_accented(canon, *words[index - 2])} {accented}" in _VERB_BIGRAMS
    ):
        return False
    if accented in _PLACE_WORDS_ACCENTED:
        return True
    return accented == prev and prev in _PLACE_WORDS and not typed_with_marks(canon.original)


@lru_cache(maxsize=256)
def typed_with_marks(text: str) -> bool:
    """The text has diacritics, so a plain "cho" is "cho", not "chợ" typed without them."""
    return fold(text) != text.lower()


def _capital_run(
    canon: Canonical, words: list[tuple[int, int]], index: int, *, cued: bool = False
) -> int:
    """How many capitalised name-like words start at ``index`` (0 if none); `cued`: right after
    a kinship cue or a self-introduction."""
    count = 0
    while index + count < len(words) and count < _MAX_NAME_WORDS:
        i = index + count
        if not _name_word(canon, words[i], cued=cued):
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


# Titles, ranks and roles before a bare given name ("đồng chí Quang", "Thượng tá Hùng",
# "đối tượng Tuấn", "bé Ngân"), as typed with diacritics; without diacritics only the
# multi-word forms, which are not ordinary words.
_TITLE_CUES = frozenset(
    {
        "bé", "cụ", "vợ", "chồng", "mẹ", "bố", "cha", "ruột", "gia đình", "đồng chí", "cán bộ",
        "điều tra viên", "thượng tá", "trung tá", "đại tá", "thiếu tá", "đại úy", "đại uý",
        "thượng úy", "thượng uý", "trung úy", "trung uý", "thiếu úy", "thiếu uý", "thiếu tướng",
        "trung tướng", "trung sĩ", "thượng sĩ", "luật sư", "bác sĩ", "thầy", "thầy giáo",
        "cô giáo", "nghi can", "nghi phạm", "đối tượng", "bị cáo", "bị can", "nạn nhân",
        "tài xế", "giao dịch viên", "sinh viên", "học sinh", "nữ sinh", "nam sinh",
        "thanh niên", "người nhà", "bạn gái", "bạn trai", "người yêu",
    }
)  # fmt: skip
_TITLE_CUES_FOLDED = frozenset(
    {
        "dong chi", "can bo", "dieu tra vien", "thuong ta", "trung ta", "dai ta", "thieu ta",
        "dai uy", "thuong uy", "trung uy", "thieu uy", "luat su", "bac si", "nghi can",
        "doi tuong", "bi cao", "bi can", "nan nhan", "tai xe",
    }
)  # fmt: skip
_CUE_FIRST_WORDS = frozenset(
    fold(cue).split()[0] for cue in _CUES | _TITLE_CUES | _CUES_FOLDED | _TITLE_CUES_FOLDED
)
# All-caps words after a cue that are abbreviations, not initials ("anh CSGT").
_NOT_INITIALS = _set("ca csgt cstt cscd ubnd hdnd vks tand tp pc sdt stk atm ctv pv bhxh")
_INITIALS_RE = re.compile(r"[a-z](?:\.[a-z])*(?:\.[a-z]+)?(?![a-z0-9])")
# A name right before a birth year or an age: "Nguyễn Văn A (SN 1990", "Quyền, sinh ngày".
_BIRTH_AFTER_RE = re.compile(r"\s*[,(]\s*(?:sn\b|sinh nam\b|sinh ngay\b|\d{1,3}\s*tuoi\b)")
# Words that stand before a phone number without naming anyone ("Gọi 0912…", "Nhắn Zalo 09…").
_CONTACT_WORDS = _set(
    "gọi goi nhắn nhan liên lien hệ he số so sđt sdt đt dt hotline zalo điện dien thoại thoai "
    "tổng tong đài dai máy may call tel lh ib inbox alo"
)
# A name right before a phone number: "SĐT của em: Phương 0912...".
_PHONE_AFTER_RE = re.compile(r"[ :]*\(?\+?\d(?:[ .\-]{0,2}\d){8,}")
# Display names in the Western order of social media ("Minh Trần", "Trung Le").
_LAST_SURNAMES = _set("nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ ngô")
_LAST_SURNAMES_FOLDED = _set("nguyen tran le pham hoang huynh phan vu vo dang bui")


def _cue_length(canon: Canonical, words: list[tuple[int, int]], index: int) -> tuple[int, bool]:
    """(words, is a title) of a kinship or title cue starting at ``index`` (0 if none)."""
    if canon.text[slice(*words[index])] not in _CUE_FIRST_WORDS:
        return 0, False
    for size in (3, 2, 1):
        if index + size >= len(words) or not canon.is_capitalised(words[index + size][0]):
            continue
        span = words[index : index + size + 1]
        if not all(_adjacent(canon, a, b) for a, b in pairwise(span)):
            continue
        accented = " ".join(_accented(canon, *w) for w in span[:-1])
        folded = " ".join(canon.text[slice(*w)] for w in span[:-1])
        if size == 1 and (accented in _CUES or (accented == folded and folded in _CUES_FOLDED)):
            return 1, False
        if accented in _TITLE_CUES or (accented == folded and folded in _TITLE_CUES_FOLDED):
            return size, True
    return 0, False


def _initials(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Words of the initials at ``index`` ("C.", "N.Đ.H.", "T.Thu", "NTP"), 0 if none."""
    if index >= len(words) or not canon.is_capitalised(words[index][0]):
        return 0
    start, end = words[index]
    word = canon.text[start:end]
    if 2 <= len(word) <= 4 and _all_caps(canon, words[index]) and word not in _NOT_INITIALS:
        return 1 if _SYLLABLE_RE.fullmatch(word) is None else 0
    if len(word) != 1:
        return 0
    m = _INITIALS_RE.match(canon.text, start)
    if m is None:
        return 0
    count = 0
    while index + count < len(words) and words[index + count][0] < m.end():
        if not canon.is_capitalised(words[index + count][0]):
            return 0
        count += 1
    return count


def _with_initial(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> int:
    """``run`` plus a trailing initial: "Trần Văn C.", "Nguyễn Văn B"."""
    last = first + run
    if (
        run >= 2
        and last < len(words)
        and _adjacent(canon, words[last - 1], words[last])
        and words[last][1] - words[last][0] == 1
        and canon.is_capitalised(words[last][0])
    ):
        return run + 1
    return run


def _known_place(canon: Canonical, words: list[tuple[int, int]], first: int, run: int) -> bool:
    span_text = " ".join(canon.text[slice(*w)] for w in words[first : first + run])
    return any(span_text.startswith(p) for p in PLACES) or _cycle_year(canon, words, first, run)


def _context_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """A capitalised run named by what follows it: a birth year, an age, a phone number."""
    run = _capital_run(canon, words, index)
    if not run:
        return 0
    end = words[index + run - 1][1]
    birth = _BIRTH_AFTER_RE.match(canon.text, end)
    if not (birth or _PHONE_AFTER_RE.match(canon.text, end)):
        return 0
    if not birth and any(
        _accented(canon, *w) in _CONTACT_WORDS or canon.text[slice(*w)] in _CONTACT_WORDS
        for w in words[index : index + run]
    ):
        return 0
    if _place_context(canon, words, index) or _known_place(canon, words, index, run):
        return 0
    return 0 if any(_all_caps(canon, w) for w in words[index : index + run]) else run


def _reversed_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """A given name then a surname ("Minh Trần"): a social-media display name."""
    run = _capital_run(canon, words, index)
    if run not in (2, 3) or canon.text[slice(*words[index])] in SURNAMES:
        return 0
    last = words[index + run - 1]
    accented, folded = _accented(canon, *last), canon.text[slice(*last)]
    if accented not in _LAST_SURNAMES and not (
        accented == folded and folded in _LAST_SURNAMES_FOLDED
    ):
        return 0
    if _place_context(canon, words, index) or _known_place(canon, words, index, run):
        return 0
    return run


# A display name after the platform ("tài khoản Facebook Trung Le", "nick Zalo: Hoa Nguyen") or
# a photo credit ("Ảnh: Minh Trần"): capitalised words, Vietnamese syllables or not.
_DISPLAY_CUE_RE = re.compile(
    r"(?<![a-z0-9])(?:facebook|fb|zalo|tiktok|telegram|instagram|youtube|fanpage|nick|nickname|"
    r"biet danh)(?:\s+(?:ca nhan|co ten|ten|la))?\s*:?\s*[\"'“‘]?$"
)
_CREDIT_RE = re.compile(r"(?<![a-z0-9])anh\s*:\s*$")
_NOT_DISPLAY = _set(
    "công báo đài trang kênh ubnd cục sở bộ phòng đội trường bệnh hội nhóm group page "
    "facebook fb zalo tiktok telegram instagram youtube messenger google viber"
)


def _display_name(canon: Canonical, words: list[tuple[int, int]], index: int) -> int:
    """Words of a display name at ``index`` named by the platform before it (0 if none)."""
    start = words[index][0]
    before = canon.text[max(0, start - 40) : start]
    cue = _DISPLAY_CUE_RE.search(before)
    if cue is None:
        credit = _CREDIT_RE.search(before)
        if credit is None:
            return 0
        word_start = start - len(before) + credit.start()
        if _accented(canon, word_start, word_start + 3) != "ảnh" and typed_with_marks(
            canon.original
        ):
            return 0
    count = 0
    while index + count < len(words) and count < 3:
        word = words[index + count]
        if count and not _adjacent(canon, words[index + count - 1], word):
            break
        if not canon.is_capitalised(word[0]) or _all_caps(canon, word):
            break
        if _accented(canon, *word) in _NOT_DISPLAY | _NOT_NAME:
            break
        count += 1
    if count and _known_place(canon, words, index, count):
        return 0
    return count


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
            if run < 2 or _known_place(canon, words, i, run):
                run = 0
            run = _with_initial(canon, words, i, run)
        if not run and word in _LOWER_SURNAME_WORDS:
            run = _lower_full_name(canon, words, i)
        if not run and i + 1 < len(words):
            size, title = _cue_length(canon, words, i)
            if size and not _place_context(canon, words, i):
                first = i + size
                # a kinship cue, not a title: "cán bộ Công an" is an agency, "anh Quốc Khánh" a man
                run = _capital_run(canon, words, first, cued=not title)
                place_cue = canon.is_capitalised(start) and not _sentence_initial(canon, words, i)
                if run and (
                    _cycle_year(canon, words, first, run)
                    or (place_cue and size == 1 and _known_place(canon, words, i, run + 1))
                    or (title and _known_place(canon, words, first, run))
                ):
                    run = 0
                run = _with_initial(canon, words, first, run) or _initials(canon, words, first)
        if not run and word not in _INTRO_WORDS:
            intro = _INTRO_RE.search(text, max(0, start - 20), start)
            if intro:
                first = i
                run = _capital_run(canon, words, i, cued=True) or _lower_full_name(canon, words, i)
                if not run and _NAMING_INTRO_RE.search(intro.group()):
                    run = _lower_given_name(canon, words, i)
        if not run and canon.is_capitalised(start):
            first = i
            run = (
                _display_name(canon, words, i)
                or _context_name(canon, words, i)
                or _reversed_name(canon, words, i)
            )
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


def _tagged_spans(canon: Canonical, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of the tagger's people that are not places ("Bắc Từ Liêm") nor cycle years."""
    people = _tagged_people(unicodedata.normalize("NFC", canon.original))
    if not people:
        return []
    chain = _place_chain(canon, words)
    wanted = {tuple(_WORD_RE.findall(fold(p))) for p in people}
    wanted = {
        seq for seq in wanted if not any(" ".join(seq[k:]) in PLACES for k in range(len(seq)))
    }
    spans: list[tuple[int, int]] = []
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
            if _cycle_year(canon, words, i, len(seq)):
                continue
            if (
                i
                and _adjacent(canon, words[i - 1], words[i])
                and _known_place(canon, words, i - 1, len(seq) + 1)
            ):
                continue  # "Anh Quốc", "Bà Rịa": the word before belongs to the place
            if all(canon.text[slice(*w)] == s for w, s in zip(window, seq, strict=True)) and all(
                _name_word(canon, w) and not _all_caps(canon, w) for w in window
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
        if inside and inside[-1][1] - inside[-1][0] > 1 and _name_word(canon, inside[-1]):
            given.add(_accented(canon, *inside[-1]))
    if not given:
        return []
    taken = {i for i, w in enumerate(words) for s, e in spans if s <= w[0] and w[1] <= e}
    chain: set[int] | None = None
    found: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if i in taken or not canon.is_capitalised(word[0]) or _accented(canon, *word) not in given:
            continue
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if any(
            canon.is_capitalised(words[j][0]) and _adjacent(canon, *sorted((word, words[j])))
            for j in neighbours
        ):
            continue  # part of a longer capitalised name: "Hòa Khê", "Hà Nội"
        if _place_context(canon, words, i) or _numbered(canon, words, i):
            continue
        if chain is None:
            chain = _place_chain(canon, words)
        if i not in chain:
            found.append(word)
    return found


def find_names(canon: Canonical, use_tagger: bool = True) -> list[tuple[int, int]]:
    """Canonical spans of person names in ``canon``."""
    found = list(_rule_names(canon))
    spans = [(start, end) for start, end, _first, _count in found]
    words = _words(canon)
    if use_tagger:
        covered = {first + k for _s, _e, first, count in found for k in range(count)}
        if _unexplained_capital(canon, covered):
            spans += _tagged_spans(canon, words)
    return spans + _same_person(canon, words, spans)
