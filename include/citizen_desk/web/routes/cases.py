"""/cases/{id} and its protected identity view (GET: the reason form; POST: the identity).

Both identity routes depend on `identity_permission`: only an identity custodian of the case's
unit (registry `access:`) gets past it; anyone else gets a 403 with nothing identifying. The
case page also carries the triage correction form (`routes.triage`) for the unit's officers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from citizen_desk.domain.vocabulary import DeskAction
from citizen_desk.web.auth import CurrentUser, actor_name, check_csrf
from citizen_desk.web.cases import (
    REASON_FIELD,
    case_identity,
    case_view,
    check_reason,
    identity_view_log,
    log_identity_view,
)
from citizen_desk.web.deps import CaseId, DbSession, FormData, Now
from citizen_desk.web.learning import triage_context
from citizen_desk.web.permissions import IdentityPermission, access_of
from citizen_desk.web.render import flash, render_page

router = APIRouter()


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
    case = case_view(session, case_id, now=now)
    triage = triage_context(
        request, user, session, case_id=case.case_id, unit_code=case.unit_code,
        category=case.category, urgent=case.urgent,
    )  # fmt: skip
    return render_page(
        request,
        "case.html",
        user=user,
        status_code=status_code,
        case=case,
        identity_allowed=access_of(request, user).may(DeskAction.IDENTITY_VIEW, case.unit_code),
        identities=None,
        identity_log=identity_view_log(session, case_id) if identity_form else None,
        identity_form=identity_form,
        reason_field=REASON_FIELD,
        reason=reason,
        notice=notice,
        flash=message,
        **triage,
    )


def case_page_response(
    request: Request,
    user: Any,
    session: Session,
    case_id: int,
    now: datetime,
    status_code: int,
    message: dict[str, str] | None,
) -> HTMLResponse:
    """The case page with a message (a refused triage correction)."""
    return _case_page(request, user, session, case_id, now, status_code=status_code,
                      message=message)  # fmt: skip


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: CaseId,
    user: CurrentUser,
    session: DbSession,
    now: Now,
    triage: str | None = None,
    tip: str | None = None,
):
    from citizen_desk.db.models import Case
    from citizen_desk.web.routes.triage import triage_flash

    saved = session.get(Case, case_id) if triage else None  # after a correction's redirect
    message = triage_flash(triage, tip, saved.category, saved.urgent) if saved else None
    return _case_page(request, user, session, case_id, now, message=message)


@router.get("/cases/{case_id}/identity", response_class=HTMLResponse)
def case_identity_form(
    request: Request,
    case_id: CaseId,
    unit: IdentityPermission,
    user: CurrentUser,
    session: DbSession,
    now: Now,
):
    """Asks for a reason; shows no identity and writes nothing (a link alone cannot log a view)."""
    return _case_page(request, user, session, case_id, now, identity_form=True)


@router.post("/cases/{case_id}/identity", response_class=HTMLResponse)
def case_identity_page(
    request: Request,
    case_id: CaseId,
    unit: IdentityPermission,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    check_csrf(request, user, form)
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
    triage = triage_context(
        request, user, session, case_id=case.case_id, unit_code=case.unit_code,
        category=case.category, urgent=case.urgent,
    )  # fmt: skip
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
        **triage,
    )
