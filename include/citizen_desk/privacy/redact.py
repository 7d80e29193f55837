"""Find and mask personal data in Vietnamese free text (informant-safe redaction).

Detected kinds and their placeholders:

=============  ===============  ====================================================
kind           placeholder      what
=============  ===============  ====================================================
email          ``[EMAIL]``      e-mail addresses
url            ``[LIÊN KẾT]``   http(s)/www links, bare domains, Facebook/Zalo links
bank_account   ``[STK]``        8-16 digits next to stk / tài khoản / ngân hàng words
phone          ``[SĐT]``        VN mobiles and landlines in every common spelling
plate          ``[BIỂN SỐ]``    licence plates (36A-123.45, 29LD-123.45, ...)
cccd           ``[CCCD]``       12-digit citizen id numbers
cmnd           ``[CMND]``       9-digit old identity card numbers
name           ``[TÊN]``        the case's own citizen names (given in ``names``)
=============  ===============  ====================================================

Matching runs on the folded text (lowercase, no diacritics) and maps spans back to the
original. Ordinary numbers (money, dates, times, ages, house numbers) are left alone.
Findings carry the kind and the span only, never the matched text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from citizen_desk.errors import PiiDetectedError
from citizen_desk.text.normalize import FOLD_TABLE, fold, fold_with_offsets

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "url": "[LIÊN KẾT]",
    "bank_account": "[STK]",
    "phone": "[SĐT]",
    "plate": "[BIỂN SỐ]",
    "cccd": "[CCCD]",
    "cmnd": "[CMND]",
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

_MOBILE_RE = re.compile(r"(?<![\d+])\(?(?:\+84|84|0)\)?[ .\-]?[35789](?:[ .\-]?\d){8}(?!\d)")
_OLD_MOBILE_RE = re.compile(r"(?<![\d+])01[2689](?:[ .\-]?\d){8}(?!\d)")
_LANDLINE_RE = re.compile(
    r"(?<![\d+])\(?(?:\+84|84|0)[ .\-]?2\d{1,2}\)?[ .\-]?\d(?:[ .\-]?\d){6,7}(?!\d)"
)

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
_CCCD_GROUPED_RE = re.compile(r"(?<![\d.,_])0\d{2,3}(?:[ .\-]\d{3,4}){2,3}(?![\d_]|[.,]\d)")
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


@dataclass(frozen=True)
class PiiFinding:
    """One piece of personal data: its kind and span in the checked text (never the text)."""

    kind: str
    start: int
    end: int


def _fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """Folded text plus a map back to ``text``; ``None`` means the identity map."""
    lowered = text.lower()
    folded = lowered.translate(FOLD_TABLE)
    if len(lowered) == len(text) == len(folded):
        return folded, None
    return fold_with_offsets(text)


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


def _bank_accounts(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _NUMBER_RE.finditer(folded):
        start, end = m.span()
        if _MONEY_GROUPS_RE.fullmatch(m.group()):
            continue
        if _keyword_before(_BANK_BEFORE_RE, folded, start, 40) or _BANK_AFTER_RE.match(folded, end):
            yield "bank_account", start, end


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
        if count in (9, 12) and _keyword_before(_ID_WORDS_RE, folded, m.start(), 30):
            yield ("cccd" if count == 12 else "cmnd"), m.start(), m.end()


def _plates(
    folded: str, original: str, offsets: list[int] | None
) -> Iterator[tuple[str, int, int]]:
    for m in _PLATE_RE.finditer(folded):
        series = m.group(2)
        if series in _UNIT_SERIES:
            start = m.start(2) if offsets is None else offsets[m.start(2)]
            original_series = original[start : start + len(series)]
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


def _names(folded: str, names: Sequence[str]) -> Iterator[tuple[str, int, int]]:
    pattern = _name_pattern(names)
    if pattern is not None:
        for m in pattern.finditer(folded):
            yield "name", m.start(), m.end()


def _to_original(start: int, end: int, text: str, offsets: list[int] | None) -> tuple[int, int]:
    if offsets is None:
        return start, end
    o_start = offsets[start]
    o_end = offsets[end - 1] + 1
    while o_end < len(text) and text[o_end].translate(FOLD_TABLE) == "":
        o_end += 1  # trailing combining marks of a decomposed (non-NFC) character
    return o_start, o_end


def contains_pii(text: str, names: Sequence[str] = ()) -> list[PiiFinding]:
    """All personal data found in ``text``, sorted by position, without overlaps.

    Existing placeholders (``[SĐT]`` ...) and UUIDs are never findings, so redacted text
    checks clean.
    """
    if not text:
        return []
    folded, offsets = _fold_with_offsets(text)
    raw: list[tuple[str, int, int]] = []
    raw.extend(_urls(folded))
    raw.extend(("email", m.start(), m.end()) for m in _EMAIL_RE.finditer(folded))
    raw.extend(_bank_accounts(folded))
    raw.extend(_phones(folded))
    raw.extend(_plates(folded, text, offsets))
    raw.extend(_id_numbers(folded))
    raw.extend(_names(folded, names))
    if not raw:
        return []

    blocked = [m.span() for m in _PLACEHOLDER_RE.finditer(text)]
    blocked += [_to_original(*m.span(), text, offsets) for m in _UUID_RE.finditer(folded)]
    priority = {kind: index for index, kind in enumerate(KINDS)}
    chosen: list[PiiFinding] = []
    for kind, start, end in sorted(raw, key=lambda r: (priority[r[0]], r[1], -r[2])):
        o_start, o_end = _to_original(start, end, text, offsets)
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
    if len(folded) == len(text) and any(True for _ in _plates(folded, text, None)):
        kinds.add("plate")
    return kinds


def redact(text: str, names: Sequence[str] = ()) -> str:
    """``text`` with every finding of :func:`contains_pii` replaced by its placeholder."""
    for _ in range(3):  # masking can, rarely, expose a shorter pattern: re-check
        findings = contains_pii(text, names)
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


def pii_gate(payload: object, names: Sequence[str] = (), where: str = "") -> None:
    """Raise :class:`PiiDetectedError` if any string inside ``payload`` holds personal data.

    Walks str / dict (keys and values) / list / tuple / set recursively, e.g. a Slack Block Kit
    payload. Other values (numbers, None) are not checked. The error names the kinds only.
    """
    kinds: set[str] = set()
    for value in _strings(payload):
        kinds.update(f.kind for f in contains_pii(value, names))
    if kinds:
        raise PiiDetectedError(sorted(kinds), where or "payload")
