"""The run summary: one readable block per channel and the totals (counts only, never PII)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

# What storing a source's items adds up to (each source's result has these) ...
STORE_COUNTS = (
    "messages_added",
    "citizen_messages_added",
    "page_replies_added",
    "cases_added",
    "cases_updated",
    "tips_added",
    "quarantined",
)
# ... and what the platform client did (`platforms.CallStats`).
CLIENT_COUNTS = ("api_calls", "retries", "rate_limit_waits", "limit_reductions")
COUNTS = STORE_COUNTS + CLIENT_COUNTS


def empty_channel_summary(channel: str, platform: str) -> dict[str, Any]:
    summary: dict[str, Any] = {"channel": channel, "platform": platform, "status": "running"}
    summary.update(dict.fromkeys(COUNTS, 0))
    summary.update(
        waited_seconds=0.0,
        categories={},
        sources={},
        error=None,
        error_kind=None,
        error_cause=None,
        mode=None,
        warnings=[],
    )
    return summary


def _categories(categories: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(categories.items())) or "-"


def channel_block(summary: Mapping[str, Any]) -> str:
    """A few aligned lines for the task log."""
    status = "OK" if summary.get("status") == "success" else str(summary.get("status")).upper()
    head = f"== {summary['channel']} ({summary.get('platform')}) {status}"
    if summary.get("mode"):
        head += f", {summary['mode']}"
    lines = [
        head,
        f"   messages +{summary.get('messages_added', 0)} "
        f"(citizen {summary.get('citizen_messages_added', 0)}, "
        f"page replies {summary.get('page_replies_added', 0)}); "
        f"cases +{summary.get('cases_added', 0)}, updated {summary.get('cases_updated', 0)}; "
        f"tips +{summary.get('tips_added', 0)}",
        f"   categories: {_categories(summary.get('categories') or {})}",
        f"   API calls {summary.get('api_calls', 0)}, retries {summary.get('retries', 0)}, "
        f"rate-limit waits {summary.get('rate_limit_waits', 0)}, "
        f"quarantined {summary.get('quarantined', 0)}"
        + (
            f", requests shrunk {summary['limit_reductions']}"
            if summary.get("limit_reductions")
            else ""
        ),
    ]
    sources = summary.get("sources") or {}
    if sources:
        parts = [
            f"{name} +{data.get('messages_added', 0)} of {data.get('read', 0)} read"
            + (f", watermark {data['watermark']}" if data.get("watermark") else "")
            for name, data in sorted(sources.items())
        ]
        lines.append("   " + "; ".join(parts))
    for warning in summary.get("warnings") or []:
        lines.append(f"   warning: {warning}")
    if summary.get("error"):
        lines.append(f"   error ({summary.get('error_kind') or 'unknown'}): {summary['error']}")
    return "\n".join(lines)


def summarise_run(run_id: str, channels: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals over the channels' summaries, the failed channels, and the printable text."""
    totals: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    categories: Counter[str] = Counter()
    for channel in channels:
        for key in COUNTS:
            value = channel.get(key) or 0
            totals[key] += value if isinstance(value, int) else 0
        categories.update(channel.get("categories") or {})
    totals["categories"] = dict(sorted(categories.items()))
    failed = [c["channel"] for c in channels if c.get("status") != "success"]
    warnings = [f"{c['channel']}: {w}" for c in channels for w in c.get("warnings") or []]
    text = "\n".join(
        [
            f"Collection run {run_id}: {len(channels)} channel(s), {len(failed)} failed; "
            f"messages +{totals['messages_added']}, cases +{totals['cases_added']}, "
            f"tips +{totals['tips_added']}, API calls {totals['api_calls']}",
            *(channel_block(c) for c in channels),
        ]
    )
    return {
        "run_id": run_id,
        "channels": [dict(c) for c in channels],
        "totals": totals,
        "failed": failed,
        "warnings": warnings,
        "text": text,
    }
