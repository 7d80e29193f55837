"""The PII gate over the week's drafts: a finding blocks that unit's post and alerts the admins.

Texts are not silently redacted: any finding blocks the post so the source gets fixed (the ledger
keeps only a redacted copy). Clean Facebook drafts go to approval, assigned to the registry's
publication approvers of the unit (`access:`); a unit without any is blocked (`no_approver`) and
the admins told, since Airflow lets anyone answer a request without assignees. Zalo drafts wait
for their unit's Facebook decision; a dry run or a past week stops at `dry_run`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry
from citizen_desk.db.models import Case, Channel, Citizen, Publication, Tip
from citizen_desk.errors import PiiDetectedError
from citizen_desk.notify.outbox import notify_admins
from citizen_desk.privacy import pii_gate, redact
from citizen_desk.publication.approval import (
    ApprovalRequest,
    approval_body,
    edit_url,
    jinja_literal,
)
from citizen_desk.publication.checks import blocked_reason
from citizen_desk.publication.ledger import set_status
from citizen_desk.publication.period import WeekPeriod

log = logging.getLogger(__name__)


def tip_citizen_names(session: Session, unit_id: int | None, period: WeekPeriod) -> list[str]:
    """Names of the citizens behind the unit's (None: every unit's) tips received or closed in
    the week, for the PII gate and redaction.

    PROTECTED data: only ever passed to the PII gate / `redact`, never logged or returned.
    """
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
    try:
        pii_gate(text, names=tuple(names), where=where)
    except PiiDetectedError as exc:
        return sorted(set(exc.kinds)) or ["unknown"]
    return []


def _block_and_alert(
    session: Session,
    registry: Registry,
    pub: Publication,
    *,
    reason: str,
    note: str,
    alert: str,
    title: str,
    problem: str,
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> None:
    """Mark the row blocked with `reason` (audited with `note`) and tell the admins `problem`
    about this unit's post, once per run (`alert` names the kind in the outbox key)."""
    pub.blocked_reason = reason
    set_status(
        session, pub, "blocked", now=now, actor=actor, action="publication_blocked", note=note
    )
    channel = pub.channel
    notify_admins(
        session,
        registry,
        key=f"{alert}:{channel.key}:{period.key}:{actor}",
        title=title,
        text=f"Bài đăng {period.label_vi} của {channel.unit.name} (kênh {channel.key}) {problem}",
        now=now,
        source=actor,
    )
    log.warning("publication %s (%s %s) blocked: %s", pub.id, channel.key, period.key, reason)


def block(
    session: Session,
    registry: Registry,
    pub: Publication,
    kinds: Sequence[str],
    *,
    text: str,
    names: Sequence[str],
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> None:
    """Mark the row blocked, keep only a redacted copy of `text`, and alert the admins."""
    reason = ", ".join(kinds)
    pub.text = redact(text, names=tuple(names))  # the ledger never keeps what was caught
    _block_and_alert(
        session,
        registry,
        pub,
        reason=reason,
        note=f"PII gate: {reason}",
        alert="publication-blocked",
        title="Bài đăng kết quả tuần bị chặn",
        problem=(
            f"không được đăng: bị chặn ({reason}; thông tin cá nhân hoặc quá dài). Sửa kết quả "
            "công khai của tin báo hoặc nội dung đã sửa, rồi chạy lại DAG publish_weekly_results."
        ),
        period=period,
        now=now,
        actor=actor,
    )


def block_inconsistent(
    session: Session,
    registry: Registry,
    pub: Publication,
    failed: Sequence[str],
    *,
    names: Sequence[str],
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> None:
    """Block a draft whose figures failed `publication.checks`, and alert the admins (check
    names only, never figures or text)."""
    reason = blocked_reason(list(failed))
    pub.text = redact(pub.text, names=tuple(names))
    _block_and_alert(
        session,
        registry,
        pub,
        reason=reason,
        note=reason,
        alert="publication-figures",
        title="Số liệu kết quả tuần không nhất quán",
        problem=(
            f"không được gửi duyệt: số liệu không nhất quán ({reason}). Kiểm tra dữ liệu nguồn "
            "rồi chạy lại DAG publish_weekly_results; các đơn vị khác không bị ảnh hưởng."
        ),
        period=period,
        now=now,
        actor=actor,
    )


NO_APPROVER = "no_approver"


def block_unassigned(
    session: Session,
    registry: Registry,
    pub: Publication,
    *,
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> None:
    """Block a clean draft whose unit has no publication approver, and alert the admins."""
    _block_and_alert(
        session,
        registry,
        pub,
        reason=NO_APPROVER,
        note="no publication approver for the unit (registry access:)",
        alert="publication-no-approver",
        title="Bài đăng kết quả tuần không có người duyệt",
        problem=(
            "không được gửi duyệt: chưa có người duyệt bài đăng (publication_approver) cho đơn "
            f"vị {pub.channel.unit.code} trong mục access của registry. Bổ sung rồi chạy lại DAG "
            "publish_weekly_results."
        ),
        period=period,
        now=now,
        actor=actor,
    )


LATE_START_GRACE = timedelta(hours=6)  # a scheduled run starting later is a catch-up run


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
    scheduled_for: datetime | None = None,
) -> PublishMode:
    """Dry runs never post; nor, unless `allow_past` is set, do runs for a past week (a backfill,
    or a run started more than a week after the week ended) or scheduled runs that started more
    than `LATE_START_GRACE` after their time (`late_start`): with `catchup=False` the scheduler
    still creates the most recent Monday's run when it first sees the DAG (or comes back after
    an outage), and nobody asked for that week's posts then. A manual run of the DAG, or
    `allow_post_for_past_week`, still proposes it."""
    if dry_run:
        return PublishMode(False, "dry_run")
    past = run_type == "backfill" or (
        started_at is not None and started_at >= period.end + timedelta(days=7)
    )
    if past and not allow_past:
        return PublishMode(False, "past_week")
    late = (
        run_type == "scheduled"
        and started_at is not None
        and scheduled_for is not None
        and started_at - scheduled_for > LATE_START_GRACE
    )
    if late and not allow_past:
        return PublishMode(False, "late_start")
    return PublishMode(True)


def gate_period(
    session: Session,
    registry: Registry,
    period: WeekPeriod,
    *,
    mode: PublishMode,
    now: datetime,
    actor: str,
) -> list[ApprovalRequest]:
    """PII-gate every draft of the week; returns the Facebook posts awaiting approval."""
    drafts = session.scalars(
        select(Publication)
        .join(Channel, Publication.channel_id == Channel.id)
        .where(Publication.period == period.key, Publication.status == "draft")
        .order_by(Channel.key)
    ).all()
    names: dict[int, list[str]] = {}
    clean = []
    for pub in drafts:  # gate everything first: the approval body shows the Zalo text too
        channel = pub.channel
        if channel.unit_id not in names:
            names[channel.unit_id] = tip_citizen_names(session, channel.unit_id, period)
        where = f"publication {channel.key} {period.key}"
        kinds = gate_findings(pub.text, names[channel.unit_id], where)
        if kinds:
            block(
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
        else:
            clean.append(pub)
    zalo = {p.channel.unit_id: p for p in clean if p.channel.platform == "zalo"}
    requests = []
    for pub in clean:
        channel = pub.channel
        if not mode.enabled:
            set_status(
                session,
                pub,
                "dry_run",
                now=now,
                actor=actor,
                action="publication_not_posted",
                note=mode.reason,
            )
        elif channel.platform == "facebook":
            approvers = registry.publication_approvers(channel.unit.code)
            if not approvers:
                block_unassigned(session, registry, pub, period=period, now=now, actor=actor)
                continue
            set_status(
                session,
                pub,
                "awaiting_approval",
                now=now,
                actor=actor,
                action="publication_submitted",
            )
            timeout = registry.publication.approval_timeout
            oa = zalo.get(channel.unit_id)
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
                            edit_link=edit_url(registry.case_view_base_url, pub.id),
                            zalo_text=oa.text if oa else None,
                            zalo_key=oa.channel.key if oa else None,
                        )
                    ),
                    response_timeout=timeout,
                    approvers=approvers,
                    approver_ids=tuple(registry.airflow_user_id(a) for a in approvers),
                )
            )
    return requests
