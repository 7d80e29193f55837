"""/tips…: the tips board, a tip's page, and the workflow actions (confirm, then POST).

The confirmation page and the action itself depend on `tip_permission`: the tip's unit must be in
the user's scope for that action (`citizen_desk.access`); pages offer only the actions allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case, Unit
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.web.actions import ACTIONS, TipAction, action_buttons, offered_actions
from citizen_desk.web.auth import CurrentUser, actor_name, check_csrf
from citizen_desk.web.deps import DbSession, FormData, Now, TipId
from citizen_desk.web.learning import triage_context
from citizen_desk.web.permissions import TipPermission, access_of
from citizen_desk.web.render import base_path, flash, render_page, vietnamese
from citizen_desk.web.tips_board import history_label, level_labels, tips_board
from citizen_desk.web.units import unit_tree

router = APIRouter()


def _tip_context(
    request: Request, session: Session, tip_id: int, now: datetime, user: Any
) -> dict[str, Any]:
    from citizen_desk.tips import views as tips

    view = tips.get_tip(session, tip_id, now=now)
    offered = [a for a in ACTIONS.values() if a.offered_for(view.status, view.is_open)]
    access = access_of(request, user)
    actions = [a for a in offered if access.may(a.permission, view.unit_code)]
    case, case_unit = session.execute(
        select(Case, Unit.code).join(Unit, Case.unit_id == Unit.id).where(Case.id == view.case_id)
    ).one()
    triage = triage_context(
        request, user, session, case_id=case.id, unit_code=case_unit, category=case.category,
        urgent=case.urgent, back="tip",
    )  # fmt: skip
    return {
        **triage,
        "tip": view,
        "history": [
            (entry, history_label(entry.action, tips.ACTION_LABELS))
            for entry in tips.tip_history(session, tip_id)
        ],
        "acks": tips.acknowledgements(session, tip_id),
        "action_labels": tips.ACTION_LABELS,
        "actions": actions,
        "read_only": bool(offered) and not actions,  # there are actions, none of them this user's
        "level_labels": level_labels(),
    }


def _confirm_page(
    request: Request,
    user: Any,
    session: Session,
    now: datetime,
    tip_id: int,
    action: TipAction,
    *,
    values: dict[str, str] | None = None,
    message: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from citizen_desk.tips import views as tips

    tip = tips.get_tip(session, tip_id, now=now)
    access = access_of(request, user)
    units = [  # a reassignment may only go to a unit in the user's scope
        u for u in unit_tree(session) if access.may_reassign(tip.unit_code, u.code)
    ]
    return render_page(
        request,
        "tip_confirm.html",
        user=user,
        active="tips",
        status_code=status_code,
        tip=tip,
        action=action,
        values=values or {},
        units=units,
        level_labels=level_labels(),
        flash=message,
    )


@router.get("/tips", response_class=HTMLResponse)
def tips_page(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    now: Now,
    unit: str | None = None,
    level: int | None = None,
    closed: bool = False,
    page: int = 1,
):
    from citizen_desk.tips import views as tips

    board = tips_board(session, now=now, unit=unit, level=level, closed=closed, page=page)
    return render_page(
        request,
        "tips.html",
        user=user,
        active="tips",
        tips=board.tips,
        paging=board.paging,
        units=board.units,
        unit=unit or "",
        level=level,
        closed=closed,
        level_labels=level_labels(),
        buttons=action_buttons(offered_actions(access_of(request, user).may), base_path(request)),
        action_labels=tips.ACTION_LABELS,
        now=now,
    )


@router.get("/tips/{tip_id}", response_class=HTMLResponse)
def tip_page(
    request: Request,
    tip_id: TipId,
    user: CurrentUser,
    session: DbSession,
    now: Now,
    done: str | None = None,
    triage: str | None = None,
    tip: str | None = None,
):
    from citizen_desk.web.routes.triage import triage_flash

    message = None
    if done in ACTIONS:
        message = flash("ok", f"Đã ghi nhận: {ACTIONS[done].label} (người thực hiện: "
                              f"{actor_name(user)}).")  # fmt: skip
    context = _tip_context(request, session, tip_id, now, user)
    if triage:
        message = triage_flash(triage, tip, context["triage"]["category"],
                               context["triage"]["urgent"])  # fmt: skip
    return render_page(
        request, "tip.html", user=user, active="tips", flash=message, **context,
    )  # fmt: skip


@router.get("/tips/{tip_id}/actions/{action_key}", response_class=HTMLResponse)
def tip_action_confirm(
    request: Request,
    tip_id: TipId,
    granted: TipPermission,
    user: CurrentUser,
    session: DbSession,
    now: Now,
):
    return _confirm_page(request, user, session, now, tip_id, granted.action)


@router.post("/tips/{tip_id}/actions/{action_key}", response_class=HTMLResponse)
def tip_action(
    request: Request,
    tip_id: TipId,
    granted: TipPermission,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    check_csrf(request, user, form)
    action = granted.action
    values = {field.name: form.get(field.name, "") for field in action.fields}
    if form.get("confirm") != "yes":
        return _confirm_page(request, user, session, now, tip_id, action, values=values)
    try:
        action.call(session, tip_id, actor_name(user), now, form)
        session.commit()
    except NotFoundError:
        session.rollback()
        raise
    except WorkflowError as exc:
        session.rollback()
        return _confirm_page(
            request, user, session, now, tip_id, action, values=values,
            message=flash("error", vietnamese(str(exc))), status_code=409,
        )  # fmt: skip
    return RedirectResponse(
        f"{base_path(request)}/tips/{tip_id}?done={action.key}", status_code=303
    )
