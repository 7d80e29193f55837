"""/slack/interactions: the Interactivity Request URL of the Slack app (button clicks on alerts).

The one route without an Airflow login: Slack's signature is its authentication. The body is read
with a cap, then checked (`citizen_desk.notify.interactions.verify`: signature, five-minute
window) before the database is touched; a refusal is answered at once (401 forged or stale, 413
too large, 400 malformed). A verified click is written to the replay ledger under its signature
(a replay: 409) in the same transaction as what it applies: "Đã nhận" acknowledges the level its
value names (`citizen_desk.tips.slack_ack`: 200, or 403 for someone who may not, 404 for an
unknown tip). Clicks on "Mở hồ sơ" (a link: Slack opens it and still notifies us) and anything
else are answered 200 and ignored. Nothing here calls Slack, so the answer stays well within
Slack's three seconds; the message is not updated (the next sweep and the tip page show the
acknowledgement).

The signing secret comes from `app.state.slack_signing_secret` (default: extra `signing_secret`
of the `citizen_desk_slack` connection); the registry from `app.state.registry_factory`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from citizen_desk.errors import WorkflowError
from citizen_desk.notify.interactions import (
    ACK_ACTION,
    MAX_BODY,
    Interaction,
    Refused,
    check_size,
    parse,
    parse_ack_value,
    record,
    set_outcome,
    verify,
)
from citizen_desk.web.deps import Now

log = logging.getLogger(__name__)
PATH = "/slack/interactions"

router = APIRouter()


def _answer(status: int, outcome: str) -> JSONResponse:
    return JSONResponse({"ok": status == 200, "outcome": outcome}, status_code=status)


async def _body(request: Request) -> bytes:
    check_size(request.headers.get("content-length"))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(PATH)
async def slack_interactions(request: Request, now: Now) -> JSONResponse:
    try:
        body = await _body(request)
        secret = request.app.state.slack_signing_secret()
        signature = verify(body, request.headers, secret, now)
        interaction = parse(body)
    except Refused as exc:
        log.warning("Slack interaction refused (%s): %s", exc.status, exc.reason)
        return _answer(exc.status, exc.reason)
    if interaction.action_id != ACK_ACTION:
        return _answer(200, "ignored")
    timestamp = int(request.headers["x-slack-request-timestamp"])  # checked by verify
    status, outcome = await run_in_threadpool(
        _apply, request.app.state, signature, timestamp, interaction, now
    )
    log.info("Slack interaction %s by %s: %s", interaction.action_id, interaction.user, outcome)
    return _answer(status, outcome)


def _apply(
    state: Any, signature: str, timestamp: int, interaction: Interaction, now: datetime
) -> tuple[int, str]:
    """Ledger row and acknowledgement in one transaction; (HTTP status, outcome)."""
    from citizen_desk.tips.slack_ack import acknowledge_from_slack

    registry = state.registry_factory()
    engine: Engine = state.engine_factory()
    with sessionmaker(engine, expire_on_commit=False)() as session:
        row_id = record(
            session, signature=signature, timestamp=timestamp, interaction=interaction, now=now
        )
        if row_id is None:
            session.rollback()
            return 409, "replayed"
        target = parse_ack_value(interaction.value)
        if target is None:
            set_outcome(session, row_id, "bad_value")
            session.commit()
            return 400, "bad_value"
        try:
            result = acknowledge_from_slack(
                session,
                registry,
                tip_id=target.tip_id,
                level=target.level,
                slack_user=interaction.user,
                now=now,
            )
        except WorkflowError:  # a concurrent click or action on the same tip
            session.rollback()
            return 409, "conflict"
        set_outcome(session, row_id, result.outcome)
        session.commit()
        return result.status, result.outcome
