"""/ and /api/overview: the per-unit figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citizen_desk.web.auth import CurrentUser
from citizen_desk.web.deps import DbSession, Now
from citizen_desk.web.learning import live_agreement
from citizen_desk.web.overview import overview, week_start
from citizen_desk.web.render import render_page
from citizen_desk.web.tips_board import level_labels

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, user: CurrentUser, session: DbSession, now: Now):
    window = request.app.state.registry_factory().triage_learning.agreement_window
    return render_page(
        request,
        "overview.html",
        user=user,
        active="overview",
        overview=overview(session, now=now),
        level_labels=level_labels(),
        week_start=week_start(now),
        now=now,
        agreement=live_agreement(session, now=now, window=window),
    )


@router.get("/api/overview")
def overview_json(user: CurrentUser, session: DbSession, now: Now) -> dict[str, Any]:
    page = overview(session, now=now)
    return {
        "now": now.isoformat(),
        "first_responses_counted_until": page.responses_counted_until.isoformat(),
        "units": [unit.as_json() for unit in page.units],
    }
