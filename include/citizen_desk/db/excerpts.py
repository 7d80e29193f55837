"""Redacted excerpts kept in the domain DB, so that a sweep reads them instead of redacting again.

`privacy.excerpt.excerpt` remembers what it made in its process; this keeps it across processes:
the collection prepares the excerpts of open cases as they change (a few ms each, spread over the
day), and a sweep after a burst of late cases finds them ready. Rows are keyed by
`privacy.excerpt.excerpt_key` (which holds the engine's fingerprint: a new engine misses every
old row, and `forget_stale` drops them). A redactor that is not a module-level function (a test's
lambda) is never kept: its excerpts are made each time, as before.

Beside each excerpt it keeps, the PII gate's verdict on it (`privacy.excerpt.judge`, sealed to
the engine, the names and the text): a sweep hands it to the outbox's gate, which then does not
judge that excerpt again (`judged_excerpts`). A verdict whose seal does not match (another
engine, an excerpt edited since, a row kept before verdicts) is dropped: the gate judges.
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
from citizen_desk.privacy.excerpt import Redactor, Verdict, judge, kept_verdict

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
    return [shown for shown, _ in _excerpts(session, requests, limit, redactor, now, False)]


def judged_excerpts(
    session: Session,
    requests: Sequence[Request],
    limit: int,
    redactor: Redactor,
    *,
    now: datetime,
) -> list[tuple[str, Verdict | None]]:
    """`excerpts` (those made here kept, with their verdict), each with the gate's verdict on it:
    kept beside it and sealed, or made here; None where the kept one does not hold (the gate
    judges that excerpt)."""
    return _excerpts(session, requests, limit, redactor, now, True)


def _excerpts(
    session: Session,
    requests: Sequence[Request],
    limit: int,
    redactor: Redactor,
    now: datetime | None,
    verdicts: bool,
) -> list[tuple[str, Verdict | None]]:
    keys = [
        memo.excerpt_key(text, names, limit, redactor) if text else None for text, names in requests
    ]
    names_of = {key: tuple(names) for key, (_, names) in zip(keys, requests, strict=True) if key}
    # with verdicts, every key is read: one remembered in this process has no verdict with it
    wanted = sorted({k for k in keys if k is not None and (verdicts or memo.remembered(k) is None)})
    looked_up, kept = set(wanted), dict[bytes, Verdict | None]()
    for chunk in chunks(wanted):
        for digest, shown, stored, seal in session.execute(
            select(
                RedactedExcerpt.digest,
                RedactedExcerpt.excerpt,
                RedactedExcerpt.verdict,
                RedactedExcerpt.seal,
            ).where(RedactedExcerpt.digest.in_(chunk))
        ):
            key = bytes(digest)
            memo.remember(key, shown)
            kept[key] = kept_verdict(shown, names_of[key], stored, seal) if verdicts else None
    results = [  # a remembered one by the key in hand (not hashed again for every row)
        (_remembered(key) or memo.excerpt(text, names, limit, redactor=redactor)) if text else ""
        for key, (text, names) in zip(keys, requests, strict=True)
    ]
    made: dict[bytes, Verdict | None] = {}
    if now is not None:
        made = {
            key: judge(shown, names_of[key])
            for key, shown in zip(keys, results, strict=True)
            if key is not None and key in looked_up and key not in kept
        }
        engine = memo.engine_fingerprint()
        rows = [
            {
                "digest": key,
                "engine": engine,
                "excerpt": verdict.text,
                "created_at": now,
                "verdict": verdict.stored,
                "seal": verdict.seal(),
            }
            for key, verdict in sorted(made.items())
            if verdict is not None
        ]
        for batch in chunks(rows):
            insert_many_if_absent(session, RedactedExcerpt, batch, ["digest"], ["digest"])
    found = {**kept, **made} if verdicts else {}
    return [
        (shown, found.get(key) if key is not None else None)
        for key, shown in zip(keys, results, strict=True)
    ]


def forget_stale(session: Session) -> int:
    """Drop the excerpts another redaction engine made; returns how many."""
    result = session.execute(
        delete(RedactedExcerpt).where(RedactedExcerpt.engine != memo.engine_fingerprint())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _remembered(key: bytes | None) -> str | None:
    return None if key is None else memo.remembered(key)
