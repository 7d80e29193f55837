"""The gate takes a kept excerpt's verdict only for that very text, names and engine; a batch
looks for the case's names once in a payload's strings: the same kinds as judging each."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from citizen_desk.notify import gate
from citizen_desk.notify.gate import Memo, gate_kinds
from citizen_desk.privacy.excerpt import Verdict, engine_fingerprint, judge

EXCERPT = "goi cho em so 0912 345 678 nhe"
CLEAN = "cho em hoi thu tuc lam lai can cuoc"
MESSAGE = ["*Trích nội dung*:\n> {}", "Hồ sơ CD-000007 – Công an xã Nga Thủy"]
EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "triage" / "eval_set.jsonl"


def _message(excerpt: str) -> list[str]:
    return [MESSAGE[0].format(excerpt), MESSAGE[1]]


def _judged_alone(monkeypatch) -> list[str]:
    """The strings the engine is asked about through `pii_gate` from here on."""
    seen: list[str] = []
    real = gate.pii_gate

    def recording(strings, *args, **kwargs):
        seen.extend(strings)
        return real(strings, *args, **kwargs)

    monkeypatch.setattr(gate, "pii_gate", recording)
    return seen


def test_a_verdict_that_holds_spares_judging_the_excerpt_alone(monkeypatch) -> None:
    verdict = judge(CLEAN, ("Trần Văn Bình",))
    seen = _judged_alone(monkeypatch)
    kinds = gate_kinds(_message(CLEAN), [CLEAN], ("Trần Văn Bình",), "t", Memo(), (), [verdict])
    assert kinds == set()
    assert CLEAN not in seen


def test_a_verdict_s_kinds_are_the_excerpt_s() -> None:
    verdict = judge(EXCERPT, ())
    assert verdict.kinds == {"phone"}
    assert gate_kinds(_message(EXCERPT), [EXCERPT], (), "t", Memo(), (), [verdict]) == {"phone"}


@pytest.mark.parametrize(
    "forged",
    [
        Verdict(EXCERPT, (), frozenset(), "another-engine"),  # another engine's
        Verdict(CLEAN, (), frozenset(), engine_fingerprint()),  # another text's
        Verdict(EXCERPT, ("Lan",), frozenset(), engine_fingerprint()),  # other names'
    ],
    ids=["engine", "text", "names"],
)
def test_a_verdict_that_does_not_hold_is_not_taken(forged: Verdict, monkeypatch) -> None:
    seen = _judged_alone(monkeypatch)
    assert gate_kinds(_message(EXCERPT), [EXCERPT], (), "t", Memo(), (), [forged]) == {"phone"}
    assert EXCERPT in seen  # judged again


def test_a_clean_verdict_still_leaves_the_seams_judged() -> None:
    # clean alone, but its digits run on from ours across the seam: a phone number
    verdict = judge("345 678 nhe", ())
    assert verdict.kinds == frozenset()
    strings = ["Gọi số 0912 345 678 nhe"]
    assert gate_kinds(strings, ["345 678 nhe"], (), "t", Memo(), (), [verdict]) == {"phone"}


def _texts() -> list[str]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


@pytest.mark.parametrize("seed", range(3))
def test_the_names_looked_for_once_per_payload_give_the_kinds_of_each_string(seed: int) -> None:
    rng = random.Random(seed)
    texts = _texts()
    words = [w for t in texts for w in t.split()]
    memo = Memo()
    for text in rng.sample(texts, 60):
        names = tuple(" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(2))
        if rng.random() < 0.3:  # a name the payload does hold
            names = (*names, " ".join(text.split()[:2]))
        strings = ["section", "mrkdwn", f"Hồ sơ CD-000123: {text}", text[: len(text) // 2]]
        assert gate._kinds(strings, names, "t", memo) == gate._kinds(strings, names, "t", None)


def test_a_digest_judged_in_parts_still_finds_what_its_lines_hold() -> None:
    from citizen_desk.notify.outbox import _pii_findings

    ours = ("CD-000123", "Hỏi đáp", "1 giờ 5 phút")
    clean = {"text": "Tổng hợp", "blocks": ["🔴 CD-000123 • Hỏi đáp • quá hạn 1 giờ 5 phút"]}
    assert _pii_findings(clean, (), "k", (), Memo(), None, ours) == []
    leaked = {"text": "Tổng hợp", "blocks": ["🔴 CD-000123 • Hỏi đáp • gọi 0912 345 678"]}
    assert _pii_findings(leaked, (), "k", (), Memo(), None, ours) == ["phone"]
    named = {"text": "Tổng hợp", "blocks": ["🔴 CD-000123 • Hỏi đáp • chị Thu Trang"]}
    assert _pii_findings(named, ("Thu Trang",), "k", (), Memo(), None, ours) == ["name"]
    # a value of ours that runs on into the wording's digits: found across the seam
    run_on = {"text": "x", "blocks": ["liên hệ 0912 1 giờ 5 phút"]}
    assert _pii_findings(run_on, (), "k", (), Memo(), None, ("1 giờ 5 phút",)) == _pii_findings(
        run_on, (), "k", (), None
    )
