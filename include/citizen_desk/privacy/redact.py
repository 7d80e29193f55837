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
The detectors live in :mod:`~citizen_desk.privacy.identifiers` (contacts and id numbers),
:mod:`~citizen_desk.privacy.addresses` and :mod:`~citizen_desk.privacy.names`; this module
resolves their overlaps and masks.

Plates policy: a licence plate identifies a vehicle, and through it often the informant (their
own vehicle, a neighbour's), so plates are masked by default everywhere. ``keep_plates=True``
leaves them for officer-facing views of a suspect's vehicle; it is never the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy.addresses import addresses
from citizen_desk.privacy.canonical import Canonical, canonicalise
from citizen_desk.privacy.identifiers import (
    bank_accounts,
    emails,
    id_numbers,
    more_phones,
    phones,
    plates,
    urls,
)
from citizen_desk.privacy.names import find_names
from citizen_desk.text.normalize import fold

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


@dataclass(frozen=True)
class PiiFinding:
    """One piece of personal data: its kind and span in the checked text (never the text)."""

    kind: str
    start: int
    end: int


@lru_cache(maxsize=4096)
def _name_candidates(names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The folded word sequences that mask the case's own names, longest first."""
    candidates: set[tuple[str, ...]] = set()
    for name in names:
        words = tuple(fold(name).split())
        if not words:
            continue
        if len(words) > 1 or len(words[0]) >= 3:
            candidates.add(words)
        if len(words) > 2:
            candidates.add(words[-2:])
    return tuple(sorted(candidates, key=lambda w: (-len(" ".join(w)), w)))


@lru_cache(maxsize=4096)
def _compiled(candidates: tuple[tuple[str, ...], ...]) -> re.Pattern[str]:
    body = "|".join(r"\s+".join(re.escape(w) for w in words) for words in candidates)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_TOKEN = re.compile(r"\w+")


@lru_cache(maxsize=256)
def _candidate_index(
    names: tuple[str, ...],
) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """Positions in `_name_candidates(names)` by first word (a run of word characters), and the
    positions whose first word holds other characters too."""
    by_word: dict[str, list[int]] = {}
    other: list[int] = []
    for position, words in enumerate(_name_candidates(names)):
        if _TOKEN.fullmatch(words[0]):
            by_word.setdefault(words[0], []).append(position)
        else:
            other.append(position)
    return {w: tuple(p) for w, p in by_word.items()}, tuple(other)


def _name_pattern(names: Sequence[str], folded: str) -> re.Pattern[str] | None:
    """The case's own names as one pattern for the canonical text `folded`; None when none of
    them can occur in it.

    Only the names whose first word occurs in the text go into the pattern, in the same order:
    the pattern matches a name's first word between non-word characters, so a first word made of
    word characters must be one of the text's words, any other at least a part of the text. The
    matches are those of the pattern of every name, without compiling (or scanning for) the
    hundreds of names of a digest for a text that holds none of them."""
    key = tuple(names)
    candidates = _name_candidates(key)
    if not candidates:
        return None
    by_word, other = _candidate_index(key)
    if len(by_word) <= _FEW_WORDS:  # a case's few names: look each first word up in the text
        present = {p for w, positions in by_word.items() if _is_word(w, folded) for p in positions}
    else:  # a digest's hundreds of names: look each word of the text up
        present = {p for word in set(_TOKEN.findall(folded)) for p in by_word.get(word, ())}
    present.update(p for p in other if candidates[p][0] in folded)
    if not present:
        return None
    return _compiled(tuple(candidates[p] for p in sorted(present)))


_FEW_WORDS = 8


@lru_cache(maxsize=4096)
def _first_words(names: tuple[str, ...]) -> tuple[str, ...]:
    """The first word of each of `_name_candidates(names)`: a text that holds none of them (as
    a part of it, even) holds none of the names."""
    return tuple(dict.fromkeys(words[0] for words in _name_candidates(names)))


def _is_word(word: str, folded: str) -> bool:
    """Whether `word` (word characters) is one of the words (`_TOKEN` runs) of `folded`: found
    with no word character either side. Most texts do not hold it at all."""
    return word in folded and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded) is not None


def names_occur(names: Sequence[str], folded: str) -> bool:
    """Whether one of the case's own `names` occurs in the canonical text `folded` (what
    `contains_pii` finds with them beyond what it finds without them)."""
    if not names or not any(word in folded for word in _first_words(tuple(names))):
        return False  # a name occurs only where its first word does: most texts hold none
    pattern = _name_pattern(names, folded)
    return pattern is not None and pattern.search(folded) is not None


def findings_without_names(
    text: str, *, keep_plates: bool = False, detect_names: bool = True
) -> tuple[str, list[PiiFinding]]:
    """`text`'s canonical text, and `contains_pii(text)` without any case's names: what it finds
    with `names` too, whenever `names_occur(names, <that canonical text>)` is false (a batch
    keeps it, then needs only that test per case)."""
    if not text:
        return "", []
    canon = canonicalise(text)
    return canon.text, _findings(text, canon, (), keep_plates, detect_names)


def _names(
    canon: Canonical, names: Sequence[str], detect_names: bool, tagger: bool
) -> Iterator[tuple[str, int, int]]:
    pattern = _name_pattern(names, canon.text)
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
    return _findings(text, canonicalise(text), names, keep_plates, detect_names, tagger)


def _findings(
    text: str,
    canon: Canonical,
    names: Sequence[str],
    keep_plates: bool,
    detect_names: bool = True,
    tagger: bool = True,
) -> list[PiiFinding]:
    folded = canon.text
    raw: list[tuple[str, int, int]] = []
    raw.extend(urls(folded))
    raw.extend(emails(folded))
    raw.extend(bank_accounts(folded))
    raw.extend(phones(folded))
    raw.extend(more_phones(folded))
    if not keep_plates:
        raw.extend(plates(folded, canon))
    raw.extend(id_numbers(folded))
    found_names = list(_names(canon, names, detect_names, tagger))
    raw.extend(addresses(canon, [end for _kind, _start, end in found_names]))
    raw.extend(found_names)
    if not raw:
        return []

    blocked = [m.span() for m in _PLACEHOLDER_RE.finditer(text)]
    blocked += [canon.span(*m.span()) for m in _UUID_RE.finditer(folded)]
    priority = {kind: index for index, kind in enumerate(KINDS)}
    chosen: list[PiiFinding] = []
    for kind, start, end in sorted(raw, key=lambda r: (priority[r[0]], r[1], -r[2])):
        o_start, o_end = canon.span(start, end)
        if any(o_start < b_end and b_start < o_end for b_start, b_end in blocked):
            continue
        # what another finding already holds is left to it; the rest of this one is masked too
        # ("@Đoàn Thế Xuân": a handle "@Đoàn", then a name going on past it)
        for piece_start, piece_end in _uncovered(text, o_start, o_end, chosen):
            chosen.append(PiiFinding(kind, piece_start, piece_end))
    return sorted(chosen, key=lambda f: f.start)


def _uncovered(
    text: str, start: int, end: int, chosen: Sequence[PiiFinding]
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` when no chosen finding overlaps it, else its parts outside them that hold
    a letter or digit, trimmed of spaces and punctuation at both ends."""
    overlapping = sorted(
        (c for c in chosen if start < c.end and c.start < end), key=attrgetter("start")
    )
    if not overlapping:
        yield start, end
        return
    cursor = start
    for taken in overlapping:
        yield from _trimmed(text, cursor, taken.start)
        cursor = max(cursor, taken.end)
    yield from _trimmed(text, cursor, end)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    if start < end:
        yield start, end


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
    payload: object,
    names: Sequence[str] = (),
    where: str = "",
    *,
    keep_plates: bool = False,
    memo: MutableMapping[tuple[str, bool], tuple[str, frozenset[str]]] | None = None,
) -> None:
    """Raise :class:`PiiDetectedError` if any string inside ``payload`` holds personal data.

    The same engine as :func:`redact`: the gate refuses exactly what redact would change.
    Walks str / dict (keys and values) / list / tuple / set recursively, e.g. a Slack Block Kit
    payload. Other values (numbers, None) are not checked. The error names the kinds only.

    ``memo`` (owned by the caller, dropped with its batch) keeps, per string already checked, its
    canonical text and its finding kinds without any case's names: a string whose canonical text
    holds none of ``names`` has exactly those findings (the names only add their own matches), so
    the block types, the labels and a message sent to several recipients are checked once per
    batch, whatever the case.
    """
    kinds: set[str] = set()
    for value in _strings(payload):
        if memo is None:
            kinds.update(f.kind for f in contains_pii(value, names, keep_plates=keep_plates))
            continue
        known = memo.get((value, keep_plates))
        if known is None:
            canon_text, found = findings_without_names(value, keep_plates=keep_plates)
            known = (canon_text, frozenset(f.kind for f in found))
            memo[(value, keep_plates)] = known
        folded, without_names = known
        if names and names_occur(names, folded):
            kinds.update(f.kind for f in contains_pii(value, names, keep_plates=keep_plates))
        else:
            kinds.update(without_names)
    if kinds:
        raise PiiDetectedError(sorted(kinds), where or "payload")
