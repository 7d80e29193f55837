"""Graph rate limits: the per-page and app budgets, `rate_limit` faults, and the usage headers."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from platform_simulator.graph.errors import GraphError

if TYPE_CHECKING:
    from platform_simulator.simulator import Simulator

RATE_MESSAGES = {
    4: ("(#4) Application request limit reached", 403),
    17: ("(#17) User request limit reached", 403),
    32: ("(#32) Page request limit reached", 403),
    613: ("Calls to this api have exceeded the rate limit.", 400),
    80001: (
        "(#80001) There have been too many calls to this Page account. Wait a bit and try "
        "again. For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        400,
    ),
    80006: (
        "(#80006) There have been too many messages sent to this Messenger account. "
        "Please wait a while before sending more messages.",
        400,
    ),
}


def check_rate(sim: Simulator, page: str, endpoint: str) -> None:
    """Count one call against the page and the app, or raise the rate-limit error it hits."""
    limits = sim.limits
    fault = sim.faults.rate_limited(endpoint, page=page)
    if fault is not None:
        code = int(fault.get("code", 80001))
        message, status = RATE_MESSAGES[code]
        regain = int(fault.get("regain_minutes", sim.cfg.graph_regain_minutes))
        sim.stats.rate_limited("graph")
        usage: dict[str, Any] = {
            "buc": {
                "call_count": 100,
                "total_cputime": 100 if code != 80001 else 40,
                "total_time": 100 if code != 80001 else 60,
                "estimated_time_to_regain_access": regain,
            }
        }
        if code in (4, 17, 32, 613):
            usage["app"] = {"call_count": 100, "total_time": 100, "total_cputime": 100}
        raise GraphError(status, code, message, transient=True, usage=usage)
    now = sim.world_clock.rate_seconds()
    if limits.graph_page.exceeded(page, now):
        regain = max(1, math.ceil(limits.graph_page.regain_seconds(page, now) / 60))
        sim.stats.rate_limited("graph")
        message, status = RATE_MESSAGES[80001]
        raise GraphError(
            status,
            80001,
            message,
            transient=True,
            usage={"buc": {"call_count": 100, "estimated_time_to_regain_access": regain}},
        )
    limits.graph_page.record(page, now)
    limits.graph_app.record("app", now)


def usage_headers(
    sim: Simulator, page: str | None, usage: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """`X-App-Usage` and (for a page call) `X-Business-Use-Case-Usage`; `usage` overrides."""
    limits = sim.limits
    now = sim.world_clock.rate_seconds()
    app_pct = limits.graph_app.percent("app", now)
    app = {"call_count": app_pct, "total_time": app_pct * 3 // 4, "total_cputime": app_pct // 2}
    if usage and "app" in usage:
        app = usage["app"]
    headers = [("X-App-Usage", json.dumps(app, separators=(",", ":")))]
    if page is not None:
        pct = limits.graph_page.percent(page, now)
        regain = math.ceil(limits.graph_page.regain_seconds(page, now) / 60)
        entry = {
            "type": "pages",
            "call_count": pct,
            "total_cputime": pct // 2,
            "total_time": pct * 3 // 4,
            "estimated_time_to_regain_access": regain,
        }
        if usage and "buc" in usage:
            entry.update(usage["buc"])
        headers.append(
            ("X-Business-Use-Case-Usage", json.dumps({page: [entry]}, separators=(",", ":")))
        )
    return headers
