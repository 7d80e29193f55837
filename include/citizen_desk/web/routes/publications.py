"""/publications and /reports/…: the weekly posts and the report files; /publications/{id}/edit:
an approver's corrected text of a post awaiting approval.

Both edit routes depend on `publication_edit_permission` (a publication approver of the post's
unit). The POSTed text goes through the PII gate before it is stored (`publication.revisions`);
a refusal names the kinds of finding and shows the text with them masked, never the finding.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citizen_desk.domain.labels import PII_KIND_LABELS
from citizen_desk.domain.vocabulary import DeskAction
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.publication.revisions import MASKED, save_revision
from citizen_desk.web.auth import CurrentUser, actor_name, check_csrf
from citizen_desk.web.deps import DbSession, FormData, Now, PublicationId
from citizen_desk.web.permissions import PublicationEditPermission
from citizen_desk.web.publications import (
    other_reports,
    publication_edit_view,
    publications,
    resolve_report,
)
from citizen_desk.web.render import base_path, flash, render_page, vietnamese

TEXT_FIELD = "text"

# Reports are generated HTML: inline styles allowed, nothing active (no script, no forms).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)

router = APIRouter()


@router.get("/publications", response_class=HTMLResponse)
def publications_page(request: Request, user: CurrentUser, session: DbSession):
    reports_dir = request.app.state.reports_dir()
    rows = publications(session, reports_dir=reports_dir)
    return render_page(
        request,
        "publications.html",
        user=user,
        active="publications",
        rows=rows,
        other_reports=other_reports(reports_dir, (r.report_href for r in rows)),
        edit_permission=DeskAction.PUBLICATION_EDIT,
    )


def refusal_message(kinds: tuple[str, ...]) -> str:
    """Why a text was not stored, by kind of finding (never the finding itself)."""
    pii = [PII_KIND_LABELS.get(k, k) for k in kinds if k not in ("too_long", MASKED)]
    parts = []
    if pii:
        parts.append(
            f"bản sửa có thông tin cá nhân ({', '.join(pii)}), không được đăng công khai. Trong ô "
            "bên dưới, các chỗ đó đã được thay bằng nhãn như [SĐT], [TÊN]: hãy viết lại các "
            "câu đó không có thông tin cá nhân rồi lưu"
        )
    elif MASKED in kinds:
        parts.append(
            "bản sửa còn nhãn che thông tin như [SĐT], [TÊN]; bài đăng không được chứa các nhãn "
            "này: hãy viết lại các câu đó rồi lưu"
        )
    if "too_long" in kinds:
        parts.append(f"bản sửa {PII_KIND_LABELS['too_long']}")
    return "Chưa lưu: " + "; ".join(parts) + ". Không có gì được lưu."


def _edit_page(
    request: Request,
    user: Any,
    session: Session,
    publication_id: int,
    *,
    text: str | None = None,
    message: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = publication_edit_view(session, publication_id)
    return render_page(
        request,
        "publication_edit.html",
        user=user,
        active="publications",
        status_code=status_code,
        view=view,
        post=view.post,
        text=view.post.text if text is None else text,
        text_field=TEXT_FIELD,
        flash=message,
    )


@router.get("/publications/{publication_id}/edit", response_class=HTMLResponse)
def publication_edit_form(
    request: Request,
    publication_id: PublicationId,
    unit: PublicationEditPermission,
    user: CurrentUser,
    session: DbSession,
    saved: int | None = None,
):
    message = None
    if saved is not None:
        message = flash(
            "ok",
            f"Đã lưu bản sửa số {saved}. Bây giờ vào Browse → Required Actions, mở yêu cầu duyệt "
            "bài này và chọn Duyệt đăng: bài được đăng là bản sửa mới nhất đã lưu trước khi duyệt.",
        )
    return _edit_page(request, user, session, publication_id, message=message)


@router.post("/publications/{publication_id}/edit", response_class=HTMLResponse)
def publication_edit(
    request: Request,
    publication_id: PublicationId,
    unit: PublicationEditPermission,
    user: CurrentUser,
    form: FormData,
    session: DbSession,
    now: Now,
):
    check_csrf(request, user, form)
    raw = form.get(TEXT_FIELD, "")
    if not raw.strip():
        return _edit_page(
            request, user, session, publication_id, status_code=400,
            message=flash("error", "Chưa lưu: nội dung sửa đang để trống."),
        )  # fmt: skip
    try:
        outcome = save_revision(
            session,
            publication_id,
            raw,
            editor=actor_name(user),
            now=now,
            zone=request.app.state.registry_factory().timezone,
        )
        session.commit()  # a refusal too: its audit row (kinds only)
    except NotFoundError:
        session.rollback()
        raise
    except WorkflowError as exc:  # no longer awaiting approval, or not a Facebook post
        session.rollback()
        message = flash("error", f"Chưa lưu: {vietnamese(str(exc))}.")
        return _edit_page(request, user, session, publication_id, message=message, status_code=409)
    except IntegrityError:  # another approver's edit took the same number
        session.rollback()
        message = flash("error", "Một bản sửa khác vừa được lưu cùng lúc; xem lại rồi lưu lại.")
        return _edit_page(request, user, session, publication_id, message=message, status_code=409)
    if outcome.refused:
        return _edit_page(
            request, user, session, publication_id, text=outcome.redacted,
            message=flash("error", refusal_message(outcome.kinds)), status_code=422,
        )  # fmt: skip
    if not outcome.stored:
        return _edit_page(
            request, user, session, publication_id,
            message=flash("ok", "Nội dung không thay đổi: không có bản sửa mới."),
        )  # fmt: skip
    return RedirectResponse(
        f"{base_path(request)}/publications/{publication_id}/edit?saved={outcome.revision}",
        status_code=303,
    )


@router.get("/reports/{report_path:path}")
def report_file(request: Request, report_path: str, user: CurrentUser) -> FileResponse:
    path = resolve_report(report_path, request.app.state.reports_dir())
    return FileResponse(
        path,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"},
    )
