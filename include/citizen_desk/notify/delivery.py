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

Rows are claimed one at a time, most urgent lane first, each claim a committed compare-and-set
lease taken before the HTTP call, after the subject is re-read (`citizen_desk.notify.claims`).
Slack's errors are classified in `citizen_desk.notify.slack_errors`.

A row found in `sending` after its lease is reconciled (under a new lease) before anything is
resent: the target conversation's recent history is searched for a message carrying the key
(message metadata and a context block), one bulk walk per conversation and run
(`citizen_desk.notify.slack_history`). Found: marked sent. Provably absent: checked again and
sent. History rate-limited (HTTP 429 `ratelimited`) or briefly unavailable: reconciliation of
that conversation is skipped for the rest of the run, nothing is resent, and its rows are looked
at again after `Retry-After` (at least the first backoff step). History unreadable
(`unknown_method`, missing scope, `not_in_channel`): marked failed as "delivery uncertain" and
NOT resent; a human checks Slack and runs `outbox retry`. The bot needs chat:write, im:write and
the *:history scopes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.types import utc
from citizen_desk.notify.claims import Claim, claim_next, compare_and_set, retake, still_holds
from citizen_desk.notify.slack import RATE_LIMIT_RETRIES
from citizen_desk.notify.slack_errors import (
    AUTH_ERRORS,
    PERMANENT_ERRORS,
    TRANSIENT_ERRORS,
    error_code,
    error_text,
    retry_after_of,
)
from citizen_desk.notify.slack_history import (
    Histories,
    UncertainDelivery,
    without_rate_limit_waits,
)
from citizen_desk.retry import exponential_backoff

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger(__name__)

# a longer Retry-After sends the row back to the outbox (next run) instead of holding the run
MAX_RATE_LIMIT_WAIT = timedelta(seconds=30)
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_CAP = timedelta(hours=1)


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


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 2, 4, 8, … minutes, at most an hour."""
    base, cap = BACKOFF_BASE.total_seconds(), BACKOFF_CAP.total_seconds()
    return timedelta(seconds=exponential_backoff(attempts, base, cap))


def _factory(bind: Engine | sessionmaker) -> sessionmaker:
    if isinstance(bind, Engine):
        return sessionmaker(bind, expire_on_commit=False)
    return bind


def _conversation(client: WebClient, recipient: str) -> str:
    """The channel to post in: user ids (U…/W…) get their DM via conversations.open."""
    if recipient[:1] in ("U", "W"):
        response = client.conversations_open(users=recipient)
        return str(response["channel"]["id"])
    return recipient


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
    histories = Histories(client, factory)
    poster = without_rate_limit_waits(client)
    for _ in range(limit):
        claim = claim_next(factory, now, seen, report)
        if claim is None:
            break
        if claim.status == "sending":
            outcome = _reconcile(factory, histories, claim, now, report)
            if outcome != "absent":
                continue
            claim = retake(factory, claim, now, report)
            if claim is None:
                continue
        row_id, key, attempts = claim.id, claim.key, claim.attempts
        try:
            channel = _conversation(client, claim.recipient)
            response = _post_while_true(factory, poster, channel, claim, report)
            if response is None:
                continue  # superseded while Slack held it back
        except SlackApiError as exc:
            code = error_code(exc)
            error = error_text(exc, "slack")
            if code in AUTH_ERRORS:
                compare_and_set(
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
            compare_and_set(
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


def _post_while_true(
    factory: sessionmaker, client: WebClient, channel: str, claim: Claim, report: DeliveryReport
) -> dict[str, Any] | None:
    """Post; on HTTP 429 wait `Retry-After` (up to `MAX_RATE_LIMIT_WAIT`) and try again, at most
    `RATE_LIMIT_RETRIES` times, re-reading the subject before each retry: a tip closed while
    Slack held its alert back gets no alert (None, the row `superseded`). slack-sdk's own 429
    handler would sleep and resend without that check."""
    from slack_sdk.errors import SlackApiError

    for retry in range(RATE_LIMIT_RETRIES + 1):
        try:
            return _post(client, channel, claim.key, claim.payload)
        except SlackApiError as exc:
            wait = retry_after_of(exc)
            limited = error_code(exc) == "ratelimited" or exc.response.status_code == 429
            if not limited or retry == RATE_LIMIT_RETRIES or wait is None:
                raise
            if wait > MAX_RATE_LIMIT_WAIT:
                raise
            time.sleep(wait.total_seconds())
            if not still_holds(factory, claim, report):
                return None
    raise AssertionError("unreachable")


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
    compare_and_set(
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
        compare_and_set(
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
    wait = max(backoff(attempts), retry_after_of(exc) or timedelta(0))
    compare_and_set(
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
    histories: Histories,
    claim: Claim,
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
            transient = error_code(exc) in TRANSIENT_ERRORS
            raise UncertainDelivery(
                error_text(exc, "conversations.open"), transient=transient
            ) from exc
        message = histories.find(channel, claim.recipient, key)
    except UncertainDelivery as exc:
        reason = str(exc)
        if exc.transient:  # look again on a later run; still never resend blindly
            wait = max(backoff(1), exc.retry_after or timedelta(0))
            compare_and_set(
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
        compare_and_set(
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
