"""Contact details and identifiers found by pattern in folded text: e-mail addresses, links and
handles, phone numbers, bank accounts, citizen id numbers and licence plates.

Every detector yields ``(kind, start, end)`` over the folded (canonical) text; ordinary numbers
(money, dates, times, and public service numbers that cannot be a subscriber's: 113/114/115,
1800/1900 numbers of a service's length) are left alone; a unit's own published landline looks
like anyone's and is masked like one. :func:`detect_kinds` is the
cheap presence test the triage uses as a feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from citizen_desk.privacy.canonical import Canonical
from citizen_desk.text.normalize import FOLD_TABLE

_EMAIL_RE = re.compile(r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
# An e-mail cut short by the paper that prints it ("nguyenrum85@...", "an_ketoan@…"): the user
# name is still the writer's.
_CUT_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{2,}@(?=\s*(?:\.{2,}|…|\*{2,}|x{3,}))"
)
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

# "tài khoản Shopee nguyenthuha92", "nick abc123": a user name (letters and digits) after an
# account word, with or without the platform; "tài khoản của bạn" has no digit, so it is no name.
_ACCOUNT_HANDLE_RE = re.compile(
    r"(?<![a-z0-9])(?:tai khoan|tk|acc|account|nick|username|user|id)\s*:?\s+"
    r"(?:(?:shopee|lazada|tiki|facebook|fb|zalo|tiktok|instagram|ig|telegram|momo|game)\s+)?"
    r"(?=[a-z_.]*\d)([a-z_][a-z0-9_.]{3,31})(?<!\.)(?![\w])"
)

# "0912...", "0 912 345 678", "(091) 234-5678", "+84 912...", "0084 912...", "+84 (0)912...",
# "(+84) 912..."
_PREFIX = r"(?:\(?(?:\+|00)?84\)?[ .\-]{0,2}(?:\(0\)[ .\-]{0,2})?|\(?0[ .\-]{0,3})"
_MOBILE_RE = re.compile(rf"(?<![\d+]){_PREFIX}[35789](?:\)?[ .\-]{{0,3}}\d){{8}}(?!\d)")
_OLD_MOBILE_RE = re.compile(r"(?<![\d+])\(?01[2689](?:\)?[ .\-]{0,3}\d){8}(?!\d)")
_LANDLINE_RE = re.compile(
    r"(?<![\d+])\(?(?:\+84|0084|84|0)[ .\-]?2\d{1,2}\)?[ .\-]{0,3}\d(?:[ .\-]{0,3}\d){6,7}(?!\d)"
)

# Spellings of real print: any 10-11 digit national number ("043 5551368", "069.23.21667",
# "(08) 3821.7080"), foreign "+" numbers, numbers partly masked by the writer ("0916863xxx"),
# and 7-12 digits right after a phone word ("ĐT: 3821 7080"). Toll-free and premium numbers
# of a service's shape (1800/1900 + 4 or 6 digits) are public services, not a person, and stay.
_NATIONAL_RE = re.compile(r"(?<![\d+.,])\(?0\d{1,3}\)?(?:[ .\-]{0,3}\d){6,10}(?!\d|[.,]\d)")
_DATE_INSIDE_RE = re.compile(r"(?<!\d)\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d{2}(?!\d)")
_FOREIGN_RE = re.compile(r"(?<![\w+])\+(?!84)\d{1,3}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d){5,11}(?!\d)")
_MASKED_NUMBER_RE = re.compile(r"(?<![\w.,])\d(?:[ .\-]?\d){3,15}[x*]{2,8}(?![\w*])")
# "0913xxx678": a number hidden in its middle still shows most of itself.
_MIDDLE_MASKED_RE = re.compile(r"(?<![\w.,])0\d{1,4}[x*]{2,5}\d{1,5}(?![\w*])")
# "0912*345*678", "0912,345,678", "0912_345_678", "0912/345/678": odd separators of chat.
_ODD_SEPARATED_RE = re.compile(
    r"(?<![\d.,/*_~])0\d{1,4}(?: ?[*,_/~] ?\d{1,5}){1,4}(?!\d|[*,_/~]\d)"
)
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


def phones(folded: str) -> Iterator[tuple[str, int, int]]:
    for regex in (_MOBILE_RE, _OLD_MOBILE_RE):
        for m in regex.finditer(folded):
            yield "phone", m.start(), m.end()
    for m in _LANDLINE_RE.finditer(folded):
        digits = _digits(m.group())
        national = "0" + digits[2:] if digits.startswith("84") else digits
        if len(national) == 11 and national.startswith("02"):
            yield "phone", m.start(), m.end()


def more_phones(folded: str) -> Iterator[tuple[str, int, int]]:
    """Phone spellings of printed text, beyond the chat-style ones of :func:`phones`."""
    for m in _NATIONAL_RE.finditer(folded):
        if len(_digits(m.group())) in (10, 11) and not _DATE_INSIDE_RE.search(m.group()):
            yield "phone", m.start(), m.end()
    for m in _FOREIGN_RE.finditer(folded):
        if not _money_like(folded, m.start(), m.end()):
            yield "phone", m.start(), m.end()
    for regex in (_MASKED_NUMBER_RE, _MIDDLE_MASKED_RE):
        for m in regex.finditer(folded):
            if m.group().startswith("0") and len(re.sub(r"[^\dx*]", "", m.group())) in (10, 11):
                yield "phone", m.start(), m.end()
    for m in _ODD_SEPARATED_RE.finditer(folded):
        digits = _digits(m.group())
        if len(digits) in (10, 11) and digits[1] in "235789":
            yield "phone", m.start(), m.end()
    for m in _SHORT_NUMBER_RE.finditer(folded):
        if _service_number(m.group()) or _money_like(folded, m.start(), m.end()):
            continue
        if _keyword_before(_PHONE_WORDS_RE, folded, m.start(), 30):
            yield "phone", m.start(), m.end()


def _service_number(number: str) -> bool:
    """A toll-free (1800) or premium-rate (1900) service number of a service's length: 8 or 10
    digits. No subscriber's number has that shape, so it is kept (README, redaction policy);
    "1900 1234 5678" has not, and goes like any other number."""
    digits = _digits(number)
    return digits.startswith(("1800", "1900")) and len(digits) in (8, 10)


def bank_accounts(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _NUMBER_RE.finditer(folded):
        start, end = m.span()
        if _MONEY_GROUPS_RE.fullmatch(m.group()):
            continue
        if _keyword_before(_BANK_BEFORE_RE, folded, start, 40) or _BANK_AFTER_RE.match(folded, end):
            yield "bank_account", start, end
    for m in _MASKED_NUMBER_RE.finditer(folded):  # "stk 7102205025xxx"
        if _keyword_before(_BANK_BEFORE_RE, folded, m.start(), 40):
            yield "bank_account", m.start(), m.end()


def id_numbers(folded: str) -> Iterator[tuple[str, int, int]]:
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


def plates(folded: str, canon: Canonical | None) -> Iterator[tuple[str, int, int]]:
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


def urls(folded: str) -> Iterator[tuple[str, int, int]]:
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
    for m in _ACCOUNT_HANDLE_RE.finditer(folded):
        yield "url", m.start(1), m.end(1)


def emails(folded: str) -> Iterator[tuple[str, int, int]]:
    if "@" not in folded:
        return
    for m in _EMAIL_RE.finditer(folded):
        yield "email", m.start(), m.end()
    for m in _CUT_EMAIL_RE.finditer(folded):
        yield "email", m.start(), m.end()


def detect_kinds(text: str) -> set[str]:
    """A fast presence test for phone / plate / url / email (no spans, no names, no overlaps).

    Used as a classification feature; use :func:`citizen_desk.privacy.redact.contains_pii` for
    anything that guards output.
    """
    folded = text.lower().translate(FOLD_TABLE)
    kinds: set[str] = set()
    if _EMAIL_RE.search(folded):
        kinds.add("email")
    if _URL_RE.search(folded):
        kinds.add("url")
    if any(True for _ in phones(folded)):
        kinds.add("phone")
    if len(folded) == len(text) and any(True for _ in plates(folded, None)):
        kinds.add("plate")
    return kinds
