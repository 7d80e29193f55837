"""Vietnamese triage of citizen messages and informant-safe redaction.

Pure functions, no Airflow and no I/O except loading the vocabulary YAML:

* :func:`classify` / :func:`classify_case` put a message / a thread into one of
  :data:`CATEGORIES` with a topic, an urgency flag and a confidence (``needs_human`` when low).
* :func:`redact` masks personal data; :func:`contains_pii` finds it; :func:`pii_gate` refuses an
  outbound payload (e.g. Slack blocks) that still holds any.
"""

from __future__ import annotations

from citizen_desk.triage.classify import (
    CATEGORIES,
    TOPIC_LABELS,
    Explanation,
    Triage,
    Vocabulary,
    classify,
    classify_case,
    explain,
    load_vocabulary,
)
from citizen_desk.triage.redact import PLACEHOLDERS, PiiFinding, contains_pii, pii_gate, redact

__all__ = [
    "CATEGORIES",
    "PLACEHOLDERS",
    "TOPIC_LABELS",
    "Explanation",
    "PiiFinding",
    "Triage",
    "Vocabulary",
    "classify",
    "classify_case",
    "contains_pii",
    "explain",
    "load_vocabulary",
    "pii_gate",
    "redact",
]
