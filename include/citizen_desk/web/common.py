"""Shared by the pages: SLA state of a case, links to the platforms, redaction, paging."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy.orm import Session

# --- SLA state -------------------------------------------------------------------------------


def sla_state(
    *, warn_at: datetime | None, due_at: datetime | None, breached: bool, now: datetime
) -> str:
    """breach | warning | ok | none (no reply deadline for this case)."""
    if breached or (due_at is not None and now >= due_at):
        return "breach"
    if due_at is None:
        return "none"
    if warn_at is not None and now >= warn_at:
        return "warning"
    return "ok"


# --- links to the platforms ----------------------------------------------------------------------


def safe_external_url(url: str | None) -> str | None:
    """Only http(s) links are rendered (a stored `javascript:` URL would run in our origin)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def conversation_url(platform: str, page_id: str, permalink: str | None) -> str | None:
    """Where an officer answers the citizen: the case's permalink, else the page's inbox.

    The fallback is the page-level inbox (Meta Business Suite for a Facebook page, the OA chat
    manager for Zalo): a link naming the conversation would carry the citizen's platform user id
    (PSID / Zalo uid), which is identity and must not appear in our pages.
    """
    if link := safe_external_url(permalink):
        return link
    return _inbox_url(platform, page_id)


@lru_cache(maxsize=1024)
def _inbox_url(platform: str, page_id: str) -> str | None:
    """The page-level inbox of a channel (the same for every row of a board from that page)."""
    if platform == "facebook":
        return "https://business.facebook.com/latest/inbox/all?" + urlencode({"asset_id": page_id})
    if platform == "zalo":
        return "https://oa.zalo.me/chatv2?" + urlencode({"oaid": page_id})
    return None


def post_url(platform: str, platform_post_id: str | None) -> str | None:
    """Public URL of a published page post (Facebook post ids are `{page}_{post}`)."""
    if not platform_post_id:
        return None
    if platform == "facebook":
        return f"https://www.facebook.com/{quote(platform_post_id, safe='_')}"
    return None


# --- redaction -------------------------------------------------------------------------------


def names_by_case(session: Session, case_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Per case, its citizens' identifying strings, to mask in the texts shown."""
    from citizen_desk.tips.views import protected_names_by_case

    return protected_names_by_case(session, case_ids)


def redact_text(text: str, names: Sequence[str]) -> str:
    from citizen_desk.privacy import redact

    return redact(text or "", names=tuple(names))


def shown_cues(cues: Sequence[str] | None, names: Sequence[str]) -> tuple[str, ...]:
    """A case's urgency cues as a page shows them: redacted like its messages (a cue is a few
    words of a message, which a pattern may have stretched over a name)."""
    return tuple(redact_text(cue, names) for cue in cues or ())


@dataclass(frozen=True)
class Paging:
    """One page of a filtered list, with links that keep the filters."""

    page: int
    pages: int
    total: int
    start: int
    stop: int
    previous_query: str | None
    next_query: str | None

    @classmethod
    def of(cls, total: int, page: int, per_page: int, filters: dict[str, Any]) -> Paging:
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)

        def query(number: int) -> str:
            values = {k: v for k, v in filters.items() if v not in (None, "")}
            return urlencode({**values, **({"page": number} if number > 1 else {})})

        return cls(
            page=page,
            pages=pages,
            total=total,
            start=(page - 1) * per_page,
            stop=min(page * per_page, total),
            previous_query=query(page - 1) if page > 1 else None,
            next_query=query(page + 1) if page < pages else None,
        )
