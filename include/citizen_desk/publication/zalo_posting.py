"""Publishing the approved Zalo OA texts as Zalo articles exactly once (and, optionally,
broadcasting them to the OA's followers).

A Zalo article is created asynchronously (`platforms.zalo_articles`): `article/create` answers a
job token, `article/verify` turns it into the article id once Zalo has processed it. The ledger
row goes through:

    approved ──(commit)──▶ publishing ──create──▶ token stored (commit) ──verify──▶ published

- a crash after create but before the token was stored: the next attempt finds no token and
  searches the OA's newest articles (`article/getslice`) for the week's marker, which the title
  carries (`… #Tuan47_2026`); found → published, absent → created;
- a crash after the token was stored: the next attempt verifies that token (never a 2nd create);
- verify still `-214` after its retries: the row stays `publishing` with its token;
- a non-retryable refusal of create or verify (`-201`, `-221` not verified, `-224` package…):
  `failed` with the code, the admins see it in the run's result (a refused verify first looks
  for the article by its marker: the job may have succeeded before);
Residual window: an article Zalo has not finished processing may not be listed yet, so a retry
within seconds of a lost create answer could miss it; Airflow's retry delay (minutes) covers it.

Broadcast (registry `publication.zalo_broadcast`, off by default) runs only for a published row
and is at most once: `broadcast_status` is committed as `sending` before the POST and a row left
`sending` is never sent again (there is no list of sent broadcasts to reconcile against: an
admin checks the OA). Inside Zalo's night ban (22:00–05:59 local) or on `-234` it is `deferred`
and sent by the next run after 06:00.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.engine import session_scope
from citizen_desk.db.models import Channel, Publication
from citizen_desk.errors import PlatformError
from citizen_desk.platforms.zalo_articles import (
    AUTHOR_LIMIT,
    DESCRIPTION_LIMIT,
    NIGHT_BAN,
    TITLE_LIMIT,
    Article,
    ArticleClient,
    broadcast_banned,
    clip,
)
from citizen_desk.publication.ledger import set_status
from citizen_desk.publication.period import WeekPeriod
from citizen_desk.publication.posting import PublishOutcome, PublishReport, _fail, _publication
from citizen_desk.publication.texts import has_marker

log = logging.getLogger(__name__)

RECONCILE_SCAN = 30  # newest OA articles searched for the week's marker
ArticleClientFor = Callable[[str, int], ArticleClient]  # (connection id, channel id) → client


def article_of(text: str, tag: str, *, unit_name: str, cover_url: str) -> Article:
    """The approved Zalo text as an article: title = the first line (unit and week) with the
    week's marker, description = the lines after it, body = one text block per line."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    head = (lines[0].rstrip(":").strip() if lines else "") or unit_name
    marker = "" if has_marker(head, tag) else " " + tag
    title = clip(head, TITLE_LIMIT - len(marker)) + marker
    rest = [line for line in lines[1:] if not has_marker(line, tag)]
    description = clip(" ".join(rest) or head, DESCRIPTION_LIMIT)
    return Article(
        title=title,
        author=clip(unit_name, AUTHOR_LIMIT),
        description=description,
        paragraphs=tuple(lines) or (head,),
        cover_url=cover_url,
    )


def find_marked_article(
    client: ArticleClient, tag: str, *, scan: int = RECONCILE_SCAN
) -> str | None:
    """The id of the newest OA article whose title (or description) carries `tag`."""
    for item in client.recent(scan):
        if has_marker(item.get("title"), tag) or has_marker(item.get("description"), tag):
            article_id = item.get("id")
            if article_id:
                return str(article_id)
    return None


def publish_zalo_one(
    engine: Engine,
    publication_id: int,
    client_for: ArticleClientFor,
    *,
    period: WeekPeriod,
    now: datetime,
    actor: str,
    cover_url: str | None,
) -> PublishOutcome:
    """Publish one approved Zalo row as an article exactly once (see the module docstring)."""
    with session_scope(engine) as session:
        pub = _publication(session, publication_id)
        channel = pub.channel
        key, conn_id, channel_id = channel.key, channel.connection_id, channel.id
        unit_name = channel.unit.name
        state, text, tag, job = pub.status, pub.text, pub.marker, pub.platform_job_token
        published_not_before = max(now, pub.approved_at or now)
        if state == "published":
            return PublishOutcome(pub.id, key, "already", pub.platform_post_id)
        if state not in ("approved", "publishing") or channel.platform != "zalo":
            return PublishOutcome(pub.id, key, "skipped")
        if not cover_url and not job and state == "approved":
            log.warning("publication %s (%s): no publication.zalo_cover_url, not sent", pub.id, key)
            return PublishOutcome(pub.id, key, "skipped", error="zalo_cover_url missing")
        if state == "approved":
            set_status(
                session, pub, "publishing", now=now, actor=actor, action="publication_publishing"
            )
    # committed: from here on a crash leaves `publishing`, and the next attempt resumes/reconciles.
    client = client_for(conn_id, channel_id)
    how = "published"
    if job is None and state == "publishing":
        found = find_marked_article(client, tag)
        if found is not None:
            _record(engine, publication_id, found, published_not_before, actor, "reconciled")
            log.info("publication %s (%s): found on the OA, not created again", publication_id, key)
            return PublishOutcome(publication_id, key, "reconciled", found)
    if job is None:
        if not cover_url:
            return PublishOutcome(publication_id, key, "skipped", error="zalo_cover_url missing")
        article = article_of(text, tag, unit_name=unit_name, cover_url=cover_url)
        try:
            job = client.create(article)
        except PlatformError as exc:
            if exc.retryable:
                raise  # maybe created: stays `publishing`, the next attempt reconciles
            return _failed(engine, publication_id, key, exc, now, actor)
        _store_job(engine, publication_id, job)
    else:
        how = "resumed"
    try:
        article_id = client.verify(job)
    except PlatformError as exc:
        if exc.retryable:
            raise  # stays `publishing` with its token: the next attempt verifies again
        # A refused verify may be a token Zalo forgot after a verify whose answer we lost:
        # the article would exist, so look for it before calling the row failed.
        found = find_marked_article(client, tag)
        if found is not None:
            _record(engine, publication_id, found, published_not_before, actor, "reconciled")
            return PublishOutcome(publication_id, key, "reconciled", found)
        return _failed(engine, publication_id, key, exc, now, actor)
    _record(engine, publication_id, article_id, published_not_before, actor, how)
    log.info("publication %s (%s %s) published as a Zalo article", publication_id, key, period.key)
    return PublishOutcome(publication_id, key, "published", article_id)


def _failed(
    engine: Engine, publication_id: int, key: str, exc: PlatformError, now: datetime, actor: str
) -> PublishOutcome:
    reason = f"zalo_error:{exc.code}"
    _fail(engine, publication_id, reason, now, actor)
    log.warning("publication %s (%s): Zalo refused the article (%s)", publication_id, key, reason)
    return PublishOutcome(publication_id, key, "failed", error=reason)


def _store_job(engine: Engine, publication_id: int, token: str) -> None:
    with session_scope(engine) as session:
        _publication(session, publication_id).platform_job_token = token


def _record(
    engine: Engine, publication_id: int, article_id: str, at: datetime, actor: str, how: str
) -> None:
    with session_scope(engine) as session:
        pub = _publication(session, publication_id)
        pub.platform_post_id = article_id
        pub.published_at = at
        set_status(
            session, pub, "published", now=at, actor=actor, action="publication_published", note=how
        )


def broadcast_one(
    engine: Engine,
    publication_id: int,
    client_for: ArticleClientFor,
    *,
    now: datetime,
    actor: str,
    zone: str,
) -> str | None:
    """Broadcast a published article at most once; returns the row's new broadcast status
    (None: nothing to do)."""
    with session_scope(engine) as session:
        pub = _publication(session, publication_id)
        channel = pub.channel
        if pub.status != "published" or not pub.platform_post_id:
            return None
        if pub.broadcast_status not in (None, "deferred"):
            return None  # sent, failed, or `sending` (uncertain: never sent twice)
        if broadcast_banned(now.astimezone(ZoneInfo(zone)).time()):
            if pub.broadcast_status != "deferred":
                pub.broadcast_status = "deferred"
                _audit_broadcast(session, pub, now, actor, "deferred")
            return "deferred"
        article_id, conn_id, channel_id = pub.platform_post_id, channel.connection_id, channel.id
        pub.broadcast_status = "sending"
        _audit_broadcast(session, pub, now, actor, "sending")
    client = client_for(conn_id, channel_id)
    try:
        message_id = client.broadcast(article_id)
        status = "sent"
    except PlatformError as exc:
        if exc.code == NIGHT_BAN:
            status, message_id = "deferred", ""
        elif exc.code is not None and not exc.retryable:
            status, message_id = f"failed:{exc.code}", ""  # refused: nothing was sent
        else:
            raise  # no answer: stays `sending`, not sent again
    with session_scope(engine) as session:
        pub = _publication(session, publication_id)
        pub.broadcast_status = status
        pub.broadcast_message_id = message_id or None
        _audit_broadcast(session, pub, now, actor, status)
    return status


def _audit_broadcast(
    session: Session, pub: Publication, now: datetime, actor: str, status: str
) -> None:
    record_audit(
        session,
        entity_type="publication",
        entity_id=pub.id,
        action="publication_broadcast",
        actor=actor,
        at=now,
        after={"broadcast_status": status},
    )


def publish_zalo_period(
    engine: Engine,
    period: WeekPeriod,
    client_for: ArticleClientFor,
    *,
    now: datetime,
    actor: str,
    cover_url: str | None,
    broadcast: bool = False,
    zone: str = "Asia/Ho_Chi_Minh",
) -> PublishReport:
    """Publish every approved (or interrupted) Zalo row of the week; one OA's failure does not
    stop the others. Rows left `publishing` are listed in `uncertain` (the caller raises)."""
    statuses = ["approved", "publishing", *(["published"] if broadcast else [])]
    with session_scope(engine) as session:
        rows = session.execute(
            select(Publication.id, Channel.key, Publication.status)
            .join(Channel, Publication.channel_id == Channel.id)
            .where(
                Publication.period == period.key,
                Publication.status.in_(statuses),
                Channel.platform == "zalo",
                or_(
                    Publication.status != "published",
                    Publication.broadcast_status.is_(None),
                    Publication.broadcast_status == "deferred",
                ),
            )
            .order_by(Channel.key)
        ).all()
    report = PublishReport()
    for publication_id, key, status in rows:
        try:
            if status != "published":
                outcome = publish_zalo_one(
                    engine,
                    publication_id,
                    client_for,
                    period=period,
                    now=now,
                    actor=actor,
                    cover_url=cover_url,
                )
                report.outcomes.append(outcome)
            if broadcast:
                sent = broadcast_one(
                    engine, publication_id, client_for, now=now, actor=actor, zone=zone
                )
                if sent:
                    log.info("publication %s (%s): broadcast %s", publication_id, key, sent)
        except Exception as exc:  # isolate OAs: the row stays `publishing`, the retry resumes
            log.warning("publication %s (%s): %s", publication_id, key, type(exc).__name__)
            report.uncertain.append(key)
    return report
