"""Approvers' corrected texts of a weekly post, made on the Citizen Desk publications page.

An edit never travels through Airflow: a free-text field of the approval request would be stored
in Airflow's own tables (readable by every viewer) before any check. The page hands the text here
instead; it passes the same PII gate as the post, and only then is it stored, as the post's next
numbered revision (`publication_revisions`). A refused text is stored nowhere: the attempt is
audited with the kinds of finding only.

The approval in Required Actions covers the newest revision saved *before* the approver answered
(`pinned_revision`, by the answer's time): a revision saved afterwards changes nothing, and none
is accepted once the decision is recorded (the post is no longer `awaiting_approval`). Revisions
belong to the draft they correct (`base_hash`): a draft rendered again with other text starts
over from that text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Publication, PublicationRevision
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.privacy import PLACEHOLDERS, redact
from citizen_desk.publication.gate import gate_findings, tip_citizen_names
from citizen_desk.publication.period import parse_period
from citizen_desk.publication.texts import FACEBOOK_MAX_CHARS, ensure_marker, marker_line_of

EDITABLE_STATUS = "awaiting_approval"
MASKED = "masked"  # a finding kind of an edit: a redaction placeholder such as [TÊN] left in it


def draft_hash(text: str) -> str:
    """The SHA-256 of a rendered draft: which draft a revision corrects."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EditOutcome:
    """What became of a submitted text: stored as `revision`, unchanged, or refused (`kinds`,
    with `redacted`: the submission with every finding masked, for the approver to fix)."""

    revision: int | None = None
    stored: bool = False
    kinds: tuple[str, ...] = ()
    redacted: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.kinds)


def check_post_text(
    session: Session, pub: Publication, text: str, zone: str
) -> tuple[str, list[str], list[str]]:
    """`text` as it would be posted (the week's marker kept or added), the PII gate's finding
    kinds for it (plus `too_long`, and `masked` for a redaction placeholder left in it), and the
    protected names it was checked against.

    PROTECTED: the names are only for `redact`; never log or return them to a page.
    """
    channel = pub.channel
    period = parse_period(pub.period, zone)
    full = ensure_marker(text, pub.marker, marker_line_of(pub.text, pub.marker))
    names = tip_citizen_names(session, channel.unit_id, period)
    kinds = gate_findings(full, names, f"publication {channel.key} {period.key} (edited)")
    if len(full) >= FACEBOOK_MAX_CHARS:
        kinds = [*kinds, "too_long"]
    # The gate passes placeholders, but a refused edit comes back masked (and a revision caught
    # at approval is kept masked): saved or approved as is, "[TÊN]" would be posted.
    if any(placeholder in full for placeholder in PLACEHOLDERS.values()):
        kinds = [*kinds, MASKED]
    return full, kinds, names


def current_revision(
    session: Session, pub: Publication, *, saved_by: datetime | None = None
) -> PublicationRevision | None:
    """The newest revision of the post's current draft (saved at or before `saved_by`, if given)."""
    query = select(PublicationRevision).where(
        PublicationRevision.publication_id == pub.id,
        PublicationRevision.base_hash == draft_hash(pub.text),
    )
    if saved_by is not None:
        query = query.where(PublicationRevision.edited_at <= saved_by)
    return session.scalars(query.order_by(PublicationRevision.number.desc()).limit(1)).first()


def pinned_revision(
    session: Session, pub: Publication, answered_at: datetime
) -> tuple[PublicationRevision | None, list[int]]:
    """The revision an approval given at `answered_at` covers, and the numbers of those saved
    after it (not used; for the audit)."""
    pinned = current_revision(session, pub, saved_by=answered_at)
    later = session.scalars(
        select(PublicationRevision.number)
        .where(
            PublicationRevision.publication_id == pub.id,
            PublicationRevision.base_hash == draft_hash(pub.text),
            PublicationRevision.edited_at > answered_at,
        )
        .order_by(PublicationRevision.number)
    ).all()
    return pinned, list(later)


def editable_publication(session: Session, publication_id: int) -> Publication:
    """The post, locked for the edit; WorkflowError unless it is a Facebook post awaiting
    approval (the decision is recorded: nothing edited now could be the approved text)."""
    pub = session.scalars(
        select(Publication).where(Publication.id == publication_id).with_for_update()
    ).first()
    if pub is None:
        raise NotFoundError(f"publication {publication_id} not found / không có bài đăng này")
    if pub.channel.platform != "facebook":
        raise WorkflowError(
            f"publication {publication_id} is not a Facebook post / chỉ sửa được bài đăng "
            "Facebook; bài Zalo OA theo quyết định duyệt bài Facebook của đơn vị"
        )
    if pub.status != EDITABLE_STATUS:
        raise WorkflowError(
            f"publication {publication_id} is {pub.status}, not awaiting approval / bài đăng "
            "không còn chờ duyệt (đã có quyết định hoặc chưa gửi duyệt): không sửa được nữa"
        )
    return pub


def save_revision(
    session: Session, publication_id: int, text: str, *, editor: str, now: datetime, zone: str
) -> EditOutcome:
    """Gate `text` and store it as the post's next revision (the caller commits, refused or not:
    a refusal is audited).

    The same text as the current revision (or, without one, as the draft) stores nothing.
    WorkflowError for an empty text or a post that cannot be edited.
    """
    pub = editable_publication(session, publication_id)
    if not text.strip():
        raise WorkflowError("empty text / nội dung sửa đang để trống")
    full, kinds, names = check_post_text(session, pub, text, zone)
    if kinds:
        record_audit(
            session,
            entity_type="publication",
            entity_id=pub.id,
            action="publication_edit_refused",
            actor=editor,
            at=now,
            note=f"PII gate: {', '.join(kinds)}",  # the kinds only, never the text
        )
        return EditOutcome(kinds=tuple(kinds), redacted=redact(full, names=tuple(names)))
    current = current_revision(session, pub)
    if full == (current.text if current else pub.text):
        return EditOutcome(revision=current.number if current else None)
    number = 1 + (
        session.scalar(
            select(func.max(PublicationRevision.number)).where(
                PublicationRevision.publication_id == pub.id
            )
        )
        or 0
    )
    session.add(
        PublicationRevision(
            publication_id=pub.id,
            number=number,
            text=full,
            base_hash=draft_hash(pub.text),
            edited_by=editor,
            edited_at=now,
        )
    )
    record_audit(
        session,
        entity_type="publication",
        entity_id=pub.id,
        action="publication_edited",
        actor=editor,
        at=now,
        after={"revision": number},
    )
    session.flush()
    return EditOutcome(revision=number, stored=True)
