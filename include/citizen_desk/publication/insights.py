"""Page insights from the Graph API (impressions, reach, engagement, new follows) for the report.

`page_daily_follows_unique` is the new follows (`page_follows` is the total follower count, which
is not a weekly figure).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from citizen_desk.config.registry import Registry
from citizen_desk.platforms.graph import GraphClient
from citizen_desk.publication.figures import PROVINCE, PageInsights
from citizen_desk.publication.period import WeekPeriod

log = logging.getLogger(__name__)

INSIGHT_METRICS = {
    "page_impressions": "impressions",
    "page_impressions_unique": "reach",
    "page_post_engagements": "engagements",
    "page_daily_follows_unique": "follows",
}


def parse_insights(payload: Mapping[str, Any]) -> PageInsights:
    """`GET /{page-id}/insights` → the latest weekly value of each metric."""
    values: dict[str, int | None] = {}
    for item in payload.get("data") or []:
        name = INSIGHT_METRICS.get(str(item.get("name")))
        points = [p for p in item.get("values") or [] if isinstance(p, Mapping)]
        if name is None or not points:
            continue
        latest = max(points, key=lambda p: str(p.get("end_time", "")))
        value = latest.get("value")
        values[name] = int(value) if isinstance(value, int | float) else None
    return PageInsights(**values)


def fetch_page_insights(client: GraphClient, page_id: str, period: WeekPeriod) -> PageInsights:
    """The page's impressions, reach, engagement and new follows for the week (raises the
    client's errors)."""
    payload = client.get(
        f"{page_id}/insights",
        {
            "metric": ",".join(INSIGHT_METRICS),
            "period": "week",
            "since": int(period.start.timestamp()),
            "until": int(period.end.timestamp()),
        },
    )
    return parse_insights(payload)


def collect_insights(
    registry: Registry, period: WeekPeriod, client_for: Callable[[str], GraphClient]
) -> tuple[dict[str, PageInsights], dict[str, str]]:
    """Insights per unit from its Facebook page; failures leave a note instead (never raise)."""
    insights: dict[str, PageInsights] = {}
    notes: dict[str, str] = {}
    for unit in registry.units:
        page = next(
            (
                c
                for c in registry.active_channels()
                if c.unit == unit.code and c.platform == "facebook"
            ),
            None,
        )
        if page is None:
            notes[unit.code] = "Đơn vị không có trang Facebook."
            continue
        try:
            insights[unit.code] = fetch_page_insights(
                client_for(page.connection_id), page.platform_id, period
            )
        except Exception as exc:  # insights are optional: the figures go out without them
            log.warning("insights for %s unavailable: %s", page.key, type(exc).__name__)
            notes[unit.code] = f"Không lấy được số liệu trang ({type(exc).__name__})."
    if insights:
        pages = list(insights.values())
        insights[PROVINCE] = PageInsights(  # a metric missing on any page has no total
            **{
                name: None
                if any(getattr(i, name) is None for i in pages)
                else sum(getattr(i, name) for i in pages)
                for name in ("impressions", "reach", "engagements", "follows")
            }
        )
        if notes:
            notes[PROVINCE] = "Tổng chưa đủ: một số trang không có số liệu."
    return insights, notes
