"""The doctor's one table, its exit code, and the last guard against printing a secret."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from citizen_desk.doctor import Check, Status
from citizen_desk.platforms import redact

HEADERS = ("channel", "check", "status", "what to fix")
MAX_FIX = 160


def has_blocker(checks: Iterable[Check]) -> bool:
    return any(c.status is Status.BLOCKER for c in checks)


def exit_code(checks: Sequence[Check]) -> int:
    """1 when anything blocks going live, else 0 (warnings included)."""
    return 1 if has_blocker(checks) else 0


def _cell(text: str, secrets: Sequence[str]) -> str:
    one_line = " ".join(redact(text, secrets).split())
    return one_line if len(one_line) <= MAX_FIX else one_line[: MAX_FIX - 1] + "…"


def render(checks: Sequence[Check], secrets: Sequence[str] = ()) -> str:
    """An aligned plain-text table (one row per check) and a closing count line."""
    rows = [
        (
            _cell(c.channel, secrets),
            _cell(c.check, secrets),
            c.status.value.upper(),
            _cell(c.fix, secrets),
        )
        for c in checks
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADERS)
    ]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
        *("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows),
    ]
    counts = {s: sum(c.status is s for c in checks) for s in Status}
    lines.append(
        f"{len(checks)} check(s): {counts[Status.OK]} ok, {counts[Status.WARNING]} warning(s), "
        f"{counts[Status.BLOCKER]} blocker(s)"
    )
    return "\n".join(lines)


def as_dict(checks: Sequence[Check], secrets: Sequence[str] = ()) -> dict[str, Any]:
    """Counts and the rows (for XCom), redacted like the table."""
    return {
        "blockers": sum(c.status is Status.BLOCKER for c in checks),
        "warnings": sum(c.status is Status.WARNING for c in checks),
        "checks": [
            {
                "channel": c.channel,
                "check": c.check,
                "status": c.status.value,
                "fix": _cell(c.fix, secrets),
            }
            for c in checks
        ],
    }
