"""Delivering the outbox: claim, send, and reconcile an interrupted send against Slack's history.

Life of a notification (table `notifications`, unique `idempotency_key`):

    pending ──claim──▶ sending ──chat.postMessage ok──▶ sent
       │ ▲                │ retryable Slack error, attempts < max ─▶ pending + next_attempt_at
       │ │                │ permanent error or attempts == max ───▶ failed (`outbox retry`)
       │ └── reconcile ◀──┘ found still `sending` on a later run (the task died mid-send)
       ├──▶ superseded: at claim time its subject no longer holds (`notify.subjects`)
       └──▶ digested: folded into a `notify_digest` row with other rows due for the same
            recipient (more than the registry's `notifications.digest_after`; never urgent lanes)
    blocked: the PII gate refused it at enqueue time; never sent, technical admins alerted.

Rows are claimed one at a time, most urgent lane first (`notifications.priority`: admin alerts,
urgent tips, tip escalations, SLA breaches, warnings, digests), each claim its own committed
transaction made before the HTTP call: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so
concurrent deliverers take different rows, and a compare-and-set UPDATE (status, attempts) on
every backend, so a row is taken once even on SQLite. The claim re-reads the subject first
(tip still open, level not passed or acknowledged, case still unanswered): a row that no longer
holds becomes `superseded` with the reason in `last_error`, and a tip alert's status line is
rewritten to the tip's status at send time.

A row found in `sending` after its lease is reconciled (under a new lease) before anything is
resent: the target conversation's recent history is searched for a message carrying the key
(message metadata and a context block). The history is read in bulk: one `conversations.history`
walk per conversation and run (`oldest` = the earliest interrupted row of that conversation, an
hour of clock skew allowed, `include_all_metadata`), shared by every interrupted row of the
conversation, so N interrupted keys in one channel cost one call, not N
(`conversations.history` is Tier 3, docs/research/platform-facts.md §12). Found: marked sent.
Provably absent: checked again and sent. History rate-limited (HTTP 429 `ratelimited`) or briefly
unavailable: reconciliation of that conversation is skipped for the rest of the run, nothing is
resent, and its rows are looked at again after `Retry-After` (at least the first backoff step).
History unreadable (`unknown_method`, missing scope, `not_in_channel`): marked failed as
"delivery uncertain" and NOT resent; a human checks Slack and runs `outbox retry`. The bot needs
chat:write, im:write and the *:history scopes.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Engine, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.db.models import Notification
from citizen_desk.db.types import utc
from citizen_desk.retry import exponential_backoff

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_CAP = timedelta(hours=1)
HISTORY_PAGES = 5
HISTORY_PAGE_SIZE = 200
HISTORY_SKEW = timedelta(hours=1)  # our clock vs Slack's, when bounding the history window
# Slack errors that no amount of waiting fixes for this message.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "too_many_attachments",
        "restricted_action",
        "user_not_found",
        "user_disabled",
        "users_list_not_supplied",
        "cannot_dm_bot",
    }
)
# Errors of the bot token itself: stop the whole batch, a human must fix the connection.
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)


# --- delivery ------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    reconciled: int = 0  # found already in Slack after an interrupted delivery
    retrying: int = 0  # failed this time, next attempt scheduled
    failed: int = 0  # gave up: permanent error, max attempts, or delivery uncertain
    uncertain: int = 0  # outcome unknown (timeout, history rate-limited): reconciled later
    skipped: int = 0  # claimed meanwhile by another deliverer
    superseded: int = 0  # its subject changed before sending (tip closed, case answered, …)
    history_calls: int = 0  # conversations.history calls made to reconcile (bulk: per channel)
    digests: int = 0  # digest messages written for recipients with many notifications due
    digested: int = 0  # notifications covered by those digests (not sent one by one)
    fatal: str | None = None  # the bot token itself is refused; delivery stopped

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Uncertain(Exception):
    """The conversation history could not be read, so we cannot tell whether it was sent.

    `transient`: worth trying again later (rate limit, Slack or network hiccup).
    """

    def __init__(
        self, reason: str, *, transient: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(reason)
        self.transient = transient
        self.retry_after = retry_after


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 2, 4, 8, … minutes, at most an hour."""
    base, cap = BACKOFF_BASE.total_seconds(), BACKOFF_CAP.total_seconds()
    return timedelta(seconds=exponential_backoff(attempts, base, cap))


def _factory(bind: Engine | sessionmaker) -> sessionmaker:
    if isinstance(bind, Engine):
        return sessionmaker(bind, expire_on_commit=False)
    return bind


@dataclass(frozen=True)
class _Claim:
    """A row this deliverer holds until `now + CLAIM_LEASE`."""

    id: int
    key: str
    recipient: str
    status: str  # `pending` (send it) or `sending` (its lease ran out: reconcile first)
    attempts: int
    payload: dict[str, Any]
    channel: str | None


def _due(now: datetime) -> Any:
    ready = or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)
    return or_(
        and_(Notification.status == "pending", ready),
        and_(Notification.status == "sending", Notification.next_attempt_at <= now),
    )


def _claim(
    factory: sessionmaker, now: datetime, seen: set[int], report: DeliveryReport
) -> _Claim | None:
    """Take the most urgent due row, in one transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL
    (concurrent deliverers take different rows), a compare-and-set UPDATE everywhere (SQLite has
    one writer at a time; a row taken meanwhile is passed over). Superseded rows are marked here
    and skipped. None: nothing left that this run has not seen."""
    while True:
        with factory() as session, session.begin():
            query = (
                select(Notification)
                .where(_due(now))
                # Lanes: admin alerts, urgent tips, tip escalations, SLA breaches, warnings,
                # digests; a backlog of a lower lane never delays a higher one.
                .order_by(Notification.priority, Notification.created_at, Notification.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if seen:
                query = query.where(Notification.id.not_in(seen))
            row = session.scalars(query).first()
            if row is None:
                return None
            seen.add(row.id)
            guard = (
                Notification.id == row.id,
                Notification.status == row.status,
                Notification.attempts == row.attempts,
                _due(now),
            )
            if row.status == "sending":  # a lease to reconcile under; attempts unchanged
                if _set(session, guard, next_attempt_at=now + CLAIM_LEASE):
                    return _claimed(row, "sending", row.attempts)
                continue
            claim = _take(session, row, guard, now, report)
            if claim is not None:
                return claim


def _take(
    session: Session, row: Notification, guard: tuple, now: datetime, report: DeliveryReport
) -> _Claim | None:
    """Send-time truth, then the claim (status `sending`, attempts + 1), in the caller's
    transaction. None: superseded, or taken meanwhile."""
    from citizen_desk.notify.outbox import payload_hash
    from citizen_desk.notify.subjects import check

    verdict = check(session, row)
    if verdict.superseded:
        if _set(
            session,
            guard,
            status="superseded",
            last_error=f"superseded: {verdict.superseded}",
            next_attempt_at=None,
        ):
            report.superseded += 1
            log.info("notification %s superseded: %s", row.idempotency_key, verdict.superseded)
        return None
    attempts = row.attempts + 1  # read before the UPDATE, which refreshes `row`
    values: dict[str, Any] = {
        "status": "sending",
        "attempts": attempts,
        "next_attempt_at": now + CLAIM_LEASE,
    }
    payload = row.payload
    if verdict.payload is not None:
        payload = verdict.payload
        values.update(payload=payload, payload_hash=payload_hash(payload))
    if not _set(session, guard, **values):
        return None
    return _claimed(row, "pending", attempts, payload)


def _claimed(
    row: Notification, status: str, attempts: int, payload: dict[str, Any] | None = None
) -> _Claim:
    return _Claim(
        row.id,
        row.idempotency_key,
        row.recipient,
        status,
        attempts,
        dict(row.payload if payload is None else payload),
        row.provider_channel,
    )


def _retake(
    factory: sessionmaker, claim: _Claim, now: datetime, report: DeliveryReport
) -> _Claim | None:
    """After a reconcile proved the message absent: the same truth check, then a new attempt."""
    with factory() as session, session.begin():
        row = session.scalars(
            select(Notification)
            .where(Notification.id == claim.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if row is None or (row.status, row.attempts) != ("sending", claim.attempts):
            report.skipped += 1
            return None
        guard = (
            Notification.id == row.id,
            Notification.status == "sending",
            Notification.attempts == claim.attempts,
        )
        return _take(session, row, guard, now, report)


def _set(session: Session, guard: tuple, **values: Any) -> bool:
    statement = update(Notification).where(*guard).values(**values)
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast("CursorResult[Any]", result).rowcount == 1


def _update(
    factory: sessionmaker,
    row_id: int,
    expect_status: str,
    expect_attempts: int | None = None,
    **values: Any,
) -> bool:
    """Compare-and-set in its own committed transaction."""
    where = [Notification.id == row_id, Notification.status == expect_status]
    if expect_attempts is not None:
        where.append(Notification.attempts == expect_attempts)
    with factory() as session, session.begin():
        result = session.execute(update(Notification).where(*where).values(**values))
        return result.rowcount == 1


def _conversation(client: WebClient, recipient: str) -> str:
    """The channel to post in: user ids (U…/W…) get their DM via conversations.open."""
    if recipient[:1] in ("U", "W"):
        response = client.conversations_open(users=recipient)
        return str(response["channel"]["id"])
    return recipient


@dataclass
class _Walk:
    """What this run has read of one conversation's history."""

    oldest: float | None  # `oldest` sent to Slack (epoch seconds), None = no lower bound
    messages: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None
    done: bool = False  # read back to `oldest` (or to the start of the conversation)
    pages: int = 0
    blocked: _Uncertain | None = None  # unreadable this run: every row of it waits or fails
    calls: int = 0


class _Histories:
    """Bulk reconciliation: one history walk per conversation and run, shared by its rows."""

    def __init__(self, client: WebClient, factory: sessionmaker) -> None:
        self.client = client
        self.reader = _without_rate_limit_waits(client)
        self.factory = factory
        self.walks: dict[str, _Walk] = {}

    @property
    def calls(self) -> int:
        return sum(w.calls for w in self.walks.values())

    def _oldest(self, recipient: str) -> float | None:
        """The window start: the earliest interrupted (`sending`) row for this recipient."""
        from sqlalchemy import func

        with self.factory() as session:
            first = session.scalar(
                select(func.min(Notification.created_at)).where(
                    Notification.status == "sending", Notification.recipient == recipient
                )
            )
        if first is None:
            return None
        return (utc(first) - HISTORY_SKEW).timestamp()

    def find(self, channel: str, recipient: str, key: str) -> dict[str, Any] | None:
        """The message carrying `key` in `channel`'s history, None when provably absent;
        `_Uncertain` when the history cannot tell (this run)."""
        from citizen_desk.notify.blocks import message_has_key

        walk = self.walks.get(channel)
        if walk is None:
            walk = self.walks[channel] = _Walk(self._oldest(recipient))
        if walk.blocked is not None:
            raise walk.blocked
        for message in walk.messages:
            if message_has_key(message, key):
                return message
        while not walk.done:
            if walk.pages >= HISTORY_PAGES:
                raise _Uncertain(
                    f"conversations.history: key not in the last {HISTORY_PAGES} pages"
                )
            page = self._page(channel, walk)
            for message in page:
                if message_has_key(message, key):
                    return message
        return None

    def _page(self, channel: str, walk: _Walk) -> list[dict[str, Any]]:
        from slack_sdk.errors import SlackApiError

        kwargs: dict[str, Any] = {
            "channel": channel,
            "limit": HISTORY_PAGE_SIZE,
            "include_all_metadata": True,
            "cursor": walk.cursor,
        }
        if walk.oldest is not None:
            kwargs["oldest"] = f"{walk.oldest:.6f}"
        walk.calls += 1
        try:
            response = self.reader.conversations_history(**kwargs)
        except SlackApiError as exc:
            transient = _error_code(exc) in TRANSIENT_ERRORS or _status(exc) == 429
            walk.blocked = _Uncertain(
                _slack_error(exc, "conversations.history"),
                transient=transient,
                retry_after=_retry_after(exc),
            )
            raise walk.blocked from exc
        except Exception as exc:  # timeouts, dropped connections
            walk.blocked = _Uncertain(
                f"conversations.history: {type(exc).__name__}", transient=True
            )
            raise walk.blocked from exc
        messages = [m for m in response.get("messages") or () if isinstance(m, Mapping)]
        walk.messages.extend(dict(m) for m in messages)
        walk.pages += 1
        walk.cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
        walk.done = not (response.get("has_more") and walk.cursor)
        return [dict(m) for m in messages]


def _without_rate_limit_waits(client: Any) -> Any:
    """A shallow copy of a `WebClient` without its 429 handler (which sleeps `Retry-After`
    in-process): a rate-limited history read then skips reconciliation for this run instead of
    blocking it. The original client, shared with chat.postMessage, is left as it is."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry import RateLimitErrorRetryHandler

    if not isinstance(client, WebClient):
        return client  # a test double
    quiet = copy.copy(client)
    quiet.retry_handlers = [
        h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
    ]
    return quiet


def _status(exc: Exception) -> int | None:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def _slack_error(exc: Exception, method: str) -> str:
    response = getattr(exc, "response", None)
    code = None
    if response is not None:
        try:
            code = response.get("error")
        except AttributeError:
            code = None
        status = getattr(response, "status_code", None)
        if code is None and status is not None:
            code = f"HTTP {status}"
    return f"{method}: {code or type(exc).__name__}"


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    try:
        return response.get("error") if response is not None else None
    except AttributeError:
        return None


def _retry_after(exc: Exception) -> timedelta | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, value in dict(headers).items():
        if name.lower() == "retry-after":
            try:
                return timedelta(
                    seconds=int(str(value if not isinstance(value, list) else value[0]))
                )
            except ValueError:
                return None
    return None


def deliver_pending(
    session_factory_or_engine: Engine | sessionmaker,
    client: WebClient,
    *,
    now: datetime,
    limit: int = 200,
    max_attempts: int = 6,
    digest_after: int | None = None,
) -> DeliveryReport:
    """Send what is due, most urgent lane first, at most `limit` rows; see the module doc.

    With `digest_after`, more than that many non-urgent notifications due for one recipient are
    first folded into one digest row (`citizen_desk.notify.digest`), then sent like any row.
    """
    from slack_sdk.errors import SlackApiError

    now = utc(now)
    factory = _factory(session_factory_or_engine)
    report = DeliveryReport()
    if digest_after is not None:
        from citizen_desk.notify.digest import coalesce_due

        with factory() as session, session.begin():
            digests, digested, superseded = coalesce_due(session, now, digest_after=digest_after)
        report.digests, report.digested, report.superseded = digests, digested, superseded
    seen: set[int] = set()
    histories = _Histories(client, factory)
    for _ in range(limit):
        claim = _claim(factory, now, seen, report)
        if claim is None:
            break
        if claim.status == "sending":
            outcome = _reconcile(factory, histories, claim, now, report)
            if outcome != "absent":
                continue
            claim = _retake(factory, claim, now, report)
            if claim is None:
                continue
        row_id, key, attempts = claim.id, claim.key, claim.attempts
        try:
            channel = _conversation(client, claim.recipient)
            response = _post(client, channel, key, claim.payload)
        except SlackApiError as exc:
            code = _error_code(exc)
            error = _slack_error(exc, "slack")
            if code in AUTH_ERRORS:
                _update(
                    factory,
                    row_id,
                    "sending",
                    attempts,
                    status="pending",
                    last_error=error,
                    next_attempt_at=now,
                )
                report.fatal = error
                log.error("Slack refused the bot token (%s); delivery stopped", error)
                break
            _record_failure(factory, row_id, attempts, error, code, exc, now, max_attempts, report)
            continue
        except Exception as exc:
            # A timeout or dropped connection may hide a delivered message: stay `sending`,
            # the next run reconciles against the channel history.
            _update(
                factory,
                row_id,
                "sending",
                attempts,
                last_error=f"uncertain: {type(exc).__name__}",
                next_attempt_at=now,
            )
            report.uncertain += 1
            log.warning("notification %s: outcome unknown (%s)", key, type(exc).__name__)
            continue
        _mark_sent(factory, row_id, response, now)
        report.sent += 1
    report.history_calls = histories.calls
    log.info("outbox delivery: %s", report.as_dict())
    return report


def _post(client: WebClient, channel: str, key: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    from citizen_desk.notify.blocks import message_metadata, with_key_block

    blocks = payload.get("blocks") or []
    kwargs: dict[str, Any] = {
        "channel": channel,
        "text": payload.get("text") or "",
        "metadata": message_metadata(key),
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if blocks:
        kwargs["blocks"] = with_key_block(list(blocks), key)
    response = client.chat_postMessage(**kwargs)
    return {"channel": response.get("channel") or channel, "ts": response.get("ts")}


def _mark_sent(
    factory: sessionmaker,
    row_id: int,
    response: Mapping[str, Any],
    now: datetime,
    note: str | None = None,
) -> None:
    _update(
        factory,
        row_id,
        "sending",
        status="sent",
        provider_channel=response.get("channel"),
        provider_message_id=response.get("ts"),
        sent_at=now,
        next_attempt_at=None,
        last_error=note,
    )


def _record_failure(
    factory: sessionmaker,
    row_id: int,
    attempts: int,
    error: str,
    code: str | None,
    exc: Exception,
    now: datetime,
    max_attempts: int,
    report: DeliveryReport,
) -> None:
    if code in PERMANENT_ERRORS or attempts >= max_attempts:
        _update(
            factory,
            row_id,
            "sending",
            attempts,
            status="failed",
            last_error=error,
            next_attempt_at=None,
        )
        report.failed += 1
        log.warning(
            "notification #%s failed for good after %s attempt(s): %s", row_id, attempts, error
        )
        return
    wait = max(backoff(attempts), _retry_after(exc) or timedelta(0))
    _update(
        factory,
        row_id,
        "sending",
        attempts,
        status="pending",
        last_error=error,
        next_attempt_at=now + wait,
    )
    report.retrying += 1
    log.info("notification #%s: %s; retry in %s", row_id, error, wait)


def _reconcile(
    factory: sessionmaker,
    histories: _Histories,
    claim: _Claim,
    now: datetime,
    report: DeliveryReport,
) -> str:
    """'sent' (found in Slack), 'absent' (safe to resend; still held) or 'uncertain'."""
    from slack_sdk.errors import SlackApiError

    row_id, key, attempts = claim.id, claim.key, claim.attempts
    try:
        try:
            channel = claim.channel or _conversation(histories.client, claim.recipient)
        except SlackApiError as exc:
            transient = _error_code(exc) in TRANSIENT_ERRORS
            raise _Uncertain(_slack_error(exc, "conversations.open"), transient=transient) from exc
        message = histories.find(channel, claim.recipient, key)
    except _Uncertain as exc:
        reason = str(exc)
        if exc.transient:  # look again on a later run; still never resend blindly
            wait = max(backoff(1), exc.retry_after or timedelta(0))
            _update(
                factory,
                row_id,
                "sending",
                attempts,
                last_error=f"reconcile postponed ({reason})",
                next_attempt_at=now + wait,
            )
            report.uncertain += 1
            log.info("notification %s: reconcile postponed (%s)", key, reason)
            return "uncertain"
        _update(
            factory,
            row_id,
            "sending",
            attempts,
            status="failed",
            next_attempt_at=None,
            last_error=(
                f"delivery uncertain ({reason}); check Slack, then `outbox retry` to resend"
            ),
        )
        report.failed += 1
        log.warning("notification %s: delivery uncertain, not resent (%s)", key, reason)
        return "uncertain"
    if message is not None:
        _mark_sent(
            factory,
            row_id,
            {"channel": channel, "ts": message.get("ts")},
            now,
            note="reconciled: found in Slack after an interrupted delivery",
        )
        report.reconciled += 1
        log.info("notification %s: found in Slack, marked sent", key)
        return "sent"
    return "absent"


def run_delivery(
    now: datetime, *, url: str | None = None, conn_id: str | None = None, limit: int = 200
) -> dict[str, Any]:
    """Deliver what is due with the Slack connection's client (the DAGs' deliver task)."""
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine
    from citizen_desk.notify.slack import CONN_ID, slack_client_from_connection

    digest_after = load_registry().notifications.digest_after
    client = slack_client_from_connection(conn_id or CONN_ID)
    engine = get_engine(url)
    report = deliver_pending(engine, client, now=now, limit=limit, digest_after=digest_after)
    return report.as_dict()
