"""Rendering a page: the layout's context (navigation, user, CSRF token) and the CSRF cookie."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from citizen_desk.errors import ConfigError
from citizen_desk.web.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    actor_name,
    csrf_cookie_value,
    csrf_token_for,
)

NAV = (
    ("overview", "", "Tổng quan"),
    ("sla", "/sla", "Hạn trả lời"),
    ("tips", "/tips", "Tin báo tố giác"),
    ("publications", "/publications", "Bài đăng & báo cáo"),
    ("collection", "/collection", "Thu thập dữ liệu"),
    ("models", "/triage-models", "Mô hình phân loại"),
)


def base_path(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def vietnamese(message: str) -> str:
    """The workflow's messages are "English / Vietnamese": officers get the Vietnamese half."""
    return message.rsplit(" / ", 1)[-1] if " / " in message else message


def flash(kind: str, text: str) -> dict[str, str]:
    return {"kind": kind, "text": text}


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
    from citizen_desk.domain.vocabulary import DeskAction
    from citizen_desk.rendering import environment
    from citizen_desk.web.permissions import access_of

    cookie, fresh = csrf_cookie_value(request)
    base = base_path(request)
    access = access_of(request, user)
    html = (
        environment()
        .get_template(f"web/{template}")
        .render(
            base=base,
            nav=NAV,
            active=active,
            user_name=actor_name(user) if user is not None else None,
            identity_allowed=context.pop(
                "identity_allowed", access.holds(DeskAction.IDENTITY_VIEW)
            ),
            can=access.may,  # can(permission, unit_code): offer only what the route will allow
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_token_for(cookie, user) if user is not None else "",
            duration=format_duration_vi,
            flash=context.pop("flash", None),
            registry_notice=getattr(request.state, "registry_notice", None),
            timezone=context.pop("timezone", None) or _page_zone(),
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


def _page_zone() -> ZoneInfo | None:
    """The registry's zone, read once per page (`local_time` would read it for every value).

    None when the registry cannot be read: error pages must still render, and a page that shows
    a time then raises from `local_time` as before.
    """
    from citizen_desk.config.registry import deployment_zone

    try:
        return deployment_zone()
    except (ConfigError, OSError):
        return None
