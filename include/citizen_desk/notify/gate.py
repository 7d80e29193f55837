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

A sweep's batch (`Memo`) judges each distinct string, value and seam's window once, and for each
case only looks for its own names in what it kept; our references and alert keys are judged by
their shape (`CLEAN_SHAPES`, in which the engine finds nothing). A kept excerpt comes with the
verdict the collection made on it alone (`privacy.excerpt.Verdict`, sealed to the engine, the
names and the text): a field it holds for is not judged alone again; its seams still are.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, MutableMapping, Sequence, Set
from itertools import accumulate

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import contains_pii, pii_gate
from citizen_desk.privacy.excerpt import Verdict
from citizen_desk.privacy.redact import findings_without_names, names_occur

FIELD_MARK = "[…]"
SEAM = 64  # characters each side of a seam: longer than a phone number spelled out in words

Verdicts = MutableMapping[tuple[str, bool], tuple[str, frozenset[str]]]  # `pii_gate`'s memo


class Memo(dict[tuple[str, bool], tuple[str, frozenset[str]]]):
    """A batch's memo: `pii_gate`'s (string -> canonical text, finding kinds without names),
    and apart from it (a key of `pii_gate`'s is any string of a payload), the messages judged
    and the seams' windows judged, each by its exact text. A plain mapping works too: then
    only `pii_gate` keeps what it judged."""

    def __init__(self) -> None:
        super().__init__()
        # (strings, fields, names, ours) -> finding kinds
        self.messages: dict[tuple[tuple[str, ...], ...], frozenset[str]] = {}
        # (window, offset of the seam in it, whole engine) -> (canonical window, kinds of the
        # findings without names that straddle the seam)
        self.windows: dict[tuple[str, int, bool], tuple[str, frozenset[str]]] = {}
        # value -> how it may appear in a message (`_value_forms`)
        self.forms: dict[str, tuple[str, ...]] = {}


MIN_OURS = 4  # shorter values of ours ("2", "ma") are not set apart: they occur everywhere

# Values of ours of a fixed shape, which our code makes from ids: the engine finds nothing in
# any string of these shapes (tests/notify/test_gate_shapes.py runs it over them), so such a
# value is judged by its shape instead of one by one (a burst of 10k late cases shows 10k
# references). Only a whole value handed in as ours, ASCII digits only, can match; the case's own
# names are still looked for in it, and its seams are judged as any other's. Longer ids are left
# to the engine: 9 and 12 digits read as identity card numbers ("CD-338492999" is a CMND).
CLEAN_SHAPES = (
    re.compile(r"CD-[0-9]{6,8}"),  # a case reference (`case_reference`) below 10^8
    # a ladder alert's key, the value of its "Đã nhận" button (`tips.escalation`)
    re.compile(r"tip:[1-9][0-9]{0,7}:L[0-9]:(?:arrival|escalation|reminder):[0-9]{1,2}"),
)


def of_clean_shape(value: str) -> bool:
    """Whether `value` is wholly of one of `CLEAN_SHAPES`."""
    return any(shape.fullmatch(value) for shape in CLEAN_SHAPES)


def gate_kinds(
    strings: Sequence[str],
    fields: Sequence[str],
    names: Sequence[str],
    where: str,
    memo: Verdicts | None = None,
    ours: Sequence[str] = (),
    judged: Sequence[Verdict] = (),
) -> set[str]:
    """Finding kinds in `strings` (the message), each free-text value of `fields` and each value
    of `ours` judged alone.

    With a `memo` (a `Memo`), a message already judged (the same alert to another recipient)
    is not judged again, nor a seam's window already judged (the same text around it). A field
    with a verdict of `judged` that holds for it (the same text, the same names, this engine:
    a kept excerpt's) takes that verdict instead of being judged alone again."""
    # a citizen's text handed in as ours too stays a citizen's text (its seams checked as such)
    ours = [v for v in ours if len(v.strip()) >= MIN_OURS and v not in fields]
    batch = memo if isinstance(memo, Memo) else None
    key = (tuple(strings), tuple(fields), tuple(names), tuple(ours))
    if batch is not None and key in batch.messages:
        return set(batch.messages[key])
    known_forms = batch.forms if batch is not None else None
    forms, citizens = _forms([*fields, *ours], known_forms), set(_forms(fields, known_forms))
    shaped = [v for v in ours if of_clean_shape(v)]
    kinds: set[str] = set()
    alone: list[str] = []
    for value in fields:
        verdict = next((v for v in judged if v.holds_for(value, names)), None)
        if verdict is None:
            alone.append(value)
        else:
            kinds |= verdict.kinds
    kinds |= _kinds([*alone, *(v for v in ours if v not in shaped)], names, where, memo)
    for value in shaped:  # clean by its shape, unless it holds one of the case's names
        # (a shape's canonical text is the value in lower case: the shapes' test checks it)
        if names and names_occur(names, value.lower()):
            kinds |= _kinds([value], names, where, None)
    hit = _occurring(strings, forms)
    reduced: list[str] = []
    for index, value in enumerate(strings):
        held = hit.get(index)
        if held is None:  # none of the forms occurs in it
            reduced.append(value)
            continue
        apart, seams = _set_apart(value, held, citizens)
        reduced.append(apart)
        if seams:
            kinds |= _straddling(value, seams, names, batch)
    kinds |= _kinds(reduced, names, where, memo)
    if batch is not None:
        batch.messages[key] = frozenset(kinds)
    return kinds


def _kinds(
    strings: Sequence[str], names: Sequence[str], where: str, memo: Verdicts | None
) -> set[str]:
    if names and isinstance(memo, Memo) and strings and not any(JOIN in n for n in names):
        # `pii_gate` looks for the case's names in each string's canonical text (a payload has
        # ~40): looked for once in all of them, joined by a character no name's pattern crosses,
        # most payloads hold none, and their kinds are those without names
        known = [_without_names(value, memo) for value in strings]
        if not names_occur(names, JOIN.join(folded for folded, _ in known)):
            return set().union(*(kinds for _, kinds in known))
    try:
        pii_gate(list(strings), names=tuple(names), where=where, memo=memo)
    except PiiDetectedError as exc:
        return set(exc.kinds) or {"unknown"}
    return set()


# Joins canonical texts for `names_occur`: a name's pattern is words and white space between
# non-word characters, so it matches in the joined text exactly where it matches in one of them.
JOIN = "\x00"


def _without_names(value: str, memo: Verdicts) -> tuple[str, frozenset[str]]:
    """`pii_gate`'s memo entry for `value` (its canonical text and finding kinds without names),
    made as `pii_gate` makes it."""
    known = memo.get((value, False))
    if known is None:
        folded, found = findings_without_names(value)
        known = memo[(value, False)] = (folded, frozenset(f.kind for f in found))
    return known


def _forms(
    fields: Sequence[str], known: MutableMapping[str, tuple[str, ...]] | None = None
) -> list[str]:
    """How a field may appear in a message: escaped for mrkdwn, on one line (a header), as is;
    the longest first, so that a field holding another is set apart whole. `known`: a batch's
    forms of the values met before (our labels and units recur in every message)."""
    forms: set[str] = set()
    for value in fields:
        if not value:
            continue
        found = known.get(value) if known is not None else None
        if found is None:
            found = _value_forms(value)
            if known is not None:
                known[value] = found
        forms.update(found)
    return sorted(forms, key=len, reverse=True)


def _value_forms(value: str) -> tuple[str, ...]:
    from citizen_desk.notify.blocks import escape_mrkdwn

    shown = (escape_mrkdwn(value), " ".join(value.split()), value)
    return tuple(form for form in shown if form.strip())


def _occurring(strings: Sequence[str], forms: Sequence[str]) -> dict[int, list[str]]:
    """Index of each string a form occurs in -> the forms found there (in the order of
    `forms`): most strings of a payload (block types, labels) hold none, and are not searched
    form by form, nor is a string searched for the forms of the others. (A form found across two
    strings is listed for the first: searched there, it is found in neither.)"""
    joined = "\x00".join(strings)
    starts = list(accumulate((len(value) + 1 for value in strings[:-1]), initial=0))
    hit: dict[int, list[str]] = {}
    last = len(starts) - 1
    for form in forms:
        at = joined.find(form)
        while at != -1:
            index = bisect_right(starts, at) - 1
            hit.setdefault(index, []).append(form)
            if index == last:
                break
            at = joined.find(form, starts[index + 1])  # on to the next string
    return hit


def _set_apart(
    value: str, forms: Sequence[str], citizens: Set[str] = frozenset()
) -> tuple[str, dict[int, bool]]:
    """`value` with every occurrence of a form replaced by `FIELD_MARK`, and its seams: offset in
    `value` where a part starts or ends -> whether a citizen's text (a form in `citizens`) meets
    it there."""
    spans: list[tuple[int, int, bool]] = []
    for form in forms:
        start = value.find(form)
        if start == -1:
            continue
        size, citizen = len(form), form in citizens
        while start != -1:
            end = start + size
            for s, e, _ in spans:
                if start < e and s < end:
                    break  # overlaps a longer form set apart already
            else:
                spans.append((start, end, citizen))
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


def _straddling(
    value: str, seams: Mapping[int, bool], names: Sequence[str], batch: Memo | None = None
) -> set[str]:
    """Kinds of the findings that cross a seam, each found in a window around it: by the
    detectors other than the name finder where a citizen's text meets the seam or digits meet
    across it, by the whole engine where a name could run on.

    With a `batch`, a window already judged (the same text, seam and detectors) is judged
    again only where one of the case's own names occurs in it (`names_occur`): elsewhere the
    names find nothing, and its findings are those it had without them."""
    kinds: set[str] = set()
    for seam, citizen in seams.items():
        if not citizen and not (
            _ALNUM.search(value, max(0, seam - 3), seam) and _ALNUM.search(value, seam, seam + 3)
        ):
            continue  # no letter or digit right before or after it: neither check below holds
        whole = _name_may_run_on(value, seam, citizen)
        if not (whole or citizen or _digits_meet(value, seam)):
            continue
        left = max(0, seam - SEAM)
        window = value[left : seam + SEAM]
        cut = seam - left
        if batch is None:
            found = contains_pii(window, names, detect_names=whole)
            kinds.update(f.kind for f in found if f.start < cut < f.end)
            continue
        known = batch.windows.get((window, cut, whole))
        if known is None:
            folded, found = findings_without_names(window, detect_names=whole)
            known = (folded, frozenset(f.kind for f in found if f.start < cut < f.end))
            batch.windows[(window, cut, whole)] = known
        if names and names_occur(names, known[0]):
            found = contains_pii(window, names, detect_names=whole)
            kinds.update(f.kind for f in found if f.start < cut < f.end)
        else:
            kinds.update(known[1])
    return kinds


# A letter or digit: `str.isalnum` of one character (`\w` is `isalnum` or "_").
_ALNUM = re.compile(r"[^\W_]")


def _alnum(text: str) -> bool:
    return _ALNUM.search(text) is not None


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
