"""Find and mask personal data in Vietnamese free text (informant-safe redaction).

Detected kinds and their placeholders:

=============  ===============  ====================================================
kind           placeholder      what
=============  ===============  ====================================================
email          ``[EMAIL]``      e-mail addresses, also "ten (at) gmail chấm com"
url            ``[LIÊN KẾT]``   links, bare domains, Facebook/Zalo profiles, @handles
bank_account   ``[STK]``        8-16 digits next to stk / tài khoản / ngân hàng words
phone          ``[SĐT]``        VN mobiles and landlines in every common spelling
plate          ``[BIỂN SỐ]``    licence plates (36A-123.45, 29LD-123.45, ...)
cccd           ``[CCCD]``       12-digit citizen id numbers
cmnd           ``[CMND]``       9-digit old identity card numbers
address        ``[ĐỊA CHỈ]``    a home: số nhà 12, ngõ/ngách/hẻm/kiệt 5, tổ 3, thôn/xóm/ấp X
name           ``[TÊN]``        the case's own names (``names``) and names in free text
=============  ===============  ====================================================

The engine normalises before it detects: every detector runs on the canonical text of
:mod:`citizen_desk.privacy.canonical` (folded; odd spaces, dashes, full-width and spelled-out
digits, teencode and obfuscated e-mails undone) and its spans are mapped back to the original.
Ordinary numbers (money, dates, times, ages, law articles) and commune/district/province and
agency names are left alone. Findings carry the kind and the span only, never the matched text.

Plates policy: a licence plate identifies a vehicle, and through it often the informant (their
own vehicle, a neighbour's), so plates are masked by default everywhere. ``keep_plates=True``
leaves them for officer-facing views of a suspect's vehicle; it is never the default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy.canonical import Canonical, canonicalise
from citizen_desk.privacy.names import PLACES, find_names, typed_with_marks
from citizen_desk.text.normalize import FOLD_TABLE, fold

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "url": "[LIÊN KẾT]",
    "bank_account": "[STK]",
    "phone": "[SĐT]",
    "plate": "[BIỂN SỐ]",
    "cccd": "[CCCD]",
    "cmnd": "[CMND]",
    "address": "[ĐỊA CHỈ]",
    "name": "[TÊN]",
}
KINDS = tuple(PLACEHOLDERS)  # also the priority order when two findings overlap

_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
_UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")

_EMAIL_RE = re.compile(r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_KNOWN_HOSTS = (
    r"facebook\.com|fb\.com|fb\.me|fb\.watch|m\.me|messenger\.com|zalo\.me|chat\.zalo\.me|"
    r"t\.me|bit\.ly|tinyurl\.com|tiktok\.com|youtu\.be|youtube\.com|instagram\.com|"
    r"shope\.ee|forms\.gle|goo\.gl"
)
# Short TLDs that are also Vietnamese words once folded ("co", "me", "to", "ai") are left out of
# the generic rule so that "đi.có" typed without a space is not taken for a link.
_GENERIC_TLDS = (
    r"com|net|org|vn|edu|gov|info|xyz|top|biz|site|online|shop|store|club|link|app|asia|dev|io|"
    r"live|pro|win|vip|bet|fun|icu|cc"
)
_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'\[\]]+"
    rf"|(?<![\w@.-])(?:[a-z0-9-]+\.)*(?:{_KNOWN_HOSTS})(?:/[^\s<>\"'\[\]]*)?"
    rf"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_GENERIC_TLDS})\b(?:/[^\s<>\"'\[\]]*)?"
)
_URL_TRAILING = ".,;:!?)\"'"
# "@nguyen.van.an" (TikTok, Telegram, Instagram); not Slack's "<@U0123>" nor an e-mail.
_HANDLE_RE = re.compile(r"(?<![\w.<!@/])@[a-z0-9_](?:[a-z0-9_.]{2,29})(?<!\.)")

# "tele: abc", "t3le: abc" (spam spells the platform in digits), "zalo: abc", "nick: abc".
_PLATFORM_HANDLE_RE = re.compile(
    r"(?<![a-z0-9])(?:t[e3]l[e3](?:gr[a4]m)?|zalo|fb|facebook|ig|insta(?:gram)?|tiktok|"
    r"nick(?:name)?|skype|wechat|viber|kakao)\s*:\s*"
    r"(?=[a-z0-9_.]*[a-z])([a-z0-9_][a-z0-9_.]{2,31})(?<!\.)(?![\w])"
)

# "0912...", "(091) 234-5678", "+84 912...", "0084 912...", "+84 (0)912...", "(+84) 912..."
_PREFIX = r"(?:\(?(?:\+|00)?84\)?[ .\-]{0,2}(?:\(0\)[ .\-]{0,2})?|\(?0)"
_MOBILE_RE = re.compile(rf"(?<![\d+]){_PREFIX}[35789](?:\)?[ .\-]{{0,3}}\d){{8}}(?!\d)")
_OLD_MOBILE_RE = re.compile(r"(?<![\d+])\(?01[2689](?:\)?[ .\-]{0,3}\d){8}(?!\d)")
_LANDLINE_RE = re.compile(
    r"(?<![\d+])\(?(?:\+84|0084|84|0)[ .\-]?2\d{1,2}\)?[ .\-]{0,3}\d(?:[ .\-]{0,3}\d){6,7}(?!\d)"
)

# Spellings of real print: any 10-11 digit national number ("043 5551368", "069.23.21667",
# "(08) 3821.7080"), foreign "+" numbers, numbers partly masked by the writer ("0916863xxx"),
# and 7-12 digits right after a phone word ("ĐT: 3821 7080"). Toll-free and hotline numbers
# (1800/1900 ...) are public services, not a person, and stay.
_NATIONAL_RE = re.compile(r"(?<![\d+.,])\(?0\d{1,3}\)?(?:[ .\-]{0,3}\d){6,10}(?!\d|[.,]\d)")
_DATE_INSIDE_RE = re.compile(r"(?<!\d)\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d{2}(?!\d)")
_FOREIGN_RE = re.compile(r"(?<![\w+])\+(?!84)\d{1,3}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d){5,11}(?!\d)")
_MASKED_NUMBER_RE = re.compile(r"(?<![\w.,])\d(?:[ .\-]?\d){3,15}[x*]{2,8}(?![\w*])")
_PHONE_WORDS_RE = re.compile(
    r"\b(?:sdt|so dt|dt|dtdd|dd|dien thoai|di dong|hotline|tel|phone|lien he|goi|zalo|"
    r"so may)\b"
)
_SHORT_NUMBER_RE = re.compile(r"(?<![\d.,])\d(?:[ .\-]{0,2}\d){6,11}(?!\d|[.,]\d)")
_NUMBER_RE = re.compile(r"(?<![\d.,])\d(?:[ .\-]?\d){7,15}(?!\d|[.,]\d)")
_MONEY_GROUPS_RE = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
_CURRENCY_AFTER_RE = re.compile(
    r"\s*(?:d|vnd|dong|k|tr|trieu|ty|nghin|ngan(?!\s*hang)|usd|\$|%)(?!\w)"
)
_BANK_WORDS = (
    r"vietcombank|vcb|techcombank|tcb|bidv|agribank|vietinbank|mbbank|mb bank|mb|acb|tpbank|"
    r"vpbank|sacombank|shb|hdbank|ocb|vib|seabank|lpbank|msb|eximbank|momo|zalopay|viettelpay"
)
_BANK_BEFORE_RE = re.compile(
    rf"\b(?:stk|so tk|tk|tai khoan|ngan hang|nh|bank|banking|chuyen khoan|ck|so the|the atm|"
    rf"{_BANK_WORDS})\b"
)
_BANK_AFTER_RE = re.compile(rf"\W{{0,3}}(?:ngan hang|nh|bank|{_BANK_WORDS})\b")

# "_" before or after digits makes them part of an identifier ("tip_123456789"), not an id card.
_CCCD_RE = re.compile(r"(?<![\d.,_])\d{12}(?![\d_]|[.,]\d)")
_CCCD_GROUPED_RE = re.compile(r"(?<![\d.,_])0\d(?:[ .\-]{0,2}\d){10}(?![\d_]|[.,]\d)")
_CMND_RE = re.compile(r"(?<![\d.,_])\d{9}(?![\d_]|[.,]\d)")
_ID_NUMBER_RE = re.compile(r"(?<![\d.,_])\d(?:[ .\-]?\d){8,11}(?![\d_]|[.,]\d)")
_ID_WORDS_RE = re.compile(
    r"\b(?:cccd|cmnd|cmt|can cuoc|chung minh(?: nhan dan| thu)?|dinh danh|so ca nhan)\b"
)

_PLATE_RE = re.compile(
    r"(?<![\w.])(\d{2})\s?[.\-]?\s?([a-z]{1,2}\d?)(\s?[.\-]?\s?)(\d{3}[. ]?\d{2}|\d{4,5})"
    r"(?![\w]|[.,]\d)"
)
_BOAT_RE = re.compile(r"(?<![\w])[a-z]{2,3}[ .\-]?\d{4,5}[ .\-]?ts(?![\w])")
# A lowercase "series" that is really a unit: "20h 1234", "10tr 12345" are not plates.
_UNIT_SERIES = frozenset(
    {"h", "k", "tr", "kg", "km", "m", "g", "l", "p", "t", "ty", "d", "cm", "mm", "ml", "x", "s"}
)


# A home: a house number or a lane number ("số nhà 12", "ngõ 5", "ngách 3/14", "hẻm 45",
# "kiệt 7", "K123/73/12"), with the street, residential group or hamlet chained to it ("số 12 ngõ
# 5 phố Hàng Bạc", "số 5 tổ 3 thôn Đông"). A residential group or hamlet alone ("ở xóm 4 có ổ
# nhóm") is where something happens, like a commune, and is kept, unless it says where a person
# lives (see ``_home_context``).
_HOUSE_NO = r"\d+[a-z]?(?:/\d+[a-z]?)*"
_HOME_RE = re.compile(
    rf"(?<![\w])(?:(?:so nha|nha so|can ho|ngo|ngach|hem|kiet|hxh)\s*:?\s*{_HOUSE_NO}"
    r"|k\d+(?:/\d+)+)(?![\w])"
)
_NUMBER_ONLY_RE = re.compile(rf"(?<![\w])(?:so|phong)\s*:?\s*{_HOUSE_NO}(?![\w])")
# Units below the commune, as typed with diacritics: the plain "to", "ban", "bon", "doi", "khu"
# of a text typed with diacritics are other words ("to", "bán", "bọn", "đòi").
_UNITS = (
    r"to dan pho|khu dan cu|khu tap the|tap the|khu pho|kp|kdc|ktt|to|khom|khoi|khu|xom|thon|ap|"
    r"ban|bon|buon|doi"
)
_UNITS_ACCENTED = frozenset(
    {
        "tổ dân phố", "khu dân cư", "khu tập thể", "tập thể", "khu phố", "kp", "kdc", "ktt", "tổ",
        "khóm", "khối", "khu", "xóm", "thôn", "ấp", "bản", "bon", "buôn", "đội",
    }
)  # fmt: skip
_LOCALITY_NUMBERED_RE = re.compile(rf"(?<![\w])({_UNITS})\s*:?\s*{_HOUSE_NO}(?![\w])")
_LOCALITY_NAMED_RE = re.compile(rf"(?<![\w])({_UNITS})\s+(?=\w)")
_STREET_RE = re.compile(r"(?<![\w])(?:ngo|ngach|hem|kiet|duong|pho)\s+(?=\w)")
_ADDRESS_GAP_RE = re.compile(r"[ ,]{0,2}")
_TRAILING_NUMBER_RE = re.compile(r" \d+[a-z]?(?![\w])")  # "thôn Rùa Hạ 2"

# Where a person lives: "trú (tại)", "ngụ", "thường trú", "ĐKTT", "quê", "địa chỉ", "nhà ở" ...
_RESIDENCE_RE = re.compile(
    r"(?<![\w/])(ho khau thuong tru|dang k[yi] thuong tru|thuong tru|tam tru|cu tru|dkhktt|hktt|"
    r"dktt|tru|ngu|que quan|nguyen quan|que|dia chi nha|dia chi|d/c|nha rieng|nha o|noi o|cho o|"
    r"sinh song|song|o tro)(?![a-z])(?:\s*\((?:dktt|hktt)\))?(\s+(?:tai|o))?\s*:?\s*"
)
_RESIDENCE_ACCENTED = frozenset(
    {
        "hộ khẩu thường trú", "đăng ký thường trú", "đăng kí thường trú", "thường trú",
        "tạm trú", "cư trú", "đkhktt", "hktt", "đktt", "trú", "ngụ", "quê quán", "nguyên quán",
        "quê", "địa chỉ nhà", "địa chỉ", "đ/c", "nhà riêng", "nhà ở", "nơi ở", "chỗ ở",
        "sinh sống", "sống", "ở trọ",
    }
)  # fmt: skip
_NEEDS_PLACE_WORD = frozenset({"sinh sống", "sống"})  # "sống tại ...", not "sống 12 năm"
# A house token right before a hamlet or after a residence word: "163", "22/10", "12 A1".
_HOUSE_TOKEN_RE = re.compile(r"[a-z]?\d+[a-z0-9]*(?:/[a-z0-9]+)*(?: [a-z]\d+)?(?![\w/])")
_LEAD_TOKEN_RE = re.compile(r"[a-z]?\d+[a-z0-9]*(?:/[a-z0-9]+)*(?: [a-z]\d+)?[ ,]{1,2}$")
_ADMIN_AFTER_RE = re.compile(
    r"[ ,]*(?:xa|phuong|thi tran|thi xa|huyen|quan|tp|thanh pho|tinh|p\.|x\.|h\.|q\.|tx\.?)"
    r"(?![a-z])"
)
_BIRTH_RE = re.compile(
    r"(?<![a-z])(?:sn|sinh nam|nam sinh)\s*:?\s*\d{4}|sinh ngay\s*:?\s*[\d/.\-]+\d"
    r"|\d{1,3}\s*tuoi(?![a-z])"
)
_WARD_AFTER_RE = re.compile(r"\s*,\s*(?:phuong|xa|p\.|thi tran)(?![a-z])")
_APPOSITION_RE = re.compile(r"[\s,/\-)]*")
_AT_HOME_RE = re.compile(r"[\s,)]*o(?: tai)?\s+")
_CLAUSE_END_RE = re.compile(r"[;!?]|\.\s")
# The writer says where they live: "tôi ở xóm 7", "nhà em ở thôn 3", "gia đình mình ở tổ 12".
_SELF_AT_RE = re.compile(
    r"(?<![\w])(?:nha |gia dinh )?(?:toi|em|minh|chau|tui|tao)(?: (?:dang|van|hien|con))? "
    r"(?:o|song o|tru o|o tai)\s+$"
)


@dataclass(frozen=True)
class PiiFinding:
    """One piece of personal data: its kind and span in the checked text (never the text)."""

    kind: str
    start: int
    end: int


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _no_digits_between(window: str, match_end: int) -> bool:
    return not any(ch.isdigit() for ch in window[match_end:])


def _keyword_before(pattern: re.Pattern[str], folded: str, start: int, width: int) -> bool:
    window = folded[max(0, start - width) : start]
    matches = list(pattern.finditer(window))
    return bool(matches) and _no_digits_between(window, matches[-1].end())


def _money_like(folded: str, start: int, end: int) -> bool:
    return bool(
        _MONEY_GROUPS_RE.fullmatch(folded[start:end]) or _CURRENCY_AFTER_RE.match(folded, end)
    )


def _phones(folded: str) -> Iterator[tuple[str, int, int]]:
    for regex in (_MOBILE_RE, _OLD_MOBILE_RE):
        for m in regex.finditer(folded):
            yield "phone", m.start(), m.end()
    for m in _LANDLINE_RE.finditer(folded):
        digits = _digits(m.group())
        national = "0" + digits[2:] if digits.startswith("84") else digits
        if len(national) == 11 and national.startswith("02"):
            yield "phone", m.start(), m.end()


def _more_phones(folded: str) -> Iterator[tuple[str, int, int]]:
    """Phone spellings of printed text, beyond the chat-style ones of :func:`_phones`."""
    for m in _NATIONAL_RE.finditer(folded):
        if len(_digits(m.group())) in (10, 11) and not _DATE_INSIDE_RE.search(m.group()):
            yield "phone", m.start(), m.end()
    for m in _FOREIGN_RE.finditer(folded):
        if not _money_like(folded, m.start(), m.end()):
            yield "phone", m.start(), m.end()
    for m in _MASKED_NUMBER_RE.finditer(folded):
        if m.group().startswith("0") and len(re.sub(r"[^\dx*]", "", m.group())) in (10, 11):
            yield "phone", m.start(), m.end()
    for m in _SHORT_NUMBER_RE.finditer(folded):
        if m.group().startswith(("1800", "1900")) or _money_like(folded, m.start(), m.end()):
            continue
        if _keyword_before(_PHONE_WORDS_RE, folded, m.start(), 30):
            yield "phone", m.start(), m.end()


def _bank_accounts(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _NUMBER_RE.finditer(folded):
        start, end = m.span()
        if _MONEY_GROUPS_RE.fullmatch(m.group()):
            continue
        if _keyword_before(_BANK_BEFORE_RE, folded, start, 40) or _BANK_AFTER_RE.match(folded, end):
            yield "bank_account", start, end
    for m in _MASKED_NUMBER_RE.finditer(folded):  # "stk 7102205025xxx"
        if _keyword_before(_BANK_BEFORE_RE, folded, m.start(), 40):
            yield "bank_account", m.start(), m.end()


def _id_numbers(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _CCCD_RE.finditer(folded):
        yield "cccd", m.start(), m.end()
    for m in _CCCD_GROUPED_RE.finditer(folded):
        if len(_digits(m.group())) == 12:
            yield "cccd", m.start(), m.end()
    for m in _CMND_RE.finditer(folded):
        if not _CURRENCY_AFTER_RE.match(folded, m.end()):
            yield "cmnd", m.start(), m.end()
    for m in _ID_NUMBER_RE.finditer(folded):
        count = len(_digits(m.group()))
        if _CURRENCY_AFTER_RE.match(folded, m.end()):  # "cccd ..., 100.000.000 đồng"
            continue
        if count in (9, 12) and _keyword_before(_ID_WORDS_RE, folded, m.start(), 30):
            yield ("cccd" if count == 12 else "cmnd"), m.start(), m.end()


def _plates(folded: str, canon: Canonical | None) -> Iterator[tuple[str, int, int]]:
    for m in _PLATE_RE.finditer(folded):
        series = m.group(2)
        if series in _UNIT_SERIES:
            if canon is None:
                original_series = series
            else:
                start = canon.starts[m.start(2)]
                original_series = canon.original[start : start + len(series)]
            separator = m.group(3)
            if original_series.islower() and "-" not in separator and "." not in m.group(4):
                continue
        yield "plate", m.start(), m.end()
    for m in _BOAT_RE.finditer(folded):
        yield "plate", m.start(), m.end()


def _urls(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _URL_RE.finditer(folded):
        end = m.end()
        while end > m.start() and folded[end - 1] in _URL_TRAILING:
            end -= 1
        if end > m.start():
            yield "url", m.start(), end
    if "@" in folded:
        for m in _HANDLE_RE.finditer(folded):
            yield "url", m.start(), m.end()
    if ":" in folded:
        for m in _PLATFORM_HANDLE_RE.finditer(folded):
            yield "url", m.start(1), m.end(1)


def _capital_words_end(canon: Canonical, pos: int, limit: int = 3) -> int:
    """End of the run of up to ``limit`` capitalised words starting at ``pos`` (``pos`` if none)."""
    end = pos
    for count, m in enumerate(re.finditer(r"[a-z0-9]+", canon.text[pos:])):
        start = pos + m.start()
        gap = canon.text[end:start]
        if count >= limit or (count and gap.strip()) or not canon.is_capitalised(start):
            break
        end = pos + m.end()
    return end


def _lower_accented(canon: Canonical, start: int, end: int) -> str:
    o_start, o_end = canon.span(start, end)
    return unicodedata.normalize("NFC", canon.original[o_start:o_end]).lower()


def _typed_as(canon: Canonical, start: int, end: int, accented: frozenset[str]) -> bool:
    """The words at ``[start, end)`` are one of ``accented``, or typed without diacritics."""
    typed = " ".join(_lower_accented(canon, start, end).split())
    return typed in accented or (
        typed == " ".join(canon.text[start:end].split()) and not (typed_with_marks(canon.original))
    )


def _street_name_end(canon: Canonical, pos: int) -> int:
    """End of a capitalised street name right after ``pos`` ("ngõ 34 Phương Mai"), else ``pos``."""
    if not canon.text.startswith(" ", pos):
        return pos
    end = _capital_words_end(canon, pos + 1, 4)
    name = canon.text[pos + 1 : end]
    if end == pos + 1 or any(name.startswith(p) for p in PLACES):
        return pos
    return end


def _address_parts(canon: Canonical) -> list[tuple[int, int, str]]:
    """(start, end, role) of address components; role: home, number, street or locality."""
    folded = canon.text
    parts = []
    for m in _HOME_RE.finditer(folded):
        parts.append((m.start(), _street_name_end(canon, m.end()), "home"))
    for m in _NUMBER_ONLY_RE.finditer(folded):
        parts.append((m.start(), m.end(), "number"))
        end = _street_name_end(canon, m.end())
        if canon.text.count(" ", m.end() + 1, end) >= 1:  # "số 47 Phạm Văn Đồng"
            parts.append((m.end() + 1, end, "street"))
    for m in _LOCALITY_NUMBERED_RE.finditer(folded):
        if _typed_as(canon, *m.span(1), _UNITS_ACCENTED):
            parts.append((m.start(), m.end(), "locality"))
    for m in _LOCALITY_NAMED_RE.finditer(folded):
        end = _capital_words_end(canon, m.end(), 3)
        if end > m.end() and _typed_as(canon, *m.span(1), _UNITS_ACCENTED):
            number = _TRAILING_NUMBER_RE.match(folded, end)
            parts.append((m.start(), number.end() if number else end, "locality"))
    for m in _STREET_RE.finditer(folded):
        end = _capital_words_end(canon, m.end(), 4)
        if end > m.end():
            parts.append((m.start(), end, "street"))
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
    for anchor in [*people, *births]:
        if anchor > start or start - anchor > 150:
            continue
        between = folded[anchor:start]
        if _APPOSITION_RE.fullmatch(between):
            return True
        if _AT_HOME_RE.fullmatch(between) and (anchor in births or admin_after):
            return True
        if (
            admin_after
            and anchor in people
            and between.rstrip().endswith(",")
            and not _CLAUSE_END_RE.search(between)
        ):
            return True
    return False


def _residence(
    canon: Canonical, chains: list[tuple[int, int, set[str]]]
) -> Iterator[tuple[int, int]]:
    """What follows a residence word: a house number, a hamlet chain, or a street before a ward."""
    folded = canon.text
    starts = {start: end for start, end, _roles in chains}
    for m in _RESIDENCE_RE.finditer(folded):
        if not _typed_as(canon, *m.span(1), _RESIDENCE_ACCENTED):
            continue
        if _lower_accented(canon, *m.span(1)) in _NEEDS_PLACE_WORD and not m.group(2):
            continue
        pos = m.end()
        if pos in starts:
            yield pos, starts[pos]
            continue
        token = _HOUSE_TOKEN_RE.match(folded, pos)
        if token and any(ch.isdigit() for ch in token.group()):
            end = token.end()
            gap = _ADDRESS_GAP_RE.match(folded, end)
            following = gap.end() if gap else end
            yield pos, starts.get(following, _street_name_end(canon, end))
            continue
        street = _capital_words_end(canon, pos, 3)
        ward_after = _WARD_AFTER_RE.match(folded, street)
        if (
            street > pos
            and ward_after
            and not any(folded[pos:street].startswith(p) for p in PLACES)
        ):
            yield pos, street


def _addresses(canon: Canonical, people: Sequence[int]) -> Iterator[tuple[str, int, int]]:
    chains = list(_chains(canon))
    for start, end in _residence(canon, chains):
        yield "address", start, end
    for start, end, roles in chains:
        if "home" in roles or ("number" in roles and roles & {"street", "locality"}):
            yield "address", start, end
        elif "locality" in roles or "street" in roles:
            lead = _LEAD_TOKEN_RE.search(canon.text, max(0, start - 16), start)
            begin = lead.start() if lead and lead.end() == start else start
            writer_lives_there = _SELF_AT_RE.search(canon.text, max(0, begin - 30), begin)
            if writer_lives_there or _home_context(canon, begin, end, people):
                yield "address", begin, end


def _name_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    candidates: set[tuple[str, ...]] = set()
    for name in names:
        words = tuple(fold(name).split())
        if not words:
            continue
        if len(words) > 1 or len(words[0]) >= 3:
            candidates.add(words)
        if len(words) > 2:
            candidates.add(words[-2:])
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda w: (-len(" ".join(w)), w))
    body = "|".join(r"\s+".join(re.escape(w) for w in words) for words in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


def _names(
    canon: Canonical, names: Sequence[str], detect_names: bool, tagger: bool
) -> Iterator[tuple[str, int, int]]:
    pattern = _name_pattern(names)
    if pattern is not None:
        for m in pattern.finditer(canon.text):
            yield "name", m.start(), m.end()
    if detect_names:
        for start, end in find_names(canon, use_tagger=tagger):
            yield "name", start, end


def contains_pii(
    text: str,
    names: Sequence[str] = (),
    *,
    keep_plates: bool = False,
    detect_names: bool = True,
    tagger: bool = True,
) -> list[PiiFinding]:
    """All personal data found in ``text``, sorted by position, without overlaps.

    ``names`` are the case's own names (matched in any case); ``detect_names`` also finds
    names in free text (``tagger=False``: by the cheap rules only, without the NER tagger).
    Existing placeholders (``[SĐT]`` ...) and UUIDs are never findings, so
    redacted text checks clean.
    """
    if not text:
        return []
    canon = canonicalise(text)
    folded = canon.text
    raw: list[tuple[str, int, int]] = []
    raw.extend(_urls(folded))
    raw.extend(("email", m.start(), m.end()) for m in _EMAIL_RE.finditer(folded))
    raw.extend(_bank_accounts(folded))
    raw.extend(_phones(folded))
    raw.extend(_more_phones(folded))
    if not keep_plates:
        raw.extend(_plates(folded, canon))
    raw.extend(_id_numbers(folded))
    found_names = list(_names(canon, names, detect_names, tagger))
    raw.extend(_addresses(canon, [end for _kind, _start, end in found_names]))
    raw.extend(found_names)
    if not raw:
        return []

    blocked = [m.span() for m in _PLACEHOLDER_RE.finditer(text)]
    blocked += [canon.span(*m.span()) for m in _UUID_RE.finditer(folded)]
    priority = {kind: index for index, kind in enumerate(KINDS)}
    chosen: list[PiiFinding] = []
    for kind, start, end in sorted(raw, key=lambda r: (priority[r[0]], r[1], -r[2])):
        o_start, o_end = canon.span(start, end)
        span_taken = any(o_start < c.end and c.start < o_end for c in chosen)
        span_blocked = any(o_start < b_end and b_start < o_end for b_start, b_end in blocked)
        if not span_taken and not span_blocked:
            chosen.append(PiiFinding(kind, o_start, o_end))
    return sorted(chosen, key=lambda f: f.start)


def detect_kinds(text: str) -> set[str]:
    """A fast presence test for phone / plate / url / email (no spans, no names, no overlaps).

    Used as a classification feature; use :func:`contains_pii` for anything that guards output.
    """
    folded = text.lower().translate(FOLD_TABLE)
    kinds: set[str] = set()
    if _EMAIL_RE.search(folded):
        kinds.add("email")
    if _URL_RE.search(folded):
        kinds.add("url")
    if any(True for _ in _phones(folded)):
        kinds.add("phone")
    if len(folded) == len(text) and any(True for _ in _plates(folded, None)):
        kinds.add("plate")
    return kinds


def redact(
    text: str,
    names: Sequence[str] = (),
    *,
    keep_plates: bool = False,
    detect_names: bool = True,
    tagger: bool = True,
) -> str:
    """``text`` with every finding of :func:`contains_pii` replaced by its placeholder."""
    options = {"keep_plates": keep_plates, "detect_names": detect_names, "tagger": tagger}
    for _ in range(3):  # masking can, rarely, expose a shorter pattern: re-check
        findings = contains_pii(text, names, **options)
        if not findings:
            break
        parts: list[str] = []
        cursor = 0
        for finding in findings:
            parts.append(text[cursor : finding.start])
            parts.append(PLACEHOLDERS[finding.kind])
            cursor = finding.end
        parts.append(text[cursor:])
        text = "".join(parts)
    return text


def _strings(payload: object) -> Iterator[str]:
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, dict):
        for key, value in payload.items():
            if isinstance(key, str):
                yield key
            yield from _strings(value)
    elif isinstance(payload, list | tuple | set | frozenset):
        for item in payload:
            yield from _strings(item)


def pii_gate(
    payload: object, names: Sequence[str] = (), where: str = "", *, keep_plates: bool = False
) -> None:
    """Raise :class:`PiiDetectedError` if any string inside ``payload`` holds personal data.

    The same engine as :func:`redact`: the gate refuses exactly what redact would change.
    Walks str / dict (keys and values) / list / tuple / set recursively, e.g. a Slack Block Kit
    payload. Other values (numbers, None) are not checked. The error names the kinds only.
    """
    kinds: set[str] = set()
    for value in _strings(payload):
        kinds.update(f.kind for f in contains_pii(value, names, keep_plates=keep_plates))
    if kinds:
        raise PiiDetectedError(sorted(kinds), where or "payload")
