"""Vietnamese triage of citizen messages: category, topic, urgency and confidence.

Pure functions, no Airflow and no I/O except loading the vocabulary YAML (`vocabulary`):

* :func:`classify` / :func:`classify_case` put a message / a thread into one of
  :data:`CATEGORIES` with a topic, an urgency flag and a confidence (``needs_human`` when low).
"""

from __future__ import annotations

from citizen_desk.triage.classify import (
    CATEGORIES,
    Explanation,
    Triage,
    classify,
    classify_case,
    explain,
)
from citizen_desk.triage.vocabulary import TOPIC_LABELS, Vocabulary, load_vocabulary

__all__ = [
    "CATEGORIES",
    "TOPIC_LABELS",
    "Explanation",
    "Triage",
    "Vocabulary",
    "classify",
    "classify_case",
    "explain",
    "load_vocabulary",
]
