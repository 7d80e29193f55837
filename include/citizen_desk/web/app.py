"""The Citizen Desk pages: a FastAPI app mounted in Airflow's api-server under /citizen-desk.

Server-rendered (Jinja2, `templates/web/`, autoescaped), no JavaScript. Every route sits on one
router whose dependency `require_user` validates the Airflow login (see `auth.py`); the app has
no docs/openapi routes and no static mount, so nothing is reachable without it.

`now` is the wall clock read once per request here, at the edge, and passed to the logic.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.config import settings
from citizen_desk.domain.labels import ROLE_LABELS
from citizen_desk.errors import ConfigError, NotFoundError, WorkflowError
from citizen_desk.web import queries
from citizen_desk.web.actions import ACTIONS, TipAction
from citizen_desk.web.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CurrentUser,
    Forbidden,
    NotAuthenticated,
    actor_name,
    can_view_identity,
    check_csrf,
    csrf_cookie_value,
    csrf_token_for,
    login_url,
    require_user,
    wants_html,
)

log = logging.getLogger(__name__)
URL_PREFIX = "/citizen-desk"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(css|svg)$")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'self'; base-uri 'none'"
)
# Reports are generated HTML: inline styles allowed, nothing active (no script, no forms).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)
NAV = (
    ("overview", "", "Tổng quan"),
    ("sla", "/sla", "Hạn trả lời"),
    ("tips", "/tips", "Tin báo tố giác"),
    ("publications", "/publications", "Bài đăng & báo cáo"),
    ("collection", "/collection", "Thu thập dữ liệu"),
)
UNIT_SELECTOR_LABELS = {"self": "đơn vị", "parent": "cấp trên", "root": "cấp tỉnh"}


def request_now() -> datetime:
    """The request's `now` (overridden in tests)."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(request_now)]


def db_session(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine_factory()
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(form_data)]


def _default_engine() -> Engine:
    from citizen_desk.db.engine import get_engine

    return get_engine()


def nav_href() -> str:
    """The page's address for Airflow's navigation (honours a path in `[api] base_url`)."""
    from airflow.configuration import conf

    root = urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    return f"{root}{URL_PREFIX}/"


# --- rendering -----------------------------------------------------------------------------------


def _base(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _vietnamese(message: str) -> str:
    """The workflow's messages are "English / Vietnamese": officers get the Vietnamese half."""
    return message.rsplit(" / ", 1)[-1] if " / " in message else message


def _level_labels() -> dict[int, str]:
    labels = {-1: "Chưa báo cáo"}
    try:
        from citizen_desk.tips.views import default_registry

        ladder = default_registry().escalation.ladder
    except (ConfigError, OSError):
        return labels
    for step in ladder:
        unit = UNIT_SELECTOR_LABELS.get(step.unit)
        if unit is None and step.unit.startswith("ancestor:"):
            unit = "cấp " + {"district": "huyện"}.get(step.unit.split(":", 1)[1], "trên")
        role = ROLE_LABELS.get(step.role, step.role)
        labels[step.level] = f"Cấp {step.level} · {role} {unit or step.unit}"
    return labels


def render_page(
    request: Request,
    template: str,
    *,
    user: Any = None,
    status_code: int = 200,
    active: str = "",
    **context: Any,
) -> HTMLResponse:
    from citizen_desk.config.durations import format_duration_vi
    from citizen_desk.rendering import environment

    cookie, fresh = csrf_cookie_value(request)
    base = _base(request)
    html = (
        environment()
        .get_template(f"web/{template}")
        .render(
            base=base,
            nav=NAV,
            active=active,
            user_name=actor_name(user) if user is not None else None,
            identity_allowed=can_view_identity(user) if user is not None else False,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_token_for(cookie, user) if user is not None else "",
            duration=format_duration_vi,
            flash=context.pop("flash", None),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    if fresh and user is not None:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            path=base or "/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def _flash(kind: str, text: str) -> dict[str, str]:
    return {"kind": kind, "text": text}


# --- the app -------------------------------------------------------------------------------------


def create_app(
    *,
    engine_factory: Callable[[], Engine] | None = None,
    reports_dir: Callable[[], Path] | None = None,
) -> FastAPI:
    """The Citizen Desk FastAPI app (no DB access until the first request)."""
    app = FastAPI(
        title="Citizen Desk",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.engine_factory = engine_factory or _default_engine
    app.state.reports_dir = reports_dir or settings.reports_dir
    router = APIRouter(dependencies=[Depends(require_user)])
    _register_pages(router)
    _register_tips(router)
    _register_cases(router)
    _register_files(router)
    app.include_router(router)
    _register_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[..., Any]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.headers.get("content-type", "").startswith(("text/html", "application/json")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def _register_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if wants_html(request):
            return RedirectResponse(login_url(request), status_code=303)
        return JSONResponse(
            {"detail": "Not authenticated"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if wants_html(request):
            return render_page(request, "error.html", status_code=403, title="Không được phép",
                               message=exc.message)  # fmt: skip
        return JSONResponse({"detail": exc.message}, status_code=403)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):
            return render_page(request, "error.html", status_code=400, title="Yêu cầu không hợp lệ",
                               message="Địa chỉ hoặc tham số không hợp lệ.")  # fmt: skip
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)

    @app.exception_handler(ConfigError)
    async def config_error(request: Request, exc: ConfigError) -> Response:
        log.error("Citizen Desk configuration error: %s", exc)  # file, key and problem only
        return _server_error(request, "Cấu hình Citizen Desk chưa đúng; báo quản trị kỹ thuật.")

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> Response:
        # Only the class name: the message can quote SQL parameters (citizen text).
        log.error("Citizen Desk database error: %s", type(exc).__name__)
        return _server_error(request, "Cơ sở dữ liệu Citizen Desk chưa sẵn sàng; thử lại sau.")

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        message = _vietnamese(str(exc))
        if wants_html(request):
            return render_page(request, "error.html", status_code=404, title="Không tìm thấy",
                               message=message)  # fmt: skip
        return JSONResponse({"detail": message}, status_code=404)


def _server_error(request: Request, message: str) -> Response:
    if wants_html(request):
        return render_page(request, "error.html", status_code=503, title="Lỗi hệ thống",
                           message=message)  # fmt: skip
    return JSONResponse({"detail": message}, status_code=503)


def _register_pages(router: APIRouter) -> None:
    @router.get("/", response_class=HTMLResponse)
    def overview_page(request: Request, user: CurrentUser, session: DbSession, now: Now):
        return render_page(
            request,
            "overview.html",
            user=user,
            active="overview",
            units=queries.overview(session, now=now),
            level_labels=_level_labels(),
            week_start=queries.week_start(now),
            now=now,
        )

    @router.get("/api/overview")
    def overview_json(user: CurrentUser, session: DbSession, now: Now) -> dict[str, Any]:
        return {
            "now": now.isoformat(),
            "units": [unit.as_json() for unit in queries.overview(session, now=now)],
        }

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
    ):
        filters = queries.SlaFilters(
            unit=unit or None, category=category or None, channel=channel or None,
            state=state or None,
        )  # fmt: skip
        rows = queries.sla_board(
            session, now=now, filters=filters, limit=queries.SLA_BOARD_ROWS + 1
        )
        return render_page(
            request,
            "sla.html",
            user=user,
            active="sla",
            rows=rows[: queries.SLA_BOARD_ROWS],
            truncated=len(rows) > queries.SLA_BOARD_ROWS,
            filters=filters,
            options=queries.filter_options(session),
            now=now,
        )

    @router.get("/publications", response_class=HTMLResponse)
    def publications_page(request: Request, user: CurrentUser, session: DbSession):
        reports_dir = request.app.state.reports_dir()
        rows = queries.publications(session, reports_dir=reports_dir)
        return render_page(
            request,
            "publications.html",
            user=user,
            active="publications",
            rows=rows,
            other_reports=queries.other_reports(reports_dir, (r.report_href for r in rows)),
        )

    @router.get("/collection", response_class=HTMLResponse)
    def collection_page(request: Request, user: CurrentUser, session: DbSession, now: Now):
        return render_page(
            request,
            "collection.html",
            user=user,
            active="collection",
            channels=queries.collection_health(session, now=now),
            stale_after=queries.STALE_WATERMARK,
            now=now,
        )


def _tip_context(session: Session, tip_id: int, now: datetime) -> dict[str, Any]:
    from citizen_desk.tips import views as tips

    view = tips.get_tip(session, tip_id, now=now)
    return {
        "tip": view,
        "history": [
            (entry, _history_label(entry.action, tips.ACTION_LABELS))
            for entry in tips.tip_history(session, tip_id)
        ],
        "acks": tips.acknowledgements(session, tip_id),
        "action_labels": tips.ACTION_LABELS,
        "actions": [a for a in ACTIONS.values() if a.offered_for(view.status, view.is_open)],
        "level_labels": _level_labels(),
    }


def _history_label(action: str, labels: dict[str, str]) -> str:
    key = action.removeprefix("tip_")
    return labels.get(key) or labels.get(key.removesuffix("_set")) or action


def _confirm_page(
    request: Request,
    user: Any,
    session: Session,
    now: datetime,
    tip_id: int,
    action: TipAction,
    *,
    values: dict[str, str] | None = None,
    flash: dict[str, str] | None = None,
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
        units=queries.unit_tree(session),
        level_labels=_level_labels(),
        flash=flash,
    )


def _register_tips(router: APIRouter) -> None:
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

        units = queries.unit_tree(session)
        views = tips.list_tips(session, now=now, include_closed=closed)
        if unit:
            inside = queries.subtree_ids(units, unit)
            codes = {u.code for u in units if u.id in inside}
            views = [v for v in views if v.unit_code in codes]
        if level is not None:
            views = [v for v in views if v.level == level]
        filters = {"unit": unit, "level": level, "closed": "true" if closed else None}
        paging = queries.Paging.of(len(views), page, queries.TIPS_PER_PAGE, filters)
        return render_page(
            request,
            "tips.html",
            user=user,
            active="tips",
            tips=views[paging.start : paging.stop],
            paging=paging,
            units=units,
            unit=unit or "",
            level=level,
            closed=closed,
            level_labels=_level_labels(),
            actions=list(ACTIONS.values()),
            action_labels=tips.ACTION_LABELS,
            now=now,
        )

    @router.get("/tips/{tip_id}", response_class=HTMLResponse)
    def tip_page(
        request: Request,
        tip_id: int,
        user: CurrentUser,
        session: DbSession,
        now: Now,
        done: str | None = None,
    ):
        flash = None
        if done in ACTIONS:
            flash = _flash("ok", f"Đã ghi nhận: {ACTIONS[done].label} (người thực hiện: "
                                 f"{actor_name(user)}).")  # fmt: skip
        return render_page(
            request, "tip.html", user=user, active="tips", flash=flash,
            **_tip_context(session, tip_id, now),
        )  # fmt: skip

    @router.get("/tips/{tip_id}/actions/{action_key}", response_class=HTMLResponse)
    def tip_action_confirm(
        request: Request,
        tip_id: int,
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
        tip_id: int,
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
                flash=_flash("error", _vietnamese(str(exc))), status_code=409,
            )  # fmt: skip
        return RedirectResponse(
            f"{_base(request)}/tips/{tip_id}?done={action.key}", status_code=303
        )


def _register_cases(router: APIRouter) -> None:
    @router.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: int, user: CurrentUser, session: DbSession, now: Now):
        return render_page(
            request,
            "case.html",
            user=user,
            case=queries.case_view(session, case_id, now=now),
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
                case=queries.case_view(session, case_id, now=now),
                identities=None,
                identity_log=None,
                notice="Bạn không có quyền xem danh tính người gửi; đây là bản đã che thông tin.",
            )
        case = queries.case_view(session, case_id, now=now, redacted=False)
        # The audit row is committed before anything identifying is rendered.
        queries.log_identity_view(session, case_id, actor=actor_name(user), now=now)
        session.commit()
        return render_page(
            request,
            "case.html",
            user=user,
            case=case,
            identities=queries.case_identity(session, case_id),
            identity_log=queries.identity_view_log(session, case_id),
            notice=None,
        )


def _register_files(router: APIRouter) -> None:
    @router.get("/reports/{report_path:path}")
    def report_file(request: Request, report_path: str, user: CurrentUser) -> FileResponse:
        path = queries.resolve_report(report_path, request.app.state.reports_dir())
        return FileResponse(
            path,
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"},
        )

    @router.get("/static/{name}")
    def static_file(name: str, user: CurrentUser) -> FileResponse:
        path = STATIC_DIR / name
        if not STATIC_NAME.match(name) or not path.is_file():
            raise NotFoundError("không có tệp này")
        return FileResponse(
            path,
            media_type=STATIC_TYPES[path.suffix],
            headers={"Cache-Control": "private, max-age=3600"},
        )
