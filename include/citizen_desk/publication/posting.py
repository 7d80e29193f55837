"""Posting the approved weekly posts exactly once, and reconciling interrupted ones.

`publishing` is committed *before* the POST. A row found in `publishing` is reconciled first: the
page's recent posts (`/{page-id}/published_posts`) are searched for the week's marker hashtag
(`#Tuan47_2026`); found → recorded as published, absent → posted. So neither a task retry nor
a rerun of the DAG posts twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.db.engine import session_scope
from citizen_desk.db.models import Channel, Publication
from citizen_desk.errors import NotFoundError, PlatformError, WorkflowError
from citizen_desk.platforms.graph import GraphClient
from citizen_desk.publication.approval import parse_instant
from citizen_desk.publication.ledger import set_status
from citizen_desk.publication.period import WeekPeriod
from citizen_desk.publication.texts import has_marker

log = logging.getLogger(__name__)

RECONCILE_SCAN = 100  # newest page posts searched for the week's marker


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
    client: GraphClient, page_id: str, tag: str, *, since: datetime, scan: int = RECONCILE_SCAN
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
        return parse_instant(value)


def publish_one(
    engine: Engine,
    publication_id: int,
    client_for: Callable[[str], GraphClient],
    *,
    period: WeekPeriod,
    now: datetime,
    actor: str,
) -> PublishOutcome:
    """Post one approved row exactly once (see the module docstring).

    Raises on an ambiguous failure (timeout, 5xx, rate limit, crash): the row stays `publishing`
    and the next attempt reconciles before posting.
    """
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
            set_status(
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
    engine: Engine, publication_id: int, post_id: str, at: datetime, actor: str, how: str
) -> None:
    with session_scope(engine) as session:
        pub = _publication(session, publication_id)
        pub.platform_post_id = post_id
        pub.published_at = at
        set_status(
            session, pub, "published", now=at, actor=actor, action="publication_published", note=how
        )


def _fail(engine: Engine, publication_id: int, reason: str, now: datetime, actor: str) -> None:
    with session_scope(engine) as session:
        pub = _publication(session, publication_id)
        pub.blocked_reason = reason
        set_status(
            session, pub, "failed", now=now, actor=actor, action="publication_failed", note=reason
        )


def _publication(session: Session, publication_id: int) -> Publication:
    pub = session.get(Publication, publication_id)
    if pub is None:
        raise NotFoundError(f"publication {publication_id} does not exist")
    return pub


def publish_period(
    engine: Engine,
    period: WeekPeriod,
    client_for: Callable[[str], GraphClient],
    *,
    now: datetime,
    actor: str,
) -> PublishReport:
    """Post every approved (or interrupted) Facebook row of the week; one failure does not stop
    the others. Raises `WorkflowError` at the end if any row was left `publishing`."""
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
