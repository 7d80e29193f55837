"""Home addresses in Vietnamese free text: what says where a person lives.

Policy: the part of an address below the commune is masked when it says where someone lives,
the commune, district and province are kept (officers route and count by them). A house or lane
number is always an address ("số nhà 12", "ngõ 5", "hẻm 213 Nguyễn Thiện Thuật"); a hamlet, a
residential group or a street ("thôn Đông Hương", "tổ 3, cụm 1", "TDP 5", "phố Điện Biên Phủ",
"đường Tân Thới Nhất 12") is masked when the text ties it to a person: right after a name or a
birth year, in brackets after a name ("anh Hiếu (thôn An Xuân 3, xã Cửu An)"), after a residence
word ("trú tại", "ngụ", "HKTT:", "nhà trọ ở"), in the writer's own "tôi ở ...", or after a
relative's or someone's house's "ở" ("chị họ tôi, người ở thôn Long Phượng", "đến nhà người
quen ở phố Cửa Bắc"). A hamlet alone
can identify a household in a small commune, so it goes with the house. Where a hamlet or a
street is only the scene of an event ("ở xóm 4 có ổ nhóm", "trên đường Bạch Đằng") it is kept,
like a commune: the police need it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.privacy.dwellings import code_tail, dwellings
from citizen_desk.privacy.name_lexicon import (
    PROVINCES_TYPED,
    starts_with_place,
    word_set,
)
from citizen_desk.privacy.name_words import typed_with_marks
from citizen_desk.privacy.streets import (
    any_street_end,
    capital_words_end,
    lower_accented,
    street_name_end,
    typed_as,
)
from citizen_desk.privacy.wordlist import unit_names
from citizen_desk.text.normalize import fold

# A home: a house number or a lane number ("số nhà 12", "ngõ 5", "ngách 3/14", "hẻm 45",
# "kiệt 7", "K123/73/12"), with the street, residential group or hamlet chained to it ("số 12 ngõ
# 5 phố Hàng Bạc", "số 5 tổ 3 thôn Đông"). A residential group or hamlet alone ("ở xóm 4 có ổ
# nhóm") is where something happens, like a commune, and is kept, unless it says where a person
# lives (see ``_home_context``).
_HOUSE_NO = r"\d+[a-z]?(?:/\d+[a-z]?)*(?: ?- ?\d+[a-z]?(?![\w/]))?"  # "294/42 – 44": a range
_HOME_RE = re.compile(
    rf"(?<![\w])(?:(?:so nha|nha so|ngo|ngach|hem|kiet|hxh)\s*:?\s*{_HOUSE_NO}"
    r"|k\d+(?:/\d+)+)(?![\w])"
)
_NUMBER_ONLY_RE = re.compile(rf"(?<![\w])(?:so|phong)\s*:?\s*{_HOUSE_NO}(?![\w])")
# Units below the commune, as typed with diacritics: the plain "to", "ban", "bon", "doi", "khu"
# of a text typed with diacritics are other words ("to", "bán", "bọn", "đòi").
_UNITS = (
    r"chung cu|cao oc|toa nha|khu do thi|kdt|khu nha tro|khu tro|day tro|to dan pho|khu dan cu|"
    r"khu tap the|tap the|khu pho|khu vuc|kp|kv|kdc|ktt|tdp|to|cum|khom|khoi|khu|xom|thon|ap|ban|"
    r"bon|buon|"
    r"doi"
)
_UNITS_ACCENTED = frozenset(
    {
        "chung cư", "cao ốc", "tòa nhà", "toà nhà", "khu đô thị", "kđt", "khu nhà trọ", "khu trọ",
        "dãy trọ", "tổ dân phố", "khu dân cư", "khu tập thể", "tập thể", "khu phố", "khu vực",
        "kp", "kv", "kdc",
        "ktt", "tdp", "tổ", "cụm", "khóm", "khối", "khu", "xóm", "thôn", "ấp", "bản", "bon",
        "buôn", "đội",
    }
)  # fmt: skip
# "xóm 4", "tổ dân phố số 3", "thôn số 5"
_LOCALITY_NUMBERED_RE = re.compile(rf"(?<![\w])({_UNITS})\.?\s*:?\s*(?:so\s+)?{_HOUSE_NO}(?![\w])")
_LOCALITY_NAMED_RE = re.compile(rf"(?<![\w])({_UNITS})\s+(?=\w)")
_STREET_WORDS = frozenset({"ngõ", "ngách", "hẻm", "kiệt", "đường", "phố"})
_ACRONYM_RE = re.compile(r"[A-ZĐ]{3,}(?![\w])")
_STREET_RE = re.compile(r"(?<![\w])(?:ngo|ngach|hem|kiet|duong|pho)\s+(?=\w)")
# "đường số 8", "đường 154" (a numbered street; as a home only in a chain or a home's context)
_NUMBERED_STREET_RE = re.compile(r"(?<![\w])(?:duong|pho) (?:so )?\d+[a-z]?(?![\w/.,]\d)(?![\w/])")
_ADDRESS_GAP_RE = re.compile(r"[ ,]{0,2}")
_TRAILING_NUMBER_RE = re.compile(r" \d+[a-z]?(?![\w])")  # "thôn Rùa Hạ 2"

# Where a person lives: "trú (tại)", "ngụ", "thường trú", "ĐKTT", "quê", "địa chỉ", "nhà ở" ...
_RESIDENCE_RE = re.compile(
    r"(?<![\w/])(ho khau thuong tru|dang k[yi] thuong tru|thuong tru|tam tru|cu tru|dkhktt|hktt|"
    r"dktt|tru|ngu|que quan|nguyen quan|que|dia chi nha|dia chi|d/c|dc|nha rieng|nha o|noi o|cho o|"
    r"sinh song|song|o tro|nha tro|phong tro)(?![a-z])"
    r"(?:\s*\((?:dktt|hktt)\))?(\s+(?:tai|o|tren))?\s*:?\s*"
)
_RESIDENCE_ACCENTED = frozenset(
    {
        "hộ khẩu thường trú", "đăng ký thường trú", "đăng kí thường trú", "thường trú",
        "tạm trú", "cư trú", "đkhktt", "hktt", "đktt", "trú", "ngụ", "quê quán", "nguyên quán",
        "quê", "địa chỉ nhà", "địa chỉ", "đ/c", "đc", "dc", "nhà riêng", "nhà ở", "nơi ở", "chỗ ở",
        "sinh sống", "sống", "ở trọ", "nhà trọ", "phòng trọ",
    }
)  # fmt: skip
_PROVINCES = frozenset(fold(p) for p in PROVINCES_TYPED)
_LAW_BEFORE_RE = re.compile(r"(?<![a-z])luat\s+$")
# "sống tại ...", not "sống 12 năm"; "nhà trọ ở ...", not "nhà trọ 12 phòng"
_NEEDS_PLACE_WORD = frozenset({"sinh sống", "sống", "nhà trọ", "phòng trọ"})
# A house token right before a hamlet or after a residence word: "163", "22/10", "12 A1".
_HOUSE_TOKEN_RE = re.compile(r"[a-z]?\d+[a-z0-9]*(?:/[a-z0-9]+)*(?: [a-z]\d+)?(?![\w/])")
_LEAD_TOKEN_RE = re.compile(r"[a-z]?\d+[a-z0-9]*(?:/[a-z0-9]+)*(?: [a-z]\d+)?[ ,]{1,2}$")
_ADMIN_AFTER_RE = re.compile(
    r"[ ,(]*(?:xa|phuong|dac khu|thi tran|thi xa|huyen|quan|tp|thanh pho|tinh"
    r"|p\.|x\.|h\.|q\.|tx\.?)"
    r"(?![a-z])"
)
_BIRTH_RE = re.compile(
    r"(?<![a-z])(?:sn|sinh nam|nam sinh)\s*:?\s*\d{4}|sinh ngay\s*:?\s*[\d/.\-]+\d"
    r"|\d{1,3}\s*tuoi(?![a-z])"
)
# a commune-level unit: since July 2025 also a special zone ("đặc khu Phú Quốc", "đặc khu Cô Tô")
_WARD_AFTER_RE = re.compile(r"\s*,\s*(?:phuong|xa|dac khu|p\.|thi tran)(?![a-z])")
_APPOSITION_RE = re.compile(r"[\s,/\-()]*")
# A person, then what says they live there: "anh Tấn - người dân trên đường Hương Lộ 2", "(44
# tuổi, cư dân chung cư CT5-ĐN2 …)", "Bà Nguyễn H. (người dân thôn Đình)" (an initial's stop).
_RESIDENT_RE = re.compile(
    r"(?:\.(?=\s*[(,]))?[\s,\-(]*(?:la )?"
    r"(?:(?:nguoi dan|cu dan|ho dan|nguoi)(?: song)? (?:o|tai|tren)(?: tai)?|cu dan|nguoi dan)\s+"
)
# "Cùng ở ấp 8 xã …, bà Lan …" (she lives there too); "trước nhà (tại ấp Tân Định, xã …)"
_SHARED_HOME_RE = re.compile(
    r"(?<![a-z])(?:cung (?:song |tru )?o|(?:nha|gia dinh(?: (?:ba|ong|anh|chi|em|toi|minh))?)"
    r" \(?(?:tai|o))(?: tai)? $"  # "đất của gia đình bà tại tổ 2, Khu vực 8, phường …"
)
# A ward and its district in shorthand ("P5Q8", "P1Q5"): a place, not a house.
_WARD_CODE_RE = re.compile(r"p\d{1,2}q\d{1,2}")
_AT_HOME_RE = re.compile(r"[\s,.)]*o(?: tai)?\s+")
# "ông H (58 tuổi) trên đường Bình Thành, khu phố 2, phường …": a person's street and quarter
_ON_STREET_RE = re.compile(r"[\s,.)]*tren\s+")
# "nhà trọ của bà Tâm nằm trên đường Huỳnh Tấn Phát (phường …)": a house lies on its street
_LIES_ON_RE = re.compile(r"\s*nam (?:tren|o)\s+")
_CLAUSE_END_RE = re.compile(r"[;!?]|\.\s")
# The writer says where they live: "tôi ở xóm 7", "nhà em ở thôn 3", "gia đình mình ở tổ 12".
_SELF = r"(?<![\w])(?:nha |gia dinh )?(?:toi|em|minh|chau|tui|tao)(?: (?:dang|van|hien|con))? "
_AT = r"(?:o|song o|tru o|o tai)\s+"
_SELF_AT_RE = re.compile(rf"{_SELF}{_AT}$")
# "nhà em ở 45 nguyễn trãi": an "ở" before a number first (cheap), then the writer before it
_AT_NUMBER_RE = re.compile(r"o(?: tai)? (?=[a-z]?\d)")  # a literal first: the scan is fast
_SELF_BEFORE_AT_RE = re.compile(rf"{_SELF}(?:song |tru )?$")
# Someone else lives there, the commune after it: "người thân của cô ở Xóm Cát, thôn Đông 3, xã
# Diên Điền", "cụ bà ở tổ dân phố Gốc Vối 1, phường Linh Sơn" (as typed, so "có ở" is not "cô").
_OTHER_AT_RE = re.compile(
    r"(?<![\w])(người thân|người nhà|gia đình|cụ bà|cụ ông|bà ngoại|ông ngoại|bà nội|ông nội|mẹ|"
    r"bố|cha|vợ|chồng|con|cô|chú|bác|dì|anh|chị|em|ông|bà|cụ|họ|(?<=, )người)"
    r"(?: (?:của )?(?:tôi|em|mình|cô|anh|chị|ấy|nó|bạn|cháu))* (?:ở|sống ở|trú ở|ở tại)\s+$"
)
_OTHER_AT_FOLDED_RE = re.compile(fold(_OTHER_AT_RE.pattern))
# Someone's house, then where it is: "đến nhà người quen ở phố Cửa Bắc", "nhà bà ngoại ở thôn 3".
_HOUSE_OF_RE = re.compile(
    r"(?<![\w])nhà (?:của )?(?:người quen|người thân|người nhà|hàng xóm|bạn bè|bạn gái|bạn trai|"
    r"bạn|bà ngoại|ông ngoại|bà nội|ông nội|mẹ|bố|cha|cô|chú|bác|dì|anh|chị|em|ông|bà|cụ|họ)"
    r"(?: (?:của )?(?:tôi|em|mình|cô|anh|chị|ấy|nó|bạn|cháu))* (?:ở|tại)\s+$"
)
_HOUSE_OF_FOLDED_RE = re.compile(fold(_HOUSE_OF_RE.pattern))
_NAMED_STREET_RE = re.compile(r"(?:pho|duong) (?=[a-z])")
# A house number right before a lane ("12/3 hẻm 45", "sn 12 ngõ 5", "nhà 25 ngõ 8"), unless a
# word before it makes it a date, a time or a count ("tháng 12 ngõ 5 bị ngập").
_LEAD_HOUSE_RE = re.compile(
    rf"(?:(?<![\w/])(so nha|nha so|sn|so|nha)\s+)?(?<![\w/.,:-])({_HOUSE_NO})\s+$"
)
_LANE_START_RE = re.compile(r"(?:ngo|ngach|hem|kiet|hxh)(?![a-z])")
_WORD_BEFORE_RE = re.compile(r"([a-z]+)\s*$")
_NOT_HOUSE_BEFORE = word_set(
    "thang ngay nam luc gio tuan quy lop phong tang khoang gan hon tren duoi qua sau truoc"
)
_LADDER_SEP_RE = re.compile(r", ?")
_UPPER = "".join(chr(c) for c in range(0x41, 0x1EFA) if chr(c).isupper())
_COMMA_CAPITAL_RE = re.compile(rf",\s*[{_UPPER}]")


def _lead_house(canon: Canonical, start: int) -> int:
    """Start of the house number before the lane at ``start`` ("12/3 hẻm 45"), else ``start``."""
    folded = canon.text
    if _LANE_START_RE.match(folded, start) is None:
        return start
    m = _LEAD_HOUSE_RE.search(folded, max(0, start - 24), start)
    if m is None:
        return start
    if m.group(1) is None:
        before = _WORD_BEFORE_RE.search(folded, max(0, m.start() - 12), m.start())
        if before is not None and before.group(1) in _NOT_HOUSE_BEFORE:
            return start  # "tháng 12 ngõ 5", "ngày 12/3 hẻm 45"
    elif m.group(1) == "sn" and re.fullmatch(r"(?:19|20)\d\d", m.group(2)):
        return start  # "SN 1990 ngõ 5": a birth year
    return m.start()


def _address_parts(canon: Canonical) -> list[tuple[int, int, str]]:
    """(start, end, role) of address components; role: home, number, street or locality."""
    folded = canon.text
    parts = []
    for m in _HOME_RE.finditer(folded):
        parts.append((_lead_house(canon, m.start()), any_street_end(canon, m.end()), "home"))
    for m in _NUMBER_ONLY_RE.finditer(folded):
        if folded.endswith(("duong ", "pho "), 0, m.start()):
            continue  # "đường số 8": a street's name, not a house (below)
        parts.append((m.start(), m.end(), "number"))
        end = street_name_end(canon, m.end())
        if canon.text.count(" ", m.end() + 1, end) >= 1:  # "số 47 Phạm Văn Đồng"
            parts.append((m.end() + 1, end, "street"))
    for m in _LOCALITY_NUMBERED_RE.finditer(folded):
        if m.group(1) == "khu vuc" and not canon.is_capitalised(m.start()):
            continue  # "Khu vực 8" of a ward, not an office's "… quốc tế khu vực 1"
        if typed_as(canon, *m.span(1), _UNITS_ACCENTED):
            parts.append((m.start(), m.end(), "locality"))
    for m in _LOCALITY_NAMED_RE.finditer(folded):
        end = code_tail(canon, capital_words_end(canon, m.end(), 3))
        if _ACRONYM_RE.match(canon.original, canon.starts[m.end()]):
            continue  # "Đội PCTP phường Phú Hòa", "Tổ PCTT": a team's acronym, not a hamlet
        if m.group(1) == "khu vuc" and not canon.is_capitalised(m.start()):
            continue
        if end > m.end() and typed_as(canon, *m.span(1), _UNITS_ACCENTED):
            number = _TRAILING_NUMBER_RE.match(folded, end)
            parts.append((m.start(), number.end() if number else end, "locality"))
    for m in _NUMBERED_STREET_RE.finditer(folded):
        parts.append((m.start(), m.end(), "street"))
    for m in _STREET_RE.finditer(folded):
        end = capital_words_end(canon, m.end(), 4)
        word_end = m.start() + len(m.group().rstrip())
        if not typed_as(canon, m.start(), word_end, _STREET_WORDS):
            continue  # "…, Phó Chủ tịch UBND xã": a deputy, not "phố Chủ"
        if end > m.end():
            number = _TRAILING_NUMBER_RE.match(folded, end)  # "đường Tân Thới Nhất 12"
            parts.append((m.start(), number.end() if number else end, "street"))
    return sorted(parts)


def _chains(canon: Canonical) -> Iterator[tuple[int, int, set[str]]]:
    """Address components chained by at most a comma and a space, with their roles."""
    parts = _address_parts(canon)
    i = 0
    while i < len(parts):
        start, end, role = parts[i]
        roles = {role}
        j = i + 1
        while j < len(parts) and parts[j][0] <= end + 2:
            gap = canon.text[end : parts[j][0]] if parts[j][0] > end else ""
            if not _ADDRESS_GAP_RE.fullmatch(gap):
                break
            end = max(end, parts[j][1])
            roles.add(parts[j][2])
            j += 1
        yield start, end, roles
        i = j


def _home_context(canon: Canonical, start: int, end: int, people: Sequence[int]) -> bool:
    """A hamlet or group at ``[start, end)`` says where a person lives.

    Right after a name or a birth year ("chị Lan, xóm 14", "(SN 1990, ở tổ 12)"); after "ở"
    following a name when the commune follows ("bà Mai ở xóm 3, xã ..."); or, with the
    commune after it, in an aside of a sentence that names someone ("ông Tám - ông ngoại của
    cháu, xóm 9, xã ...").
    """
    folded = canon.text
    admin_after = _ADMIN_AFTER_RE.match(folded, end) is not None
    births = {m.end() for m in _BIRTH_RE.finditer(folded, max(0, start - 40), start)}
    if admin_after and _SHARED_HOME_RE.search(folded, max(0, start - 24), start):
        return True
    for anchor in [*people, *births]:
        if anchor > start or start - anchor > 150:
            continue
        between = folded[anchor:start]
        if _APPOSITION_RE.fullmatch(between):
            return True
        if _RESIDENT_RE.fullmatch(between):
            return True
        if _AT_HOME_RE.fullmatch(between) and (
            anchor in births or admin_after or (anchor in people and _named_hamlet(canon, start))
        ):
            return True
        if _ON_STREET_RE.fullmatch(between) and anchor in births and admin_after:
            return True
        if _LIES_ON_RE.fullmatch(between) and anchor in people and admin_after:
            return True  # "nhà trọ của bà Tâm nằm trên đường Huỳnh Tấn Phát (phường …)"
        if (
            admin_after
            and anchor in people
            and between.rstrip().endswith(",")
            and not _CLAUSE_END_RE.search(between)
        ):
            return True
    return False


_NAMED_HAMLET_RE = re.compile(r"(?:thon|ap|xom|ban|buon|khom|to dan pho) (?=[a-z])")


def _named_hamlet(canon: Canonical, start: int) -> bool:
    """A hamlet called by its name, as typed ("thôn Linh Hưng", "ấp An Hòa"): after a person's
    "ở" it is their home even with no commune after it ("ông Thành ở thôn Linh Hưng cũng …")."""
    m = _NAMED_HAMLET_RE.match(canon.text, start)
    return (
        m is not None
        and canon.is_capitalised(m.end())
        and typed_as(canon, start, m.end() - 1, _UNITS_ACCENTED)
    )


def _residence_words(canon: Canonical) -> Iterator[re.Match[str]]:
    """The residence words of the text that say where someone lives."""
    folded = canon.text
    for m in _RESIDENCE_RE.finditer(folded):
        if not typed_as(canon, *m.span(1), _RESIDENCE_ACCENTED):
            continue
        if _LAW_BEFORE_RE.search(folded, max(0, m.start() - 8), m.start()):
            continue  # "Luật Cư trú 2006", "luật cư trú năm 2020": a law, not a home
        if lower_accented(canon, *m.span(1)) in _NEEDS_PLACE_WORD and not m.group(2):
            continue
        if m.group(1) == "dc" and ":" not in m.group():
            continue  # "dc" is "được" in chat; "dc: 45/12 …" is an address
        yield m


def _ladder(canon: Canonical, pos: int) -> list[tuple[int, int]]:
    """Runs of capitalised words parted by commas from ``pos``: "Cẩm Đội, Thụy Vân, Việt Trì"."""
    runs: list[tuple[int, int]] = []
    while len(runs) < 6:
        end = capital_words_end(canon, pos, 4)
        if end == pos:
            break
        runs.append((pos, end))
        sep = _LADDER_SEP_RE.match(canon.text, end)
        if sep is None:
            break
        pos = sep.end()
    return runs


def residence_places(canon: Canonical) -> list[tuple[int, int]]:
    """Capitalised names after a residence word, parted by commas ("Quê quán: Thụy Vân, Việt
    Trì, Phú Thọ"): places, never people (their first rung may be a home, see `_residence`)."""
    if _COMMA_CAPITAL_RE.search(canon.original) is None:
        return []  # no capitalised name after a comma: no ladder
    ladders = (_ladder(canon, m.end()) for m in _residence_words(canon))
    places: list[tuple[int, int]] = []
    for ladder in ladders:
        for run in ladder if len(ladder) >= 2 else ():
            places.append(run)
            if canon.text[slice(*run)] in _PROVINCES:
                break  # the ladder ends at its province: "ở Hà Nội, Sùng Thị Sơ" names a person
    return places


def _residence(
    canon: Canonical, chains: list[tuple[int, int, set[str]]]
) -> Iterator[tuple[int, int]]:
    """What follows a residence word: a house number, a hamlet chain, or a street before a ward."""
    folded = canon.text
    starts = {start: end for start, end, _roles in chains}
    for m in _residence_words(canon):
        pos = m.end()
        if pos in starts:
            yield pos, starts[pos]
            continue
        token = _HOUSE_TOKEN_RE.match(folded, pos)
        if token and _WARD_CODE_RE.fullmatch(token.group()):
            continue  # "ngụ P5Q8": ward 5, district 8
        if token and any(ch.isdigit() for ch in token.group()):
            end = token.end()
            gap = _ADDRESS_GAP_RE.match(folded, end)
            following = gap.end() if gap else end
            street_end = starts.get(following, any_street_end(canon, end))
            if m.group(1) == "dc" and street_end == end and "/" not in token.group():
                continue  # "thì đc:3": a score, not a house
            yield pos, street_end
            continue
        ladder = _ladder(canon, pos)
        if len(ladder) >= 4 and not starts_with_place(folded[pos:]):
            yield ladder[0]  # "Quê quán: Cẩm Đội, Thụy Vân, Việt Trì, Phú Thọ": a village
            continue
        if len(ladder) >= 2 and _below_a_unit(folded, ladder):
            yield ladder[0]  # "trú tại Trịnh Đình Cửu, Hoàng Mai": a street
            continue
        street = capital_words_end(canon, pos, 3)
        ward_after = _WARD_AFTER_RE.match(folded, street)
        if street > pos and ward_after and not starts_with_place(folded[pos:street]):
            yield pos, street


def _village_after(canon: Canonical, end: int) -> int:
    """End of the home at ``end`` with the village named bare after it, before the commune:
    one or two capitalised rungs after a comma that are no unit of the official list, followed
    by one that is ("Em ở xóm Bầu Trạnh, Bạn Lộc, Hòa Mỹ Đông, Đắk Lắk"); ``end`` if none
    ("thôn 3, Tân Lập, Đức Phổ": Tân Lập is the commune)."""
    sep = _LADDER_SEP_RE.match(canon.text, end)
    if sep is None:
        return end
    village = end
    for k, rung in enumerate(_ladder(canon, sep.end())[:3]):
        name = canon.text[slice(*rung)]
        if name in unit_names() or name in _PROVINCES or starts_with_place(name):
            return village if k else end
        village = rung[1]
    return end


def _below_a_unit(folded: str, ladder: list[tuple[int, int]]) -> bool:
    """The ladder's first rung is no administrative unit but a later one is: the first is a
    street or a village of that unit ("Trịnh Đình Cửu, Hoàng Mai"; "Hoàng Mai, Hà Nội" is not)."""
    first = folded[slice(*ladder[0])]
    if starts_with_place(first) or first in unit_names():
        return False
    return any(folded[slice(*rung)] in unit_names() for rung in ladder[1:])


def _self_homes(canon: Canonical) -> Iterator[tuple[int, int]]:
    """A house number and its street after the writer's "tôi ở" ("nhà em ở 45 nguyễn trãi")."""
    for m in _AT_NUMBER_RE.finditer(canon.text):
        if m.start() and canon.text[m.start() - 1].isalnum():
            continue  # "cho 2", "do 3": not "ở"
        if _SELF_BEFORE_AT_RE.search(canon.text, max(0, m.start() - 30), m.start()) is None:
            continue
        token = _HOUSE_TOKEN_RE.match(canon.text, m.end())
        if token is None:
            continue
        end = any_street_end(canon, token.end())
        if end > token.end() or "/" in token.group():
            yield m.end(), end


def _someone_else_lives(canon: Canonical, begin: int, end: int) -> bool:
    """``[begin, end)`` follows a person's "ở" and comes before the commune ("cụ bà ở tổ dân
    phố Gốc Vối 1, phường Linh Sơn"); a hamlet called by its name needs no commune after it
    ("chị họ tôi, người ở thôn Long Phượng, …"), nor a street or a hamlet after someone's house
    ("đến nhà người quen ở phố Cửa Bắc và …")."""
    admin_after = _ADMIN_AFTER_RE.match(canon.text, end) is not None
    named = _named_hamlet(canon, begin)
    if not (admin_after or named or _named_street(canon, begin)):
        return False
    o_start, o_end = canon.span(max(0, begin - 40), begin)
    before = unicodedata.normalize("NFC", canon.original[o_start:o_end]).lower()
    if typed_with_marks(canon.original):
        before = " ".join(before.split()) + " "
        other, house = _OTHER_AT_RE, _HOUSE_OF_RE
    else:
        before = canon.text[max(0, begin - 40) : begin]
        other, house = _OTHER_AT_FOLDED_RE, _HOUSE_OF_FOLDED_RE
    if house.search(before) is not None:
        return True
    return (admin_after or named) and other.search(before) is not None


def _named_street(canon: Canonical, start: int) -> bool:
    """A street called by its name, as typed ("phố Cửa Bắc", "đường Lê Quang Đạo")."""
    m = _NAMED_STREET_RE.match(canon.text, start)
    return (
        m is not None
        and canon.is_capitalised(m.end())
        and typed_as(canon, start, m.end() - 1, frozenset({"phố", "đường"}))
    )


def _house_after_name(canon: Canonical, people: Sequence[int]) -> Iterator[tuple[int, int]]:
    """A house number and its street right after a person and "ở" ("anh Hùng ở 12 Trần Phú")."""
    folded = canon.text
    for anchor in people:
        at = _AT_HOME_RE.match(folded, anchor)
        if at is None:
            continue
        token = _HOUSE_TOKEN_RE.match(folded, at.end())
        if token is None or not any(ch.isdigit() for ch in token.group()):
            continue
        end = street_name_end(canon, token.end())
        if end > token.end():
            yield at.end(), end


def addresses(canon: Canonical, people: Sequence[int]) -> Iterator[tuple[str, int, int]]:
    chains = list(_chains(canon))
    for start, end in dwellings(canon):
        yield "address", start, end
    for start, end in _residence(canon, chains):
        yield "address", start, end
    for start, end in _house_after_name(canon, people):
        yield "address", start, end
    for start, end in _self_homes(canon):
        yield "address", start, end
    for start, end, roles in chains:
        if "home" in roles or ("number" in roles and roles & {"street", "locality"}):
            yield "address", start, end
        elif "locality" in roles or "street" in roles:
            lead = _LEAD_TOKEN_RE.search(canon.text, max(0, start - 16), start)
            begin = lead.start() if lead and lead.end() == start else start
            writer_lives_there = _SELF_AT_RE.search(canon.text, max(0, begin - 30), begin)
            if (
                writer_lives_there
                or _home_context(canon, begin, end, people)
                or _someone_else_lives(canon, begin, end)
            ):
                yield "address", begin, _village_after(canon, end)
