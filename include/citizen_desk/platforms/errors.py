"""Why a platform call failed, for people: a bad token, a rate limit, or something else.

The one classifier of collection errors: the collector stores its result with every failed run
(`collection_runs.stats["error_cause"]`) and the collection health page shows it. The error codes
come from the clients themselves (`graph`, `zalo`), so a code they treat as a rate limit is
labelled as one.
"""

from __future__ import annotations

import re

from citizen_desk.domain.vocabulary import CollectionErrorKind
from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms import graph, zalo

_CODES = {
    graph.PLATFORM: (graph.TOKEN_CODES, graph.RATE_LIMIT_CODES),
    zalo.PLATFORM: (zalo.TOKEN_CODES, zalo.RATE_LIMIT_CODES),
}
TOO_MANY_REQUESTS = 429
# The code and HTTP status in a stored message: ours ("code 80001", "error -32", "Zalo -216",
# "HTTP 429") and Graph's own "(#4)".
_CODE = re.compile(r"\(#(\d+)\)|\b(?:code|error|zalo)[ =:]*(-?\d+)\b", re.IGNORECASE)
_HTTP = re.compile(r"\bHTTP (\d{3})\b")


def error_kind(
    platform: str | None, code: int | None, http_status: int | None = None
) -> CollectionErrorKind:
    """The kind of a platform error code (an unknown platform: the sign of the code tells)."""
    if platform not in _CODES and code is not None:
        platform = zalo.PLATFORM if code < 0 else graph.PLATFORM
    token_codes, rate_codes = _CODES.get(platform or "", (frozenset(), frozenset()))
    if code in token_codes:
        return CollectionErrorKind.TOKEN
    if code in rate_codes or http_status == TOO_MANY_REQUESTS:
        return CollectionErrorKind.RATE_LIMIT
    return CollectionErrorKind.OTHER


def failure_kind(error: BaseException) -> CollectionErrorKind:
    """The kind of an error raised while collecting (what the collector stores)."""
    if isinstance(error, TokenError):
        return CollectionErrorKind.TOKEN
    if isinstance(error, PlatformError):
        return error_kind(error.platform, error.code, error.http_status)
    return CollectionErrorKind.OTHER


def failure_kind_from_text(text: str | None) -> CollectionErrorKind | None:
    """The kind of a stored error message, for runs recorded before the kind was stored."""
    if not text:
        return None
    code_match, http_match = _CODE.search(text), _HTTP.search(text)
    code = None
    if code_match:
        code = int(code_match.group(1) or code_match.group(2))
    platform = zalo.PLATFORM if text.lstrip().lower().startswith("zalo") else None
    return error_kind(platform, code, int(http_match.group(1)) if http_match else None)
