"""Urgency on unseen sources, estimated without the test split.

``PYTHONPATH=include:devtools python -m triage_cv.urgency [--vintage]``

* **The urgency model** (``citizen_desk.triage.urgency_train``'s recipe): out-of-fold
  probabilities from ``StratifiedGroupKFold`` by source family over ``train`` + ``dev`` (a
  family's rows are never both fitted on and scored), three seeds, averaged; the shipped
  artifact's threshold.
* **The rules** cannot be refitted per fold: they were written from every ``train`` and
  ``dev`` row, so on those rows they are in-sample. ``--vintage`` measures them honestly: each
  row is scored by the rules *as they stood before the commit that added the row* (the code of
  subprocess), i.e. by rules that had never seen it, as a new page's message would be. The
  combined figures use those vintage rules for the rules' part: "rules OR model" (the model
  vetoed by the rules' strong "not now" cues; the combination shipped until the fourteenth
  session) and "fused" (shipped since: rule-urgent, or the model from a lower probability when
  the rules' score does not argue against the message, ``urgency_model.fused``). Vintage
  scores come from rules of several ages, whose scales differ a little: an estimate.

Prints counts only (no text, no id): urgent found / urgent rows and false urgents / non-urgent
rows, by source kind and with / without diacritics.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from citizen_desk.triage.classify import explain
from citizen_desk.triage.train import REAL_SET
from citizen_desk.triage.urgency_model import CALM_VETO, fused, load_urgency_model
from citizen_desk.triage.urgency_train import (
    UrgencyRow,
    out_of_fold,
    read_synthetic_calm,
    read_urgency_rows,
)

REPO = REAL_SET.parents[2]
CORPUS = "datasets/real/triage.jsonl"
# Run inside an old checkout: the rules' situation-urgency of the given ids (older code had the
# flag only for tips, hence the threshold when it exists) and their "not now" weight.
_SNIPPET = """
import json, sys
from citizen_desk.triage.classify import explain
from citizen_desk.triage.vocabulary import load_vocabulary
ids = set(sys.argv[2].split(","))
vocab = load_vocabulary()
minimum = getattr(vocab.thresholds, "urgent_min", None)
out = {}
for line in open(sys.argv[1], encoding="utf-8"):
    row = json.loads(line)
    if row["id"] in ids:
        d = explain(row["text"], vocab)
        urgent = d.urgency >= minimum if minimum is not None else d.triage.urgent
        calm = sum(h.weight for h in d.hits if h.category == "urgent" and h.weight < 0)
        out[row["id"]] = [bool(urgent), calm, d.urgency]
print(json.dumps(out))
"""


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True).stdout


def vintage_rules(wanted: set[str]) -> dict[str, tuple[bool, float, float]]:
    """Row id -> (urgent, "not now" weight, urgency score) by the rules of the parent of the
    commit that first added the row."""
    commits = _git("log", "--format=%H", "--reverse", "--", CORPUS).decode().split()
    seen: set[str] = set()
    result: dict[str, tuple[bool, float, float]] = {}
    corpus = str(REPO / CORPUS)
    for commit in commits:
        lines = _git("show", f"{commit}:{CORPUS}").decode("utf-8").splitlines()
        ids = {json.loads(line)["id"] for line in lines if line.strip()}
        new = sorted((ids - seen) & wanted)
        seen |= ids
        if not new:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            archive = _git("archive", f"{commit}^", "include")
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "include")}
            done = subprocess.run(
                [sys.executable, "-c", _SNIPPET, corpus, ",".join(new)],
                check=True, capture_output=True, env=env, cwd=tmp,
            )  # fmt: skip
        result.update(
            {k: (bool(u), float(c), float(v)) for k, (u, c, v) in json.loads(done.stdout).items()}
        )
    return result


def either(model_flag: bool, rules: tuple[bool, float, float]) -> bool:
    """The combination shipped until the fourteenth session: rule-urgent, or model-urgent
    unless the rules' calm vetoes."""
    return rules[0] or (model_flag and rules[1] > CALM_VETO)


def fused_flag(probability: float, threshold: float, rules: tuple[bool, float, float]) -> bool:
    """The shipped combination on a vintage rules' verdict: rule-urgent, or the model's say
    weighed against the rules' score (``urgency_model.fused``)."""
    return rules[0] or fused(probability, threshold, rules[1], rules[2])


def _count(rows: Sequence[UrgencyRow], flags: Sequence[bool]) -> tuple[int, int, int, int]:
    urgent = sum(r.urgent for r in rows)
    found = sum(f for r, f in zip(rows, flags, strict=True) if r.urgent)
    false = sum(f for r, f in zip(rows, flags, strict=True) if not r.urgent)
    return found, urgent, false, len(rows) - urgent


def _line(name: str, rows: Sequence[UrgencyRow], runs: Sequence[Sequence[bool]]) -> str:
    counts = [_count(rows, flags) for flags in runs]
    found = sum(c[0] for c in counts) / len(counts)
    false = sum(c[2] for c in counts) / len(counts)
    urgent, calm = counts[0][1], counts[0][3]
    return (
        f"{name:<34} urgent {found:5.1f}/{urgent:<3} ({found / (urgent or 1):6.1%})   "
        f"false {false:5.1f}/{calm:<3} ({false / (calm or 1):5.1%})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage_cv.urgency", description=__doc__)
    parser.add_argument("--vintage", action="store_true", help="rules as before each row")
    parser.add_argument("--threshold", type=float, default=None, help="default: the artifact's")
    args = parser.parse_args(argv)
    rows = read_urgency_rows()
    model = load_urgency_model()
    threshold = model.threshold if model else 0.5
    if args.threshold is not None:
        threshold = args.threshold
    probabilities = out_of_fold(rows, read_synthetic_calm())
    texts = {}
    for line in REAL_SET.read_text(encoding="utf-8").splitlines():
        data = json.loads(line) if line.strip() else None
        if data and data["split"] in ("train", "dev"):
            texts[data["id"]] = data["text"]
    current = [explain(texts[r.id]).triage.urgent for r in rows]
    vintage = vintage_rules({r.id for r in rows}) if args.vintage else None
    groups: list[tuple[str, list[int]]] = [("all", list(range(len(rows))))]
    for kind in sorted({r.kind for r in rows}):
        groups.append((f"kind {kind}", [i for i, r in enumerate(rows) if r.kind == kind]))
    for accents, name in ((True, "with diacritics"), (False, "without diacritics")):
        groups.append((name, [i for i, r in enumerate(rows) if r.diacritics == accents]))
    print(f"{len(rows)} rows (train + dev), {len({r.group for r in rows})} source families; "
          f"model threshold {threshold}; 5 folds x {len(probabilities)} seeds")  # fmt: skip
    for name, index in groups:
        part = [rows[i] for i in index]
        model_flags = [[run[i] >= threshold for i in index] for run in probabilities]
        print(f"== {name}")
        print(_line("rules today (in-sample)", part, [[current[i] for i in index]]))
        if vintage is not None:
            old = [[vintage[r.id][0] for r in part]]
            print(_line("rules before each row (vintage)", part, old))
        print(_line("urgency model alone (grouped CV)", part, model_flags))
        if vintage is not None:
            combined = [[either(f, vintage[r.id]) for f, r in zip(flags, part, strict=True)]
                        for flags in model_flags]  # fmt: skip
            print(_line("vintage rules OR model", part, combined))
            gated = [[fused_flag(run[i], threshold, vintage[rows[i].id]) for i in index]
                     for run in probabilities]  # fmt: skip
            print(_line("vintage rules fused with model", part, gated))
    print("== threshold curve (all rows): model alone / vintage rules OR model")
    for step in range(5, 96, 5):
        t = step / 100
        flags = [[p >= t for p in run] for run in probabilities]
        text = _line(f"t={t:.2f} model", rows, flags)
        if vintage is not None:
            both = [[either(f, vintage[r.id]) for f, r in zip(run, rows, strict=True)]
                    for run in flags]  # fmt: skip
            text += " | " + _line("OR", rows, both).split(None, 1)[1]
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
