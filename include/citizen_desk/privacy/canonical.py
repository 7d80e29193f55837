"""Canonical form of a message for PII detection, with a map back to the original offsets.

Detectors never see the text as typed: they see it folded (lowercase, no diacritics) and with
the tricks people use, or their keyboards produce, undone:

* zero-width characters dropped; no-break, thin and other spaces, tabs and newlines become one
  space; en/em dashes and minus signs become "-"; full-width digits and letters become ASCII;
* digits spelled out in Vietnamese ("không chín một hai ...", "linh", "lẻ", "mốt", "tư",
  "lăm") become digits when nine or more follow each other (a phone or an id number);
* teencode inside digit runs ("o9l2345678": o for 0, l/i for 1) becomes digits;
* obfuscated e-mails ("ten (at) gmail chấm com", "ten @ gmail . com") and links typed without
  their dot ("facebook com/x") are put back together.

Every canonical character maps to a span ``[start, end)`` of the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from citizen_desk.text.normalize import FOLD_TABLE, fold_with_offsets

_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_ONE_TO_ONE = str.maketrans(
    {
        **{code: " " for code in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, 0x0009, 0x000B)},
        **{code: " " for code in range(0x2000, 0x200B)},  # en/em/thin/hair ... spaces
        **{code: " " for code in (0x000A, 0x000C, 0x000D, 0x0085, 0x2028, 0x2029)},
        # every other control character and whatever `str.split()` takes for a space (U+001C..1F)
        **{code: " " for code in (*range(0x01, 0x09), *range(0x0E, 0x20), *range(0x7F, 0x85))},
        **{code: " " for code in range(0x86, 0xA0)},
        **{code: "-" for code in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212)},
        **{code: "-" for code in (0xFE58, 0xFE63, 0xFF0D)},
        **{0xFF10 + d: str(d) for d in range(10)},  # full-width digits
        **{0xFF41 + i: chr(ord("a") + i) for i in range(26)},  # full-width letters (lowered)
        0xFF20: "@",
        0xFF0E: ".",
        0xFF0F: "/",
        0xFF08: "(",
        0xFF09: ")",
        0xFF0B: "+",
        0x3002: ".",
    }
)
_SPACES_RE = re.compile(r" {2,}")

_SPELLED = {
    "khong": "0",
    "linh": "0",
    "le": "0",
    "mot": "1",
    "hai": "2",
    "ba": "3",
    "bon": "4",
    "tu": "4",
    "nam": "5",
    "lam": "5",
    "sau": "6",
    "bay": "7",
    "tam": "8",
    "chin": "9",
}
_SPELLED_WORD = r"(?:" + "|".join(sorted(_SPELLED, key=len, reverse=True)) + r"|\d+)"
_SPELLED_RUN_RE = re.compile(
    rf"(?<![a-z0-9]){_SPELLED_WORD}(?:[ ,.\-]{{1,3}}{_SPELLED_WORD})+(?![a-z0-9])"
)
_SPELLED_TOKEN_RE = re.compile(_SPELLED_WORD)
_SPELLED_MIN_DIGITS = 9
_SPELLED_MIN_WORDS = 4

_TEENCODE_RUN_RE = re.compile(r"(?<![a-z0-9])[0-9oli](?:[ .\-]{0,3}[0-9oli]){8,13}(?![a-z0-9])")
_TEENCODE = str.maketrans("oli", "011")
_TEENCODE_WORD_RE = re.compile(r"[oli]{2}")
_TEENCODE_SPLIT_RE = re.compile(r"[ .\-]+")  # "lo", "oi" are words, not digits

_TLDS = r"com|net|org|vn|edu|gov|info|io"
_PROVIDERS = r"gmail|yahoo|ymail|hotmail|outlook|icloud|msn|protonmail|proton|zoho"
_LINK_HOSTS = r"facebook|fb|zalo|m|messenger|tiktok|instagram|youtube|t|twitter|x"
_DOT_WORD = r"(?:\s*[\(\[\{<]\s*(?:dot|cham|\.)\s*[\)\]\}>]\s*|\s+(?:dot|cham)\s+|\s*[.,]\s*|\s+)"
# "gmail chấm com", "@abc . vn", "gmail(dot)com": the domain after an @ or a known provider.
_DOMAIN_DOT_RE = re.compile(
    rf"(?:(?<=@)[a-z0-9-]+|(?<![a-z0-9])(?:{_PROVIDERS}))(?P<sep>{_DOT_WORD})(?:{_TLDS})(?![a-z0-9])"
)
# "ten (at) gmail.com", "ten [a còng] gmail.com", "ten @ gmail.com", "ten at gmail.com"
_AT_RE = re.compile(
    r"(?<=[a-z0-9_])(?:\s*[\(\[\{<]\s*(?:at|a|a cong|acong|@)\s*[\)\]\}>]\s*"
    r"|\s+(?:at|a cong|acong)\s+|\s*@\s*)"
    rf"(?=[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})(?![a-z0-9]))"
)
# "ten@gmailcom": a provider's domain typed without its dot, after an @.
_GLUED_DOMAIN_RE = re.compile(rf"(?<=@)(?:{_PROVIDERS})(?P<sep>)(?:com|vn)(?![a-z0-9])")
# "tranthihoa92 gmail.com": an e-mail typed without its @, a user name right before a
# provider's domain; a Vietnamese syllable there is a word ("qua gmail.com"), not a user.
_MISSING_AT_RE = re.compile(
    rf"(?<![a-z0-9._@-])(?P<local>[a-z0-9][a-z0-9._]{{3,29}})(?P<sep>\s+)"
    rf"(?=(?:{_PROVIDERS})\.(?:{_TLDS})(?![a-z0-9]))"
)
_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}"
    r"(?:ng|nh|ch|[cmnpt])?"
)
# "facebook com/ten", "zalo me/0912...", "fb . com/x": a profile link typed without its dot.
_LINK_DOT_RE = re.compile(
    rf"(?<![a-z0-9.])(?:{_LINK_HOSTS})(?P<sep>{_DOT_WORD})(?:com|me|vn|net)(?=\s?/)"
)
_LINK_SLASH_RE = re.compile(rf"(?<![a-z0-9.])(?:{_LINK_HOSTS})\.(?:com|me|vn|net)(?P<sep>\s/\s?)")

Piece = tuple[str, int, int]  # replacement text and its source span, relative to the match
Replacer = Callable[[re.Match[str]], list[Piece]]


@dataclass
class Canonical:
    """The canonical text and, for each of its characters, the original span it came from."""

    text: str
    starts: list[int]
    ends: list[int]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of canonical ``[start, end)``."""
        o_start = self.starts[start]
        o_end = self.ends[end - 1]
        original = self.original
        while o_end < len(original) and original[o_end].translate(FOLD_TABLE) == "":
            o_end += 1  # trailing combining marks of a decomposed (non-NFC) character
        return o_start, o_end

    def is_capitalised(self, start: int) -> bool:
        """True when the original character behind canonical ``start`` is an upper-case letter."""
        return self.original[self.starts[start]].isupper()

    def sub(self, pattern: re.Pattern[str], repl: Replacer) -> None:
        """Replace every match by ``repl``'s pieces, keeping the offset map in step."""
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        cursor = 0
        changed = False
        for m in pattern.finditer(text):
            pieces = repl(m)
            if pieces == [(m.group(), 0, len(m.group()))]:
                continue
            changed = True
            out.append(text[cursor : m.start()])
            new_starts.extend(starts[cursor : m.start()])
            new_ends.extend(ends[cursor : m.start()])
            for piece, rel_start, rel_end in pieces:
                if not piece:
                    continue
                src_start = starts[m.start() + rel_start]
                src_end = ends[m.start() + max(rel_end, rel_start + 1) - 1]
                out.append(piece)
                new_starts.extend([src_start] * len(piece))
                new_ends.extend([src_end] * len(piece))
            cursor = m.end()
        if not changed:
            return
        out.append(text[cursor:])
        new_starts.extend(starts[cursor:])
        new_ends.extend(ends[cursor:])
        self.text = "".join(out)
        self.starts = new_starts
        self.ends = new_ends


def _whole(piece: str) -> Callable[[re.Match[str]], list[Piece]]:
    def repl(m: re.Match[str]) -> list[Piece]:
        return [(piece, 0, len(m.group()))]

    return repl


def _replace_group(name: str, piece: str) -> Callable[[re.Match[str]], list[Piece]]:
    def repl(m: re.Match[str]) -> list[Piece]:
        start, end = m.start(name) - m.start(), m.end(name) - m.start()
        size = len(m.group())
        return [(m.group()[:start], 0, start), (piece, start, end), (m.group()[end:], end, size)]

    return repl


def _spelled(m: re.Match[str]) -> list[Piece]:
    tokens = list(_SPELLED_TOKEN_RE.finditer(m.group()))
    while tokens and tokens[-1].group().isdigit():  # "..., 10 triệu": the amount stays apart
        tokens.pop()
    words = sum(1 for t in tokens if not t.group().isdigit())
    digits = sum(len(_SPELLED.get(t.group(), t.group())) for t in tokens)
    if words < _SPELLED_MIN_WORDS or digits < _SPELLED_MIN_DIGITS:
        return [(m.group(), 0, len(m.group()))]
    pieces = [(_SPELLED.get(t.group(), t.group()), t.start(), t.end()) for t in tokens]
    rest = tokens[-1].end()
    return [*pieces, (m.group()[rest:], rest, len(m.group()))]


def _teencode(m: re.Match[str]) -> list[Piece]:
    run = m.group()
    letters = sum(1 for ch in run if ch in "oli")
    digits = sum(1 for ch in run if ch.isdigit())
    if letters == 0 or letters > 3 or digits < 6 or _TEENCODE_WORD_RE.search(run):
        return [(run, 0, len(run))]
    if any(token in ("o", "l", "i") for token in _TEENCODE_SPLIT_RE.split(run)):
        return [(run, 0, len(run))]  # "0912345678 ở": a lone letter is a word, not a digit
    return [(ch.translate(_TEENCODE), i, i + 1) for i, ch in enumerate(run)]


def _missing_at(m: re.Match[str]) -> list[Piece]:
    """A user name with a digit, a dot or an underscore, or any non-syllable after a mail word
    ("mail: nguyenvana gmail.com"); "website gmail.com", "qua gmail.com" stay."""
    local = m.group("local")
    marked = any(ch.isdigit() or ch in "._" for ch in local)
    after_mail = "mail" in m.string[max(0, m.start() - 16) : m.start()]
    if _SYLLABLE_RE.fullmatch(local) or not (marked or after_mail):
        return [(m.group(), 0, len(m.group()))]
    return _replace_group("sep", "@")(m)


def canonicalise(text: str) -> Canonical:
    """Fold ``text`` and undo the spellings listed in the module docstring."""
    lowered = text.lower()
    folded = lowered.translate(FOLD_TABLE)
    if len(lowered) == len(text) == len(folded):
        starts = list(range(len(text)))
    else:
        folded, starts = fold_with_offsets(text)
    canon = Canonical(folded.translate(_ONE_TO_ONE), starts, [s + 1 for s in starts], text)
    if _ZERO_WIDTH_RE.search(canon.text):
        canon.sub(_ZERO_WIDTH_RE, lambda m: [("", 0, len(m.group()))])
    if "  " in canon.text:
        canon.sub(_SPACES_RE, _whole(" "))
    canon.sub(_SPELLED_RUN_RE, _spelled)
    canon.sub(_TEENCODE_RUN_RE, _teencode)
    canon.sub(_DOMAIN_DOT_RE, _replace_group("sep", "."))  # "gmail chấm com" first, so that
    canon.sub(_AT_RE, _whole("@"))  # "ten (at) gmail chấm com" has a domain to attach to
    canon.sub(_GLUED_DOMAIN_RE, _replace_group("sep", "."))
    canon.sub(_MISSING_AT_RE, _missing_at)
    canon.sub(_DOMAIN_DOT_RE, _replace_group("sep", "."))
    canon.sub(_LINK_DOT_RE, _replace_group("sep", "."))
    canon.sub(_LINK_SLASH_RE, _replace_group("sep", "/"))
    return canon
