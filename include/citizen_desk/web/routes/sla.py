"""/sla: the SLA board."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citizen_desk.web import sla_board
from citizen_desk.web.auth import CurrentUser
from citizen_desk.web.deps import DbSession, Now
from citizen_desk.web.render import render_page

router = APIRouter()


@router.get("/sla", response_class=HTMLResponse)
def sla_page(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    now: Now,
    unit: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    state: str | None = None,
    review: str | None = None,
    after: str | None = None,
    before: str | None = None,
):
    filters = sla_board.SlaFilters(
        unit=unit or None, category=category or None, channel=channel or None,
        state=state or None, review="1" if review == "1" else None,
    )  # fmt: skip
    board = sla_board.sla_board(session, now=now, filters=filters, after=after, before=before)
    return render_page(
        request,
        "sla.html",
        user=user,
        active="sla",
        rows=board.rows,
        paging=board,
        filters=filters,
        options=sla_board.filter_options(session),
        now=now,
    )
