"""The redaction engine holds a floor on the real rows it may be tuned on: the train and dev
splits of datasets/real/redaction.jsonl and the personal data of datasets/real/triage.jsonl.

The test split is only ever reported (datasets/real/README.md), never asserted on here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from citizen_desk.privacy.evaluate import Scores, judge

REAL = Path(__file__).resolve().parents[2] / "datasets" / "real"

# All but four secrets of the redaction set's train and dev splits (963 of 967) are masked today
# and every keep-span intact (1380 of 1380; datasets/real/README.md). The floors are today's
# figures: a change that loses one more secret, or any keep-span, fails here.
SECRET_FLOOR = 0.9958
KEEP_FLOOR = 1.0
TRIAGE_SECRET_FLOOR = 0.95  # the triage corpus' train+dev personal data: 99/104 today


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (REAL / name).read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, filter(None, lines)) if row["split"] in {"train", "dev"}]


def _scores(rows: Iterable[dict[str, Any]]) -> Scores:
    scores = Scores()
    for row in rows:
        scores.rows += 1
        for result in judge(row):
            scores.add(result.label, result.role, result.ok)
    return scores


def test_engine_holds_its_floor_on_train_and_dev() -> None:
    scores = _scores(_rows("redaction.jsonl"))
    masked, secrets = scores.share("secret")
    intact, keeps = scores.share("keep")
    assert masked / secrets >= SECRET_FLOOR, f"secrets masked {masked}/{secrets}"
    assert intact / keeps >= KEEP_FLOOR, f"keep-spans intact {intact}/{keeps}"


def test_engine_holds_its_floor_on_the_triage_corpus() -> None:
    scores = _scores(_rows("triage.jsonl"))
    masked, secrets = scores.share("secret")
    assert masked / secrets >= TRIAGE_SECRET_FLOOR, f"secrets masked {masked}/{secrets}"
