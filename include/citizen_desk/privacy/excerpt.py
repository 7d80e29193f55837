"""The one excerpt of a citizen's text shown outside the case page (Slack alerts, boards)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from citizen_desk.privacy.redact import redact

Redactor = Callable[[str, Sequence[str]], str]


def _redact(text: str, names: Sequence[str]) -> str:
    return redact(text, tuple(names))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


def excerpt(
    text: str, names: Sequence[str] = (), limit: int = 200, *, redactor: Redactor = _redact
) -> str:
    """Redacted first (nothing cut mid-name), on one line, shortened, then redacted once more.

    The second pass sees the excerpt exactly as the PII gate will (cut, on one line), so the gate
    finds nothing in it whichever alert carries it: the alert goes out unchanged.
    """
    clean = shorten(" ".join(redactor(text, names).split()), limit)
    return redactor(clean, names)
