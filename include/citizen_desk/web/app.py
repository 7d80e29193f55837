"""The Citizen Desk pages: a FastAPI app mounted in Airflow's api-server under /citizen-desk.

Server-rendered (Jinja2, `templates/web/`, autoescaped), no JavaScript. Every route sits on one
router whose dependency `require_user` validates the Airflow login (see `auth.py`); the app has
no docs/openapi routes and no static mount, so nothing is reachable without it, except the
Slack app's Interactivity Request URL (`routes/slack.py`, `POST /slack/interactions`), which
Slack calls without any Airflow login and which accepts only requests signed with the Slack app's
signing secret. The routes live
in `routes/` (one module per page), their read models in the page modules (`overview`,
`sla_board`, `tips_board`, `cases`, `publications`, `health`).

`now` is the wall clock read once per request, at the edge (`deps.request_now`), and passed to
the logic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citizen_desk.config import settings
from citizen_desk.errors import ConfigError, NotFoundError
from citizen_desk.web.auth import Forbidden, NotAuthenticated, login_url, require_user, wants_html
from citizen_desk.web.render import render_page, vietnamese
from citizen_desk.web.routes import PUBLIC_ROUTERS, ROUTERS

if TYPE_CHECKING:
    from citizen_desk.config.registry import Registry

log = logging.getLogger(__name__)
URL_PREFIX = settings.PAGE_PATH  # "/citizen-desk"
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'self'; base-uri 'none'"
)


def _default_engine() -> Engine:
    from citizen_desk.db.engine import get_engine

    return get_engine()


def _connection_signing_secret() -> str:
    from citizen_desk.notify.slack import signing_secret_from_connection

    return signing_secret_from_connection()


def _current_registry() -> Registry:
    from citizen_desk.config.registry import current_registry

    return current_registry()


def nav_href() -> str:
    """The page's address for Airflow's navigation (honours a path in `[api] base_url`)."""
    from airflow.configuration import conf

    root = urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    return f"{root}{URL_PREFIX}/"


def create_app(
    *,
    engine_factory: Callable[[], Engine] | None = None,
    reports_dir: Callable[[], Path] | None = None,
    slack_signing_secret: Callable[[], str] | None = None,
    registry_factory: Callable[[], Registry] | None = None,
) -> FastAPI:
    """The Citizen Desk FastAPI app (no DB access until the first request).

    `slack_signing_secret` defaults to the `citizen_desk_slack` connection's extra
    `signing_secret`, read per request (a rotated secret needs no restart).
    """
    from citizen_desk.privacy.logfilter import install_log_filter

    install_log_filter()  # the api-server's logs are read by every Airflow user too
    app = FastAPI(
        title="Citizen Desk",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.engine_factory = engine_factory or _default_engine
    app.state.reports_dir = reports_dir or settings.reports_dir
    app.state.slack_signing_secret = slack_signing_secret or _connection_signing_secret
    app.state.registry_factory = registry_factory or _current_registry
    router = APIRouter(dependencies=[Depends(require_user)])
    for page_router in ROUTERS:
        router.include_router(page_router)
    app.include_router(router)
    for public_router in PUBLIC_ROUTERS:  # authenticated by Slack's signature, not a login
        app.include_router(public_router)
    _register_handlers(app)

    app.add_middleware(PageMiddleware, public_paths=_paths(PUBLIC_ROUTERS))
    return app


def _paths(routers: tuple[APIRouter, ...]) -> frozenset[str]:
    return frozenset(getattr(route, "path", "") for router in routers for route in router.routes)


class PageMiddleware:
    """Security headers on every answer, and the registry notice for the pages.

    A plain ASGI middleware (`@app.middleware("http")` costs a task group and a stream per
    request). The notice is read before the route, so a broken registry file is replaced by
    the snapshot in the app's DB; the signed platform callbacks (`public_paths`) render no page
    and skip it: the webhook receivers answer with one INSERT and nothing else.
    """

    def __init__(self, app: ASGIApp, public_paths: frozenset[str]) -> None:
        self.app = app
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        if (path.removeprefix(root) if root else path) not in self.public_paths:
            from citizen_desk.web.notice import registry_notice

            engine = scope["app"].state.engine_factory()
            notice = await run_in_threadpool(registry_notice, engine)
            scope.setdefault("state", {})["registry_notice"] = notice

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", PAGE_CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith(("text/html", "application/json")):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
        message = vietnamese(str(exc))
        if wants_html(request):
            return render_page(request, "error.html", status_code=404, title="Không tìm thấy",
                               message=message)  # fmt: skip
        return JSONResponse({"detail": message}, status_code=404)


def _server_error(request: Request, message: str) -> Response:
    if wants_html(request):
        return render_page(request, "error.html", status_code=503, title="Lỗi hệ thống",
                           message=message)  # fmt: skip
    return JSONResponse({"detail": message}, status_code=503)
