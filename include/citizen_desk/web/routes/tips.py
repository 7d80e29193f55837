"""/tips…: the tips board, a tip's page, and the workflow actions (confirm, then POST)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.web.actions import ACTIONS, TipAction
from citizen_desk.web.auth import CurrentUser, actor_name, check_csrf
from citizen_desk.web.deps import DbSession, FormData, Now, TipId
from citizen_desk.web.render import base_path, flash, render_page, vietnamese
from citizen_desk.web.tips_board import history_label, level_labels, tips_board
from citizen_desk.web.units import unit_tree

router = APIRouter()


def _tip_context(session: Session, tip_id: int, now: datetime) -> dict[str, Any]:
    from citizen_desk.tips import views as tips

    view = tips.get_tip(session, tip_id, now=now)
    return {
        "tip": view,
        "history": [
            (entry, history_label(entry.action, tips.ACTION_LABELS))
            for entry in tips.tip_history(session, tip_id)
        ],
        "acks": tips.acknowledgements(session, tip_id),
        "action_labels": tips.ACTION_LABELS,
        "actions": [a for a in ACTIONS.values() if a.offered_for(view.status, view.is_open)],
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

    return render_page(
        request,
        "tip_confirm.html",
        user=user,
        active="tips",
        status_code=status_code,
        tip=tips.get_tip(session, tip_id, now=now),
        action=action,
        values=values or {},
        units=unit_tree(session),
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
        actions=list(ACTIONS.values()),
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
):
    message = None
    if done in ACTIONS:
        message = flash("ok", f"Đã ghi nhận: {ACTIONS[done].label} (người thực hiện: "
                              f"{actor_name(user)}).")  # fmt: skip
    return render_page(
        request, "tip.html", user=user, active="tips", flash=message,
        **_tip_context(session, tip_id, now),
    )  # fmt: skip


@router.get("/tips/{tip_id}/actions/{action_key}", response_class=HTMLResponse)
def tip_action_confirm(
    request: Request,
    tip_id: TipId,
    action_key: str,
    user: CurrentUser,
    session: DbSession,
    now: Now,
):
    action = ACTIONS.get(action_key)
    if action is None:
        raise NotFoundError(f"không có thao tác {action_key!r}")
    return _confirm_page(request, user, session, now, tip_id, action)


@router.post("/tips/{tip_id}/actions/{action_key}", response_class=HTMLResponse)
def tip_action(
    request: Request,
    tip_id: TipId,
    action_key: str,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    check_csrf(request, user, form)
    action = ACTIONS.get(action_key)
    if action is None:
        raise NotFoundError(f"không có thao tác {action_key!r}")
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
