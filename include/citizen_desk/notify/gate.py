"""The PII gate over a message that shows free text: the text judged in its own context.

An alert is our wording around a citizen's redacted excerpt. Judged as one string, the excerpt's
words are read against our wording: an excerpt typed without diacritics ("o duong Tran Phu", "di
Han") reads like names once it sits inside accented Vietnamese, so the gate withheld excerpts
that `redact` had already judged clean, on their own, as the citizen wrote them. And every alert
of a sweep re-checked the same excerpt inside its own copy of the wording.

So a string that shows a free-text field is checked in parts, which together leave no place
for personal data to hide:
- the field alone, as the text it is (the same judgement `redact` made of it);
- our own values alone (the case reference, unit, labels, times: `ours`), once per batch each;
- our wording with every field and value set apart by a neutral mark (`FIELD_MARK`): the same
  for every alert of a template, so a sweep's batch memo checks it once, not once per case;
- the seams where they meet: only a finding that straddles one counts (one wholly inside a part
  is the business of the checks above), found in a window of `SEAM` characters either side: by
  the detectors other than the name finder where a citizen's text meets (digits of ours running
  on into digits of the citizen's, the case's own names) or where digits meet, and by the whole
  engine where a name could run on (letters meeting; where only our own text meets, capitals on
  both sides). Where only our own text meets, without digits or capitals on both sides, nothing
  can straddle that each part alone did not show.
A field found nowhere verbatim (a block cut at Slack's length limit) leaves the string checked
whole, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence, Set

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import contains_pii, pii_gate

FIELD_MARK = "[…]"
SEAM = 64  # characters each side of a seam: longer than a phone number spelled out in words

Memo = MutableMapping[tuple[str, bool], tuple[str, frozenset[str]]]


MIN_OURS = 4  # shorter values of ours ("2", "ma") are not set apart: they occur everywhere


def gate_kinds(
    strings: Sequence[str],
    fields: Sequence[str],
    names: Sequence[str],
    where: str,
    memo: Memo | None = None,
    ours: Sequence[str] = (),
) -> set[str]:
    """Finding kinds in `strings` (the message), each free-text value of `fields` and each value
    of `ours` judged alone.

    With a `memo`, a message already judged (the same alert to another recipient) is not judged
    again: its verdict is kept under a key no string of a payload can take."""
    # a citizen's text handed in as ours too stays a citizen's text (its seams checked as such)
    ours = [v for v in ours if len(v.strip()) >= MIN_OURS and v not in fields]
    key = ("\x00".join(["gate", *strings, "\x01", *fields, "\x01", *names, "\x01", *ours]), False)
    if memo is not None and key in memo:
        return set(memo[key][1])
    forms, citizens = _forms([*fields, *ours]), set(_forms(fields))
    kinds = _kinds([*fields, *ours], names, where, memo)
    for value in strings:
        reduced, seams = _set_apart(value, forms, citizens)
        kinds |= _kinds([reduced], names, where, memo)
        if seams:
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


def _set_apart(
    value: str, forms: Sequence[str], citizens: Set[str] = frozenset()
) -> tuple[str, dict[int, bool]]:
    """`value` with every occurrence of a form replaced by `FIELD_MARK`, and its seams: offset in
    `value` where a part starts or ends -> whether a citizen's text (a form in `citizens`) meets
    it there."""
    spans: list[tuple[int, int, bool]] = []
    for form in forms:
        start = value.find(form)
        while start != -1:
            end = start + len(form)
            if not any(start < e and s < end for s, e, _ in spans):
                spans.append((start, end, form in citizens))
            start = value.find(form, end)
    if not spans:
        return value, {}
    spans.sort()
    parts: list[str] = []
    cursor = 0
    seams: dict[int, bool] = {}
    for start, end, citizen in spans:
        parts.append(value[cursor:start])
        parts.append(FIELD_MARK)
        cursor = end
        for point in (start, end):
            if 0 < point < len(value):
                seams[point] = seams.get(point, False) or citizen
    parts.append(value[cursor:])
    return "".join(parts), seams


def _straddling(value: str, seams: Mapping[int, bool], names: Sequence[str]) -> set[str]:
    """Kinds of the findings that cross a seam, each found in a window around it: by the
    detectors other than the name finder where a citizen's text meets the seam or digits meet
    across it, by the whole engine where a name could run on."""
    kinds: set[str] = set()
    for seam, citizen in seams.items():
        whole = _name_may_run_on(value, seam, citizen)
        if not (whole or citizen or _digits_meet(value, seam)):
            continue
        left = max(0, seam - SEAM)
        window = value[left : seam + SEAM]
        cut = seam - left
        found = contains_pii(window, names, detect_names=whole)
        kinds.update(f.kind for f in found if f.start < cut < f.end)
    return kinds


def _digits_meet(value: str, seam: int) -> bool:
    """A digit on each side of the seam, within a separator or two (a number our wording starts
    and our value ends: "0912 " + "345 678")."""
    before = value[max(0, seam - 3) : seam].rstrip(" .-/()")
    after = value[seam : seam + 3].lstrip(" .-/()")
    return bool(before) and bool(after) and before[-1].isdigit() and after[0].isdigit()


def _name_may_run_on(value: str, seam: int, citizen: bool) -> bool:
    """Whether a name could run on across the seam: words on both sides (one space between
    them at most), and where only our own text meets (our wording, our values: written with
    capitals, as the registry's and our templates' names are), both capitalised. A citizen's
    text may write a name in lower case ("chi mai"), so any letters count there."""
    before = seam - 1
    if before > 0 and value[before] == " ":
        before -= 1
    after = seam
    if after < len(value) - 1 and value[after] == " ":
        after += 1
    if before < 0 or after >= len(value):
        return False
    if not (value[before].isalpha() and value[after].isalpha()):
        return False
    if citizen:
        return True
    start = before
    while start > 0 and value[start - 1].isalpha():
        start -= 1
    return value[start].isupper() and value[after].isupper()
