"""The admin HTML report: exact figures per unit and province-wide, with inline SVG bar charts."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from citizen_desk.config import settings
from citizen_desk.domain.labels import CATEGORY_SHORT_LABELS as SHORT_LABELS
from citizen_desk.domain.labels import MESSAGE_CATEGORY_LABELS
from citizen_desk.publication.figures import (
    DurationStats,
    UnitReport,
    WeekFigures,
    WeeklyResults,
)
from citizen_desk.publication.period import WeekPeriod
from citizen_desk.publication.texts import duration_text, percent_text
from citizen_desk.rendering import format_local, render

TEMPLATE_REPORT = "publication/report.html.j2"
ALL_UNITS = "Tất cả đơn vị"  # the report's province-wide section


def bar_chart(
    groups: Sequence[tuple[str, Sequence[tuple[float, str]]]],
    *,
    series: Sequence[str],
    width: int = 420,
    label_width: int = 120,
    bar_height: int = 12,
    gap: int = 8,
) -> dict[str, Any]:
    """Geometry of a horizontal grouped bar chart; the template draws it as inline SVG.

    `groups`: (label, [(value, value text) per series]); `series`: legend names (CSS classes
    `s0`, `s1`, ...).
    """
    values = [value for _, bars in groups for value, _ in bars]
    top = max(values, default=0) or 1
    plot = width - label_width - 100  # room for the value label after the longest bar
    rows, y = [], 4
    for label, bars in groups:
        group_top = y
        items = []
        for index, (value, text) in enumerate(bars):
            items.append(
                {
                    "y": y,
                    "width": round(plot * value / top, 1) if value > 0 else 0,
                    "text": text,
                    "css": f"s{index}",
                    "text_x": label_width + (round(plot * value / top, 1) if value > 0 else 0) + 4,
                }
            )
            y += bar_height + 2
        rows.append({"label": label, "label_y": group_top + bar_height, "bars": items})
        y += gap
    return {
        "width": width,
        "height": y + 18,
        "label_width": label_width,
        "bar_height": bar_height,
        "rows": rows,
        "legend": [
            {"name": name, "css": f"s{i}", "x": label_width + i * 140}
            for i, name in enumerate(series)
        ],
        "legend_y": y + 8,
    }


def _hours(stats: DurationStats | None, attr: str) -> tuple[float, str]:
    seconds = getattr(stats, attr) if stats else None
    if seconds is None:
        return 0.0, "–"
    return seconds / 3600, duration_text(seconds) or "–"


def _on_time(week: WeekFigures) -> str:
    """Exact on-time rate with its counts, e.g. `67% (4/6)`."""
    share = percent_text(week.sla_share)
    return f"{share} ({week.questions_within_sla}/{week.questions_due})" if share else "–"


def _admin_section(
    report: UnitReport,
    outcomes: Mapping[int, str],
    channels: Sequence[str],
    inconsistent: Sequence[str] = (),
) -> dict[str, Any]:
    cur, prev = report.current, report.previous

    def row(label: str, now_value: int, before: int) -> dict[str, Any]:
        delta = now_value - before
        return {"label": label, "now": now_value, "before": before, "delta": f"{delta:+d}"}

    rows = [row("Tin nhắn, bình luận nhận được", cur.messages_total, prev.messages_total)]
    rows += [
        row(f"– {MESSAGE_CATEGORY_LABELS[c]}", cur.messages.get(c, 0), prev.messages.get(c, 0))
        for c in cur.messages
    ]
    rows += [
        row("Câu hỏi tiếp nhận", cur.questions_received, prev.questions_received),
        row("Câu hỏi đã trả lời", cur.questions_answered, prev.questions_answered),
        row("Câu hỏi đến hạn trả lời trong tuần", cur.questions_due, prev.questions_due),
        row("– trong đó trả lời đúng hạn", cur.questions_within_sla, prev.questions_within_sla),
        row(
            "Câu hỏi quá hạn chưa trả lời (cuối tuần)",
            cur.questions_overdue,
            prev.questions_overdue,
        ),
        row("Tin báo tiếp nhận", cur.tips.received, prev.tips.received),
        row("Tin báo xác minh có cơ sở", cur.tips.verified, prev.tips.verified),
        row("Tin báo không có cơ sở", cur.tips.unfounded, prev.tips.unfounded),
        row("Tin báo chuyển cơ quan khác", cur.tips.forwarded, prev.tips.forwarded),
        row("Tin báo đang xác minh (cuối tuần)", cur.tips.open, prev.tips.open),
        row("Trình báo tài sản đã giải quyết", cur.lost_found_resolved, prev.lost_found_resolved),
    ]
    categories = bar_chart(
        [
            (
                SHORT_LABELS[c],
                [
                    (cur.messages.get(c, 0), str(cur.messages.get(c, 0))),
                    (prev.messages.get(c, 0), str(prev.messages.get(c, 0))),
                ],
            )
            for c in cur.messages
        ],
        series=["Tuần này", "Tuần trước"],
    )
    by_category = cur.first_response_by_category
    response_groups = [
        (
            SHORT_LABELS.get(c, c),
            [_hours(by_category.get(c), "median"), _hours(by_category.get(c), "p90")],
        )
        for c in by_category
    ]
    first = cur.first_response
    return {
        "code": report.unit_code,
        "name": report.unit_name,
        "inconsistent": list(inconsistent),
        "channels": list(channels),
        "rows": rows,
        "sla_share": _on_time(cur),
        "sla_share_prev": _on_time(prev),
        "first_count": first.count,
        "first_median": duration_text(first.median) or "–",
        "first_p90": duration_text(first.p90) or "–",
        "first_median_prev": duration_text(prev.first_response.median) or "–",
        "first_p90_prev": duration_text(prev.first_response.p90) or "–",
        "category_chart": categories,
        "response_chart": (
            bar_chart(response_groups, series=["Trung vị", "90%"]) if response_groups else None
        ),
        "insights": report.insights,
        "insights_note": report.insights_note,
        "outcomes": [outcomes[i] for i in cur.outcome_tip_ids if i in outcomes],
    }


def report_context(
    results: WeeklyResults,
    *,
    outcomes: Mapping[int, str],
    channels_by_unit: Mapping[str, Sequence[str]],
    generated_at: datetime,
    inconsistent: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """`inconsistent`: failed `publication.checks` by unit code (shown in its section)."""
    period = results.week
    failed = inconsistent or {}
    return {
        "title": f"Báo cáo kết quả tiếp nhận, trả lời ý kiến Nhân dân – {period.label_vi}",
        "week_label": period.label_vi,
        "period": period.key,
        "generated_at": format_local(generated_at, period.tz),
        "min_count": results.min_count,
        "province": _admin_section(
            results.province, outcomes, [], failed.get(results.province.unit_code, ())
        ),
        "units": [
            _admin_section(
                u,
                outcomes,
                channels_by_unit.get(u.unit_code, ()),
                failed.get(u.unit_code, ()),
            )
            for u in results.units
        ],
    }


def render_report(context: dict[str, Any]) -> str:
    return render(TEMPLATE_REPORT, **context)


def write_report(html: str, period: WeekPeriod, directory: Path | None = None) -> Path:
    """Write `<reports_dir>/<period>.html` atomically; returns the path."""
    directory = directory or settings.reports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{period.key}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
