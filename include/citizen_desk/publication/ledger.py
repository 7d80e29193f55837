"""The `publications` ledger: one row per channel and ISO week (e.g. `2026-W47`), every status
change audited.

    draft ──PII gate──▶ blocked                      (finding kinds in blocked_reason, admins told)
      │        └──────▶ dry_run                      (Param dry_run, or a past week)
      └─▶ awaiting_approval ──HITL──▶ rejected      (rejected, timed out, or no decision)
              (approvers' edits: `publication_revisions`, made on the Citizen Desk page)
                               └────▶ approved ──▶ publishing ──POST /{page}/feed──▶ published
                                                       │ non-retryable Graph error ──▶ failed
                                                       └ crash / timeout: stays publishing
    Zalo rows: approved (follows the Facebook decision) ──▶ publishing ──article/create──▶
    (job token stored) ──article/verify──▶ published   (`publication.zalo_posting`)

`publishing` and `published` rows are never re-rendered (`LOCKED`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Channel, Publication
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.publication.period import WeekPeriod

LOCKED = frozenset({"publishing", "published"})


def audit_status(
    session: Session,
    pub: Publication,
    actor: str,
    now: datetime,
    action: str,
    before: str,
    note: str | None = None,
) -> None:
    """One audit row for a status change of `pub` (from `before` to its current status)."""
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


def set_status(
    session: Session,
    pub: Publication,
    status: str,
    *,
    now: datetime,
    actor: str,
    action: str,
    note: str | None = None,
) -> None:
    """Move `pub` to `status` and audit it."""
    before = pub.status
    pub.status = status
    pub.updated_at = now
    session.flush()
    audit_status(session, pub, actor, now, action, before, note)


def store_draft(
    session: Session,
    *,
    channel_id: int,
    period: WeekPeriod,
    text: str,
    figures: Mapping[str, Any],
    report_path: str | None,
    now: datetime,
    actor: str,
) -> Publication:
    """Create or refresh the (channel, week) row as a draft; `publishing`/`published` stay put."""
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
        audit_status(session, pub, actor, now, "publication_drafted", "none")
        return pub
    if pub.status in LOCKED:
        return pub
    before = pub.status
    for name in ("marker", "text", "figures", "report_path", "run_id", "updated_at"):
        setattr(pub, name, values[name])
    pub.status, pub.blocked_reason, pub.approved_by, pub.approved_at = "draft", None, None, None
    pub.approved_revision = None
    session.flush()
    audit_status(session, pub, actor, now, "publication_redrafted", before)
    return pub


IDLE_MODES = {
    "dry_run": "dry run",
    "past_week": "past week",
    "late_start": "scheduled run started late (first start or after an outage): "
    "trigger the DAG by hand to propose this week",
}


def facebook_statuses(session: Session, period: WeekPeriod) -> dict[str, int]:
    """How many of the week's Facebook rows are in each status."""
    rows = session.execute(
        select(Publication.status)
        .join(Channel, Publication.channel_id == Channel.id)
        .where(Publication.period == period.key, Channel.platform == "facebook")
    ).scalars()
    out: dict[str, int] = {}
    for status in rows:
        out[status] = out.get(status, 0) + 1
    return out


def idle_reason(statuses: Mapping[str, int], *, mode: str | None, posted: int = 0) -> str | None:
    """Why a run did nothing (None when it posted or has work left to do).

    `statuses`: the week's Facebook rows by status; `mode`: why posting is off (`dry_run`,
    `past_week`), if it is.
    """
    if mode:
        return IDLE_MODES.get(mode, mode)
    if posted:
        return None
    if not statuses:
        return "waiting for collection"  # nothing computed or rendered for the week yet
    if statuses.get("awaiting_approval"):
        return "no approver decision yet"
    if set(statuses) == {"published"}:
        return "already published"
    if statuses.get("draft") or statuses.get("approved") or statuses.get("publishing"):
        return None
    return "nothing approved (" + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())) + ")"
