"""Measured quality of the triage rules on the labelled sets.

``eval_set.jsonl`` is the development set the vocabulary was written against (it includes the
earlier held-out rounds, folded back in once measured). ``holdout.jsonl`` was written after the
vocabulary was frozen and has never been used for tuning; its measured accuracy is recorded
next to ``test_holdout_accuracy_target``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from citizen_desk.privacy import contains_pii, redact
from citizen_desk.text.normalize import has_diacritics
from citizen_desk.triage import CATEGORIES
from citizen_desk.triage.evaluate import Example, Report, evaluate, load_examples
from tests.budget import sample

HERE = Path(__file__).parent
EVAL_SET = HERE / "eval_set.jsonl"
HOLDOUT = HERE / "holdout.jsonl"


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load_examples(EVAL_SET)


@pytest.fixture(scope="module")
def report(examples: list[Example]) -> Report:
    return evaluate(examples)


@pytest.fixture(scope="module")
def holdout_report() -> Report:
    return evaluate(load_examples(HOLDOUT))


@pytest.mark.parametrize("path", [EVAL_SET, HOLDOUT], ids=["eval_set", "holdout"])
def test_file_format(path: Path) -> None:
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert set(record) == {"id", "text", "category", "topic", "urgent"}
        assert record["category"] in CATEGORIES
        assert isinstance(record["urgent"], bool)
        assert isinstance(record["text"], str)
        assert record["topic"] is None or isinstance(record["topic"], str)
        # urgency is the situation's, not the category's: a missing child is urgent lost_found
        assert not record["urgent"] or record["category"] in ("tip", "lost_found")
        ids.append(record["id"])
    assert len(ids) == len(set(ids))


def test_eval_set_size_and_mix(examples: list[Example]) -> None:
    total = len(examples)
    assert total >= 320
    share = {c: n / total for c, n in Counter(e.category for e in examples).items()}
    expected = {"question": 0.30, "tip": 0.25, "feedback": 0.12, "lost_found": 0.12,
                "abuse": 0.08, "other": 0.13}  # fmt: skip
    for category, target in expected.items():
        assert abs(share[category] - target) < 0.07, category
    assert sum(e.urgent for e in examples) >= 25
    plain = sum(not has_diacritics(e.text) for e in examples if any(c.isalpha() for c in e.text))
    assert 0.35 <= plain / total <= 0.5  # typed without diacritics
    assert len({e.topic for e in examples if e.topic}) >= 30


def test_accuracy(report: Report) -> None:
    assert report.accuracy >= 0.90


def test_every_urgent_example_is_flagged(report: Report) -> None:
    missed = [o.example.id for o in report.outcomes if o.example.urgent and not o.triage.urgent]
    assert missed == []


def test_tip_recall(report: Report) -> None:
    assert report.per_category()["tip"].recall >= 0.95


def test_few_false_alarms(report: Report) -> None:
    assert report.false_urgent_rate <= 0.02


def test_holdout_size(holdout_report: Report) -> None:
    assert holdout_report.total >= 60


# Held-out accuracy was measured once per vocabulary freeze, on a set written after it:
# 83.5%, 81.0%, 83.7%, 82.4% over four rounds (each round then joined eval_set.jsonl and a new
# one was written). The shipped holdout.jsonl is round 4: 82.4% at the freeze, 81.2% after one
# collision bug found while reading its errors was fixed ("dap cua" also matched "xe đạp của").
# The trained model (issue #18, never fitted or tuned on holdout.jsonl) reaches 88.2% with the
# rules; the rules alone stay at 81.2% (test_holdout_rules_alone_do_not_regress).
def test_holdout_accuracy_target(holdout_report: Report) -> None:
    assert holdout_report.accuracy >= 0.85


def test_holdout_rules_alone_do_not_regress() -> None:
    assert evaluate(load_examples(HOLDOUT), model=None).accuracy >= 0.80


def test_holdout_accuracy_does_not_regress(holdout_report: Report) -> None:
    assert holdout_report.accuracy >= 0.80


# Urgency became the situation's, whatever the category (issue #18; guide in
# datasets/real/README.md): three holdout rows were relabelled urgent by the new guide (an old
# man and a forgetful mother missing now, a girl held and not allowed home), never tuned on.
# Measured once after the rules changed: urgent 10/12 (was 6/9 under the old labels), false
# urgents 2 of 73 non-urgent, 2.7% (was 1 of 76, a non-urgent tip); the bar is the issue's
# ("false urgents <= 3% of non-urgent messages"), where it used to bound urgent non-tips only.
def test_holdout_few_false_alarms(holdout_report: Report) -> None:
    assert holdout_report.false_urgent_rate <= 0.03


@pytest.mark.parametrize("path", [EVAL_SET, HOLDOUT], ids=["eval_set", "holdout"])
def test_redacted_messages_are_clean(path: Path) -> None:
    for example in sample(load_examples(path)):
        redacted = redact(example.text)
        assert contains_pii(redacted) == [], example.id
        assert redact(redacted) == redacted, example.id
