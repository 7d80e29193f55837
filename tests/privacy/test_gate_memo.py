"""The PII gate over a batch: a memo and a per-text name pattern, the same verdicts."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import pii_gate
from citizen_desk.privacy.canonical import canonicalise
from citizen_desk.privacy.redact import _compiled, _name_candidates, _name_pattern

EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "triage" / "eval_set.jsonl"


def _texts() -> list[str]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _kinds(payload: object, names: tuple[str, ...], memo: dict | None = None) -> list[str]:
    try:
        pii_gate(payload, names, memo=memo)
    except PiiDetectedError as exc:
        return sorted(exc.kinds)
    return []


def test_a_memo_shared_by_payloads_of_other_cases_gives_each_its_own_verdict() -> None:
    # The same strings under other names: clean for one case, the protected name of the next
    # (a nickname only the case's names reveal: the detectors alone find nothing in it).
    shared = ["section", "*Đơn vị:* Công an xã Nga Thủy", "Người báo tin: bé mèo con đã gọi"]
    cases = [(), ("bé mèo con",), ("Trần Văn Bình",), ("mèo con",), ("bé mèo con", "0912345678")]
    memo: dict = {}
    for names in cases * 2:
        payload = {"text": shared[2], "blocks": [{"type": shared[0], "text": shared[1]}]}
        assert _kinds(payload, names, memo) == _kinds(payload, names)
    assert _kinds({"t": shared[2]}, (), memo) == []
    assert _kinds({"t": shared[2]}, ("bé mèo con",), memo) == ["name"]
    assert _kinds({"t": shared[1]}, ("bé mèo con",), memo) == []


def test_the_memo_changes_no_verdict_over_real_texts() -> None:
    rng = random.Random(3)
    texts = _texts()[::6]
    words = [w for t in texts for w in t.split()]
    memo: dict = {}
    for text in texts:
        names = tuple(" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(3))
        payload = {"text": f"Hồ sơ CD-000123: {text}", "blocks": [{"text": text}, "mrkdwn"]}
        assert _kinds(payload, names, memo) == _kinds(payload, names), text


@pytest.mark.parametrize("seed", range(3))
def test_the_per_text_name_pattern_matches_as_the_pattern_of_every_name(seed: int) -> None:
    rng = random.Random(seed)
    texts = _texts()
    words = [w for t in texts for w in t.split()] + ["o'neil", "văn-an", "A.B", "(x)"]
    for text in rng.sample(texts, 120):
        folded = canonicalise(text).text
        names = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(rng.randint(1, 60))]
        parts = text.split()
        if len(parts) > 3:  # and a name that is in the text
            start = rng.randrange(len(parts) - 2)
            names.append(" ".join(parts[start : start + rng.randint(1, 3)]))
        candidates = _name_candidates(tuple(names))
        every = _compiled(candidates) if candidates else None
        restricted = _name_pattern(names, folded)
        expected = [m.span() for m in every.finditer(folded)] if every else []
        found = [m.span() for m in restricted.finditer(folded)] if restricted else []
        assert found == expected, (text, names)


@pytest.mark.parametrize("seed", range(2))
def test_names_occur_where_the_pattern_of_every_name_matches(seed: int) -> None:
    """`names_occur` (first words looked up first, then the per-text pattern) says what the
    pattern of every name finds, for a case's few names and a digest's many."""
    from citizen_desk.privacy.redact import names_occur

    rng = random.Random(seed)
    texts = _texts()
    words = [w for t in texts for w in t.split()] + ["o'neil", "văn-an", "A.B", "(x)", "_x"]
    for text in rng.sample(texts, 150):
        folded = canonicalise(text).text
        names = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(rng.randint(1, 40))]
        parts = text.split()
        if len(parts) > 3 and rng.random() < 0.5:
            start = rng.randrange(len(parts) - 2)
            names.append(" ".join(parts[start : start + rng.randint(1, 3)]))
        candidates = _name_candidates(tuple(names))
        every = _compiled(candidates) if candidates else None
        expected = every is not None and every.search(folded) is not None
        assert names_occur(names, folded) == expected, (text, names)
