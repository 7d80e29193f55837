"""Facebook Graph API: pages, Messenger conversations, posts, comments, insights, Send API."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from platform_simulator.clock import from_ms, graph_time
from platform_simulator.fields import FieldSpec, FieldSyntaxError, fields_to_string, parse_fields
from platform_simulator.web import Request, Response, json_response
from platform_simulator.world import DAY_MS, LOCAL_TZ, MINUTE_MS, parse_time

if TYPE_CHECKING:
    from platform_simulator.config import Channel
    from platform_simulator.simulator import Simulator

TOKEN_RE = re.compile(r"^sim-page-token-(\d+)$")
SIM_APP_ID = "1234567890123456"
# What the demo app's Page tokens were granted (`missing_permission` faults take one away).
PAGE_SCOPES = (
    "pages_show_list",
    "pages_messaging",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "pages_manage_posts",
)
ABSENT = object()
NODE_TYPES = {
    "page": "Page",
    "conversation": "UnifiedThread",
    "message": "Message",
    "post": "PagePost",
    "comment": "Comment",
}
DEFAULT_FIELDS = {
    "page": ("name", "id"),
    "conversation": ("id", "updated_time"),
    "conversation_node": ("id",),
    "message": ("id", "created_time"),
    "post": ("created_time", "message", "id"),
    "comment": ("created_time", "from", "message", "id"),
}
RATE_MESSAGES = {
    4: ("(#4) Application request limit reached", 403),
    17: ("(#17) User request limit reached", 403),
    32: ("(#32) Page request limit reached", 403),
    613: ("Calls to this api have exceeded the rate limit.", 400),
    80001: (
        "(#80001) There have been too many calls to this Page account. Wait a bit and try "
        "again. For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        400,
    ),
    80006: (
        "(#80006) There have been too many messages sent to this Messenger account. "
        "Please wait a while before sending more messages.",
        400,
    ),
}
SEND_WINDOW_MS = 24 * 3600 * 1000
HUMAN_AGENT_WINDOW_MS = 7 * DAY_MS
MESSAGE_TAGS = {"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"}
INSIGHT_METRICS = {
    "page_impressions": (
        "Daily Total Impressions",
        "The number of times any content from "
        "your Page or about your Page entered a person's screen.",
    ),
    "page_impressions_unique": (
        "Daily Total Reach",
        "The number of people who had any "
        "content from your Page or about your Page enter their screen.",
    ),
    "page_post_engagements": (
        "Daily Post Engagements",
        "The number of times people have "
        "engaged with your posts through reactions, comments and shares.",
    ),
    "page_follows": ("Daily Follows", "The number of followers of your Page."),
    "page_daily_follows_unique": (
        "Daily New Follows",
        "The number of new followers of your Page.",
    ),
    "page_views_total": (
        "Daily Total views count per Page",
        "The number of times a Page's profile has been viewed by logged in and logged out people.",
    ),
}
PACIFIC = timezone(timedelta(hours=-8))


class GraphError(Exception):
    """A Graph API error response."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        transient: bool = False,
        user_title: str | None = None,
        user_msg: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type_
        self.subcode = subcode
        self.transient = transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.usage = usage  # header overrides: {"buc": {...}, "app": {...}}


def unknown_object(object_id: str, method: str) -> GraphError:
    verb = "post" if method == "POST" else ("delete" if method == "DELETE" else "get")
    return GraphError(
        400,
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        type_="GraphMethodException",
        subcode=33,
    )


def bad_param(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(400, 100, message, subcode=subcode)


def encode_cursor(key: str) -> str:
    return base64.b64encode(f"sim1:{key}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.b64decode(cursor.encode(), validate=False).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_param("(#100) The parameter cursor is not a valid cursor") from exc
    if not text.startswith("sim1:"):
        raise bad_param("(#100) The parameter cursor is not a valid cursor")
    return text[5:]


def parse_bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("false", "0", "no", "off")


def parse_limit(value: Any, default: int = 25) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(str(value))
    except ValueError as exc:
        raise bad_param("(#100) Param limit must be a number") from exc
    return max(0, min(100, limit))


@dataclass
class Slice:
    items: list[Any]
    before: str | None
    after: str | None
    has_next: bool
    has_prev: bool


def cursor_slice(
    items: list[Any], key: Callable[[Any], str], limit: int, after: str | None, before: str | None
) -> Slice:
    """Graph cursor paging over an already ordered list."""
    keys = [key(i) for i in items]
    start, end = 0, min(limit, len(items))
    if after:
        k = decode_cursor(after)
        start = keys.index(k) + 1 if k in keys else len(items)
        end = min(start + limit, len(items))
    elif before:
        k = decode_cursor(before)
        end = keys.index(k) if k in keys else 0
        start = max(0, end - limit)
    chunk = items[start:end]
    return Slice(
        items=chunk,
        before=encode_cursor(keys[start]) if chunk else None,
        after=encode_cursor(keys[end - 1]) if chunk else None,
        has_next=end < len(items),
        has_prev=start > 0,
    )


@dataclass
class Ctx:
    """Per-request rendering context."""

    req: Request
    token: str
    version: str
    now_ms: int
    page_id: str


class GraphApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._trace = 0
        self.getters: dict[str, dict[str, Callable[[Any, FieldSpec, Ctx], Any]]] = {
            "page": self._page_getters(),
            "conversation": self._conversation_getters(),
            "message": self._message_getters(),
            "post": self._post_getters(),
            "comment": self._comment_getters(),
        }

    @property
    def world(self) -> Any:
        return self.sim.world

    # ------------------------------------------------------------------ classification

    @staticmethod
    def endpoint(method: str, parts: list[str]) -> str:
        """Endpoint family key used by stats and faults, e.g. ``graph.conversations``."""
        edge = parts[1] if len(parts) > 1 else ""
        if method == "DELETE":
            return "graph.delete"
        if method == "POST":
            return {
                "feed": "graph.publish",
                "comments": "graph.reply",
                "messages": "graph.send",
            }.get(edge, "graph.other")
        if not edge:
            return "graph.node"
        return {
            "conversations": "graph.conversations",
            "messages": "graph.messages",
            "feed": "graph.feed",
            "published_posts": "graph.feed",
            "posts": "graph.feed",
            "scheduled_posts": "graph.feed",
            "comments": "graph.comments",
            "insights": "graph.insights",
        }.get(edge, "graph.other")

    # ------------------------------------------------------------------ entry point

    def handle(self, req: Request, version: str, parts: list[str], endpoint: str) -> Response:
        page_for_headers: str | None = None
        usage: dict[str, Any] | None = None
        try:
            params = req.params()
            token = str(params.get("access_token") or req.bearer() or "")
            if not token:
                raise GraphError(400, 104, "An access token is required to request this resource.")
            match = TOKEN_RE.match(token)
            token_page = match.group(1) if match else None
            token_channel = self.world.by_platform_id.get(token_page) if token_page else None
            if token_channel is None or token_channel.platform != "facebook":
                raise GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")
            page_for_headers = token_page
            self.sim.stats.by_key("graph", token_page)
            self._token_faults(token_page)
            if parts == ["debug_token"] and req.method == "GET":
                response = json_response(self.debug_token(params, token_page))
                self._headers(response, page_for_headers, version, usage)
                return response
            object_id = token_page if parts[0] == "me" else parts[0]
            found = self.world.objects.get(object_id)
            if found is None or found[0] == "oa":
                raise unknown_object(object_id, req.method)
            kind, channel_key = found
            channel = self.world.channels[channel_key]
            if channel.platform_id != token_page:
                raise GraphError(403, 200, "(#200) Permissions error")
            self._check_rate(token_page, endpoint)
            ctx = Ctx(req, token, version, self.sim.now_ms(), token_page)
            payload = self._route(req, ctx, kind, object_id, channel, parts, params, endpoint)
            response = json_response(payload)
        except GraphError as err:
            usage = err.usage
            response = self.error_response(err)
            self.sim.stats.error("graph", err.code, page_for_headers)
        except FieldSyntaxError as exc:
            response = self.error_response(bad_param(f"(#100) Syntax error: {exc}"))
            self.sim.stats.error("graph", 100, page_for_headers)
        self._headers(response, page_for_headers, version, usage)
        return response

    def debug_token(self, params: dict[str, Any], caller_page: str) -> dict[str, Any]:
        """`GET /debug_token?input_token=`: the inspected Page token's app, validity and scopes.

        The shape of the published example (facebook/debug-token.json) with the Page-token
        fields (`type: PAGE`, `profile_id`, `data_access_expires_at`). Called with the Page token
        itself or an app token; a `missing_permission` fault removes a scope.
        """
        token = str(params.get("input_token") or "")
        match = TOKEN_RE.match(token)
        page = match.group(1) if match else None
        if page is None or page not in self.world.by_platform_id:
            return {
                "data": {
                    "is_valid": False,
                    "error": {
                        "code": 190,
                        "message": "Invalid OAuth access token - Cannot parse access token",
                    },
                    "scopes": [],
                }
            }
        now_s = self.sim.now_ms() // 1000
        state = self.sim.faults.token_fault(page=page)
        scopes = [p for p in PAGE_SCOPES if p not in self.sim.faults.missing_permissions(page)]
        data: dict[str, Any] = {
            "app_id": SIM_APP_ID,
            "type": "PAGE",
            "application": "Citizen Desk (sim)",
            "data_access_expires_at": now_s + 80 * 86400,
            "expires_at": 0,  # long-lived Page token: never
            "is_valid": state is None,
            "issued_at": now_s - 30 * 86400,
            "profile_id": page,
            "scopes": scopes,
            "granular_scopes": [{"scope": p, "target_ids": [page]} for p in scopes],
            "user_id": "10000000000" + page[-4:],
        }
        if state is not None:
            data["error"] = {
                "code": 190,
                "subcode": 463 if state == "expired" else 460,
                "message": "Session has expired",
            }
        return {"data": data}

    def error_response(self, err: GraphError) -> Response:
        self._trace += 1
        trace = self._trace_id()
        body: dict[str, Any] = {"message": err.message, "type": err.type, "code": err.code}
        if err.subcode is not None:
            body["error_subcode"] = err.subcode
        body["is_transient"] = err.transient
        if err.user_title:
            body["error_user_title"] = err.user_title
        if err.user_msg:
            body["error_user_msg"] = err.user_msg
        body["fbtrace_id"] = trace
        response = json_response({"error": body}, err.status)
        kind = (
            "invalid_token"
            if err.code in (104, 190)
            else ("unknown_error" if err.code in (1, 2) else "invalid_request")
        )
        response.set_header(
            "WWW-Authenticate", f'OAuth "Facebook Platform" "{kind}" "{err.message[:120]}"'
        )
        return response

    def server_error(self, code: int, version: str) -> Response:
        """Injected 5xx in Graph's code 1 / code 2 shapes."""
        if code == 2:
            err = GraphError(503, 2, "(#2) Service temporarily unavailable", transient=True)
        else:
            err = GraphError(500, 1, "An unknown error has occurred.", transient=True)
        response = self.error_response(err)
        self._headers(response, None, version, None)
        return response

    def _trace_id(self) -> str:
        digest = hashlib.sha1(f"{self.sim.cfg.seed}:{self._trace}".encode()).digest()
        return base64.b64encode(digest).decode()[:11].replace("+", "A").replace("/", "B")

    def _headers(
        self, response: Response, page: str | None, version: str, usage: dict[str, Any] | None
    ) -> None:
        limits = self.sim.limits
        now = self.sim.world_clock.rate_seconds()
        app_pct = limits.graph_app.percent("app", now)
        app = {"call_count": app_pct, "total_time": app_pct * 3 // 4, "total_cputime": app_pct // 2}
        if usage and "app" in usage:
            app = usage["app"]
        response.set_header("X-App-Usage", json.dumps(app, separators=(",", ":")))
        if page is not None:
            pct = limits.graph_page.percent(page, now)
            regain = math.ceil(limits.graph_page.regain_seconds(page, now) / 60)
            entry = {
                "type": "pages",
                "call_count": pct,
                "total_cputime": pct // 2,
                "total_time": pct * 3 // 4,
                "estimated_time_to_regain_access": regain,
            }
            if usage and "buc" in usage:
                entry.update(usage["buc"])
            response.set_header(
                "X-Business-Use-Case-Usage", json.dumps({page: [entry]}, separators=(",", ":"))
            )
        self._trace += 1
        response.set_header("x-fb-trace-id", self._trace_id())
        response.set_header("x-fb-rev", "1019283746")
        response.set_header("facebook-api-version", version)

    def _token_faults(self, page: str) -> None:
        state = self.sim.faults.token_fault(page=page)
        if state == "expired":
            now = from_ms(self.sim.now_ms()).astimezone(PACIFIC)
            expired = now - timedelta(hours=7)
            fmt = "%A, %d-%b-%y %H:%M:%S PST"
            raise GraphError(
                400,
                190,
                f"Error validating access token: Session has expired on {expired.strftime(fmt)}. "
                f"The current time is {now.strftime(fmt)}.",
                subcode=463,
            )
        if state == "invalid":
            raise GraphError(
                400,
                190,
                "Error validating access token: The session has been invalidated because the "
                "user changed their password or Facebook has changed the session for security "
                "reasons.",
                subcode=460,
            )

    def _check_rate(self, page: str, endpoint: str) -> None:
        limits = self.sim.limits
        fault = self.sim.faults.rate_limited(endpoint, page=page)
        if fault is not None:
            code = int(fault.get("code", 80001))
            message, status = RATE_MESSAGES[code]
            regain = int(fault.get("regain_minutes", self.sim.cfg.graph_regain_minutes))
            self.sim.stats.rate_limited("graph")
            usage: dict[str, Any] = {
                "buc": {
                    "call_count": 100,
                    "total_cputime": 100 if code != 80001 else 40,
                    "total_time": 100 if code != 80001 else 60,
                    "estimated_time_to_regain_access": regain,
                }
            }
            if code in (4, 17, 32, 613):
                usage["app"] = {"call_count": 100, "total_time": 100, "total_cputime": 100}
            raise GraphError(status, code, message, transient=True, usage=usage)
        now = self.sim.world_clock.rate_seconds()
        if limits.graph_page.exceeded(page, now):
            regain = max(1, math.ceil(limits.graph_page.regain_seconds(page, now) / 60))
            self.sim.stats.rate_limited("graph")
            message, status = RATE_MESSAGES[80001]
            raise GraphError(
                status,
                80001,
                message,
                transient=True,
                usage={"buc": {"call_count": 100, "estimated_time_to_regain_access": regain}},
            )
        limits.graph_page.record(page, now)
        limits.graph_app.record("app", now)

    # ------------------------------------------------------------------ routing

    def _route(
        self,
        req: Request,
        ctx: Ctx,
        kind: str,
        object_id: str,
        channel: Channel,
        parts: list[str],
        params: dict[str, Any],
        endpoint: str,
    ) -> Any:
        edge = parts[1] if len(parts) > 1 else ""
        if len(parts) > 2:
            raise GraphError(400, 2500, f"Unknown path components: /{'/'.join(parts[1:])}")
        method = req.method
        specs = parse_fields(params.get("fields"))
        s = self.world.state
        if method == "GET" and not edge:
            obj = self._object(kind, object_id)
            if kind == "message":
                self._check_message_age(obj)
            default = "conversation_node" if kind == "conversation" else kind
            return self.render(kind, obj, specs, ctx, default)
        if kind == "page":
            if method == "GET" and edge == "conversations":
                return self.list_conversations(ctx, channel, params, specs, endpoint)
            if method == "GET" and edge in ("feed", "published_posts", "posts"):
                return self.list_posts(ctx, channel, params, specs, endpoint, scheduled=False)
            if method == "GET" and edge == "scheduled_posts":
                return self.list_posts(ctx, channel, params, specs, endpoint, scheduled=True)
            if method == "GET" and edge == "insights":
                return self.insights(ctx, channel, params)
            if method == "POST" and edge == "feed":
                return self.publish(ctx, channel, params)
            if method == "POST" and edge == "messages":
                return self.send(ctx, channel, params)
            if edge == "subscribed_apps":
                return {"success": True} if method == "POST" else {"data": []}
        elif kind == "conversation":
            if method == "GET" and edge == "messages":
                conv = s["conversations"][object_id]
                msgs = [s["fb_messages"][m] for m in reversed(conv["messages"])]
                return self.edge_list(ctx, msgs, "message", specs, params, endpoint)
            if method == "POST" and edge == "messages":
                raise GraphError(
                    400,
                    3,
                    "(#3) Application does not have the capability to make this API "
                    "call. Use the Send API (POST /{page-id}/messages) instead.",
                )
        elif kind in ("post", "comment"):
            if method == "GET" and edge == "comments":
                return self.list_comments(ctx, object_id, params, specs, endpoint)
            if method == "POST" and edge == "comments":
                text = str(params.get("message") or "").strip()
                if not text and not params.get("attachment_url"):
                    raise bad_param("(#100) Missing message or attachment")
                if kind == "post" and s["posts"][object_id]["deleted"]:
                    raise unknown_object(object_id, method)
                return {"id": self.world.add_page_comment(object_id, text, ctx.now_ms)}
            if method == "DELETE" and not edge:
                table = s["posts"] if kind == "post" else s["comments"]
                table[object_id]["deleted"] = True
                self.sim.mark_dirty()
                return {"success": True}
        if method == "GET" and edge and edge not in self.getters.get(kind, {}):
            raise GraphError(400, 2500, f"Unknown path components: /{edge}")
        if method == "GET" and edge:
            # A field requested as an edge (e.g. /{conv}/participants).
            obj = self._object(kind, object_id)
            value = self.getters[kind][edge](obj, FieldSpec(edge), ctx)
            return value if isinstance(value, dict) else {"data": []}
        raise unknown_object(object_id, method)

    def _object(self, kind: str, object_id: str) -> dict[str, Any]:
        s = self.world.state
        if kind == "page":
            channel = self.world.by_platform_id[object_id]
            return {"id": object_id, "channel": channel}
        table = {
            "conversation": s["conversations"],
            "message": s["fb_messages"],
            "post": s["posts"],
            "comment": s["comments"],
        }[kind]
        obj = table[object_id]
        if obj.get("deleted"):
            raise unknown_object(object_id, "GET")
        return obj

    def _check_message_age(self, msg: dict[str, Any]) -> None:
        limit = self.sim.cfg.message_detail_limit
        if not limit:
            return
        conv = self.world.state["conversations"][msg["conv_id"]]
        if msg["id"] not in conv["messages"][-limit:]:
            raise GraphError(
                400,
                100,
                f"(#100) This message has been deleted. Only the {limit} most recent messages in "
                "a conversation can be read.",
                subcode=2534022,
            )

    # ------------------------------------------------------------------ rendering

    def render(
        self,
        kind: str,
        obj: Any,
        specs: list[FieldSpec] | None,
        ctx: Ctx,
        default: str | None = None,
    ) -> dict[str, Any]:
        fields = (
            specs if specs is not None else [FieldSpec(n) for n in DEFAULT_FIELDS[default or kind]]
        )
        getters = self.getters[kind]
        out: dict[str, Any] = {}
        for spec in fields:
            getter = getters.get(spec.name)
            if getter is None:
                raise bad_param(
                    f"(#100) Tried accessing nonexisting field ({spec.name}) on node type "
                    f"({NODE_TYPES[kind]})"
                )
            value = getter(obj, spec, ctx)
            if value is not ABSENT:
                out[spec.name] = value
        if "id" not in out:
            out["id"] = obj["id"]
        return out

    def _sub(self, value: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
        """Apply ``{a,b}`` sub-field selection to a plain object."""
        if not spec.children:
            return value
        names = spec.child_names()
        return {k: v for k, v in value.items() if k in names or k == "id"}

    def _person(self, channel: Channel, person_id: str) -> dict[str, Any]:
        if person_id == channel.platform_id:
            name = channel.name
        else:
            person = self.world.citizens.get((channel.key, person_id))
            name = person["name"] if person else "Người dùng Facebook"
        return {"name": name, "email": f"{person_id}@facebook.com", "id": person_id}

    def _page_getters(self) -> dict[str, Callable[[Any, FieldSpec, Ctx], Any]]:
        def fans(obj: Any) -> int:
            return 5000 + int(hashlib.sha256(obj["id"].encode()).hexdigest()[:6], 16) % 60000

        return {
            "id": lambda o, s, c: o["id"],
            "name": lambda o, s, c: o["channel"].name,
            "category": lambda o, s, c: "Government organization",
            "link": lambda o, s, c: f"https://www.facebook.com/{o['id']}",
            "fan_count": lambda o, s, c: fans(o),
            "followers_count": lambda o, s, c: fans(o) + 311,
            "username": lambda o, s, c: ABSENT,
            "about": lambda o, s, c: f"Trang thông tin chính thức của {o['channel'].name}",
        }

    def _conversation_getters(self) -> dict[str, Callable[[Any, FieldSpec, Ctx], Any]]:
        w = self

        def channel(conv: dict[str, Any]) -> Channel:
            return w.world.channels[conv["channel"]]

        def participants(conv: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            ch = channel(conv)
            people = [w._person(ch, conv["citizen_id"]), w._person(ch, conv["page_id"])]
            return {"data": [w._sub(p, spec) for p in people]}

        def unread(conv: dict[str, Any]) -> int:
            count = 0
            for mid in reversed(conv["messages"]):
                if w.world.state["fb_messages"][mid]["from_id"] == conv["page_id"]:
                    break
                count += 1
            return count

        def messages(conv: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            s = w.world.state
            msgs = [s["fb_messages"][m] for m in reversed(conv["messages"])]
            return w.nested_edge(ctx, conv["id"], "messages", msgs, "message", spec)

        return {
            "id": lambda o, s, c: o["id"],
            "link": lambda o, s, c: f"/{o['page_id']}/inbox/{o['link_id']}/",
            "snippet": lambda o, s, c: w.world.conversation_last(o)["message"][:100],
            "updated_time": lambda o, s, c: graph_time(w.world.conversation_last(o)["created_ms"]),
            "message_count": lambda o, s, c: len(o["messages"]),
            "unread_count": lambda o, s, c: unread(o),
            "participants": participants,
            "senders": participants,
            "can_reply": lambda o, s, c: True,
            "is_subscribed": lambda o, s, c: True,
            "former_participants": lambda o, s, c: {"data": []},
            "name": lambda o, s, c: "",
            "messages": messages,
        }

    def _message_getters(self) -> dict[str, Callable[[Any, FieldSpec, Ctx], Any]]:
        w = self

        def channel(msg: dict[str, Any]) -> Channel:
            return w.world.channels[msg["channel"]]

        def to(msg: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            target = msg["citizen_id"] if msg["from_id"] == msg["page_id"] else msg["page_id"]
            return {"data": [w._sub(w._person(channel(msg), target), spec)]}

        def attachments(msg: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            items = msg.get("attachments") or []
            if not items:
                return ABSENT
            data = [w._sub(dict(a), spec) for a in items]
            cursor = encode_cursor(items[0]["id"])
            return {"data": data, "paging": {"cursors": {"before": cursor, "after": cursor}}}

        def tags(msg: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            if msg["from_id"] == msg["page_id"]:
                names = ["inbox", "sent", "source:web"]
            else:
                names = ["inbox", "read", "source:mobile"]
            return {"data": [{"name": n} for n in names]}

        return {
            "id": lambda o, s, c: o["id"],
            "created_time": lambda o, s, c: graph_time(o["created_ms"]),
            "message": lambda o, s, c: o["message"],
            "from": lambda o, s, c: w._sub(w._person(channel(o), o["from_id"]), s),
            "to": to,
            "attachments": attachments,
            "tags": tags,
            "sticker": lambda o, s, c: ABSENT,
            "shares": lambda o, s, c: ABSENT,
            "is_unsupported": lambda o, s, c: False,
        }

    def _post_getters(self) -> dict[str, Callable[[Any, FieldSpec, Ctx], Any]]:
        w = self

        def comments(post: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            return w.nested_comments(ctx, post["id"], spec)

        def updated(post: dict[str, Any]) -> str:
            last = post["created_ms"]
            for c in w.world.comments_of(post["id"], stream=True):
                last = max(last, c["created_ms"])
            return graph_time(last)

        def published(post: dict[str, Any], ctx: Ctx) -> bool:
            return bool(post["published"]) or (
                post["scheduled_ms"] is not None and post["scheduled_ms"] <= ctx.now_ms
            )

        def digits(post: dict[str, Any]) -> str:
            return str(post["id"]).split("_", 1)[1]

        def page_from(post: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
            channel = w.world.channels[post["channel"]]
            return w._sub({"name": channel.name, "id": channel.platform_id}, spec)

        return {
            "id": lambda o, s, c: o["id"],
            "message": lambda o, s, c: o["message"] if o["message"] else ABSENT,
            "created_time": lambda o, s, c: graph_time(o["created_ms"]),
            "updated_time": lambda o, s, c: updated(o),
            "from": lambda o, s, c: page_from(o, s),
            "permalink_url": lambda o, s, c: (
                f"https://www.facebook.com/{o['page_id']}/posts/{digits(o)}"
            ),
            "is_published": lambda o, s, c: published(o, c),
            "is_hidden": lambda o, s, c: False,
            "status_type": lambda o, s, c: "mobile_status_update",
            "scheduled_publish_time": lambda o, s, c: (
                o["scheduled_ms"] // 1000 if o["scheduled_ms"] is not None else ABSENT
            ),
            "link": lambda o, s, c: o["link"] if o.get("link") else ABSENT,
            "full_picture": lambda o, s, c: ABSENT,
            "shares": lambda o, s, c: ABSENT,
            "comments": comments,
        }

    def _comment_getters(self) -> dict[str, Callable[[Any, FieldSpec, Ctx], Any]]:
        w = self

        def author(c: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
            return w._sub({"name": c["from_name"], "id": c["from_id"]}, spec)

        def parent(c: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            if not c["parent_id"]:
                return ABSENT
            p = w.world.state["comments"][c["parent_id"]]
            return w.render("comment", p, spec.children, ctx)

        def replies(c: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            return w.nested_comments(ctx, c["id"], spec)

        def can_private(c: dict[str, Any], ctx: Ctx) -> bool:
            return (
                c["from_id"] != c["page_id"]
                and not c["private_reply_conv"]
                and ctx.now_ms - c["created_ms"] <= 7 * DAY_MS
            )

        def private_conv(c: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            conv_id = c.get("private_reply_conv")
            if not conv_id:
                return ABSENT
            conv = w.world.state["conversations"][conv_id]
            return w.render("conversation", conv, spec.children, ctx, "conversation")

        def likes(c: dict[str, Any]) -> int:
            return int(hashlib.sha256(c["id"].encode()).hexdigest()[:2], 16) % 7

        def digits(c: dict[str, Any]) -> str:
            return str(c["id"]).split("_", 1)[1]

        return {
            "id": lambda o, s, c: o["id"],
            "message": lambda o, s, c: o["message"],
            "created_time": lambda o, s, c: graph_time(o["created_ms"]),
            "from": lambda o, s, c: author(o, s),
            "parent": parent,
            "comment_count": lambda o, s, c: len([r for r in o["replies"]]),
            "like_count": lambda o, s, c: likes(o),
            "permalink_url": lambda o, s, c: (
                f"https://www.facebook.com/{o['page_id']}/posts/{o['post_id'].split('_', 1)[1]}"
                f"?comment_id={digits(o)}"
            ),
            "can_comment": lambda o, s, c: True,
            "can_like": lambda o, s, c: True,
            "can_hide": lambda o, s, c: o["from_id"] != o["page_id"],
            "can_remove": lambda o, s, c: True,
            "can_reply_privately": lambda o, s, c: can_private(o, c),
            "private_reply_conversation": private_conv,
            "is_hidden": lambda o, s, c: False,
            "is_private": lambda o, s, c: False,
            "user_likes": lambda o, s, c: False,
            "object": lambda o, s, c: {"id": o["post_id"]},
            "attachment": lambda o, s, c: ABSENT,
            "message_tags": lambda o, s, c: ABSENT,
            "comments": replies,
        }

    # ------------------------------------------------------------------ paging helpers

    def _url(self, ctx: Ctx, path: str, items: list[tuple[str, str]]) -> str:
        query = urlencode(items, quote_via=quote, safe="")
        return f"http://{ctx.req.host}{path}?{query}"

    def _base_items(self, ctx: Ctx, drop: tuple[str, ...]) -> list[tuple[str, str]]:
        items = [(k, v) for k, v in ctx.req.query_items if k not in drop]
        if not any(k == "access_token" for k, _ in items):
            items.insert(0, ("access_token", ctx.token))
        return items

    def _paging(
        self,
        ctx: Ctx,
        sl: Slice,
        path: str | None = None,
        items: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        paging: dict[str, Any] = {"cursors": {"before": sl.before, "after": sl.after}}
        path = path or ctx.req.path
        base = items if items is not None else self._base_items(ctx, ("after", "before"))
        if sl.has_prev:
            paging["previous"] = self._url(ctx, path, [*base, ("before", sl.before or "")])
        if sl.has_next:
            paging["next"] = self._url(ctx, path, [*base, ("after", sl.after or "")])
        return paging

    def _truncate(self, endpoint: str, sl: Slice) -> list[Any]:
        """Privacy-filtered pages: drop some items but keep the cursors and ``next``."""
        if not sl.has_next:
            return sl.items
        fault = self.sim.faults.take("truncated_pages", endpoint)
        if fault is None:
            return sl.items
        drop = max(1, min(int(fault.get("drop", 1)), len(sl.items) - 1))
        return sl.items[: len(sl.items) - drop]

    def edge_list(
        self,
        ctx: Ctx,
        items: list[dict[str, Any]],
        kind: str,
        specs: list[FieldSpec] | None,
        params: dict[str, Any],
        endpoint: str,
        extra: dict[str, Any] | None = None,
        default: str | None = None,
    ) -> dict[str, Any]:
        limit = parse_limit(params.get("limit"))
        sl = cursor_slice(
            items, lambda o: o["id"], limit, params.get("after"), params.get("before")
        )
        visible = self._truncate(endpoint, sl)
        out: dict[str, Any] = {"data": [self.render(kind, o, specs, ctx, default) for o in visible]}
        if sl.items:
            out["paging"] = self._paging(ctx, sl)
        if extra:
            out.update(extra)
        return out

    def nested_edge(
        self,
        ctx: Ctx,
        parent_id: str,
        edge: str,
        items: list[dict[str, Any]],
        kind: str,
        spec: FieldSpec,
        extra: dict[str, Any] | None = None,
        keep_empty: bool = False,
    ) -> Any:
        limit = parse_limit(spec.params.get("limit"))
        sl = cursor_slice(items, lambda o: o["id"], limit, None, None)
        if not sl.items and not keep_empty:
            return ABSENT
        out: dict[str, Any] = {"data": [self.render(kind, o, spec.children, ctx) for o in sl.items]}
        query: list[tuple[str, str]] = [("access_token", ctx.token)]
        if spec.children is not None:
            query.append(("fields", fields_to_string(spec.children)))
        query.append(("limit", str(limit)))
        for key in ("filter", "order", "summary"):
            if key in spec.params:
                query.append((key, spec.params[key]))
        if sl.items:
            out["paging"] = self._paging(ctx, sl, f"/{ctx.version}/{parent_id}/{edge}", query)
        if extra:
            out.update(extra)
        return out

    # ------------------------------------------------------------------ list endpoints

    def list_conversations(
        self,
        ctx: Ctx,
        channel: Channel,
        params: dict[str, Any],
        specs: list[FieldSpec] | None,
        endpoint: str,
    ) -> dict[str, Any]:
        platform = str(params.get("platform") or "messenger").lower()
        if platform not in ("messenger", "instagram"):
            raise bad_param("(#100) param platform must be one of {MESSENGER, INSTAGRAM}")
        folder = str(params.get("folder") or "inbox").lower()
        convs = self.world.conversations_of(channel.platform_id)
        if platform == "instagram" or folder != "inbox":
            convs = []
        user_id = params.get("user_id")
        if user_id:
            convs = [c for c in convs if c["citizen_id"] == str(user_id)]
            if specs is None:
                specs = [FieldSpec("id")]
        return self.edge_list(ctx, convs, "conversation", specs, params, endpoint)

    def list_posts(
        self,
        ctx: Ctx,
        channel: Channel,
        params: dict[str, Any],
        specs: list[FieldSpec] | None,
        endpoint: str,
        scheduled: bool,
    ) -> dict[str, Any]:
        """Feed / published_posts: newest first, since/until and time-based paging."""
        posts = (
            self.world.scheduled_posts_of(channel.platform_id, ctx.now_ms)
            if scheduled
            else self.world.posts_of(channel.platform_id, ctx.now_ms)
        )
        since = parse_time(params.get("since"))
        until = parse_time(params.get("until"))
        if params.get("since") not in (None, "") and since is None:
            raise bad_param("(#100) The parameter since is not a valid time")
        if params.get("until") not in (None, "") and until is None:
            raise bad_param("(#100) The parameter until is not a valid time")
        if since is not None:
            posts = [p for p in posts if p["created_ms"] // 1000 * 1000 >= since]
        if until is not None:
            posts = [p for p in posts if p["created_ms"] // 1000 * 1000 <= until]
        if params.get("after") or params.get("before"):
            return self.edge_list(ctx, posts, "post", specs, params, endpoint)
        limit = parse_limit(params.get("limit"))
        token = params.get("__paging_token")
        ids = [p["id"] for p in posts]
        start, end = 0, min(limit, len(posts))
        if token:
            key = decode_cursor(str(token))
            idx = ids.index(key) if key in ids else -1
            if params.get("__previous"):
                end = idx if idx >= 0 else 0
                start = max(0, end - limit)
            else:
                start = idx + 1 if idx >= 0 else len(posts)
                end = min(start + limit, len(posts))
        chunk = posts[start:end]
        sl = Slice(chunk, None, None, end < len(posts), start > 0)
        visible = self._truncate(endpoint, sl)
        out: dict[str, Any] = {"data": [self.render("post", p, specs, ctx) for p in visible]}
        if chunk:
            base = self._base_items(ctx, ("since", "until", "__paging_token", "__previous"))
            original_since = [("since", str(params["since"]))] if params.get("since") else []
            original_until = [("until", str(params["until"]))] if params.get("until") else []
            first, last = chunk[0], chunk[-1]
            paging: dict[str, Any] = {}
            if sl.has_prev:
                paging["previous"] = self._url(
                    ctx,
                    ctx.req.path,
                    [
                        *base,
                        ("since", str(first["created_ms"] // 1000)),
                        *original_until,
                        ("__paging_token", encode_cursor(first["id"])),
                        ("__previous", "1"),
                    ],
                )
            if sl.has_next:
                paging["next"] = self._url(
                    ctx,
                    ctx.req.path,
                    [
                        *base,
                        *original_since,
                        ("until", str(last["created_ms"] // 1000)),
                        ("__paging_token", encode_cursor(last["id"])),
                    ],
                )
            if paging:
                out["paging"] = paging
        return out

    def _comment_list(self, object_id: str, filter_: str, order: str) -> list[dict[str, Any]]:
        if filter_ not in ("toplevel", "stream"):
            raise bad_param("(#100) param filter must be one of {toplevel, stream}")
        if order not in ("chronological", "reverse_chronological", "ranked"):
            raise bad_param(
                "(#100) param order must be one of {chronological, reverse_chronological, ranked}"
            )
        items = self.world.comments_of(object_id, stream=filter_ == "stream")
        return list(reversed(items)) if order == "reverse_chronological" else items

    def _summary(self, items: list[Any], order: str) -> dict[str, Any]:
        return {"order": order, "total_count": len(items), "can_comment": True}

    def list_comments(
        self,
        ctx: Ctx,
        object_id: str,
        params: dict[str, Any],
        specs: list[FieldSpec] | None,
        endpoint: str,
    ) -> dict[str, Any]:
        filter_ = str(params.get("filter") or "toplevel")
        order = str(params.get("order") or "chronological")
        items = self._comment_list(object_id, filter_, order)
        if specs is None and filter_ == "stream":
            specs = [FieldSpec(n) for n in (*DEFAULT_FIELDS["comment"], "parent")]
            specs[-1].children = [FieldSpec("id")]
        extra = (
            {"summary": self._summary(items, order)}
            if parse_bool(params.get("summary"), False)
            else None
        )
        return self.edge_list(ctx, items, "comment", specs, params, endpoint, extra)

    def nested_comments(self, ctx: Ctx, object_id: str, spec: FieldSpec) -> Any:
        filter_ = spec.params.get("filter", "toplevel")
        order = spec.params.get("order", "chronological")
        items = self._comment_list(object_id, filter_, order)
        summary = parse_bool(spec.params.get("summary"), False)
        extra = {"summary": self._summary(items, order)} if summary else None
        return self.nested_edge(
            ctx, object_id, "comments", items, "comment", spec, extra, keep_empty=summary
        )

    # ------------------------------------------------------------------ insights

    def insights(self, ctx: Ctx, channel: Channel, params: dict[str, Any]) -> dict[str, Any]:
        metrics = [m.strip() for m in str(params.get("metric") or "").split(",") if m.strip()]
        if not metrics:
            raise bad_param("(#100) The parameter metric is required")
        for metric in metrics:
            if metric not in INSIGHT_METRICS:
                raise bad_param(f"(#100) The value must be a valid insights metric ({metric})")
        period = str(params.get("period") or "day")
        if period not in ("day", "week", "days_28"):
            raise bad_param("(#100) period must be one of {day, week, days_28}")
        until = parse_time(params.get("until")) or ctx.now_ms
        since = parse_time(params.get("since")) or until - 2 * DAY_MS
        if until - since > 93 * DAY_MS:
            raise bad_param(
                "(#100) There cannot be more than 93 days (8035200 s) between since and until"
            )
        if until < since:
            raise bad_param("(#100) since must be before until")
        end_times = self._end_times(since, until)
        activity = self.world.activity_by_day(channel.platform_id)
        span = {"day": 1, "week": 7, "days_28": 28}[period]
        data = []
        for metric in metrics:
            values = [
                {
                    "value": self._metric_value(channel, metric, end, span, activity),
                    "end_time": graph_time(end),
                }
                for end in end_times
            ]
            title, description = INSIGHT_METRICS[metric]
            if period != "day":
                title = title.replace("Daily", "Weekly" if period == "week" else "28 Days")
            data.append(
                {
                    "name": metric,
                    "period": period,
                    "values": values,
                    "title": title,
                    "description": f"{period.capitalize()}: {description}",
                    "id": f"{channel.platform_id}/insights/{metric}/{period}",
                }
            )
        span_ms = until - since
        base = self._base_items(ctx, ("since", "until"))
        paging = {
            "previous": self._url(
                ctx,
                ctx.req.path,
                [*base, ("since", str((since - span_ms) // 1000)), ("until", str(since // 1000))],
            ),
            "next": self._url(
                ctx,
                ctx.req.path,
                [*base, ("since", str(until // 1000)), ("until", str((until + span_ms) // 1000))],
            ),
        }
        return {"data": data, "paging": paging}

    @staticmethod
    def _end_times(since: int, until: int) -> list[int]:
        """Daily end_time values (Pacific midnight, as Graph reports) within (since, until]."""
        day = datetime.fromtimestamp(since / 1000, tz=UTC).replace(
            hour=8, minute=0, second=0, microsecond=0
        )
        out = []
        while int(day.timestamp() * 1000) <= until:
            ms = int(day.timestamp() * 1000)
            if ms > since:
                out.append(ms)
            day += timedelta(days=1)
        return out

    def _metric_value(
        self, channel: Channel, metric: str, end_ms: int, span: int, activity: dict[str, int]
    ) -> int:
        """The metric summed over the `span` days before `end_ms`.

        Every day obeys the platform's relations (impressions ≥ reach ≥ post engagements, new
        follows ≤ reach), so their sums over any span do too; `page_follows` is the follower
        total at `end_ms`, not a daily figure.
        """
        if metric == "page_follows":
            day = from_ms(end_ms - DAY_MS // 2).astimezone(LOCAL_TZ).date().isoformat()
            base = 5000 + int(hashlib.sha256(channel.platform_id.encode()).hexdigest()[:6], 16)
            days = (end_ms - 1_700_000_000_000) // DAY_MS
            return base % 60000 + 5000 + int(days) * 3 + self._seed(channel, metric, day) % 3
        total = 0
        for back in range(span):
            day_ms = end_ms - (back + 1) * DAY_MS + 12 * 3600 * 1000
            day = from_ms(day_ms).astimezone(LOCAL_TZ).date().isoformat()
            total += self._day_metrics(channel, day, activity.get(day, 0))[metric]
        return total

    def _seed(self, channel: Channel, metric: str, day: str) -> int:
        digest = hashlib.sha256(f"{self.sim.cfg.seed}|{channel.key}|{metric}|{day}".encode())
        return int(digest.hexdigest()[:8], 16)

    def _day_metrics(self, channel: Channel, day: str, engaged: int) -> dict[str, int]:
        """One day's page metrics, self-consistent (see `_metric_value`)."""

        def seed(metric: str) -> int:
            return self._seed(channel, metric, day)

        reach = 400 + seed("page_impressions_unique") % 2500 + 90 * engaged
        return {
            "page_impressions_unique": reach,
            "page_impressions": reach + 200 + seed("page_impressions") % 1500 + 50 * engaged,
            "page_post_engagements": min(reach, seed("page_post_engagements") % 60 + 4 * engaged),
            "page_daily_follows_unique": min(
                reach, seed("page_daily_follows_unique") % 8 + engaged // 3
            ),
            "page_views_total": 20 + seed("page_views_total") % 200 + 3 * engaged,
        }

    # ------------------------------------------------------------------ writes

    def publish(self, ctx: Ctx, channel: Channel, params: dict[str, Any]) -> dict[str, Any]:
        message = str(params.get("message") or "")
        link = params.get("link") or None
        if not message.strip() and not link:
            raise bad_param("(#100) Missing message or attachment")
        published = parse_bool(params.get("published"), True)
        raw_time = params.get("scheduled_publish_time")
        scheduled: int | None = None
        if raw_time not in (None, ""):
            if published:
                raise bad_param(
                    "(#100) You cannot specify a scheduled publish time on a published post"
                )
            scheduled = parse_time(raw_time)
            earliest, latest = ctx.now_ms + 10 * MINUTE_MS, ctx.now_ms + 30 * DAY_MS
            if scheduled is None or not earliest <= scheduled <= latest:
                raise bad_param("(#100) The specified scheduled publish time is invalid.")
        previous = self.world.last_post_text(channel.platform_id)
        if previous is not None and previous.strip() == message.strip() and message.strip():
            raise GraphError(
                400,
                506,
                "(#506) Duplicate status message",
                subcode=1455006,
                user_title="Duplicate Status Update",
                user_msg="This status update is identical to the last one you posted. Try "
                "posting something different, or delete your previous update.",
            )
        post_id = self.world.add_api_post(
            channel, message, ctx.now_ms, published, scheduled, str(link) if link else None
        )
        self.sim.mark_dirty()
        return {"id": post_id}

    def send(self, ctx: Ctx, channel: Channel, params: dict[str, Any]) -> dict[str, Any]:
        recipient = _maybe_json(params.get("recipient"))
        message = _maybe_json(params.get("message"))
        if not isinstance(recipient, dict) or not recipient:
            raise bad_param("(#100) param recipient must be non-empty.")
        if params.get("sender_action") and not message:
            return {"recipient_id": str(recipient.get("id", ""))}
        if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
            raise bad_param("(#100) param message must be non-empty.")
        text = str(message.get("text") or "")
        if len(text) > 2000:
            raise bad_param(
                "(#100) Length of param message[text] must be less than or equal to 2000"
            )
        if recipient.get("comment_id"):
            return self._private_reply(ctx, channel, str(recipient["comment_id"]), text)
        psid = str(recipient.get("id") or "")
        conv = self.world.conversation_with(channel, psid) if psid else None
        if conv is None:
            raise bad_param("(#100) No matching user found", subcode=2018001)
        messaging_type = str(params.get("messaging_type") or "RESPONSE").upper()
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            raise bad_param(
                "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"
            )
        window: int | None = SEND_WINDOW_MS
        if messaging_type == "MESSAGE_TAG":
            tag = str(params.get("tag") or "").upper()
            if tag not in MESSAGE_TAGS:
                raise bad_param(f"(#100) param tag must be one of {sorted(MESSAGE_TAGS)}")
            window = HUMAN_AGENT_WINDOW_MS if tag == "HUMAN_AGENT" else None
        last = self.world.last_citizen_ms(conv)
        if window is not None and (last is None or ctx.now_ms - last > window):
            raise outside_window()
        mid = self.world.send_fb_message(conv, text, ctx.now_ms)
        self.sim.mark_dirty()
        return {"recipient_id": psid, "message_id": mid}

    def _private_reply(
        self, ctx: Ctx, channel: Channel, comment_id: str, text: str
    ) -> dict[str, Any]:
        comment = self.world.state["comments"].get(comment_id)
        if comment is None or comment["page_id"] != channel.platform_id or comment["deleted"]:
            raise bad_param("(#100) Invalid parameter", subcode=33)
        if comment["from_id"] == channel.platform_id:
            raise GraphError(400, 10, "(#10) Cannot send a private reply to the Page's own comment")
        if comment["private_reply_conv"]:
            raise GraphError(
                400,
                10,
                "(#10) This comment already has a private reply (1 per comment)",
                subcode=1893003,
            )
        if ctx.now_ms - comment["created_ms"] > 7 * DAY_MS:
            raise outside_window()
        conv = self.world.open_private_conversation(channel, comment["from_id"])
        mid = self.world.send_fb_message(conv, text, ctx.now_ms, private_reply_to=comment_id)
        comment["private_reply_conv"] = conv["id"]
        self.sim.mark_dirty()
        return {"recipient_id": comment["from_id"], "message_id": mid}


def outside_window() -> GraphError:
    return GraphError(
        400,
        10,
        "(#10) This message is sent outside of allowed window. Learn more about the new "
        "policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        subcode=2018278,
    )


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
