"""The one excerpt of a citizen's text shown outside the case page (Slack alerts, boards)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from citizen_desk.privacy.redact import contains_pii, redact

Redactor = Callable[[str, Sequence[str]], str]
MEMO_SIZE = 20_000  # excerpts kept per process (~0.5 KB each): a few busy boards' worth


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
    key = excerpt_key(text, names, limit, redactor)
    if key is not None and (found := remembered(key)) is not None:
        return found
    clean = shorten(" ".join(redactor(text, names).split()), limit)
    result = redactor(clean, names)
    if key is not None:
        remember(key, result)
    return result


def remembered(key: bytes) -> str | None:
    """The excerpt remembered under `key` in this process, if any."""
    with _MEMO_LOCK:
        found = _MEMO.get(key)
        if found is not None:
            _MEMO.move_to_end(key)
        return found


def remember(key: bytes, value: str) -> None:
    """Keep an excerpt made (or read back from the domain DB) under its `excerpt_key`."""
    with _MEMO_LOCK:
        _MEMO[key] = value
        _MEMO.move_to_end(key)
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)


# Redaction is the costly part of a board page (a few ms per excerpt) and its result depends only
# on the text, the names and the limit: the same excerpts are redacted again on every refresh of a
# board. They are remembered under a SHA-256 of their inputs, so the memo holds no citizen's text
# or identity, only redacted excerpts (what the pages show anyway). Only a module-level redactor is
# remembered by name: a lambda or a local function may differ from call to call.
_MEMO: OrderedDict[bytes, str] = OrderedDict()
_MEMO_LOCK = threading.Lock()


#
# The key also holds the engine's fingerprint, so an excerpt kept in the domain DB
# (`citizen_desk.db.excerpts`) is never reused once the redaction engine has changed.


def excerpt_key(text: str, names: Sequence[str], limit: int, redactor: Redactor) -> bytes | None:
    """The SHA-256 an excerpt is remembered under; None for a redactor that is not a
    module-level function (it may differ from call to call: never remembered)."""
    qualname = getattr(redactor, "__qualname__", "<unknown>")
    if "<" in qualname:
        return None
    who = f"{getattr(redactor, '__module__', '')}.{qualname}"
    return _sha256(engine_fingerprint(), who, str(limit), text, *names)


def _sha256(*parts: str) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.digest()


# --- the PII gate's verdict on an excerpt, kept beside it ----------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The PII gate's judgement of `text` alone with the case's `names` (`judge`): the kinds of
    what the engine whose fingerprint is `engine` finds in it (none: clean). The outbox's gate
    takes it instead of judging that text again only while `holds_for` the text it is about to
    send (`citizen_desk.notify.gate`)."""

    text: str
    names: tuple[str, ...]
    kinds: frozenset[str]
    engine: str

    def holds_for(self, text: str, names: Sequence[str]) -> bool:
        """Whether this is the verdict on exactly `text` with exactly `names`, by this engine."""
        return (
            self.engine == engine_fingerprint() and self.text == text and self.names == tuple(names)
        )

    @property
    def stored(self) -> str:
        """The kinds as kept in `redacted_excerpts.verdict` ("" when clean)."""
        return ",".join(sorted(self.kinds))

    def seal(self) -> bytes:
        """`verdict_seal` of this verdict."""
        return verdict_seal(self.text, self.names, self.stored, self.engine)


def judge(text: str, names: Sequence[str]) -> Verdict:
    """The gate's judgement of `text` alone (`pii_gate([text], names)`: the same engine)."""
    kinds = frozenset(f.kind for f in contains_pii(text, tuple(names)))
    return Verdict(text, tuple(names), kinds, engine_fingerprint())


def verdict_seal(text: str, names: Sequence[str], stored: str, engine: str) -> bytes:
    """A SHA-256 binding a kept verdict (`Verdict.stored`) to the engine, the names and the exact
    text it judged: a row whose excerpt or verdict was changed since, or that another engine
    made, no longer matches it, and its excerpt is judged again."""
    return _sha256("verdict", engine, stored, text, *names)


def kept_verdict(
    text: str, names: Sequence[str], stored: str | None, seal: bytes | None
) -> Verdict | None:
    """The verdict kept beside `text` (its `stored` kinds and `seal`), if its seal matches it,
    these names and this engine; else None (judge it again)."""
    if stored is None or seal is None:
        return None
    engine = engine_fingerprint()
    if bytes(seal) != verdict_seal(text, names, stored, engine):
        return None
    kinds = frozenset(kind for kind in stored.split(",") if kind)
    return Verdict(text, tuple(names), kinds, engine)


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A short hash of the redaction engine: this package's source and the version of the
    tagger's models (underthesea). Any change to either makes every kept excerpt stale."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    try:
        digest.update(version("underthesea").encode())
    except PackageNotFoundError:  # pragma: no cover - underthesea is a runtime requirement
        digest.update(b"no-underthesea")
    return digest.hexdigest()[:16]
