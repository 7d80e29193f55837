"""A model's figures and the promotion rule of the weekly retrain (pure: no DB, no I/O).

Figures are measured with the current rules and vocabulary (triage is the model *with* the rules),
so the champion is measured again every week next to its challenger:

* on the corpus's frozen **test** split: accuracy, tip recall, urgent recall, false urgents
  (count and share of non-urgent rows), abuse recall;
* on the **recent corrections** (held out of training): the share whose category the model
  gives as the officer corrected it (agreement), the thread triaged as the collection does.

The **score** is the test accuracy, or, with at least `min_recent_corrections` recent ones, the
mean of test accuracy and agreement on them. A challenger is promoted only if its score beats the
champion's by `promotion_margin` and neither its tip recall nor its urgent recall is lower.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from citizen_desk.config.registry import LearningPolicy
from citizen_desk.learning.dataset import Corrected
from citizen_desk.triage.classify import classify_case
from citizen_desk.triage.evaluate import Example, evaluate
from citizen_desk.triage.model import TriageModel
from citizen_desk.triage.vocabulary import Vocabulary

DIGITS = 4


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, DIGITS) if whole else None


def measure(
    model: TriageModel | None,
    test: Sequence[Example],
    recent: Sequence[Corrected],
    vocabulary: Vocabulary,
) -> dict[str, Any]:
    """The figures of `model` (with the rules) on the test split and the recent corrections."""
    outcomes = evaluate(test, vocabulary, model).outcomes
    urgent = [o for o in outcomes if o.example.urgent]
    calm = [o for o in outcomes if not o.example.urgent]
    tips = [o for o in outcomes if o.example.category == "tip"]
    abuse = [o for o in outcomes if o.example.category == "abuse"]
    agreed = sum(
        classify_case(list(c.texts), vocabulary, model).category == c.category for c in recent
    )
    false_urgents = sum(o.triage.urgent for o in calm)
    return {
        "test_rows": len(outcomes),
        "test_accuracy": _share(sum(o.correct for o in outcomes), len(outcomes)),
        "tip_recall": _share(sum(o.correct for o in tips), len(tips)),
        "urgent_rows": len(urgent),
        "urgent_recall": _share(sum(o.triage.urgent for o in urgent), len(urgent)),
        "false_urgents": false_urgents,
        "false_urgent_rate": _share(false_urgents, len(calm)),
        "abuse_recall": _share(sum(o.correct for o in abuse), len(abuse)),
        "recent_corrections": len(recent),
        "recent_agreement": _share(agreed, len(recent)),
    }


def score(figures: Mapping[str, Any], policy: LearningPolicy) -> tuple[float, str]:
    """(score, basis): see the module docstring."""
    accuracy = float(figures.get("test_accuracy") or 0.0)
    agreement = figures.get("recent_agreement")
    if agreement is not None and figures.get("recent_corrections", 0) >= (
        policy.min_recent_corrections
    ):
        return round((accuracy + float(agreement)) / 2, DIGITS), "test+corrections"
    return accuracy, "test"


def decide(
    champion: Mapping[str, Any], challenger: Mapping[str, Any], policy: LearningPolicy
) -> dict[str, Any]:
    """Promote the challenger? With the reasons when not (Vietnamese, shown on the model page)."""
    champion_score, basis = score(champion, policy)
    challenger_score, _ = score(challenger, policy)
    gain = round(challenger_score - champion_score, DIGITS)
    reasons = []
    if gain < policy.promotion_margin:
        reasons.append(
            f"điểm tăng {_vi(f'{gain * 100:+.1f}')} điểm %, cần ít nhất "
            f"+{_vi(f'{policy.promotion_margin * 100:.1f}')}"
        )
    for key, what in (("tip_recall", "tin báo"), ("urgent_recall", "tin khẩn")):
        ours, theirs = challenger.get(key), champion.get(key)
        if theirs is not None and (ours is None or ours < theirs):
            reasons.append(f"tỉ lệ nhận ra {what} giảm ({_pct(theirs)} → {_pct(ours)})")
    return {
        "promote": not reasons,
        "basis": basis,
        "champion_score": champion_score,
        "challenger_score": challenger_score,
        "gain": gain,
        "margin": policy.promotion_margin,
        "reasons": reasons,
    }


def _vi(number: str) -> str:
    return number.replace(".", ",")  # the Vietnamese decimal comma


def _pct(value: float | None) -> str:
    return "—" if value is None else _vi(f"{value * 100:.1f}%")
