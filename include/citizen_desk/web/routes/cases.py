"""/cases/{id} and its protected identity view (GET: the reason form; POST: the identity)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from citizen_desk.web.auth import CurrentUser, actor_name, can_view_identity, check_csrf
from citizen_desk.web.cases import (
    REASON_FIELD,
    case_identity,
    case_view,
    check_reason,
    identity_view_log,
    log_identity_view,
)
from citizen_desk.web.deps import CaseId, DbSession, FormData, Now
from citizen_desk.web.render import flash, render_page

router = APIRouter()

NOT_ALLOWED = "Bạn không có quyền xem danh tính người gửi; đây là bản đã che thông tin."


def _case_page(
    request: Request,
    user: Any,
    session: Session,
    case_id: int,
    now: datetime,
    *,
    status_code: int = 200,
    notice: str | None = None,
    identity_form: bool = False,
    reason: str = "",
    message: dict[str, str] | None = None,
) -> HTMLResponse:
    """The redacted case page, with the identity reason form when `identity_form`."""
    return render_page(
        request,
        "case.html",
        user=user,
        status_code=status_code,
        case=case_view(session, case_id, now=now),
        identities=None,
        identity_log=identity_view_log(session, case_id) if identity_form else None,
        identity_form=identity_form,
        reason_field=REASON_FIELD,
        reason=reason,
        notice=notice,
        flash=message,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseId, user: CurrentUser, session: DbSession, now: Now):
    return _case_page(request, user, session, case_id, now)


@router.get("/cases/{case_id}/identity", response_class=HTMLResponse)
def case_identity_form(
    request: Request, case_id: CaseId, user: CurrentUser, session: DbSession, now: Now
):
    """Asks for a reason; shows no identity and writes nothing (a link alone cannot log a view)."""
    if not can_view_identity(user):
        return _case_page(request, user, session, case_id, now, status_code=403, notice=NOT_ALLOWED)
    return _case_page(request, user, session, case_id, now, identity_form=True)


@router.post("/cases/{case_id}/identity", response_class=HTMLResponse)
def case_identity_page(
    request: Request,
    case_id: CaseId,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    check_csrf(request, user, form)
    if not can_view_identity(user):
        return _case_page(request, user, session, case_id, now, status_code=403, notice=NOT_ALLOWED)
    raw = form.get(REASON_FIELD, "")
    problem = check_reason(raw)
    if problem is not None:
        return _case_page(
            request, user, session, case_id, now, status_code=400, identity_form=True,
            reason=raw, message=flash("error", problem),
        )  # fmt: skip
    case = case_view(session, case_id, now=now, redacted=False)
    # The audit row is committed before anything identifying is rendered.
    log_identity_view(session, case_id, actor=actor_name(user), now=now, reason=raw)
    session.commit()
    return render_page(
        request,
        "case.html",
        user=user,
        case=case,
        identities=case_identity(session, case_id),
        identity_log=identity_view_log(session, case_id),
        identity_form=False,
        reason_field=REASON_FIELD,
        reason="",
        notice=None,
    )
