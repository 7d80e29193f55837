"""Weekly results: rendering, the PII gate, approval, exactly-once posting and reconciliation.

Life of a `publications` row (unique per channel and ISO week, e.g. `2026-W47`):

    draft ──PII gate──▶ blocked                      (finding kinds in blocked_reason, admins told)
      │        └──────▶ dry_run                      (Param dry_run, or a past week)
      └─▶ awaiting_approval ──HITL──▶ rejected      (rejected, timed out, or no decision)
                               └────▶ approved ──▶ publishing ──POST /{page}/feed──▶ published
                                                       │ non-retryable Graph error ──▶ failed
                                                       └ crash / timeout: stays publishing

`publishing` is committed *before* the POST. A row found in `publishing` is reconciled first: the
page's recent posts (`/{page-id}/published_posts`) are searched for the week's marker hashtag
(`#Tuan47_2026`); found → recorded as published, absent → posted. So neither a task retry nor
a rerun of the DAG posts twice. `publishing` and `published` rows are never re-rendered.

Zalo OA rows are rendered, gated and stored, then mirror the decision on the unit's Facebook
post (`approved` = ready to broadcast from Zalo OA Manager); nothing is sent to Zalo.

Public texts hide small numbers (`public_count`); the admin HTML report shows exact figures.
Texts are not silently redacted: any PII finding blocks the post so the source gets fixed.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from citizen_desk.config.durations import format_duration_vi
from citizen_desk.domain.labels import CATEGORY_LABELS
from citizen_desk.domain.labels import CATEGORY_SHORT_LABELS as SHORT_LABELS
from citizen_desk.errors import NotFoundError, PiiDetectedError, PlatformError, WorkflowError
from citizen_desk.publication.figures import (
    PROVINCE,
    DurationStats,
    PageInsights,
    UnitReport,
    WeekFigures,
    WeeklyResults,
    WeekPeriod,
    parse_period,
)
from citizen_desk.rendering import format_local, number_vi, render

log = logging.getLogger(__name__)

APPROVE = "Duyệt đăng"
REJECT = "Không đăng"
EDIT_PARAM = "edited_text"
FACEBOOK_MAX_CHARS = 5000  # posts stay strictly below this
ZALO_MAX_CHARS = 2000
MAX_OUTCOMES = 10
RECONCILE_SCAN = 100  # newest page posts searched for the week's marker
TEMPLATE_POST = "publication/post_facebook.txt.j2"
TEMPLATE_ZALO = "publication/broadcast_zalo.txt.j2"
TEMPLATE_REPORT = "publication/report.html.j2"
LOCKED = frozenset({"publishing", "published"})
NOT_APPROVED_REASON = {
    "rejected": "rejected",
    "timed_out": "approval_timeout",
    "missing": "no_decision",
}

PUBLIC_CATEGORIES = ("question", "tip", "feedback", "lost_found", "other")  # abuse → other
ALL_UNITS = "Tất cả đơn vị"  # the report's province-wide section
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


def _marker_line_of(text: str, tag: str) -> str:
    for line in reversed(text.splitlines()):
        if has_marker(line, tag):
            return line.strip()
    return tag


def _duration(seconds: float | None) -> str | None:
    return None if seconds is None else format_duration_vi(timedelta(seconds=round(seconds)))


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{round(value * 100)}%"


# --- public texts ------------------------------------------------------------------------------


def _public_figures(figures: WeekFigures, min_count: int) -> dict[str, Any]:
    count = lambda n: public_count(n, min_count)  # noqa: E731
    by_category = dict(figures.messages)
    by_category["other"] = by_category.get("other", 0) + by_category.get("abuse", 0)
    first = figures.first_response
    enough_first = first.count >= min_count
    enough_answers = figures.questions_answered >= min_count
    tips = figures.tips
    return {
        "messages_total": count(figures.messages_total),
        "messages_total_n": figures.messages_total,
        "categories": [
            {"label": CATEGORY_LABELS[c], "count": count(by_category.get(c, 0))}
            for c in PUBLIC_CATEGORIES
            if by_category.get(c, 0) > 0
        ],
        "questions_received": count(figures.questions_received),
        "questions_received_n": figures.questions_received,
        "questions_answered": count(figures.questions_answered),
        "questions_answered_n": figures.questions_answered,
        "sla_share": _percent(figures.sla_share) if enough_answers else None,
        "first_median": _duration(first.median) if enough_first else None,
        "first_p90": _duration(first.p90) if enough_first else None,
        "tips": {
            "received": count(tips.received),
            "verified": count(tips.verified),
            "unfounded": count(tips.unfounded),
            "forwarded": count(tips.forwarded),
            "open": count(tips.open),
            "closed_n": tips.verified + tips.unfounded + tips.forwarded,
            "any_n": tips.received + tips.verified + tips.unfounded + tips.forwarded + tips.open,
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
    now, before = (_public_figures(f, min_count) for f in (report.current, report.previous))
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


# --- the admin report (exact figures, inline SVG) ----------------------------------------------


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
    return seconds / 3600, _duration(seconds) or "–"


def _admin_section(
    report: UnitReport, outcomes: Mapping[int, str], channels: Sequence[str]
) -> dict[str, Any]:
    cur, prev = report.current, report.previous

    def row(label: str, now_value: int, before: int) -> dict[str, Any]:
        delta = now_value - before
        return {"label": label, "now": now_value, "before": before, "delta": f"{delta:+d}"}

    rows = [row("Tin nhắn, bình luận nhận được", cur.messages_total, prev.messages_total)]
    rows += [
        row(f"– {CATEGORY_LABELS[c]}", cur.messages.get(c, 0), prev.messages.get(c, 0))
        for c in cur.messages
    ]
    rows += [
        row("Câu hỏi tiếp nhận", cur.questions_received, prev.questions_received),
        row("Câu hỏi đã trả lời", cur.questions_answered, prev.questions_answered),
        row("– trong đó đúng hạn", cur.questions_within_sla, prev.questions_within_sla),
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
        "channels": list(channels),
        "rows": rows,
        "sla_share": _percent(cur.sla_share) or "–",
        "sla_share_prev": _percent(prev.sla_share) or "–",
        "first_count": first.count,
        "first_median": _duration(first.median) or "–",
        "first_p90": _duration(first.p90) or "–",
        "first_median_prev": _duration(prev.first_response.median) or "–",
        "first_p90_prev": _duration(prev.first_response.p90) or "–",
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
) -> dict[str, Any]:
    period = results.week
    return {
        "title": f"Báo cáo kết quả tiếp nhận, trả lời ý kiến Nhân dân – {period.label_vi}",
        "week_label": period.label_vi,
        "period": period.key,
        "generated_at": format_local(generated_at, period.tz),
        "min_count": results.min_count,
        "province": _admin_section(results.province, outcomes, []),
        "units": [
            _admin_section(u, outcomes, channels_by_unit.get(u.unit_code, ()))
            for u in results.units
        ],
    }


def render_report(context: dict[str, Any]) -> str:
    return render(TEMPLATE_REPORT, **context)


def write_report(html: str, period: WeekPeriod, directory: Path | None = None) -> Path:
    """Write `<reports_dir>/<period>.html` atomically; returns the path."""
    from citizen_desk.config import settings

    directory = directory or settings.reports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{period.key}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path


# --- the ledger ---------------------------------------------------------------------------------


def _audit(
    session: Any,
    pub: Any,
    actor: str,
    now: datetime,
    action: str,
    before: str,
    note: str | None = None,
) -> None:
    from citizen_desk.db.audit import record_audit

    record_audit(
        session,
        entity_type="publication",
        entity_id=pub.id,
        action=action,
        actor=actor,
        at=now,
        before={"status": before},
        after={"status": pub.status},
        note=note,
    )


def _set_status(
    session: Any,
    pub: Any,
    status: str,
    *,
    now: datetime,
    actor: str,
    action: str,
    note: str | None = None,
) -> None:
    before = pub.status
    pub.status = status
    pub.updated_at = now
    session.flush()
    _audit(session, pub, actor, now, action, before, note)


def store_draft(
    session: Any,
    *,
    channel_id: int,
    period: WeekPeriod,
    text: str,
    figures: Mapping[str, Any],
    report_path: str | None,
    now: datetime,
    actor: str,
) -> Any:
    """Create or refresh the (channel, week) row as a draft; `publishing`/`published` stay put."""
    from sqlalchemy import select

    from citizen_desk.db.models import Publication
    from citizen_desk.db.upsert import insert_if_absent

    values = {
        "channel_id": channel_id,
        "period": period.key,
        "marker": period.tag,
        "text": text,
        "figures": dict(figures),
        "status": "draft",
        "report_path": report_path,
        "run_id": actor,
        "updated_at": now,
    }
    created = insert_if_absent(session, Publication, values, ["channel_id", "period"])
    pub = session.scalars(
        select(Publication).where(
            Publication.channel_id == channel_id, Publication.period == period.key
        )
    ).one()
    if created:
        _audit(session, pub, actor, now, "publication_drafted", "none")
        return pub
    if pub.status in LOCKED:
        return pub
    before = pub.status
    for name in ("marker", "text", "figures", "report_path", "run_id", "updated_at"):
        setattr(pub, name, values[name])
    pub.status, pub.blocked_reason, pub.approved_by, pub.approved_at = "draft", None, None, None
    session.flush()
    _audit(session, pub, actor, now, "publication_redrafted", before)
    return pub


def tip_citizen_names(session: Any, unit_id: int | None, period: WeekPeriod) -> list[str]:
    """Names of the citizens behind the unit's (None: every unit's) tips received or closed in
    the week, for the PII gate and redaction.

    PROTECTED data: only ever passed to the PII gate / `redact`, never logged or returned.
    """
    from sqlalchemy import and_, or_, select

    from citizen_desk.db.models import Case, Citizen, Tip

    query = (
        select(Citizen.protected_display_name)
        .join(Case, Case.citizen_id == Citizen.id)
        .join(Tip, Tip.case_id == Case.id)
        .where(
            Citizen.protected_display_name.is_not(None),
            or_(
                and_(Tip.received_at >= period.start, Tip.received_at < period.end),
                and_(Tip.closed_at >= period.start, Tip.closed_at < period.end),
            ),
        )
        .distinct()
    )
    if unit_id is not None:
        query = query.where(Tip.unit_id == unit_id)
    return sorted(name for name in session.scalars(query).all() if name and name.strip())


def gate_findings(text: str, names: Sequence[str], where: str) -> list[str]:
    """The PII gate's finding kinds for `text` ([] = clean)."""
    from citizen_desk.privacy import pii_gate

    try:
        pii_gate(text, names=tuple(names), where=where)
    except PiiDetectedError as exc:
        return sorted(set(exc.kinds)) or ["unknown"]
    return []


def _block(
    session: Any,
    registry: Any,
    pub: Any,
    kinds: Sequence[str],
    *,
    text: str,
    names: Sequence[str],
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> None:
    """Mark the row blocked, keep only a redacted copy of `text`, and alert the admins."""
    from citizen_desk.notify.outbox import notify_admins
    from citizen_desk.privacy import redact

    reason = ", ".join(kinds)
    pub.blocked_reason = reason
    pub.text = redact(text, names=tuple(names))  # the ledger never keeps what was caught
    _set_status(
        session,
        pub,
        "blocked",
        now=now,
        actor=actor,
        action="publication_blocked",
        note=f"PII gate: {reason}",
    )
    channel = pub.channel
    notify_admins(
        session,
        registry,
        key=f"publication-blocked:{channel.key}:{period.key}:{actor}",
        title="Bài đăng kết quả tuần bị chặn",
        text=(
            f"Bài đăng {period.label_vi} của {channel.unit.name} (kênh {channel.key}) không được "
            f"đăng: bị chặn ({reason}; thông tin cá nhân hoặc quá dài). Sửa kết quả công khai của "
            f"tin báo hoặc nội dung đã sửa, rồi chạy lại DAG publish_weekly_results."
        ),
        now=now,
        source=actor,
    )
    log.warning("publication %s (%s %s) blocked: %s", pub.id, channel.key, period.key, reason)


@dataclass(frozen=True)
class PublishMode:
    """Whether this run may post at all, and why not."""

    enabled: bool
    reason: str | None = None


def publish_mode(
    period: WeekPeriod,
    *,
    dry_run: bool,
    allow_past: bool,
    run_type: str | None,
    started_at: datetime | None,
) -> PublishMode:
    """Dry runs never post; nor do runs for a past week (a backfill, or a run started more than a
    week after the week ended) unless `allow_past` is set."""
    if dry_run:
        return PublishMode(False, "dry_run")
    past = run_type == "backfill" or (
        started_at is not None and started_at >= period.end + timedelta(days=7)
    )
    if past and not allow_past:
        return PublishMode(False, "past_week")
    return PublishMode(True)


@dataclass(frozen=True)
class ApprovalRequest:
    publication_id: int
    channel_key: str
    subject: str
    body: str
    response_timeout: timedelta

    def as_dict(self) -> dict[str, Any]:
        """XCom form; `hitl_kwargs` of it are the mapped HITLOperator's arguments."""
        return {
            "publication_id": self.publication_id,
            "channel_key": self.channel_key,
            "subject": self.subject,
            "body": self.body,
            "response_timeout": self.response_timeout,
        }


HITL_KWARGS = ("subject", "body", "response_timeout")


def hitl_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    """What the admin sees in the Airflow UI for one request (the HITLOperator's kwargs)."""
    return {name: request[name] for name in HITL_KWARGS}


_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def jinja_literal(text: str) -> str:
    """`text` wrapped so that Jinja rendering gives it back unchanged.

    Airflow renders a HITLOperator's `body` as a template (also when it comes from XCom), so
    officer-written text such as `{{ conn.x.password }}` must never be evaluated there.
    """
    escaped = _ENDRAW.sub(lambda m: "{% endraw %}{{ '" + m.group(0) + "' }}{% raw %}", text)
    return "{% raw %}" + escaped + "{% endraw %}"


def approval_body(
    *,
    unit_name: str,
    channel_key: str,
    period: WeekPeriod,
    text: str,
    timeout: timedelta,
    report_path: str | None,
) -> str:
    """Markdown for the Required Actions page: what to do, then the post exactly as it will go."""
    fence = "````"
    safe = text.replace(fence, "'''")
    lines = [
        f"**{unit_name}** · trang Facebook `{channel_key}` · {period.label_vi}",
        "",
        f"Chọn **{APPROVE}** để đăng bài dưới đây lên trang, **{REJECT}** để bỏ qua tuần này.",
        f"Muốn sửa: dán toàn bộ nội dung mới vào ô `{EDIT_PARAM}` rồi chọn **{APPROVE}**; "
        "nội dung sửa được kiểm tra thông tin cá nhân lại trước khi đăng.",
        f"Không trả lời trong {format_duration_vi(timeout)}: bài **không** được đăng.",
        "",
        f"{fence}text",
        safe.rstrip(),
        fence,
    ]
    if report_path:
        lines += ["", f"Báo cáo nội bộ (số liệu chính xác): `{report_path}`"]
    return "\n".join(lines)


def gate_period(
    session: Any,
    registry: Any,
    period: WeekPeriod,
    *,
    mode: PublishMode,
    now: datetime,
    actor: str,
) -> list[ApprovalRequest]:
    """PII-gate every draft of the week; returns the Facebook posts awaiting approval."""
    from sqlalchemy import select

    from citizen_desk.db.models import Channel, Publication

    drafts = session.scalars(
        select(Publication)
        .join(Channel, Publication.channel_id == Channel.id)
        .where(Publication.period == period.key, Publication.status == "draft")
        .order_by(Channel.key)
    ).all()
    names: dict[int, list[str]] = {}
    requests = []
    for pub in drafts:
        channel = pub.channel
        if channel.unit_id not in names:
            names[channel.unit_id] = tip_citizen_names(session, channel.unit_id, period)
        where = f"publication {channel.key} {period.key}"
        kinds = gate_findings(pub.text, names[channel.unit_id], where)
        if kinds:
            _block(
                session,
                registry,
                pub,
                kinds,
                text=pub.text,
                names=names[channel.unit_id],
                period=period,
                now=now,
                actor=actor,
            )
        elif not mode.enabled:
            _set_status(
                session,
                pub,
                "dry_run",
                now=now,
                actor=actor,
                action="publication_not_posted",
                note=mode.reason,
            )
        elif channel.platform == "facebook":
            _set_status(
                session,
                pub,
                "awaiting_approval",
                now=now,
                actor=actor,
                action="publication_submitted",
            )
            timeout = registry.publication.approval_timeout
            requests.append(
                ApprovalRequest(
                    publication_id=pub.id,
                    channel_key=channel.key,
                    subject=f"Duyệt bài đăng {period.label_vi} – {channel.unit.name}",
                    body=jinja_literal(
                        approval_body(
                            unit_name=channel.unit.name,
                            channel_key=channel.key,
                            period=period,
                            text=pub.text,
                            timeout=timeout,
                            report_path=pub.report_path,
                        )
                    ),
                    response_timeout=timeout,
                )
            )
    return requests


# --- decisions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """An approver's answer: approved | rejected | timed_out | missing (no HITL result)."""

    outcome: str
    by: str | None = None
    at: datetime | None = None
    edited_text: str | None = None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def decision_from_hitl(result: Mapping[str, Any] | None) -> Decision:
    """Read a HITLOperator result (`chosen_options`, `params_input`, `responded_by_user`, ...).

    A timeout resolves to the default option with no responding user: not approved.
    """
    if not result:
        return Decision("missing")
    chosen = list(result.get("chosen_options") or [])
    user = result.get("responded_by_user")
    at = _as_datetime(result.get("responded_at"))
    if not user:
        return Decision("timed_out", at=at)
    by = str(user.get("name") or user.get("id") or "?") if isinstance(user, Mapping) else str(user)
    if chosen != [APPROVE]:
        return Decision("rejected", by=by, at=at)
    edited = str((result.get("params_input") or {}).get(EDIT_PARAM) or "").strip()
    return Decision("approved", by=by, at=at, edited_text=edited or None)


def apply_decision(
    session: Any,
    registry: Any,
    publication_id: int,
    decision: Decision,
    *,
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> str:
    """Record the decision on an `awaiting_approval` row (others are left alone); new status.

    Edited text keeps (or gets back) the week's marker and must pass the PII gate again.
    """
    from citizen_desk.db.models import Publication

    pub = session.get(Publication, publication_id)
    if pub is None:
        raise NotFoundError(f"publication {publication_id} not found")
    if pub.status != "awaiting_approval":
        return str(pub.status)
    if decision.outcome != "approved":
        pub.blocked_reason = NOT_APPROVED_REASON.get(decision.outcome, decision.outcome)
        note = f"{decision.outcome} by {decision.by}" if decision.by else decision.outcome
        _set_status(
            session, pub, "rejected", now=now, actor=actor, action="publication_rejected", note=note
        )
        return "rejected"
    if decision.edited_text:
        text = ensure_marker(
            decision.edited_text, pub.marker, _marker_line_of(pub.text, pub.marker)
        )
        channel = pub.channel
        names = tip_citizen_names(session, channel.unit_id, period)
        kinds = gate_findings(text, names, f"publication {channel.key} {period.key} (edited)")
        if len(text) >= FACEBOOK_MAX_CHARS:
            kinds = [*kinds, "too_long"]
        if kinds:
            _block(
                session,
                registry,
                pub,
                kinds,
                text=text,
                names=names,
                period=period,
                now=now,
                actor=actor,
            )
            return "blocked"
        pub.text = text
    pub.approved_by = decision.by
    pub.approved_at = decision.at or now
    note = f"approved by {decision.by}" + (" (edited)" if decision.edited_text else "")
    _set_status(
        session, pub, "approved", now=now, actor=actor, action="publication_approved", note=note
    )
    return "approved"


def mirror_zalo(session: Any, period: WeekPeriod, *, now: datetime, actor: str) -> int:
    """Zalo drafts take the decision of their unit's Facebook post; returns rows changed."""
    from sqlalchemy import select

    from citizen_desk.db.models import Channel, Publication

    rows = session.execute(
        select(Publication, Channel)
        .join(Channel, Publication.channel_id == Channel.id)
        .where(Publication.period == period.key)
    ).all()
    facebook = {channel.unit_id: pub for pub, channel in rows if channel.platform == "facebook"}
    changed = 0
    follows = "follows the Facebook post"
    for pub, channel in rows:
        fb = facebook.get(channel.unit_id)
        if channel.platform != "zalo" or pub.status != "draft" or fb is None:
            continue
        if fb.status in ("approved", "publishing", "published"):
            pub.approved_by, pub.approved_at = fb.approved_by, fb.approved_at
            _set_status(
                session,
                pub,
                "approved",
                now=now,
                actor=actor,
                action="publication_approved",
                note=follows,
            )
        elif fb.status in ("rejected", "blocked", "failed"):
            pub.blocked_reason = "facebook_post_not_approved"
            _set_status(
                session,
                pub,
                "rejected",
                now=now,
                actor=actor,
                action="publication_rejected",
                note=follows,
            )
        else:
            continue
        changed += 1
    return changed


# --- publishing (exactly once) -------------------------------------------------------------------


@dataclass(frozen=True)
class PublishOutcome:
    publication_id: int
    channel_key: str
    status: str  # published | reconciled | already | skipped | failed
    post_id: str | None = None
    error: str | None = None


@dataclass
class PublishReport:
    outcomes: list[PublishOutcome] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)  # channel keys left in `publishing`

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "published": self.count("published"),
            "reconciled": self.count("reconciled"),
            "already": self.count("already"),
            "failed": self.count("failed"),
            "uncertain": list(self.uncertain),
            "posts": {o.channel_key: o.post_id for o in self.outcomes if o.post_id},
        }


def find_marked_post(
    client: Any, page_id: str, tag: str, *, since: datetime, scan: int = RECONCILE_SCAN
) -> dict[str, Any] | None:
    """The newest page post (created since `since`) whose message carries `tag`."""
    params = {
        "fields": "id,message,created_time",
        "since": int(since.timestamp()),
        "limit": 25,
    }
    for index, post in enumerate(client.paginate(f"{page_id}/published_posts", params)):
        if index >= scan:
            break
        if has_marker(post.get("message"), tag):
            return post
    return None


def _graph_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return _as_datetime(value)


def publish_one(
    engine: Any,
    publication_id: int,
    client_for: Callable[[str], Any],
    *,
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> PublishOutcome:
    """Post one approved row exactly once (see the module docstring).

    Raises on an ambiguous failure (timeout, 5xx, rate limit, crash): the row stays `publishing`
    and the next attempt reconciles before posting.
    """
    from sqlalchemy import select

    from citizen_desk.db.engine import session_scope
    from citizen_desk.db.models import Publication

    with session_scope(engine) as session:
        pub = session.scalars(
            select(Publication).where(Publication.id == publication_id).with_for_update()
        ).one()
        channel = pub.channel
        key, page_id, conn_id = channel.key, channel.platform_id, channel.connection_id
        state, text, tag = pub.status, pub.text, pub.marker
        published_not_before = max(now, pub.approved_at or now)
        if state == "published":
            return PublishOutcome(pub.id, key, "already", pub.platform_post_id)
        if state not in ("approved", "publishing") or channel.platform != "facebook":
            return PublishOutcome(pub.id, key, "skipped")
        if state == "approved":
            _set_status(
                session, pub, "publishing", now=now, actor=actor, action="publication_publishing"
            )
    # committed: from here on a crash leaves `publishing`, and the next attempt reconciles.
    client = client_for(conn_id)
    if state == "publishing":
        found = find_marked_post(client, page_id, tag, since=period.end)
        if found is not None:
            at = _graph_time(found.get("created_time")) or published_not_before
            _record(engine, publication_id, str(found["id"]), at, actor, "reconciled")
            log.info(
                "publication %s (%s): found on the page, not posted again", publication_id, key
            )
            return PublishOutcome(publication_id, key, "reconciled", str(found["id"]))
    try:
        response = client.post(f"{page_id}/feed", {"message": text})
    except PlatformError as exc:
        if exc.code == 506:  # duplicate post: the same text is already on the page
            found = find_marked_post(client, page_id, tag, since=period.end)
            if found is not None:
                _record(
                    engine,
                    publication_id,
                    str(found["id"]),
                    published_not_before,
                    actor,
                    "reconciled",
                )
                return PublishOutcome(publication_id, key, "reconciled", str(found["id"]))
        if exc.retryable:
            raise
        _fail(engine, publication_id, f"graph_error:{exc.code}", now, actor)
        return PublishOutcome(publication_id, key, "failed", error=f"graph_error:{exc.code}")
    post_id = response.get("id") if isinstance(response, Mapping) else None
    if not post_id:
        raise PlatformError(
            f"publication {publication_id}: Graph accepted the post but returned no id",
            platform="facebook",
            retryable=True,
        )
    _record(engine, publication_id, str(post_id), published_not_before, actor, "published")
    log.info("publication %s (%s %s) published", publication_id, key, period.key)
    return PublishOutcome(publication_id, key, "published", str(post_id))


def _record(
    engine: Any, publication_id: int, post_id: str, at: datetime, actor: str, how: str
) -> None:
    from citizen_desk.db.engine import session_scope
    from citizen_desk.db.models import Publication

    with session_scope(engine) as session:
        pub = session.get(Publication, publication_id)
        pub.platform_post_id = post_id
        pub.published_at = at
        _set_status(
            session, pub, "published", now=at, actor=actor, action="publication_published", note=how
        )


def _fail(engine: Any, publication_id: int, reason: str, now: datetime, actor: str) -> None:
    from citizen_desk.db.engine import session_scope
    from citizen_desk.db.models import Publication

    with session_scope(engine) as session:
        pub = session.get(Publication, publication_id)
        pub.blocked_reason = reason
        _set_status(
            session, pub, "failed", now=now, actor=actor, action="publication_failed", note=reason
        )


def publish_period(
    engine: Any,
    period: WeekPeriod,
    client_for: Callable[[str], Any],
    *,
    now: datetime,
    actor: str,
) -> PublishReport:
    """Post every approved (or interrupted) Facebook row of the week; one failure does not stop
    the others. Raises `WorkflowError` at the end if any row was left `publishing`."""
    from sqlalchemy import select

    from citizen_desk.db.engine import session_scope
    from citizen_desk.db.models import Channel, Publication

    with session_scope(engine) as session:
        rows = session.execute(
            select(Publication.id, Channel.key)
            .join(Channel, Publication.channel_id == Channel.id)
            .where(
                Publication.period == period.key,
                Publication.status.in_(("approved", "publishing")),
                Channel.platform == "facebook",
            )
            .order_by(Channel.key)
        ).all()
    report = PublishReport()
    for publication_id, key in rows:
        try:
            report.outcomes.append(
                publish_one(engine, publication_id, client_for, period=period, now=now, actor=actor)
            )
        except Exception as exc:  # isolate pages: the row stays `publishing`, the retry reconciles
            log.warning("publication %s (%s): %s", publication_id, key, type(exc).__name__)
            report.uncertain.append(key)
    if report.uncertain:
        raise WorkflowError(
            f"{len(report.uncertain)} post(s) of {period.key} not confirmed "
            f"({', '.join(report.uncertain)}); they stay 'publishing' and the retry reconciles them"
        )
    return report


# --- Airflow task bodies (the DAG file only wires these) ------------------------------------------


def _params(context: Mapping[str, Any]) -> Mapping[str, Any]:
    return context.get("params") or {}


def _mode(context: Mapping[str, Any], period: WeekPeriod) -> PublishMode:
    params = _params(context)
    dag_run = context.get("dag_run")
    run_type = getattr(dag_run, "run_type", None)
    return publish_mode(
        period,
        dry_run=bool(params.get("dry_run", False)),
        allow_past=bool(params.get("allow_post_for_past_week", False)),
        run_type=str(getattr(run_type, "value", run_type)) if run_type else None,
        started_at=getattr(dag_run, "start_date", None),
    )


def graph_client(conn_id: str, **kwargs: Any) -> Any:
    """The Graph client for a page's Airflow connection (the only Airflow lookup here)."""
    from citizen_desk.platforms.graph import graph_client_from_connection

    return graph_client_from_connection(conn_id, **kwargs)


def posting_client(conn_id: str) -> Any:
    """No in-client retries: a POST is never repeated blindly, the ledger reconciles instead."""
    return graph_client(conn_id, max_attempts=1)


def collect_insights(
    registry: Any, period: WeekPeriod, client_for: Callable[[str], Any]
) -> tuple[dict[str, PageInsights], dict[str, str]]:
    """Insights per unit from its Facebook page; failures leave a note instead (never raise)."""
    from citizen_desk.publication.figures import fetch_page_insights

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
        insights[PROVINCE] = PageInsights(
            **{
                name: sum(getattr(i, name) or 0 for i in insights.values())
                for name in ("impressions", "engagements", "follows")
            }
        )
        if notes:
            notes[PROVINCE] = "Tổng chưa đủ: một số trang không có số liệu."
    return insights, notes


def channels_not_collected_since(session: Any, since: datetime) -> list[str]:
    """Active channels with no collection attempt that finished at or after `since`.

    The week's figures wait for these: a channel whose latest attempt failed counts as attempted
    (its admins were alerted), so one broken page cannot hold every post back.
    """
    from sqlalchemy import func, select

    from citizen_desk.db.models import Channel, CollectionRun

    latest = (
        select(CollectionRun.channel_id, func.max(CollectionRun.finished_at).label("finished"))
        .group_by(CollectionRun.channel_id)
        .subquery()
    )
    rows = session.execute(
        select(Channel.key, latest.c.finished)
        .outerjoin(latest, latest.c.channel_id == Channel.id)
        .where(Channel.active.is_(True))
        .order_by(Channel.key)
    )
    return [key for key, finished in rows if finished is None or finished < since]


def run_wait_for_collection(context: Mapping[str, Any]) -> bool:
    """Sensor `wait_for_collection`: true once every channel was collected after the week."""
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine, session_scope
    from citizen_desk.pipeline.context import run_now
    from citizen_desk.publication.figures import week_ending_before

    period = week_ending_before(run_now(context), load_registry().timezone)
    with session_scope(get_engine()) as session:
        missing = channels_not_collected_since(session, period.end)
    if missing:
        log.info("waiting for a collection after %s of: %s", period.key, ", ".join(missing))
    return not missing


def run_compute(
    context: Mapping[str, Any], *, client_for: Callable[[str], Any] = graph_client
) -> dict[str, Any]:
    """Task `compute`: the week's figures (numbers and ids only: safe for XCom)."""
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine, session_scope
    from citizen_desk.pipeline.context import run_now
    from citizen_desk.publication.figures import compute_results, load_week_rows, week_ending_before

    registry = load_registry()
    period = week_ending_before(run_now(context), registry.timezone)
    with session_scope(get_engine()) as session:
        rows = load_week_rows(session, period)
    insights, notes = collect_insights(registry, period, client_for)
    results = compute_results(
        rows,
        period,
        units=[(u.code, u.name) for u in registry.units if u.active],
        province_name=ALL_UNITS,
        policy=registry.sla,
        calendar=registry.calendar,
        min_count=registry.publication.min_count,
        insights=insights,
        insights_notes=notes,
    )
    log.info("figures for %s: %d units", period.key, len(results.units))
    return results.to_dict()


def render_all(
    session: Any,
    registry: Any,
    results: WeeklyResults,
    *,
    now: datetime,
    actor: str,
    report_dir: Path | None = None,
) -> dict[str, Any]:
    """Write the admin report and a draft per active channel; returns ids (safe for XCom)."""
    from sqlalchemy import select

    from citizen_desk.db.models import Channel, Unit
    from citizen_desk.privacy import pii_gate, redact
    from citizen_desk.publication.figures import load_outcomes

    period = results.week
    root = next(u for u in registry.units if u.parent is None)
    ids = [i for u in (results.province, *results.units) for i in u.current.outcome_tip_ids]
    outcomes = load_outcomes(session, ids)
    # The admin report is redacted (not blocked): a slip in an outcome sentence shows as [TÊN].
    names = tip_citizen_names(session, None, period)
    report_outcomes = {k: redact(v, names=tuple(names)) for k, v in outcomes.items()}
    pii_gate(list(report_outcomes.values()), names=tuple(names), where=f"report {period.key}")
    channels = session.execute(
        select(Channel, Unit.code)
        .join(Unit, Channel.unit_id == Unit.id)
        .where(Channel.active.is_(True))
        .order_by(Channel.key)
    ).all()
    by_unit: dict[str, list[Any]] = {}
    for channel, code in channels:
        by_unit.setdefault(code, []).append(channel)
    html = render_report(
        report_context(
            results,
            outcomes=report_outcomes,
            channels_by_unit={k: [c.key for c in v] for k, v in by_unit.items()},
            generated_at=now,
        )
    )
    path = write_report(html, period, report_dir)
    working = [
        CATEGORY_LABELS[c]
        for c in ("question", "feedback", "tip", "lost_found")
        if (t := registry.sla.targets.get(c)) is not None and t.clock == "working"
    ]
    publication_ids = []
    for report in results.units:
        unit_channels = by_unit.get(report.unit_code, [])
        page = next((c for c in unit_channels if c.platform == "facebook"), None)
        context = post_context(
            report,
            period,
            min_count=results.min_count,
            province_name=root.name,
            outcomes=[outcomes[i] for i in report.current.outcome_tip_ids if i in outcomes],
            working_clock_labels=working,
            facebook_page=page.name if page else None,
        )
        for channel in unit_channels:
            text = render_post(context) if channel.platform == "facebook" else render_zalo(context)
            pub = store_draft(
                session,
                channel_id=channel.id,
                period=period,
                text=text,
                figures={"min_count": results.min_count, **_figures_json(report)},
                report_path=str(path),
                now=now,
                actor=actor,
            )
            publication_ids.append(pub.id)
    return {"period": period.key, "report": str(path), "publications": publication_ids}


def _figures_json(report: UnitReport) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(report)


def run_render(figures: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """Task `render`: admin report file + one draft per channel."""
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine, session_scope
    from citizen_desk.pipeline.context import run_label, run_now

    results = WeeklyResults.from_dict(figures)
    with session_scope(get_engine()) as session:
        out = render_all(
            session, load_registry(), results, now=run_now(context), actor=run_label(context)
        )
    log.info(
        "rendered %d drafts for %s; report %s",
        len(out["publications"]),
        out["period"],
        out["report"],
    )
    return out


def run_gate(rendered: Mapping[str, Any], context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Task `pii_gate`: block what fails, queue the rest for approval (or mark it dry_run).

    Returns the approval requests in map-index order of the `approve` task.
    """
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine, session_scope
    from citizen_desk.pipeline.context import run_label, run_now

    registry = load_registry()
    period = parse_period(rendered["period"], registry.timezone)
    mode = _mode(context, period)
    with session_scope(get_engine()) as session:
        requests = gate_period(
            session,
            registry,
            period,
            mode=mode,
            now=run_now(context),
            actor=run_label(context),
        )
    log.info(
        "%s: %d post(s) awaiting approval (mode: %s)",
        period.key,
        len(requests),
        mode.reason or "publish",
    )
    return [r.as_dict() for r in requests]


def run_publish(
    rendered: Mapping[str, Any],
    requests: Sequence[Mapping[str, Any]] | None,
    context: Mapping[str, Any],
    *,
    decisions: Sequence[Mapping[str, Any] | None] | None = None,
    client_for: Callable[[str], Any] = posting_client,
) -> dict[str, Any]:
    """Task `publish`: apply the approvers' decisions, then post exactly once.

    `decisions[i]` is the HITL result for `requests[i]` (read from the `approve` task's XCom by
    map index when not given; a missing result counts as "not approved").
    """
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine, session_scope
    from citizen_desk.pipeline.context import run_label, run_now

    registry = load_registry()
    period = parse_period(rendered["period"], registry.timezone)
    ids = [int(r["publication_id"]) for r in requests or []]
    if decisions is None:
        pull = context["ti"].xcom_pull if ids else None
        decisions = [pull(task_ids="approve", map_indexes=i) for i in range(len(ids))]
    now, actor = run_now(context), run_label(context)
    engine = get_engine()
    with session_scope(engine) as session:
        statuses = [
            apply_decision(
                session,
                registry,
                pub_id,
                decision_from_hitl(result),
                period=period,
                now=now,
                actor=actor,
            )
            for pub_id, result in zip(ids, decisions, strict=True)
        ]
        mirror_zalo(session, period, now=now, actor=actor)
    mode = _mode(context, period)
    if not mode.enabled:
        log.info("%s: not posting (%s)", period.key, mode.reason)
        return {"period": period.key, "mode": mode.reason, "decisions": _tally(statuses)}
    report = publish_period(engine, period, client_for, now=now, actor=actor)
    return {"period": period.key, "decisions": _tally(statuses), **report.as_dict()}


def _tally(statuses: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in statuses:
        out[status] = out.get(status, 0) + 1
    return out
