"""The gate as the last net, on real text: an alert whose excerpt a redaction bug left whole is
refused whenever judging the alert as one string would have refused it.

Rows of the real sets' train and dev splits (public sources, datasets/real/README.md) that hold
a labelled secret; the excerpt is the citizen's text unredacted, as a broken `redact` would
leave it. Judging the excerpt alone must never let through what the whole alert showed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from citizen_desk.notify.blocks import our_values, render_message
from citizen_desk.notify.gate import gate_kinds
from citizen_desk.notify.outbox import _strings, _without_safe_links
from citizen_desk.privacy import contains_pii
from citizen_desk.privacy.excerpt import shorten
from tests.notify.helpers import CASE_URL, SLA_BREACH

REAL = Path(__file__).resolve().parents[2] / "datasets" / "real"
URL = CASE_URL
CONTEXT = SLA_BREACH


def _rows_with_secrets() -> list[tuple[str, str]]:
    found = []
    for name in ("triage", "redaction"):
        for line in (REAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("split") not in ("train", "dev"):
                continue
            excerpt = shorten(" ".join(row["text"].split()), 200)
            labelled = row.get("pii") or row.get("spans") or []
            spans = [s for s in labelled if s.get("role", "secret") == "secret"]
            if any(row["text"][s["start"] : s["end"]] in excerpt for s in spans):
                found.append((row["id"], excerpt))
    return found


ROWS = _rows_with_secrets()


def test_there_are_real_rows_to_judge() -> None:
    assert len(ROWS) > 100


@pytest.mark.parametrize(("row_id", "excerpt"), ROWS, ids=[r for r, _ in ROWS])
def test_an_unredacted_real_excerpt_is_refused_as_the_whole_alert_would_be(
    row_id: str, excerpt: str
) -> None:
    message = render_message("sla_breach", excerpt=excerpt, case_url=URL, **CONTEXT)
    strings = [
        _without_safe_links(s, (URL,))
        for s in _strings({"text": message.text, "blocks": message.blocks})
    ]
    whole = {f.kind for s in strings for f in contains_pii(s)}
    parts = gate_kinds(strings, [excerpt], (), row_id, None, our_values(*CONTEXT.values()))
    assert bool(parts) >= bool(whole), (row_id, sorted(whole))


def test_a_batch_memo_changes_no_verdict_over_the_real_rows() -> None:
    """The rows judged as one sweep's batch (one `Memo`: values, wording and seams' windows
    judged once): each row's verdict is the one it gets judged alone."""
    from citizen_desk.notify.gate import Memo

    memo = Memo()
    ours = our_values(*CONTEXT.values())
    for row_id, excerpt in ROWS:
        message = render_message("sla_breach", excerpt=excerpt, case_url=URL, **CONTEXT)
        strings = [
            _without_safe_links(s, (URL,))
            for s in _strings({"text": message.text, "blocks": message.blocks})
        ]
        alone = gate_kinds(strings, [excerpt], (), row_id, None, ours)
        assert gate_kinds(strings, [excerpt], (), row_id, memo, ours) == alone, row_id
