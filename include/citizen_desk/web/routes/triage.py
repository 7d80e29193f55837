"""/cases/{id}/triage: an officer corrects a case's category and urgency (case and tip pages);
/triage-models: the trained model's versions, and making an earlier one the champion again.

The correction depends on `triage_correct_permission` (the case's unit's officers and chiefs),
the rollback on `model_champion_permission` (technical admins). Both are CSRF-checked form POSTs
that redirect (303) to the page they came from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citizen_desk.domain.labels import category_label
from citizen_desk.domain.vocabulary import CATEGORIES, DeskAction
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.web.auth import CurrentUser, actor_name, check_csrf
from citizen_desk.web.deps import CaseId, DbSession, FormData, Now, bounded_id
from citizen_desk.web.learning import CATEGORY_FIELD, URGENT_FIELD, model_page
from citizen_desk.web.permissions import (
    ModelChampionPermission,
    TriageCorrectPermission,
    access_of,
)
from citizen_desk.web.render import base_path, flash, render_page, vietnamese

router = APIRouter()
TRUE = ("1", "on", "yes", "true")


def model_id_param(model_id: Annotated[int, Path()]) -> int:
    return bounded_id(model_id, "phiên bản mô hình")


ModelId = Annotated[int, Depends(model_id_param)]


@router.post("/cases/{case_id}/triage", response_class=HTMLResponse)
def correct_triage(
    request: Request,
    case_id: CaseId,
    unit: TriageCorrectPermission,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    from citizen_desk.learning.corrections import correct_case
    from citizen_desk.web.routes.cases import case_page_response

    check_csrf(request, user, form)
    category = (form.get(CATEGORY_FIELD) or "").strip()
    urgent = (form.get(URGENT_FIELD) or "").strip().lower() in TRUE
    if category not in CATEGORIES:
        message = flash("error", "Hãy chọn loại hồ sơ trước khi lưu phân loại.")
        return case_page_response(request, user, session, case_id, now, 400, message)
    try:
        result = correct_case(
            session, case_id, category=category, urgent=urgent, actor=actor_name(user), now=now
        )
        session.commit()
    except NotFoundError:
        session.rollback()
        raise
    except (WorkflowError, IntegrityError) as exc:
        session.rollback()
        text = (
            vietnamese(str(exc))
            if isinstance(exc, WorkflowError)
            else ("Hồ sơ vừa được người khác cập nhật; hãy tải lại trang rồi thử lại.")
        )
        return case_page_response(request, user, session, case_id, now, 409, flash("error", text))
    outcome = "saved" if result.changed else "same"
    tip = (
        "created" if result.tip_created else "closed" if result.tip_closed
        else "reopened" if result.tip_reopened else ""
    )  # fmt: skip
    query = f"?triage={outcome}" + (f"&tip={tip}" if tip else "")
    if form.get("back") == "tip" and result.tip_id is not None:
        return RedirectResponse(
            f"{base_path(request)}/tips/{result.tip_id}{query}", status_code=303
        )
    return RedirectResponse(f"{base_path(request)}/cases/{case_id}{query}", status_code=303)


TIP_NOTES = {
    "created": "Đã tạo tin báo mới cho hồ sơ; tin báo được đưa vào quy trình xác minh và báo "
    "cáo vượt cấp.",
    "closed": "Tin báo của hồ sơ đã được đóng (không có cơ sở, ghi rõ lý do phân loại lại); "
    "lịch sử tin báo được giữ nguyên.",
    "reopened": "Tin báo của hồ sơ đã được mở lại để xác minh.",
}


def triage_flash(outcome: str | None, tip: str | None, category: str, urgent: bool) -> Any:
    """The message after a correction (the page was reloaded by the redirect)."""
    if outcome == "same":
        return flash("ok", "Phân loại không thay đổi: hồ sơ đã được lưu với phân loại này.")
    if outcome != "saved":
        return None
    text = f"Đã lưu phân loại: {category_label(category)}{', khẩn' if urgent else ''}."
    if tip in TIP_NOTES:
        text += " " + TIP_NOTES[tip]
    return flash("ok", text)


def _models_page(
    request: Request,
    user: Any,
    session: Session,
    now: datetime,
    *,
    status_code: int = 200,
    message: dict[str, str] | None = None,
) -> HTMLResponse:
    window = request.app.state.registry_factory().triage_learning.agreement_window
    return render_page(
        request,
        "triage_models.html",
        user=user,
        active="models",
        status_code=status_code,
        flash=message,
        may_switch=access_of(request, user).may(DeskAction.TRIAGE_MODEL_CHAMPION, None),
        now=now,
        **model_page(session, now=now, window=window),
    )


@router.get("/triage-models", response_class=HTMLResponse)
def models_page(
    request: Request, user: CurrentUser, session: DbSession, now: Now, done: int | None = None
):
    from citizen_desk.db.models import TriageModelVersion
    from citizen_desk.learning.versions import CHAMPION

    message = None
    row = session.get(TriageModelVersion, done) if done is not None else None
    if row is not None and row.status == CHAMPION:
        message = flash("ok", f"Phiên bản {row.version} đang được dùng để phân loại; thu thập "
                              "dùng nó từ lần chạy tới.")  # fmt: skip
    return _models_page(request, user, session, now, message=message)


@router.post("/triage-models/{model_id}/champion", response_class=HTMLResponse)
def make_model_champion(
    request: Request,
    model_id: ModelId,
    allowed: ModelChampionPermission,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    from citizen_desk.learning.versions import make_champion

    check_csrf(request, user, form)
    if form.get("confirm") != "yes":
        message = flash("error", "Thiếu xác nhận: hãy bấm nút trên trang Mô hình phân loại.")
        return _models_page(request, user, session, now, status_code=400, message=message)
    try:
        make_champion(session, model_id, actor=actor_name(user), now=now, reason="rollback")
        session.commit()
    except NotFoundError:
        session.rollback()
        raise
    except (WorkflowError, IntegrityError) as exc:
        session.rollback()
        text = (
            vietnamese(str(exc))
            if isinstance(exc, WorkflowError)
            else ("Phiên bản đang dùng vừa được người khác thay đổi; hãy tải lại trang.")
        )
        return _models_page(request, user, session, now, status_code=409,
                            message=flash("error", text))  # fmt: skip
    return RedirectResponse(f"{base_path(request)}/triage-models?done={model_id}", status_code=303)
