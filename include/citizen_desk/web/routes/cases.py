"""/cases/{id} and its protected identity view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citizen_desk.web.auth import CurrentUser, actor_name, can_view_identity
from citizen_desk.web.cases import case_identity, case_view, identity_view_log, log_identity_view
from citizen_desk.web.deps import DbSession, Now
from citizen_desk.web.render import render_page

router = APIRouter()


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, user: CurrentUser, session: DbSession, now: Now):
    return render_page(
        request,
        "case.html",
        user=user,
        case=case_view(session, case_id, now=now),
        identities=None,
        identity_log=None,
        notice=None,
    )


@router.get("/cases/{case_id}/identity", response_class=HTMLResponse)
def case_identity_page(
    request: Request, case_id: int, user: CurrentUser, session: DbSession, now: Now
):
    if not can_view_identity(user):
        return render_page(
            request,
            "case.html",
            user=user,
            status_code=403,
            case=case_view(session, case_id, now=now),
            identities=None,
            identity_log=None,
            notice="Bạn không có quyền xem danh tính người gửi; đây là bản đã che thông tin.",
        )
    case = case_view(session, case_id, now=now, redacted=False)
    # The audit row is committed before anything identifying is rendered.
    log_identity_view(session, case_id, actor=actor_name(user), now=now)
    session.commit()
    return render_page(
        request,
        "case.html",
        user=user,
        case=case,
        identities=case_identity(session, case_id),
        identity_log=identity_view_log(session, case_id),
        notice=None,
    )
