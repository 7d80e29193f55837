"""Redacted excerpts kept in the domain DB, so that a sweep reads them instead of redacting again.

`privacy.excerpt.excerpt` remembers what it made in its process; this keeps it across processes:
the collection prepares the excerpts of open cases as they change (a few ms each, spread over the
day), and a sweep after a burst of late cases finds them ready. Rows are keyed by
`privacy.excerpt.excerpt_key` (which holds the engine's fingerprint: a new engine misses every
old row, and `forget_stale` drops them). A redactor that is not a module-level function (a test's
lambda) is never kept: its excerpts are made each time, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citizen_desk.db.batching import chunks
from citizen_desk.db.bulk import insert_many_if_absent
from citizen_desk.db.models import RedactedExcerpt
from citizen_desk.privacy import excerpt as memo
from citizen_desk.privacy.excerpt import Redactor

Request = tuple[str, Sequence[str]]  # a text and the case's protected names


def excerpts(
    session: Session,
    requests: Sequence[Request],
    limit: int,
    redactor: Redactor,
    *,
    now: datetime | None = None,
) -> list[str]:
    """The excerpt of each (text, names), read from the domain DB where kept; those made here are
    kept too when `now` is given (the caller commits), else only remembered in this process (a
    page's read-only session)."""
    keys = [
        memo.excerpt_key(text, names, limit, redactor) if text else None for text, names in requests
    ]
    wanted = sorted({k for k in keys if k is not None and memo.remembered(k) is None})
    looked_up, kept = set(wanted), set[bytes]()
    for chunk in chunks(wanted):
        for digest, shown in session.execute(
            select(RedactedExcerpt.digest, RedactedExcerpt.excerpt).where(
                RedactedExcerpt.digest.in_(chunk)
            )
        ):
            memo.remember(bytes(digest), shown)
            kept.add(bytes(digest))
    results = [
        memo.excerpt(text, names, limit, redactor=redactor) if text else ""
        for text, names in requests
    ]
    if now is not None:
        made = {
            key: shown
            for key, shown in zip(keys, results, strict=True)
            if key is not None and key in looked_up and key not in kept
        }
        engine = memo.engine_fingerprint()
        rows = [
            {"digest": key, "engine": engine, "excerpt": shown, "created_at": now}
            for key, shown in sorted(made.items())
        ]
        for batch in chunks(rows):
            insert_many_if_absent(session, RedactedExcerpt, batch, ["digest"], ["digest"])
    return results


def forget_stale(session: Session) -> int:
    """Drop the excerpts another redaction engine made; returns how many."""
    result = session.execute(
        delete(RedactedExcerpt).where(RedactedExcerpt.engine != memo.engine_fingerprint())
    )
    return int(getattr(result, "rowcount", 0) or 0)
