"""Page insights (`GET /{page}/insights`): metrics that obey the platform's own relations."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from platform_simulator.clock import from_ms, graph_time
from platform_simulator.graph.core import Resource
from platform_simulator.graph.errors import bad_param
from platform_simulator.graph.paging import base_items, page_url
from platform_simulator.graph.request import Call, Handler, RouteKey
from platform_simulator.world.timing import DAY_MS, LOCAL_TZ, parse_time

if TYPE_CHECKING:
    from platform_simulator.config import Channel

INSIGHT_METRICS = {
    "page_impressions": (
        "Daily Total Impressions",
        "The number of times any content from "
        "your Page or about your Page entered a person's screen.",
    ),
    "page_impressions_unique": (
        "Daily Total Reach",
        "The number of people who had any "
        "content from your Page or about your Page enter their screen.",
    ),
    "page_post_engagements": (
        "Daily Post Engagements",
        "The number of times people have "
        "engaged with your posts through reactions, comments and shares.",
    ),
    "page_follows": ("Daily Follows", "The number of followers of your Page."),
    "page_daily_follows_unique": (
        "Daily New Follows",
        "The number of new followers of your Page.",
    ),
    "page_views_total": (
        "Daily Total views count per Page",
        "The number of times a Page's profile has been viewed by logged in and logged out people.",
    ),
}


class Insights(Resource):
    def routes(self) -> dict[RouteKey, Handler]:
        return {("page", "GET", "insights"): self.insights}

    def insights(self, call: Call) -> dict[str, Any]:
        ctx, channel, params = call.ctx, call.channel, call.params
        metrics = [m.strip() for m in str(params.get("metric") or "").split(",") if m.strip()]
        if not metrics:
            raise bad_param("(#100) The parameter metric is required")
        for metric in metrics:
            if metric not in INSIGHT_METRICS:
                raise bad_param(f"(#100) The value must be a valid insights metric ({metric})")
        period = str(params.get("period") or "day")
        if period not in ("day", "week", "days_28"):
            raise bad_param("(#100) period must be one of {day, week, days_28}")
        until = parse_time(params.get("until")) or ctx.now_ms
        since = parse_time(params.get("since")) or until - 2 * DAY_MS
        if until - since > 93 * DAY_MS:
            raise bad_param(
                "(#100) There cannot be more than 93 days (8035200 s) between since and until"
            )
        if until < since:
            raise bad_param("(#100) since must be before until")
        end_times = self._end_times(since, until)
        activity = self.world.activity_by_day(channel.platform_id)
        span = {"day": 1, "week": 7, "days_28": 28}[period]
        data = []
        for metric in metrics:
            values = [
                {
                    "value": self._metric_value(channel, metric, end, span, activity),
                    "end_time": graph_time(end),
                }
                for end in end_times
            ]
            title, description = INSIGHT_METRICS[metric]
            if period != "day":
                title = title.replace("Daily", "Weekly" if period == "week" else "28 Days")
            data.append(
                {
                    "name": metric,
                    "period": period,
                    "values": values,
                    "title": title,
                    "description": f"{period.capitalize()}: {description}",
                    "id": f"{channel.platform_id}/insights/{metric}/{period}",
                }
            )
        span_ms = until - since
        base = base_items(ctx, ("since", "until"))
        paging = {
            "previous": page_url(
                ctx,
                ctx.req.path,
                [*base, ("since", str((since - span_ms) // 1000)), ("until", str(since // 1000))],
            ),
            "next": page_url(
                ctx,
                ctx.req.path,
                [*base, ("since", str(until // 1000)), ("until", str((until + span_ms) // 1000))],
            ),
        }
        return {"data": data, "paging": paging}

    @staticmethod
    def _end_times(since: int, until: int) -> list[int]:
        """Daily end_time values (Pacific midnight, as Graph reports) within (since, until]."""
        day = datetime.fromtimestamp(since / 1000, tz=UTC).replace(
            hour=8, minute=0, second=0, microsecond=0
        )
        out = []
        while int(day.timestamp() * 1000) <= until:
            ms = int(day.timestamp() * 1000)
            if ms > since:
                out.append(ms)
            day += timedelta(days=1)
        return out

    def _metric_value(
        self, channel: Channel, metric: str, end_ms: int, span: int, activity: dict[str, int]
    ) -> int:
        """The metric summed over the `span` days before `end_ms`.

        Every day obeys the platform's relations (impressions ≥ reach ≥ post engagements, new
        follows ≤ reach), so their sums over any span do too; `page_follows` is the follower
        total at `end_ms`, not a daily figure.
        """
        if metric == "page_follows":
            day = from_ms(end_ms - DAY_MS // 2).astimezone(LOCAL_TZ).date().isoformat()
            base = 5000 + int(hashlib.sha256(channel.platform_id.encode()).hexdigest()[:6], 16)
            days = (end_ms - 1_700_000_000_000) // DAY_MS
            return base % 60000 + 5000 + int(days) * 3 + self._seed(channel, metric, day) % 3
        total = 0
        for back in range(span):
            day_ms = end_ms - (back + 1) * DAY_MS + 12 * 3600 * 1000
            day = from_ms(day_ms).astimezone(LOCAL_TZ).date().isoformat()
            total += self._day_metrics(channel, day, activity.get(day, 0))[metric]
        return total

    def _seed(self, channel: Channel, metric: str, day: str) -> int:
        digest = hashlib.sha256(f"{self.sim.cfg.seed}|{channel.key}|{metric}|{day}".encode())
        return int(digest.hexdigest()[:8], 16)

    def _day_metrics(self, channel: Channel, day: str, engaged: int) -> dict[str, int]:
        """One day's page metrics, self-consistent (see `_metric_value`)."""

        def seed(metric: str) -> int:
            return self._seed(channel, metric, day)

        reach = 400 + seed("page_impressions_unique") % 2500 + 90 * engaged
        return {
            "page_impressions_unique": reach,
            "page_impressions": reach + 200 + seed("page_impressions") % 1500 + 50 * engaged,
            "page_post_engagements": min(reach, seed("page_post_engagements") % 60 + 4 * engaged),
            "page_daily_follows_unique": min(
                reach, seed("page_daily_follows_unique") % 8 + engaged // 3
            ),
            "page_views_total": 20 + seed("page_views_total") % 200 + 3 * engaged,
        }
