"""Text a regular expression cannot match without: a cheap test before the search.

`required_literals(pattern)` returns strings of which every match of `pattern` contains at least
one (empty: nothing is known, always search). A substring test (`in`) is ~20x cheaper than a
search, and most vocabulary patterns need a word most messages do not have: `classify` skips the
search when none of them is in the text. The analysis is sound by construction: it only reads
the parts of the pattern every match must go through (plain characters, groups, alternatives
that each need one, repeats of at least one), gives up on anything else, and on case-insensitive
patterns.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# `re._parser` is the standard library's own pattern parser (sre_parse before 3.11): private, so
# anything it does not give as expected means "nothing known", never a wrong answer.
_sre: Any
_parse: Any
try:
    _sre = importlib.import_module("re._constants")
    _parse = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - older or other Pythons: no shortcut
    _sre = _parse = None

MIN_LENGTH = 2  # a one-character literal (a space) is in nearly every text: not worth a test

Needles = frozenset[str]


def required_literals(pattern: str) -> tuple[str, ...]:
    """Strings at least one of which is in every match of `pattern` (see the module)."""
    if _parse is None:
        return ()
    try:
        parsed = _parse.parse(pattern)
    except Exception:
        return ()
    if parsed.state.flags & re.IGNORECASE:
        return ()
    found = _sequence(list(parsed))
    if not found or min(len(n) for n in found) < MIN_LENGTH:
        return ()
    return tuple(sorted(found))


def _sequence(items: list[tuple[Any, Any]]) -> Needles | None:
    """The best requirement of a sequence: every item of it is in every match."""
    options: list[Needles] = []
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.append(frozenset({"".join(run)}))
            run = []
        found = _item(op, av)
        if found:
            options.append(found)
    if run:
        options.append(frozenset({"".join(run)}))
    return max(options, key=_strength, default=None)


def _item(op: Any, av: Any) -> Needles | None:
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        if (add_flags | del_flags) & re.IGNORECASE:
            return None
        return _sequence(list(inner))
    if op is _sre.BRANCH:
        alternatives = [_sequence(list(alt)) for alt in av[1]]
        if any(not alt for alt in alternatives):
            return None  # an alternative needs nothing known
        return frozenset().union(*(alt for alt in alternatives if alt))
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        least, _most, inner = av
        return _sequence(list(inner)) if least >= 1 else None
    return None  # classes, anchors, lookarounds, back references: nothing known


def _strength(needles: Needles) -> tuple[int, int]:
    """Longer shortest needle first, then fewer needles."""
    return min(len(n) for n in needles), -len(needles)
