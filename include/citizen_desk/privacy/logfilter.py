"""Defence in depth for logs: a logging filter that masks personal data in every record.

The code never logs an informant's identity on purpose; this filter catches the accidents
(a phone quoted in an exception, a payload logged while debugging). It formats the record's
message with its args, redacts it with the rule-based engine (no NER tagger: logging must stay
cheap) and drops the args; a traceback is formatted and redacted the same way.
"""

from __future__ import annotations

import logging

from citizen_desk.privacy.redact import redact

LOGGER_NAME = "citizen_desk"


def _clean(text: str) -> str:
    return redact(text, tagger=False)


class PiiLogFilter(logging.Filter):
    """Rewrites ``record.msg`` / ``record.args`` / the traceback text with PII masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: still mask what is there
            message = f"{record.msg} {record.args!r}"
        record.msg = _clean(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _clean(record.exc_text)
        if record.stack_info:
            record.stack_info = _clean(record.stack_info)
        return True


def _attach(target: logging.Filterer) -> bool:
    if any(isinstance(f, PiiLogFilter) for f in target.filters):
        return False
    target.addFilter(PiiLogFilter())
    return True


def install_log_filter() -> int:
    """Attach :class:`PiiLogFilter` to the ``citizen_desk`` logger and every root handler.

    A logger's filters only see records logged on that very logger, so the root handlers (which
    receive what ``citizen_desk.*`` loggers propagate) get one too. Idempotent; returns how many
    filters were added.
    """
    added = 0
    package_logger = logging.getLogger(LOGGER_NAME)
    added += _attach(package_logger)
    for handler in (*package_logger.handlers, *logging.getLogger().handlers):
        added += _attach(handler)
    return added
