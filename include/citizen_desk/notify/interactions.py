"""Slack interactions: the buttons of our alerts, and the signed requests Slack posts back.

A tip alert of the ladder (arrival, escalation, reminder) carries an actions block: "Đã nhận"
(`ACK_ACTION`, its value the alert's key `tip:{tip}:L{level}:{kind}:{seq}`, never personal
data) and "Mở hồ sơ" (`OPEN_ACTION`, a link button to the tip's page). A click makes Slack POST
`application/x-www-form-urlencoded` `payload=<json>` (type `block_actions`) to the app's
Interactivity Request URL, which is the Citizen Desk route `/slack/interactions`.

That route has no Airflow login: the request is authenticated by Slack's signature, checked here
exactly as Slack documents it (https://docs.slack.dev/authentication/verifying-requests-from-slack/),
with slack_sdk's `SignatureVerifier`: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of
`v0:{X-Slack-Request-Timestamp}:{raw body}` under the app's signing secret (extra
`signing_secret` of the `citizen_desk_slack` connection), compared in constant time, and the
timestamp is within five minutes of `now`. Oversized, malformed, unsigned, forged and stale
requests are refused here, before any database access (`Refused`). A request that passes is
written once to `slack_interactions` under its signature (`record`): the same request replayed
within the window hits the unique constraint and is refused, so nothing is applied twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citizen_desk.db.models import SlackInteraction
from citizen_desk.db.types import utc
from citizen_desk.db.upsert import insert_if_absent

ACK_ACTION = "citizen_desk_ack"
OPEN_ACTION = "citizen_desk_open"
ACTIONS_BLOCK_ID = "citizen_desk_actions"
MAX_BODY = 256 * 1024  # an alert's block_actions payload (whole message, URL-encoded) < 64 KiB
MAX_AGE_SECONDS = 5 * 60  # Slack's replay window
SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
SLACK_CONVERSATION = re.compile(r"^[CGD][A-Z0-9]{2,31}$")
# the value of an "Đã nhận" button: a ladder alert's key (see citizen_desk.tips.escalation)
ACK_VALUE = re.compile(r"^tip:(?P<tip>[1-9][0-9]{0,17}):L(?P<level>[0-9]{1,3}):"
                       r"(?P<kind>arrival|escalation|reminder):(?P<seq>[0-9]{1,9})$")  # fmt: skip
ACKABLE_KINDS = ("arrival", "escalation", "reminder")


class Refused(Exception):
    """A request the route answers with `status` and nothing else; `reason` is for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Interaction:
    """One button click, as much of Slack's `block_actions` payload as we use."""

    user: str  # the Slack user who clicked
    team: str | None
    action_id: str
    value: str | None
    channel: str | None  # where the message is (a DM `D…` or a channel)
    message_ts: str | None
    action_ts: str | None


@dataclass(frozen=True)
class AckTarget:
    """What an "Đã nhận" button's value names: a level of a tip's ladder."""

    tip_id: int
    level: int
    kind: str
    key: str


# --- the buttons ---------------------------------------------------------------------------------


def ack_value(key: str) -> str:
    """The "Đã nhận" value for a ladder alert key (checked: it must read back)."""
    if ACK_VALUE.match(key) is None:
        raise ValueError(f"not a ladder alert key: {key!r}")
    return key


def parse_ack_value(value: str | None) -> AckTarget | None:
    match = ACK_VALUE.match(value or "")
    if match is None:
        return None
    return AckTarget(int(match["tip"]), int(match["level"]), match["kind"], match.group(0))


def actions_block(*, ack_key: str | None, open_url: str) -> dict[str, Any]:
    """The alert's buttons: "Đã nhận" (when `ack_key` is given) and "Mở hồ sơ" (a link)."""
    from citizen_desk.domain.labels import SLACK_BUTTON_LABELS

    elements: list[dict[str, Any]] = []
    if ack_key is not None:
        elements.append(
            {
                "type": "button",
                "action_id": ACK_ACTION,
                "text": {"type": "plain_text", "text": SLACK_BUTTON_LABELS["ack"]},
                "style": "primary",
                "value": ack_value(ack_key),
            }
        )
    elements.append(
        {
            "type": "button",
            "action_id": OPEN_ACTION,
            "text": {"type": "plain_text", "text": SLACK_BUTTON_LABELS["open"]},
            "url": open_url,
        }
    )
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


# --- the request ---------------------------------------------------------------------------------


def check_size(content_length: str | None) -> None:
    """Refuse a declared body over `MAX_BODY` before reading it."""
    if content_length is None:
        return
    if not content_length.isdigit() or len(content_length) > 12:
        raise Refused(400, "bad Content-Length")
    if int(content_length) > MAX_BODY:
        raise Refused(413, "body too large")


def verify(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> str:
    """The request's signature when it is Slack's, signed within five minutes of `now`.

    Raises `Refused` (401 unsigned, forged or stale; 413 too large; 400 not UTF-8).
    """
    from slack_sdk.signature import Clock, SignatureVerifier

    class RequestClock(Clock):  # slack_sdk's clock, reading `now` instead of the wall clock
        def now(self) -> float:
            return utc(now).timestamp()

    if len(body) > MAX_BODY:
        raise Refused(413, "body too large")
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("x-slack-request-timestamp") or ""
    signature = lowered.get("x-slack-signature") or ""
    if not TIMESTAMP.match(timestamp) or not SIGNATURE.match(signature):
        raise Refused(401, "missing or malformed Slack signature headers")
    if abs(utc(now).timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
        raise Refused(401, "stale request (timestamp more than five minutes from now)")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    verifier = SignatureVerifier(secret, clock=RequestClock())
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise Refused(401, "invalid Slack signature")
    return signature


def parse(body: bytes) -> Interaction:
    """The click in a verified body; `Refused(400)` for anything but one `block_actions` click."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=4)
    except ValueError:
        raise Refused(400, "not a form body") from None
    payloads = form.get("payload") or []
    if len(payloads) != 1:
        raise Refused(400, "expected one payload field")
    try:
        payload = json.loads(payloads[0])
    except ValueError:
        raise Refused(400, "payload is not JSON") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise Refused(400, "not a block_actions payload")
    user = _get(payload, "user", "id")
    if not isinstance(user, str) or not SLACK_USER.match(user):
        raise Refused(400, "payload without a Slack user id")
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise Refused(400, "payload without actions")
    action = actions[0]
    action_id = action.get("action_id")
    if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
        raise Refused(400, "action without action_id")
    value = action.get("value")
    channel = _get(payload, "channel", "id") or _get(payload, "container", "channel_id")
    return Interaction(
        user=user,
        team=_text(_get(payload, "team", "id")),
        action_id=action_id,
        value=value if isinstance(value, str) and len(value) <= 255 else None,
        channel=channel if isinstance(channel, str) and SLACK_CONVERSATION.match(channel) else None,
        message_ts=_text(_get(payload, "container", "message_ts")),
        action_ts=_text(action.get("action_ts")),
    )


def _get(payload: Mapping[str, Any], *path: str) -> Any:
    value: Any = payload
    for name in path:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 else None


# --- the replay ledger ---------------------------------------------------------------------------


def record(
    session: Session,
    *,
    signature: str,
    timestamp: int,
    interaction: Interaction,
    now: datetime,
    outcome: str = "received",
) -> int | None:
    """Write the request under its signature; its row id, or None when it was seen before (a
    replay). The caller commits, together with whatever it applies."""
    values = {
        "signature": signature,
        "request_ts": timestamp,
        "received_at": utc(now),
        "slack_user": interaction.user,
        "action_id": interaction.action_id,
        "value": interaction.value,
        "outcome": outcome,
    }
    if not insert_if_absent(session, SlackInteraction, values, ["signature"]):
        return None
    return session.scalars(
        select(SlackInteraction.id).where(SlackInteraction.signature == signature)
    ).one()


def set_outcome(session: Session, row_id: int, outcome: str) -> None:
    session.execute(
        update(SlackInteraction).where(SlackInteraction.id == row_id).values(outcome=outcome[:32])
    )
