"""The public texts: the Facebook post and the Zalo OA variant, their hashtags and week marker.

Public texts hide small numbers (`public_count`); the admin report (`publication.report`) shows
exact figures. The last line's marker hashtag (`#Tuan47_2026`) is how posting finds a week's post
on a page again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from citizen_desk.config.durations import format_duration_vi
from citizen_desk.domain.labels import MESSAGE_CATEGORY_LABELS
from citizen_desk.publication.figures import UnitReport, WeekFigures
from citizen_desk.publication.period import WeekPeriod
from citizen_desk.rendering import number_vi, render

FACEBOOK_MAX_CHARS = 5000  # posts stay strictly below this
ZALO_MAX_CHARS = 2000
MAX_OUTCOMES = 10
TEMPLATE_POST = "publication/post_facebook.txt.j2"
TEMPLATE_ZALO = "publication/broadcast_zalo.txt.j2"
PUBLIC_CATEGORIES = ("question", "tip", "feedback", "lost_found", "other")  # abuse → other
_UNIT_KIND_WORDS = ("thành phố", "thị trấn", "thị xã", "tỉnh", "huyện", "xã", "phường")


# --- small text helpers ------------------------------------------------------------------------


def public_count(value: int, min_count: int) -> str:
    """A count fit for a public post: 1..min_count-1 become "dưới N" (0 stays 0)."""
    if 0 < value < min_count:
        return f"dưới {min_count}"
    return number_vi(value)


def _ascii_words(text: str) -> list[str]:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return re.findall(r"[A-Za-z0-9]+", plain)


def hashtag(name: str, *, drop_kind: bool = False) -> str:
    """`Công an xã Nga Thủy` → `#CongAnXaNgaThuy` (`drop_kind`: `#CongAnNgaThuy`)."""
    if drop_kind:
        for word in _UNIT_KIND_WORDS:
            name = re.sub(rf"(?i)(công an)\s+{word}\s+", r"\1 ", name, count=1)
    return "#" + "".join(w[:1].upper() + w[1:] for w in _ascii_words(name))


def hashtag_line(unit_name: str, province_name: str, period: WeekPeriod) -> str:
    """The last line of every text: brand, unit and the week's marker (`#Tuan47_2026`)."""
    tags = [hashtag(province_name, drop_kind=True), hashtag(unit_name), period.tag]
    return " ".join(dict.fromkeys(t for t in tags if len(t) > 1))


def _marker_re(tag: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w#]){re.escape(tag)}(?!\w)")


def has_marker(text: str | None, tag: str) -> bool:
    return bool(text) and _marker_re(tag).search(text or "") is not None


def ensure_marker(text: str, tag: str, line: str) -> str:
    """`text` unchanged if it carries `tag`, else with the hashtag `line` appended."""
    text = text.replace("\r\n", "\n").strip()
    return text if has_marker(text, tag) else f"{text}\n\n{line}"


def marker_line_of(text: str, tag: str) -> str:
    """The line of `text` that carries `tag` (the bare tag if none does)."""
    for line in reversed(text.splitlines()):
        if has_marker(line, tag):
            return line.strip()
    return tag


def duration_text(seconds: float | None) -> str | None:
    """A duration in Vietnamese words (`None` stays `None`)."""
    return None if seconds is None else format_duration_vi(timedelta(seconds=round(seconds)))


def percent_text(value: float | None) -> str | None:
    """A share as a whole percentage, e.g. `83%` (`None` stays `None`)."""
    return None if value is None else f"{round(value * 100)}%"


# --- public texts ------------------------------------------------------------------------------


def on_time_texts(figures: WeekFigures, min_count: int) -> tuple[str | None, str | None]:
    """The on-time rate for a public text: ("x/y", "67%"), suppressed like every count.

    Nothing when fewer than `min_count` questions were due; the percentage is dropped when the
    on-time count itself reads "dưới N" (it would give that count away).
    """
    due, on_time = figures.questions_due, figures.questions_within_sla
    if due < min_count:
        return None, None
    ratio = f"{public_count(on_time, min_count)}/{public_count(due, min_count)}"
    hidden = 0 < on_time < min_count
    return ratio, None if hidden else percent_text(figures.sla_share)


def public_figures(figures: WeekFigures, min_count: int) -> dict[str, Any]:
    """The one public reading of a unit's week (Facebook post and Zalo text alike)."""
    count = lambda n: public_count(n, min_count)  # noqa: E731
    by_category = dict(figures.messages)
    by_category["other"] = by_category.get("other", 0) + by_category.get("abuse", 0)
    first = figures.first_response
    enough_first = first.count >= min_count
    on_time, share = on_time_texts(figures, min_count)
    tips = figures.tips
    return {
        "messages_total": count(figures.messages_total),
        "messages_total_n": figures.messages_total,
        "categories": [
            {"label": MESSAGE_CATEGORY_LABELS[c], "count": count(by_category.get(c, 0))}
            for c in PUBLIC_CATEGORIES
            if by_category.get(c, 0) > 0
        ],
        "questions_received": count(figures.questions_received),
        "questions_received_n": figures.questions_received,
        "questions_answered": count(figures.questions_answered),
        "questions_answered_n": figures.questions_answered,
        "on_time": on_time,
        "sla_share": share,
        "first_median": duration_text(first.median) if enough_first else None,
        "first_p90": duration_text(first.p90) if enough_first else None,
        "tips": {
            "received": count(tips.received),
            "verified": count(tips.verified),
            "unfounded": count(tips.unfounded),
            "forwarded": count(tips.forwarded),
            "open": count(tips.open),
            "closed_n": tips.closed,
            "any_n": tips.received + tips.closed + tips.open,
        },
        "lost_found": count(figures.lost_found_resolved),
        "lost_found_n": figures.lost_found_resolved,
    }


def post_context(
    report: UnitReport,
    period: WeekPeriod,
    *,
    min_count: int,
    province_name: str,
    outcomes: Sequence[str],
    working_clock_labels: Sequence[str] = (),
    facebook_page: str | None = None,
) -> dict[str, Any]:
    """Everything a public template may show: counts already suppressed, times formatted."""
    now, before = (public_figures(f, min_count) for f in (report.current, report.previous))
    clock_note = None
    if working_clock_labels:
        clock_note = "tính theo giờ làm việc đối với " + " và ".join(
            label.lower() for label in working_clock_labels
        )
    return {
        "unit_name": report.unit_name,
        "week_label": period.label_vi,
        "week": now,
        "previous": before,
        "clock_note": clock_note,
        "outcomes": list(outcomes),
        "hashtags": hashtag_line(report.unit_name, province_name, period),
        "facebook_page": facebook_page,
    }


def _render_within(template: str, context: dict[str, Any], limit: int) -> str:
    """Render, dropping outcome sentences from the end until the text is below `limit`."""
    outcomes = list(context["outcomes"])[:MAX_OUTCOMES]
    while True:
        text = render(template, **{**context, "outcomes": outcomes}).strip() + "\n"
        if len(text) < limit or not outcomes:
            return text
        outcomes = outcomes[:-1]


def render_post(context: dict[str, Any]) -> str:
    """The Facebook post (plain text, below 5,000 characters)."""
    return _render_within(TEMPLATE_POST, context, FACEBOOK_MAX_CHARS)


def render_zalo(context: dict[str, Any]) -> str:
    """The Zalo OA broadcast variant (plain text, below 2,000 characters)."""
    return _render_within(
        TEMPLATE_ZALO, {**context, "outcomes": context["outcomes"][:3]}, ZALO_MAX_CHARS
    )
