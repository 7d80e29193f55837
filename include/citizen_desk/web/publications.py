"""The publications page: weekly posts, their reports, the report files it serves, and the edit
page where a unit's approvers correct a post awaiting approval (`publication.revisions`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Channel, Publication, PublicationRevision, Unit
from citizen_desk.domain.labels import PUBLICATION_STATUS_LABELS
from citizen_desk.errors import NotFoundError
from citizen_desk.publication.revisions import EDITABLE_STATUS, draft_hash
from citizen_desk.web.common import post_url


@dataclass(frozen=True)
class RevisionInfo:
    """Who saved a revision and when (its text is the row's `text` when it is the current one)."""

    number: int
    edited_by: str
    edited_at: datetime
    current: bool = True  # of the current draft (older drafts' revisions no longer apply)


@dataclass(frozen=True)
class PublicationRow:
    id: int
    channel_key: str
    channel_name: str
    unit_code: str
    platform: str
    period: str
    status: str
    approved_by: str | None
    approved_at: datetime | None
    approved_revision: int | None
    platform_post_id: str | None
    published_at: datetime | None
    report_href: str | None  # path under the reports directory, for /reports/<path>
    post_url: str | None
    blocked_reason: str | None
    text: str  # awaiting approval: the current revision's text, if any; else the ledger's
    revision: RevisionInfo | None = None  # the current revision of a post awaiting approval

    @property
    def status_label(self) -> str:
        return PUBLICATION_STATUS_LABELS.get(self.status, self.status)

    @property
    def editable(self) -> bool:
        """A Facebook post awaiting approval (the only kind an approver may still correct)."""
        return self.platform == "facebook" and self.status == EDITABLE_STATUS


def _current_revisions(session: Session, pubs: list[Publication]) -> dict[int, PublicationRevision]:
    """The newest revision of each post's current draft, for the posts awaiting approval."""
    waiting = {pub.id: draft_hash(pub.text) for pub in pubs if pub.status == EDITABLE_STATUS}
    if not waiting:
        return {}
    found: dict[int, PublicationRevision] = {}
    for revision in session.scalars(
        select(PublicationRevision)
        .where(PublicationRevision.publication_id.in_(waiting))
        .order_by(PublicationRevision.number.desc())
    ):
        pid = revision.publication_id
        if pid not in found and revision.base_hash == waiting[pid]:
            found[pid] = revision
    return found


def _row(
    pub: Publication,
    channel: Channel,
    unit_code: str,
    report_href: str | None,
    revision: PublicationRevision | None,
) -> PublicationRow:
    return PublicationRow(
        id=pub.id,
        channel_key=channel.key,
        channel_name=channel.name,
        unit_code=unit_code,
        platform=channel.platform,
        period=pub.period,
        status=pub.status,
        approved_by=pub.approved_by,
        approved_at=pub.approved_at,
        approved_revision=pub.approved_revision,
        platform_post_id=pub.platform_post_id,
        published_at=pub.published_at,
        report_href=report_href,
        post_url=post_url(channel.platform, pub.platform_post_id),
        blocked_reason=pub.blocked_reason,
        text=revision.text if revision else pub.text,
        revision=(
            RevisionInfo(revision.number, revision.edited_by, revision.edited_at)
            if revision
            else None
        ),
    )


def publications(session: Session, *, reports_dir: Path, limit: int = 300) -> list[PublicationRow]:
    relpaths: dict[str | None, str | None] = {}  # a week's rows share one report: resolve it once

    def relpath(report_path: str | None) -> str | None:
        if report_path not in relpaths:
            relpaths[report_path] = report_relpath(report_path, reports_dir)
        return relpaths[report_path]

    rows = session.execute(
        select(Publication, Channel, Unit.code)
        .join(Channel, Publication.channel_id == Channel.id)
        .join(Unit, Channel.unit_id == Unit.id)
        .order_by(Publication.period.desc(), Channel.key)
        .limit(limit)
    ).all()
    revisions = _current_revisions(session, [pub for pub, _c, _u in rows])
    return [
        _row(pub, channel, unit_code, relpath(pub.report_path), revisions.get(pub.id))
        for pub, channel, unit_code in rows
    ]


@dataclass(frozen=True)
class EditView:
    """The edit page of one post: the post as it stands, and every revision saved for it."""

    post: PublicationRow
    unit_name: str
    history: list[RevisionInfo]


def publication_edit_view(session: Session, publication_id: int) -> EditView:
    found = session.execute(
        select(Publication, Channel, Unit)
        .join(Channel, Publication.channel_id == Channel.id)
        .join(Unit, Channel.unit_id == Unit.id)
        .where(Publication.id == publication_id)
    ).first()
    if found is None:
        raise NotFoundError(f"không có bài đăng số {publication_id}")
    pub, channel, unit = found
    current = _current_revisions(session, [pub]).get(pub.id)
    base = draft_hash(pub.text)
    history = [
        RevisionInfo(r.number, r.edited_by, r.edited_at, current=r.base_hash == base)
        for r in session.scalars(
            select(PublicationRevision)
            .where(PublicationRevision.publication_id == pub.id)
            .order_by(PublicationRevision.number.desc())
        )
    ]
    return EditView(_row(pub, channel, unit.code, None, current), unit.name, history)


def report_relpath(report_path: str | None, reports_dir: Path) -> str | None:
    """`report_path` (absolute, or relative to the reports dir) as a path inside it, else None."""
    if not report_path:
        return None
    base = reports_dir.resolve()
    candidate = Path(report_path)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = candidate.resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        return None
    return resolved.relative_to(base).as_posix()


def resolve_report(relpath: str, reports_dir: Path) -> Path:
    """The report file for `/reports/<relpath>`: an existing .html file inside the reports dir.

    Absolute paths, `..`, symlinks leading outside, and other file types are NotFoundError.
    """
    base = reports_dir.resolve()
    if not relpath or "\x00" in relpath or relpath.startswith(("/", "\\")):
        raise NotFoundError("không có báo cáo này")
    resolved = (base / relpath).resolve()
    if (
        not resolved.is_relative_to(base)
        or resolved.suffix.lower() not in (".html", ".htm")
        or not resolved.is_file()
    ):
        raise NotFoundError("không có báo cáo này")
    return resolved


def other_reports(reports_dir: Path, linked: Iterable[str | None], limit: int = 50) -> list[str]:
    """HTML reports in the reports dir that no publication row links to (newest first)."""
    base = reports_dir.resolve()
    seen = {p for p in linked if p}
    files = [
        p.resolve()
        for p in base.rglob("*.htm*")
        if p.is_file() and p.suffix.lower() in (".html", ".htm")
    ]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    found = []
    for path in files:
        rel = path.relative_to(base).as_posix() if path.is_relative_to(base) else None
        if rel and rel not in seen:
            found.append(rel)
        if len(found) >= limit:
            break
    return found
