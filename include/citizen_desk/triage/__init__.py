"""Vietnamese triage of citizen messages: category, topic, urgency and confidence.

Pure functions, no Airflow and no I/O except loading the vocabulary YAML (`vocabulary`) and the
trained model's JSON artifact (`model`, once per process):

* :func:`classify` / :func:`classify_case` put a message / a thread into one of
  :data:`CATEGORIES` with a topic, an urgency flag and a confidence (``needs_human`` when low,
  with the candidate categories): the trained model decides, the rules keep urgency and tips.
* ``python -m citizen_desk.triage.train`` fits the model, ``...evaluate`` measures it.
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
