"""The literal test before a vocabulary pattern's search (`triage.literals`): never skips a text
the pattern matches, and classify's results do not change."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizen_desk.triage import classify, load_vocabulary
from citizen_desk.triage.literals import required_literals
from tests.triage.test_classify import CASES
from tests.triage.test_real_corpus import CORPUS

RULES = load_vocabulary().rules


def test_most_vocabulary_patterns_get_a_test() -> None:
    assert sum(bool(rule.needles) for rule in RULES) >= len(RULES) * 3 // 4
    assert all(min(len(n) for n in rule.needles) >= 2 for rule in RULES if rule.needles)


@pytest.mark.parametrize(
    ("pattern", "needles"),
    [
        (r"\bco (can|phai) (bao|khai bao)\b", ("co ",)),
        (r"\b(keu|la|het) (cuu|len)\b", ("cuu", "len")),
        (r"\b(mat|lay mat) \d+", ("lay mat", "mat")),
        (r"ab|cd", ("ab", "cd")),
        (r"ab|c", ()),  # one alternative needs one character: not worth a test
        (r"ab|\d+", ()),  # one alternative needs no known text
        (r"(?i)cong an", ()),  # case-insensitive: no test
        (r"x(?i:cong an)y", ()),
        (r"(cong an)?x", ()),
        (r"(cong an)+x", ("cong an",)),
        (r"[ab]c", ()),
        (r"(?=.*\bcuu\b)", ()),  # a lookahead proves nothing here
        (r"(", ()),  # not a pattern: nothing known
    ],
)
def test_required_literals(pattern: str, needles: tuple[str, ...]) -> None:
    assert required_literals(pattern) == needles


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.needles], ids=lambda r: r.regex.pattern[:40]
)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_text_a_pattern_matches_holds_one_of_its_literals(rule, data) -> None:
    text = data.draw(st.from_regex(rule.regex, alphabet=st.characters(codec="utf-8")))
    assert rule.regex.search(text)
    assert any(needle in text for needle in rule.needles)


def test_classify_gives_what_the_searches_alone_give() -> None:
    """On the examples and the real corpus's train and dev rows (never its test split)."""
    vocab = load_vocabulary()
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    texts = [case[0] for case in CASES] + [r["text"] for r in rows if r["split"] != "test"]
    bare = replace(vocab, rules=tuple(replace(rule, needles=()) for rule in vocab.rules))
    assert [classify(t, bare) for t in texts] == [classify(t, vocab) for t in texts]
