"""Recording the approvers' decisions in the ledger (reading them is `publication.approval`).

Zalo OA rows mirror the decision on their unit's Facebook post (`approved` = published as a Zalo
article by `publication.zalo_posting`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry
from citizen_desk.db.models import Channel, Publication
from citizen_desk.errors import NotFoundError
from citizen_desk.publication.approval import Decision
from citizen_desk.publication.gate import block
from citizen_desk.publication.ledger import set_status
from citizen_desk.publication.period import WeekPeriod
from citizen_desk.publication.revisions import check_post_text, pinned_revision

NOT_APPROVED_REASON = {
    "rejected": "rejected",
    "timed_out": "approval_timeout",
    "missing": "no_decision",
    # an approval without its time cannot tell which revision it saw: not posted
    "undated": "approval_time_unknown",
}


def apply_decision(
    session: Session,
    registry: Registry,
    publication_id: int,
    decision: Decision,
    *,
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> str:
    """Record the decision on an `awaiting_approval` row (others are left alone); new status.

    An approval covers the newest revision saved on the Citizen Desk page before the approver
    answered (`revisions.pinned_revision`; none: the draft as rendered). That text must pass the
    PII gate again now (new tips may have named someone since it was saved).
    """
    pub = session.scalars(
        select(Publication).where(Publication.id == publication_id).with_for_update()
    ).first()
    if pub is None:
        raise NotFoundError(f"publication {publication_id} not found")
    if pub.status != "awaiting_approval":
        return str(pub.status)
    if decision.outcome != "approved" or decision.at is None:
        outcome = decision.outcome if decision.outcome != "approved" else "undated"
        pub.blocked_reason = NOT_APPROVED_REASON.get(outcome, outcome)
        note = f"{outcome} by {decision.by}" if decision.by else outcome
        set_status(
            session, pub, "rejected", now=now, actor=actor, action="publication_rejected", note=note
        )
        return "rejected"
    revision, later = pinned_revision(session, pub, decision.at)
    if revision is not None:
        text, kinds, names = check_post_text(session, pub, revision.text, registry.timezone)
        if kinds:
            block(
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
            # nor does the revision keep what was caught: a rerun's pages would show it again
            revision.text = pub.text
            return "blocked"
        pub.text = text
        pub.approved_revision = revision.number
    pub.approved_by = decision.by
    pub.approved_at = decision.at
    note = f"approved by {decision.by}"
    if revision is not None:
        note += f" (revision {revision.number})"
    if later:
        note += f"; revisions saved after the approval, not used: {', '.join(map(str, later))}"
    set_status(
        session, pub, "approved", now=now, actor=actor, action="publication_approved", note=note
    )
    return "approved"


def mirror_zalo(session: Session, period: WeekPeriod, *, now: datetime, actor: str) -> int:
    """Zalo drafts take the decision of their unit's Facebook post; returns rows changed."""
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
            set_status(
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
            set_status(
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
