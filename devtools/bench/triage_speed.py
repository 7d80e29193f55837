"""Triage speed: messages per second for `classify` and `redact` over the labelled eval set.

The texts of `tests/triage/eval_set.jsonl` are repeated to `messages` per run; the vocabulary and
the model are loaded (and the regexes compiled) before timing. `classify` is the shipped triage
(the trained model with the rules); `classify_rules_only` the rules alone, for comparison.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import REPO, Env, spread

EVAL_SET = REPO / "tests" / "triage" / "eval_set.jsonl"


@dataclass(frozen=True)
class Size:
    messages: int = 5_000
    repeats: int = 5


FULL = Size()
QUICK = Size(messages=200, repeats=1)


def texts() -> list[str]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _rate(fn: Callable[[str], Any], corpus: list[str]) -> float:
    started = time.perf_counter()
    for text in corpus:
        fn(text)
    return len(corpus) / (time.perf_counter() - started)


def run(size: Size, env: Env) -> dict[str, Any]:
    """See the module docstring."""
    from citizen_desk.privacy import redact
    from citizen_desk.triage import classify

    base = texts()
    corpus = (base * (size.messages // len(base) + 1))[: size.messages]

    def rules_only(text: str) -> Any:
        return classify(text, model=None)

    classify(base[0])  # load the vocabulary and the model once, outside the timing
    redact(base[0])
    env.log(f"triage_speed: {len(corpus)} messages x {size.repeats}")
    results: dict[str, list[float]] = {"classify": [], "rules": [], "redact": []}
    for _ in range(size.repeats):
        results["classify"].append(_rate(classify, corpus))
        results["rules"].append(_rate(rules_only, corpus))
        results["redact"].append(_rate(redact, corpus))
    return {
        "size": asdict(size),
        "distinct_texts": len(base),
        "mean_chars": round(sum(len(t) for t in base) / len(base), 1),
        "classify_msgs_per_s": spread(results["classify"], 1),
        "classify_rules_only_msgs_per_s": spread(results["rules"], 1),
        "redact_msgs_per_s": spread(results["redact"], 1),
    }
