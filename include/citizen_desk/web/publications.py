"""The publications page: weekly posts, their reports, and the report files it serves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Channel, Publication
from citizen_desk.domain.labels import PUBLICATION_STATUS_LABELS
from citizen_desk.errors import NotFoundError
from citizen_desk.web.common import post_url


@dataclass(frozen=True)
class PublicationRow:
    id: int
    channel_key: str
    channel_name: str
    platform: str
    period: str
    status: str
    approved_by: str | None
    approved_at: datetime | None
    platform_post_id: str | None
    published_at: datetime | None
    report_href: str | None  # path under the reports directory, for /reports/<path>
    post_url: str | None
    blocked_reason: str | None
    text: str

    @property
    def status_label(self) -> str:
        return PUBLICATION_STATUS_LABELS.get(self.status, self.status)


def publications(session: Session, *, reports_dir: Path, limit: int = 300) -> list[PublicationRow]:
    relpaths: dict[str | None, str | None] = {}  # a week's rows share one report: resolve it once

    def relpath(report_path: str | None) -> str | None:
        if report_path not in relpaths:
            relpaths[report_path] = report_relpath(report_path, reports_dir)
        return relpaths[report_path]

    rows = session.execute(
        select(Publication, Channel.key, Channel.name, Channel.platform)
        .join(Channel, Publication.channel_id == Channel.id)
        .order_by(Publication.period.desc(), Channel.key)
        .limit(limit)
    )
    return [
        PublicationRow(
            id=pub.id,
            channel_key=key,
            channel_name=name,
            platform=platform,
            period=pub.period,
            status=pub.status,
            approved_by=pub.approved_by,
            approved_at=pub.approved_at,
            platform_post_id=pub.platform_post_id,
            published_at=pub.published_at,
            report_href=relpath(pub.report_path),
            post_url=post_url(platform, pub.platform_post_id),
            blocked_reason=pub.blocked_reason,
            text=pub.text,
        )
        for pub, key, name, platform in rows
    ]


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
