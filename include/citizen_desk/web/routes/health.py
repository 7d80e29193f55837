"""/collection: collection health per channel."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citizen_desk.web.auth import CurrentUser
from citizen_desk.web.deps import DbSession, Now
from citizen_desk.web.health import STALE_COLLECTION, collection_health
from citizen_desk.web.render import render_page

router = APIRouter()


@router.get("/collection", response_class=HTMLResponse)
def collection_page(request: Request, user: CurrentUser, session: DbSession, now: Now):
    return render_page(
        request,
        "collection.html",
        user=user,
        active="collection",
        channels=collection_health(session, now=now),
        stale_after=STALE_COLLECTION,
        now=now,
    )
