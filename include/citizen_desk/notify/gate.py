"""The PII gate over a message that shows free text: the text judged in its own context.

An alert is our wording around a citizen's redacted excerpt. Judged as one string, the excerpt's
words are read against our wording: an excerpt typed without diacritics ("o duong Tran Phu", "di
Han") reads like names once it sits inside accented Vietnamese, so the gate withheld excerpts
that `redact` had already judged clean, on their own, as the citizen wrote them. And every alert
of a sweep re-checked the same excerpt inside its own copy of the wording.

So a string that shows a free-text field is checked in three parts, which together leave no
place for personal data to hide:
- the field alone, as the text it is (the same judgement `redact` made of it);
- our wording, with the field set apart by a neutral mark (`FIELD_MARK`): the same for every
  alert of a template, so a sweep's batch memo checks it once;
- each seam, `SEAM` characters either side of where the field meets our wording: only a finding
  that straddles it counts (one wholly inside either side is the business of the two checks
  above), e.g. digits of ours run on into digits of the citizen's.
A field found nowhere verbatim (a block cut at Slack's length limit) leaves the string checked
whole, as before.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import contains_pii, pii_gate

FIELD_MARK = "[…]"
SEAM = 64  # characters each side of a seam: longer than a phone number spelled out in words

Memo = MutableMapping[tuple[str, bool], tuple[str, frozenset[str]]]


def gate_kinds(
    strings: Sequence[str],
    fields: Sequence[str],
    names: Sequence[str],
    where: str,
    memo: Memo | None = None,
) -> set[str]:
    """Finding kinds in `strings` (the message), each free-text value of `fields` judged alone.

    With a `memo`, a message already judged (the same alert to another recipient) is not judged
    again: its verdict is kept under a key no string of a payload can take."""
    key = ("\x00".join(["gate", *strings, "\x01", *fields, "\x01", *names]), False)
    if memo is not None and key in memo:
        return set(memo[key][1])
    forms = _forms(fields)
    kinds = _kinds([*fields], names, where, memo)
    for value in strings:
        reduced, seams = _set_apart(value, forms)
        kinds |= _kinds([reduced], names, where, memo)
        kinds |= _straddling(value, seams, names)
    if memo is not None:
        memo[key] = ("", frozenset(kinds))
    return kinds


def _kinds(strings: Sequence[str], names: Sequence[str], where: str, memo: Memo | None) -> set[str]:
    try:
        pii_gate(list(strings), names=tuple(names), where=where, memo=memo)
    except PiiDetectedError as exc:
        return set(exc.kinds) or {"unknown"}
    return set()


def _forms(fields: Sequence[str]) -> list[str]:
    """How a field may appear in a message: escaped for mrkdwn, on one line (a header), as is;
    the longest first, so that a field holding another is set apart whole."""
    from citizen_desk.notify.blocks import escape_mrkdwn

    forms = {
        form
        for value in fields
        if value
        for form in (escape_mrkdwn(value), " ".join(value.split()), value)
        if form.strip()
    }
    return sorted(forms, key=len, reverse=True)


def _set_apart(value: str, forms: Sequence[str]) -> tuple[str, list[int]]:
    """`value` with every occurrence of a form replaced by `FIELD_MARK`, and the seams (offsets
    in `value` where a field starts or ends)."""
    spans: list[tuple[int, int]] = []
    for form in forms:
        start = value.find(form)
        while start != -1:
            end = start + len(form)
            if not any(start < e and s < end for s, e in spans):
                spans.append((start, end))
            start = value.find(form, end)
    if not spans:
        return value, []
    spans.sort()
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        parts.append(value[cursor:start])
        parts.append(FIELD_MARK)
        cursor = end
    parts.append(value[cursor:])
    seams = sorted({p for span in spans for p in span if 0 < p < len(value)})
    return "".join(parts), seams


def _straddling(value: str, seams: Sequence[int], names: Sequence[str]) -> set[str]:
    """Kinds of the findings that cross a seam, found in a window around it."""
    kinds: set[str] = set()
    for seam in seams:
        left = max(0, seam - SEAM)
        window = value[left : seam + SEAM]
        cut = seam - left
        kinds.update(f.kind for f in contains_pii(window, names) if f.start < cut < f.end)
    return kinds
