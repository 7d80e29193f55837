"""The notification outbox: every Slack message is written here first, then sent exactly once.

Life of a notification (table `notifications`, unique `idempotency_key`):

    pending ──claim──▶ sending ──chat.postMessage ok──▶ sent
       ▲                  │ retryable Slack error, attempts < max ─▶ pending + next_attempt_at
       │                  │ permanent error or attempts == max ───▶ failed (`outbox retry`)
       └── reconcile ◀────┘ found still `sending` on a later run (the task died mid-send)
    blocked: the PII gate refused it at enqueue time; never sent, technical admins alerted.

A claim is its own committed transaction (status `sending`, attempts + 1) made before the HTTP
call. A row found in `sending` after its lease is reconciled before anything is resent: the target
conversation's recent history is searched for a message carrying the key (message metadata and a
context block). Found: marked sent. Provably absent: sent again. History briefly unavailable
(rate limit, network): looked at again on a later run. History unreadable (`unknown_method`,
missing scope): marked failed as "delivery uncertain" and NOT resent; a human checks Slack and
runs `outbox retry`. The bot needs chat:write, im:write and the *:history scopes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Notification
from citizen_desk.db.types import utc

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from citizen_desk.config.registry import Registry

log = logging.getLogger(__name__)

ADMIN_ALERT = "admin_alert"
PII_BLOCKED = "pii_blocked"
ADMIN_KINDS = (ADMIN_ALERT, PII_BLOCKED)
CLAIM_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_CAP = timedelta(hours=1)
HISTORY_PAGES = 5
HISTORY_PAGE_SIZE = 200
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


# --- enqueue -------------------------------------------------------------------------------------


def payload_hash(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def insert_if_absent(
    session: Session, model: type, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT (unique) DO NOTHING; True when a row was inserted.

    PostgreSQL and SQLite use the native clause; other dialects fall back to a savepoint.
    """
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = dialect_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
        return session.execute(stmt).rowcount == 1
    try:
        with session.begin_nested():
            session.execute(insert(model).values(**values))
    except IntegrityError:
        return False
    return True


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(v, fn) for v in value]
    return value


def default_registry() -> Registry:
    """The configured registry (for callers that pass none)."""
    from citizen_desk.config.registry import current_registry

    return current_registry()


def _without_safe_links(text: str, safe_prefixes: Sequence[str]) -> str:
    """Drop our own case-view links: the gate treats every URL as personal data."""
    for prefix in safe_prefixes:
        text = re.sub(re.escape(prefix.rstrip("/")) + r"(?:/[^\s|>]*)?", "", text)
    return text


def _pii_findings(
    payload: Mapping[str, Any], names: Sequence[str], key: str, safe_prefixes: Sequence[str]
) -> list[str]:
    """Finding kinds of the PII gate over every string of the payload ([] = clean)."""
    from citizen_desk.errors import PiiDetectedError
    from citizen_desk.privacy import pii_gate

    strings = [_without_safe_links(s, safe_prefixes) for s in _strings(payload)]
    try:
        pii_gate(strings, names=tuple(names), where=f"notification {key}")
    except PiiDetectedError as exc:
        return sorted(set(exc.kinds)) or ["unknown"]
    return []


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    recipient: str,
    text: str,
    blocks: list | None = None,
    now: datetime,
    source: str | None = None,
    pii_names: Sequence[str] = (),
    registry: Registry | None = None,
) -> Notification | None:
    """Add a notification unless its key exists (then None). Runs the PII gate first.

    Links to the registry's `case_view_base_url` are the only URLs the gate lets through. A
    payload the gate refuses is stored `blocked` (redacted payload, only the finding kinds in
    `last_error`), is never sent, and raises one `pii_blocked` alert to the technical admins.
    `registry` defaults to the configured one. The caller commits.
    """
    now = utc(now)
    if session.scalar(select(Notification.id).where(Notification.idempotency_key == key)):
        return None
    registry = registry or default_registry()
    names = tuple(n for n in pii_names if n)
    payload: dict[str, Any] = {"text": text, "blocks": list(blocks or [])}
    findings = _pii_findings(payload, names, key, (registry.case_view_base_url,))
    status, last_error = "pending", None
    if findings:
        from citizen_desk.privacy import redact

        payload = _map_strings(payload, lambda s: redact(s, names=names))
        status = "blocked"
        last_error = f"blocked by the PII gate: {', '.join(findings)}"
    values = {
        "idempotency_key": key,
        "kind": kind,
        "recipient": recipient,
        "payload": payload,
        "payload_hash": payload_hash(payload),
        "status": status,
        "attempts": 0,
        "last_error": last_error,
        "created_at": now,
        "next_attempt_at": now if status == "pending" else None,
        "source": source,
    }
    if not insert_if_absent(session, Notification, values, ["idempotency_key"]):
        return None
    row = session.scalars(select(Notification).where(Notification.idempotency_key == key)).one()
    if findings:
        log.warning("notification %s blocked by the PII gate (%s)", key, ", ".join(findings))
        if kind != PII_BLOCKED:  # an alert about a blocked alert would loop
            _alert_blocked(session, registry, key=key, kind=kind, findings=findings, now=now)
    return row


def _alert_blocked(
    session: Session,
    registry: Registry,
    *,
    key: str,
    kind: str,
    findings: Sequence[str],
    now: datetime,
) -> None:
    text = (
        f"Đã chặn thông báo {key} (loại {kind}): nội dung có thông tin cá nhân "
        f"({', '.join(findings)}). Thông báo không được gửi; kiểm tra mẫu tin hoặc dữ liệu nguồn "
        f"(python -m citizen_desk outbox list --status blocked)."
    )
    notify_admins(
        session,
        registry,
        key=f"pii-blocked:{key}",
        text=text,
        now=now,
        source="outbox",
        title="Thông báo bị chặn do có thông tin cá nhân",
        kind=PII_BLOCKED,
    )


def admin_recipients(registry: Registry) -> list[str]:
    """The technical admins; without any, the root unit's duty officer."""
    admins = list(dict.fromkeys(registry.technical_admins))
    if admins:
        return admins
    for unit in registry.units:
        if unit.parent is None and unit.contacts.get("duty_officer"):
            return [unit.contacts["duty_officer"]]
    return []


def notify_admins(
    session: Session,
    registry: Registry,
    *,
    key: str,
    text: str,
    now: datetime,
    source: str | None = None,
    title: str | None = None,
    kind: str = ADMIN_ALERT,
) -> int:
    """Enqueue `text` to every technical admin (key `{key}:{admin}`); returns how many were new."""
    from citizen_desk.notify.slack import render_message

    message = render_message("admin_alert", title=title or "Cảnh báo kỹ thuật", body=text)
    count = 0
    for admin in admin_recipients(registry):
        row = enqueue(
            session,
            key=f"{key}:{admin}",
            kind=kind,
            recipient=admin,
            text=message.text,
            blocks=message.blocks,
            now=now,
            source=source,
            registry=registry,
        )
        count += row is not None
    return count


# --- delivery ------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    reconciled: int = 0  # found already in Slack after an interrupted delivery
    retrying: int = 0  # failed this time, next attempt scheduled
    failed: int = 0  # gave up: permanent error, max attempts, or delivery uncertain
    uncertain: int = 0  # outcome unknown (timeout, history rate-limited): reconciled later
    skipped: int = 0  # claimed meanwhile by another deliverer
    fatal: str | None = None  # the bot token itself is refused; delivery stopped

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Uncertain(Exception):
    """The conversation history could not be read, so we cannot tell whether it was sent.

    `transient`: worth trying again later (rate limit, Slack or network hiccup).
    """

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.transient = transient


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 2, 4, 8, … minutes, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _factory(bind: Engine | sessionmaker) -> sessionmaker:
    if isinstance(bind, Engine):
        return sessionmaker(bind, expire_on_commit=False)
    return bind


ADMIN_FIRST = case((Notification.kind.in_(ADMIN_KINDS), 0), else_=1)


def _due(now: datetime, limit: int, factory: sessionmaker) -> list[tuple[int, str, int]]:
    ready = or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)
    with factory() as session:
        rows = session.execute(
            select(Notification.id, Notification.status, Notification.attempts)
            .where(
                or_(
                    and_(Notification.status == "pending", ready),
                    and_(Notification.status == "sending", Notification.next_attempt_at <= now),
                )
            )
            # Admin alerts (broken page, blocked message) must not wait behind a backlog of
            # case alerts, e.g. the first sweep over weeks of history.
            .order_by(ADMIN_FIRST, Notification.created_at, Notification.id)
            .limit(limit)
        ).all()
    return [(r.id, r.status, r.attempts) for r in rows]


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


def _find_in_history(client: WebClient, channel: str, key: str) -> dict[str, Any] | None:
    """The message carrying `key` among the channel's recent messages, if any."""
    from slack_sdk.errors import SlackApiError

    from citizen_desk.notify.slack import message_has_key

    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        try:
            response = client.conversations_history(
                channel=channel,
                limit=HISTORY_PAGE_SIZE,
                include_all_metadata=True,
                cursor=cursor,
            )
        except SlackApiError as exc:
            transient = _error_code(exc) in TRANSIENT_ERRORS
            raise _Uncertain(
                _slack_error(exc, "conversations.history"), transient=transient
            ) from exc
        except Exception as exc:  # timeouts, dropped connections
            raise _Uncertain(
                f"conversations.history: {type(exc).__name__}", transient=True
            ) from exc
        for message in response.get("messages") or ():
            if message_has_key(message, key):
                return message
        cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
        if not (response.get("has_more") and cursor):
            return None
    raise _Uncertain(f"conversations.history: key not in the last {HISTORY_PAGES} pages")


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
) -> DeliveryReport:
    """Send what is due (pending; `sending` past its lease is reconciled first); see module doc."""
    from slack_sdk.errors import SlackApiError

    now = utc(now)
    factory = _factory(session_factory_or_engine)
    report = DeliveryReport()
    for row_id, status, attempts in _due(now, limit, factory):
        with factory() as session:
            row = session.get(Notification, row_id)
            if row is None or row.status != status:
                report.skipped += 1
                continue
            key, recipient, payload = row.idempotency_key, row.recipient, row.payload
            channel = row.provider_channel

        if status == "sending":
            outcome = _reconcile(factory, client, row_id, key, recipient, channel, now, report)
            if outcome != "absent":
                continue
            status = "pending"

        # Claim: committed before any side effect, so a crash leaves the row in `sending`.
        claimed = _update(
            factory,
            row_id,
            status,
            attempts,
            status="sending",
            attempts=attempts + 1,
            next_attempt_at=now + CLAIM_LEASE,
        )
        if not claimed:
            report.skipped += 1
            continue
        attempts += 1
        try:
            channel = _conversation(client, recipient)
            response = _post(client, channel, key, payload)
        except SlackApiError as exc:
            code = _error_code(exc)
            error = _slack_error(exc, "slack")
            if code in AUTH_ERRORS:
                _update(
                    factory,
                    row_id,
                    "sending",
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
                last_error=f"uncertain: {type(exc).__name__}",
                next_attempt_at=now,
            )
            report.uncertain += 1
            log.warning("notification %s: outcome unknown (%s)", key, type(exc).__name__)
            continue
        _mark_sent(factory, row_id, response, now)
        report.sent += 1
    log.info("outbox delivery: %s", report.as_dict())
    return report


def _post(client: WebClient, channel: str, key: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    from citizen_desk.notify.slack import message_metadata, with_key_block

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
        _update(factory, row_id, "sending", status="failed", last_error=error, next_attempt_at=None)
        report.failed += 1
        log.warning(
            "notification #%s failed for good after %s attempt(s): %s", row_id, attempts, error
        )
        return
    wait = max(backoff(attempts), _retry_after(exc) or timedelta(0))
    _update(
        factory, row_id, "sending", status="pending", last_error=error, next_attempt_at=now + wait
    )
    report.retrying += 1
    log.info("notification #%s: %s; retry in %s", row_id, error, wait)


def _reconcile(
    factory: sessionmaker,
    client: WebClient,
    row_id: int,
    key: str,
    recipient: str,
    channel: str | None,
    now: datetime,
    report: DeliveryReport,
) -> str:
    """'sent' (found in Slack), 'absent' (safe to resend; back to pending) or 'uncertain'."""
    from slack_sdk.errors import SlackApiError

    try:
        try:
            channel = channel or _conversation(client, recipient)
        except SlackApiError as exc:
            transient = _error_code(exc) in TRANSIENT_ERRORS
            raise _Uncertain(_slack_error(exc, "conversations.open"), transient=transient) from exc
        message = _find_in_history(client, channel, key)
    except _Uncertain as exc:
        reason = str(exc)
        if exc.transient:  # look again on a later run; still never resend blindly
            _update(
                factory,
                row_id,
                "sending",
                last_error=f"reconcile postponed ({reason})",
                next_attempt_at=now + backoff(1),
            )
            report.uncertain += 1
            log.info("notification %s: reconcile postponed (%s)", key, reason)
            return "uncertain"
        _update(
            factory,
            row_id,
            "sending",
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
    if not _update(factory, row_id, "sending", status="pending"):
        report.skipped += 1
        return "skipped"
    return "absent"


# --- operations (CLI) ----------------------------------------------------------------------------


def list_notifications(
    session: Session, *, statuses: Sequence[str] = (), limit: int = 50
) -> list[Notification]:
    """Newest first; never includes the payload in what callers should print."""
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if statuses:
        query = query.where(Notification.status.in_(statuses))
    return list(session.scalars(query.limit(limit)))


def retry(
    session: Session,
    *,
    keys: Sequence[str] = (),
    all_failed: bool = False,
    now: datetime,
    actor: str = "cli",
) -> int:
    """Put failed notifications back to pending with a fresh attempt budget (audited).

    Blocked ones are never retried: fix the content and enqueue under a new key.
    """
    now = utc(now)
    query = select(Notification).where(Notification.status == "failed")
    if keys:
        query = query.where(Notification.idempotency_key.in_(keys))
    elif not all_failed:
        return 0
    count = 0
    for row in session.scalars(query):
        before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        record_audit(
            session,
            entity_type="notification",
            entity_id=row.id,
            action="notification_retry",
            actor=actor,
            at=now,
            before=before,
            after={"status": "pending", "attempts": 0},
        )
        count += 1
    session.flush()
    return count


def run_delivery(
    now: datetime, *, url: str | None = None, conn_id: str | None = None, limit: int = 200
) -> dict[str, Any]:
    """Deliver what is due with the Slack connection's client (the DAGs' deliver task)."""
    from citizen_desk.db.engine import get_engine
    from citizen_desk.notify.slack import CONN_ID, slack_client_from_connection

    client = slack_client_from_connection(conn_id or CONN_ID)
    return deliver_pending(get_engine(url), client, now=now, limit=limit).as_dict()
