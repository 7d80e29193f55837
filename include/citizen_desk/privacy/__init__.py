"""Informant confidentiality: redaction of personal data and the PII gate on everything outbound.

Pure functions, no I/O. :func:`redact` masks personal data; :func:`contains_pii` finds it;
:func:`pii_gate` refuses an outbound payload (Slack blocks, posts, reports) that still holds any;
:func:`install_log_filter` masks it in log records too.
"""

from __future__ import annotations

from citizen_desk.privacy.logfilter import PiiLogFilter, install_log_filter
from citizen_desk.privacy.redact import PLACEHOLDERS, PiiFinding, contains_pii, pii_gate, redact

__all__ = [
    "PLACEHOLDERS",
    "PiiFinding",
    "PiiLogFilter",
    "contains_pii",
    "install_log_filter",
    "pii_gate",
    "redact",
]
