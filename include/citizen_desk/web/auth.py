"""Who may use the Citizen Desk pages: Airflow's own login, checked on every route.

Airflow 3 does not protect plugin FastAPI apps, so every route of the app depends on
`require_user`, which delegates to the api-server's own `get_user` (the `Authorization: Bearer`
header wins, else the `_token` cookie set by the UI login; the JWT is validated, including
revocation at logout, by the configured auth manager). The user must then pass the auth manager's
`is_authorized_custom_view("GET", "Citizen Desk")`: that opens the pages for *reading* only
(SimpleAuthManager: every logged-in user; FAB: the roles given "can read on Citizen Desk" by
`citizen-desk fab-access`). Writes and the identity view are decided by the Citizen Desk roles
(`web/permissions.py`, `citizen_desk.access`), whichever the auth manager: SimpleAuthManager
ignores the method, FAB would ask a POST for a permission of its own.

CSRF (form POSTs, cookie sessions): the Origin header (or, without it, the Referer) must name this
host (an opaque `Origin: null` is refused), and the form must carry a token that is an HMAC over
a random `cd_csrf` cookie and the user id, keyed with Airflow's `[api] secret_key` (a signed
double-submit cookie, bound to the user).
Requests authenticated by a Bearer header cannot be forged by another site and skip both checks.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

RESOURCE_NAME = "Citizen Desk"
CSRF_COOKIE = "cd_csrf"
CSRF_FIELD = "csrf_token"


class NotAuthenticated(Exception):
    """No valid Airflow session: browsers go to the login page, API clients get 401."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class Forbidden(Exception):
    """Logged in, but not allowed (403); the message is shown to the user (Vietnamese)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


async def require_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> BaseUser:
    """The logged-in Airflow user (router dependency: runs before every handler)."""
    try:
        user = await get_user(request, None, bearer)
    except HTTPException as exc:  # 401 missing/expired, 403 invalid or revoked token
        raise NotAuthenticated(str(exc.detail)) from None
    # Always asked as a read, whatever the request's method: FAB would turn a POST into a second
    # permission ("can create on Citizen Desk") that no registry officer's FAB role holds; writes
    # are decided by the registry's roles (`web/permissions.py`), under every auth manager.
    allowed = get_auth_manager().is_authorized_custom_view(
        method="GET", resource_name=RESOURCE_NAME, user=user
    )
    if not allowed:
        if getattr(user, "is_anonymous", False) is True:  # FAB public access: log in first
            raise NotAuthenticated("anonymous user without the Citizen Desk page")
        raise Forbidden("Tài khoản của bạn không có quyền truy cập Citizen Desk.")
    request.state.citizen_desk_bearer = bool(bearer and bearer.scheme.lower() == "bearer")
    return user


CurrentUser = Annotated[BaseUser, Depends(require_user)]


def actor_name(user: BaseUser) -> str:
    """The name recorded as `actor` in audit rows."""
    return user.get_name()


def all_admins_mode() -> bool:
    """SimpleAuthManager's no-login mode: nobody is identified, so nobody gets a role. The flag
    means nothing to another auth manager (FAB users are identified even if it was left set)."""
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
    from airflow.configuration import conf

    if not isinstance(get_auth_manager(), SimpleAuthManager):
        return False
    return conf.getboolean("core", "simple_auth_manager_all_admins", fallback=False)


def identified(user: BaseUser) -> bool:
    """A person who logged in, whose name may carry registry roles: not SimpleAuthManager's
    all-admins mode, not FAB's public access (`[fab] auth_role_public`: an anonymous user named
    "Anonymous", which a real account could also be called)."""
    return not all_admins_mode() and getattr(user, "is_anonymous", False) is not True


def login_url(request: Request) -> str:
    """Airflow's login page, coming back to the requested page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return get_auth_manager().get_url_login(next_url=target)


def wants_html(request: Request) -> bool:
    """A browser page request (redirect to login) rather than an API call (401)."""
    if "/api/" in request.url.path:
        return False
    return "text/html" in request.headers.get("accept", "")


# --- CSRF ----------------------------------------------------------------------------------------


def _secret() -> bytes:
    from airflow.api_fastapi.auth.tokens import get_signing_key

    return get_signing_key("api", "secret_key").encode()


def csrf_token_for(cookie_value: str, user: BaseUser) -> str:
    message = f"citizen-desk-csrf|{cookie_value}|{user.get_id()}".encode()
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


def csrf_cookie_value(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie, or a fresh one (True: it must be set on the response)."""
    value = request.cookies.get(CSRF_COOKIE)
    if value and 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def _origin_host(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower()


def _allowed_hosts(request: Request) -> set[str]:
    from airflow.configuration import conf

    hosts = {request.headers.get("host", "").lower()}
    base_url = conf.get("api", "base_url", fallback="")
    if base_url and (host := _origin_host(base_url)):
        hosts.add(host)
    hosts.discard("")
    return hosts


def check_csrf(request: Request, user: BaseUser, form: Any) -> None:
    """Refuse a cross-site form POST (raises Forbidden)."""
    if getattr(request.state, "citizen_desk_bearer", False):
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or _origin_host(source) not in _allowed_hosts(request):
        raise Forbidden("Yêu cầu bị từ chối: không xuất phát từ trang Citizen Desk (CSRF).")
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = form.get(CSRF_FIELD) if form is not None else None
    if not cookie or not isinstance(sent, str):
        raise Forbidden("Yêu cầu bị từ chối: thiếu mã chống giả mạo (CSRF). Hãy tải lại trang.")
    if not hmac.compare_digest(sent, csrf_token_for(cookie, user)):
        raise Forbidden(
            "Yêu cầu bị từ chối: mã chống giả mạo (CSRF) không đúng. Hãy tải lại trang."
        )
