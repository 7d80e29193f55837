"""Zalo Official Account API (openapi.zalo.me) and OAuth v4 (oauth.zaloapp.com).

Every OA API answer is HTTP 200; failures carry a negative ``error``. OAuth errors are HTTP 200
too, shaped ``{"error": -14014, "error_name": ..., "error_reason": ..., "ref_doc": ...}``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from platform_simulator import zalo_articles
from platform_simulator.web import Request, Response, json_response

if TYPE_CHECKING:
    from platform_simulator.config import Channel
    from platform_simulator.simulator import Simulator

WINDOW_MS = 7 * 86_400_000
RECENT_MESSAGES = "messages"  # listrecentchat: one row per message (default)
RECENT_PER_USER = "latest_per_user"  # listrecentchat: one latest row per user
QUOTA_DROPPED_MS = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp() * 1000)
OA_ERRORS = {
    -32: "Your application/OA reached limit call api",
    -201: "{field} is invalid!",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
}
OAUTH_DOC = (
    "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new"
)
OAUTH_ERRORS = {
    -14001: ("Invalid parameter", "A required parameter is missing or has a wrong value"),
    -14002: ("Invalid appId", "The app_id does not exist"),
    -14004: ("Invalid secret key", "The secret_key header does not match the app"),
    -14005: ("Invalid grant type", "grant_type must be refresh_token or authorization_code"),
    -14014: ("Invalid refresh token", "Refresh token is invalid, expired or has been used"),
    -14019: ("Invalid authorization code", "The authorization code is invalid or expired"),
}


ACCESS_PREFIX = "sim-zalo-access-"  # then the OA id, "-", the rotation number


def initial_tokens(oa_id: str, start_ms: int, ttl_s: int) -> dict[str, Any]:
    return {
        "n": 0,
        "refresh": f"sim-refresh-{oa_id}-0",
        "used_refresh": [],
        "access": {f"{ACCESS_PREFIX}{oa_id}-0": start_ms + ttl_s * 1000},
    }


def _newest_first(msg: dict[str, Any]) -> tuple[int, int]:
    """Sort key; a time a test corrupted on purpose (not an int) sorts as the oldest."""
    time = msg["time"]
    return (time if isinstance(time, int) and not isinstance(time, bool) else 0, msg["seq"])


def zalo_ok(data: Any) -> dict[str, Any]:
    return {"data": data, "error": 0, "message": "Success"}


class ZaloError(Exception):
    def __init__(self, code: int, field: str = "") -> None:
        message = OA_ERRORS[code].format(field=field)
        super().__init__(message)
        self.code = code
        self.message = message


class HttpRateLimited(Exception):
    """A gateway in front of the OA API answering HTTP 429 (no Zalo source shows Zalo itself
    doing so: docs/research/platform-facts.md Z3); ``retry_after`` seconds, or no header."""

    def __init__(self, retry_after: Any) -> None:
        super().__init__("429")
        self.retry_after = retry_after


class ZaloApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.articles = zalo_articles.ZaloArticles(sim)

    @staticmethod
    def endpoint(path: str) -> str:
        if path.rstrip("/").endswith("/oa/access_token"):
            return "zalo.oauth"
        article = zalo_articles.endpoint(path)
        if article is not None:
            return article
        tail = path.rstrip("/").rsplit("/oa/", 1)[-1]
        return {
            "listrecentchat": "zalo.listrecentchat",
            "conversation": "zalo.conversation",
            "message/cs": "zalo.send",
            "getoa": "zalo.getoa",
        }.get(tail, "zalo.other")

    def server_error(self) -> Response:
        html = (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return Response(status=502, body=html.encode(), content_type="text/html")

    # ------------------------------------------------------------------ OA API

    def handle(self, req: Request, endpoint: str) -> Response:
        if endpoint == "zalo.oauth":
            return self.oauth(req)
        oa_id: str | None = None
        limited = False
        try:
            token = str(req.headers.get("access_token") or req.query.get("access_token") or "")
            oa_id = self._oa_for_token(token)
            self.sim.stats.by_key("zalo", oa_id)
            self._check_rate(oa_id, endpoint)
            channel = self.sim.world.by_platform_id[oa_id]
            if endpoint == "zalo.listrecentchat" and req.method == "GET":
                payload = self.list_recent(channel, self._data_param(req))
            elif endpoint == "zalo.conversation" and req.method == "GET":
                payload = self.conversation(channel, self._data_param(req))
            elif endpoint == "zalo.send" and req.method == "POST":
                payload = self.send(channel, req.json_body())
            elif endpoint == "zalo.getoa" and req.method == "GET":
                payload = zalo_ok(self._oa_info(channel))
            elif endpoint in zalo_articles.ENDPOINTS.values():
                payload = self.articles.handle(channel, endpoint, req.method, req)
            else:
                payload = {"error": -209, "message": "Not supported this api"}
        except HttpRateLimited as err:
            self.sim.stats.error("zalo", 429, oa_id)
            html = b"<html><head><title>429 Too Many Requests</title></head></html>"
            response = Response(status=429, body=html, content_type="text/html")
            if err.retry_after is not None:
                response.set_header("Retry-After", str(err.retry_after))
            return response
        except (ZaloError, zalo_articles.ArticleError) as err:
            payload = {"error": err.code, "message": err.message}
            limited = err.code == -32
            self.sim.stats.error("zalo", err.code, oa_id)
        response = json_response(payload)
        self._rate_headers(response, oa_id, limited)
        return response

    def _oa_for_token(self, token: str) -> str:
        now = self.sim.now_ms()
        for oa_id, tokens in self._token_candidates(token):
            expires = tokens["access"].get(token)
            if expires is None:
                continue
            fault = self.sim.faults.token_fault(oa=oa_id)
            if fault == "invalid":
                raise ZaloError(-216)
            if fault == "expired" or now >= expires:
                raise ZaloError(-220)
            return str(oa_id)
        raise ZaloError(-216)

    def _token_candidates(self, token: str) -> list[tuple[str, dict[str, Any]]]:
        """The OA the access token names (`sim-zalo-access-<oa>-<n>[-<suffix>]`, see `rotate`):
        one lookup, not a scan of every OA's tokens on every request (3,215 OAs at national
        size); any other token, every OA."""
        all_tokens = self.sim.world.state["zalo_tokens"]
        if token.startswith(ACCESS_PREFIX):
            oa_id = token.removeprefix(ACCESS_PREFIX).split("-", 1)[0]
            tokens = all_tokens.get(oa_id)
            return [(oa_id, tokens)] if tokens is not None else []
        return list(all_tokens.items())

    def _check_rate(self, oa_id: str, endpoint: str) -> None:
        window = self.sim.limits.zalo
        now = self.sim.world_clock.rate_seconds()
        fault = self.sim.faults.rate_limited(endpoint, oa=oa_id)
        if fault is not None and fault.get("http_status") == 429:
            self.sim.stats.rate_limited("zalo")
            raise HttpRateLimited(fault.get("retry_after"))
        if fault is not None or window.exceeded(oa_id, now):
            self.sim.stats.rate_limited("zalo")
            raise ZaloError(-32)
        window.record(oa_id, now)

    def _rate_headers(self, response: Response, oa_id: str | None, limited: bool) -> None:
        window = self.sim.limits.zalo
        limit = window.budget
        remain = limit
        if oa_id is not None:
            remain = max(0, limit - window.count(oa_id, self.sim.world_clock.rate_seconds()))
        if limited:
            remain = 0
        response.set_header("X-RateLimit-Limit", str(limit))
        response.set_header("X-RateLimit-Remain", str(remain))

    @staticmethod
    def _data_param(req: Request) -> dict[str, Any]:
        raw = req.query.get("data")
        if raw is None:
            raise ZaloError(-201, "data")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ZaloError(-201, "data") from exc
        if not isinstance(data, dict):
            raise ZaloError(-201, "data")
        return data

    @staticmethod
    def _offset_count(data: dict[str, Any]) -> tuple[int, int]:
        try:
            offset = int(data.get("offset", 0))
        except (TypeError, ValueError) as exc:
            raise ZaloError(-201, "offset") from exc
        try:
            count = int(data.get("count", 5))
        except (TypeError, ValueError) as exc:
            raise ZaloError(-201, "count") from exc
        if offset < 0:
            raise ZaloError(-201, "offset")
        if not 1 <= count <= 10:
            raise ZaloError(-201, "count")
        return offset, count

    def _oa_info(self, channel: Channel) -> dict[str, Any]:
        return {
            "oa_id": channel.platform_id,
            "name": channel.name,
            "description": f"Kênh Zalo chính thức của {channel.name}",
            "avatar": self._oa_avatar(channel),
            "is_verified": True,
        }

    @staticmethod
    def _oa_avatar(channel: Channel) -> str:
        return f"https://s160-ava-talk.zadn.vn/sim/oa-{channel.platform_id}.jpg"

    def item(self, channel: Channel, msg: dict[str, Any]) -> dict[str, Any]:
        person = self.sim.world.zalo_person(channel, msg["user_id"])
        user_name = person["name"] if person else "Người dùng Zalo"
        user_avatar = (person or {}).get("avatar") or "https://s120-ava-talk.zadn.vn/default"
        oa_side = (channel.platform_id, channel.name, self._oa_avatar(channel))
        user_side = (msg["user_id"], user_name, user_avatar)
        sender, receiver = (user_side, oa_side) if msg["src"] == 1 else (oa_side, user_side)
        out = {
            "src": msg["src"],
            "time": msg["time"],
            "type": msg["type"],
            "message": msg["message"],
            "message_id": msg["id"],
            "from_id": sender[0],
            "to_id": receiver[0],
            "from_display_name": sender[1],
            "from_avatar": sender[2],
            "to_display_name": receiver[1],
            "to_avatar": receiver[2],
        }
        if msg.get("url"):
            out["url"] = msg["url"]
            out["thumb"] = msg.get("thumb", msg["url"])
        return out

    def list_recent(self, channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
        """The OA's latest messages across users, newest first, one row per MESSAGE: offsets
        cross thread boundaries (docs/research/platform-facts.md §7, Z1). With
        ``zalo_recent_mode = "latest_per_user"`` it shows one latest row per user instead (the
        older reading of the endpoint, kept to test readers against both)."""
        offset, count = self._offset_count(data)
        threads = self.sim.world.state["zalo_threads"].get(channel.platform_id, {})
        if self.sim.cfg.zalo_recent_mode == RECENT_PER_USER:
            rows = [msgs[-1] for msgs in threads.values() if msgs]
        else:
            rows = [m for msgs in threads.values() for m in msgs]
        rows.sort(key=_newest_first, reverse=True)
        page = self._page(rows, offset, count, "zalo.listrecentchat")
        return zalo_ok([self.item(channel, m) for m in page])

    def conversation(self, channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
        user_id = str(data.get("user_id") or "")
        if not user_id.isdigit():
            raise ZaloError(-201, "user_id")
        offset, count = self._offset_count(data)
        msgs = list(reversed(self.sim.world.zalo_thread(channel.platform_id, user_id)))
        page = self._page(msgs, offset, count, "zalo.conversation")
        return zalo_ok([self.item(channel, m) for m in page])

    def _page(self, rows: list[Any], offset: int, count: int, endpoint: str) -> list[Any]:
        """`rows[offset:offset+count]`; a `truncated_pages` fault answers a page that is not the
        last one `drop` rows short (at least one row stays): offset paging hides nothing, the
        next offset serves them, but a client that takes a short page for the end loses them."""
        page = rows[offset : offset + count]
        if offset + count >= len(rows):
            return page
        fault = self.sim.faults.take("truncated_pages", endpoint)
        if fault is None:
            return page
        drop = max(1, min(int(fault.get("drop", 1)), len(page) - 1))
        return page[: len(page) - drop]

    def send(self, channel: Channel, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ZaloError(-201, "body")
        recipient = body.get("recipient")
        user_id = str(recipient.get("user_id") or "") if isinstance(recipient, dict) else ""
        if not user_id.isdigit():
            raise ZaloError(-201, "user_id")
        message = body.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > 2000:
            raise ZaloError(-201, "text")
        thread = self.sim.world.zalo_thread(channel.platform_id, user_id)
        if not thread:
            raise ZaloError(-213)
        now = self.sim.now_ms()
        last_user = max((m["time"] for m in thread if m["src"] == 1), default=None)
        if last_user is None or now - last_user > WINDOW_MS:
            raise ZaloError(-230)
        message_id = self.sim.world.send_zalo(channel, user_id, text, now)
        self.sim.mark_dirty()
        data: dict[str, Any] = {"message_id": message_id, "user_id": user_id, "sent_time": str(now)}
        if now < QUOTA_DROPPED_MS:
            data["quota"] = {"quota_type": "reply", "remain": "8", "total": "8"}
        return zalo_ok(data)

    # ------------------------------------------------------------------ OAuth v4

    @staticmethod
    def oauth_error(code: int) -> Response:
        name, reason = OAUTH_ERRORS[code]
        return json_response(
            {
                "error": code,
                "error_name": name,
                "error_reason": reason,
                "ref_doc": OAUTH_DOC,
                "error_description": reason,
            }
        )

    def oauth(self, req: Request) -> Response:
        if req.method != "POST":
            return self.oauth_error(-14001)
        params = req.params()
        app_id = str(params.get("app_id") or "")
        oa_id = app_id.removeprefix("sim-app-")
        tokens = self.sim.world.state["zalo_tokens"].get(oa_id)
        if not app_id.startswith("sim-app-") or tokens is None:
            self.sim.stats.error("zalo_oauth", -14002, None)
            return self.oauth_error(-14002)
        self.sim.stats.by_key("zalo_oauth", oa_id)
        if str(req.headers.get("secret_key") or "") != f"sim-secret-{oa_id}":
            self.sim.stats.error("zalo_oauth", -14004, oa_id)
            return self.oauth_error(-14004)
        grant = str(params.get("grant_type") or "")
        if grant == "refresh_token":
            presented = str(params.get("refresh_token") or "")
            if not presented or presented != tokens["refresh"]:
                self.sim.stats.error("zalo_oauth", -14014, oa_id)
                return self.oauth_error(-14014)
        elif grant == "authorization_code":
            if str(params.get("code") or "") != f"sim-auth-code-{oa_id}":
                self.sim.stats.error("zalo_oauth", -14019, oa_id)
                return self.oauth_error(-14019)
        else:
            self.sim.stats.error("zalo_oauth", -14005, oa_id)
            return self.oauth_error(-14005)
        access, refresh = self.rotate(oa_id)
        ttl = self.sim.cfg.zalo_token_ttl_seconds
        return json_response(
            {"access_token": access, "refresh_token": refresh, "expires_in": str(ttl)}
        )

    def rotate(self, oa_id: str) -> tuple[str, str]:
        """Issue a new access/refresh pair; the old refresh token dies."""
        tokens = self.sim.world.state["zalo_tokens"][oa_id]
        n = int(tokens["n"]) + 1
        suffix = hashlib.sha256(f"{self.sim.cfg.seed}|{oa_id}|{n}".encode()).hexdigest()[:10]
        access = f"{ACCESS_PREFIX}{oa_id}-{n}-{suffix}"
        refresh = f"sim-refresh-{oa_id}-{n}-{suffix}"
        tokens["used_refresh"].append(tokens["refresh"])
        tokens["refresh"] = refresh
        tokens["n"] = n
        expires = self.sim.now_ms() + self.sim.cfg.zalo_token_ttl_seconds * 1000
        tokens["access"][access] = expires
        self.sim.mark_dirty()
        return access, refresh
