"""The Graph API entry point: token and page checks, then a routing table of handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from platform_simulator.fields import FieldSpec, FieldSyntaxError, parse_fields
from platform_simulator.graph.auth import PageTokens
from platform_simulator.graph.comments import Comments
from platform_simulator.graph.conversations import Conversations
from platform_simulator.graph.core import GraphCore, Resource
from platform_simulator.graph.errors import GraphError, bad_param, unknown_object, unknown_path
from platform_simulator.graph.insights import Insights
from platform_simulator.graph.limits import check_rate
from platform_simulator.graph.messages import Messages
from platform_simulator.graph.pages import Pages
from platform_simulator.graph.posts import Posts
from platform_simulator.graph.request import Call, Ctx, Handler, RouteKey
from platform_simulator.graph.responses import Responses
from platform_simulator.web import Request, Response, json_response

if TYPE_CHECKING:
    from platform_simulator.simulator import Simulator

RESOURCES: tuple[type[Resource], ...] = (Pages, Conversations, Messages, Posts, Comments, Insights)
# Endpoint families (stats and fault targets) of writes, and of reads by edge.
WRITE_ENDPOINTS = {"feed": "graph.publish", "comments": "graph.reply", "messages": "graph.send"}
READ_ENDPOINTS = {
    "conversations": "graph.conversations",
    "messages": "graph.messages",
    "feed": "graph.feed",
    "published_posts": "graph.feed",
    "posts": "graph.feed",
    "scheduled_posts": "graph.feed",
    "comments": "graph.comments",
    "insights": "graph.insights",
}


class GraphApi:
    """Facebook Graph API: pages, Messenger conversations, posts, comments, insights, Send API."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.core = GraphCore(sim)
        self.tokens = PageTokens(sim)
        self.responses = Responses(sim)
        self.routes: dict[RouteKey, Handler] = {}
        for resource in (cls(self.core) for cls in RESOURCES):
            for kind, fields in resource.getters().items():
                self.core.getters.setdefault(kind, {}).update(fields)
            for key, handler in resource.routes().items():
                if key in self.routes:
                    raise ValueError(f"two Graph handlers for {key}")
                self.routes[key] = handler

    @staticmethod
    def endpoint(method: str, parts: list[str]) -> str:
        """Endpoint family key used by stats and faults, e.g. ``graph.conversations``."""
        edge = parts[1] if len(parts) > 1 else ""
        if method == "DELETE":
            return "graph.delete"
        if method == "POST":
            return WRITE_ENDPOINTS.get(edge, "graph.other")
        if not edge:
            return "graph.node"
        return READ_ENDPOINTS.get(edge, "graph.other")

    def handle(self, req: Request, version: str, parts: list[str], endpoint: str) -> Response:
        page_for_headers: str | None = None
        usage: dict[str, Any] | None = None
        try:
            params = req.params()
            token = str(params.get("access_token") or req.bearer() or "")
            token_page = self.tokens.page_of(token)
            page_for_headers = token_page
            self.sim.stats.by_key("graph", token_page)
            self.tokens.check_faults(token_page)
            if parts == ["debug_token"] and req.method == "GET":
                response = json_response(self.tokens.debug_token(params))
                self.responses.add_headers(response, page_for_headers, version, usage)
                return response
            world = self.sim.world
            object_id = token_page if parts[0] == "me" else parts[0]
            found = world.objects.get(object_id)
            if found is None or found[0] == "oa":
                raise unknown_object(object_id, req.method)
            kind, channel_key = found
            channel = world.channels[channel_key]
            if channel.platform_id != token_page:
                raise GraphError(403, 200, "(#200) Permissions error")
            check_rate(self.sim, token_page, endpoint)
            if len(parts) > 2:
                raise unknown_path("/".join(parts[1:]))
            ctx = Ctx(req, token, version, self.sim.now_ms(), token_page)
            edge = parts[1] if len(parts) > 1 else ""
            specs = parse_fields(params.get("fields"))
            call = Call(ctx, kind, object_id, channel, edge, params, specs, endpoint)
            response = json_response(self.route(call))
        except GraphError as err:
            usage = err.usage
            response = self.responses.error(err)
            self.sim.stats.error("graph", err.code, page_for_headers)
        except FieldSyntaxError as exc:
            response = self.responses.error(bad_param(f"(#100) Syntax error: {exc}"))
            self.sim.stats.error("graph", 100, page_for_headers)
        self.responses.add_headers(response, page_for_headers, version, usage)
        return response

    def server_error(self, code: int, version: str) -> Response:
        """Injected 5xx in Graph's code 1 / code 2 shapes."""
        return self.responses.server_error(code, version)

    def route(self, call: Call) -> Any:
        """The handler for (node kind, method, edge); a node read or a field read as an edge."""
        handler = self.routes.get((call.kind, call.method, call.edge)) or self.routes.get(
            (call.kind, "*", call.edge)
        )
        if handler is not None:
            return handler(call)
        if call.method != "GET":
            raise unknown_object(call.object_id, call.method)
        if not call.edge:
            return self.core.read_node(call)
        getters = self.core.getters.get(call.kind, {})
        if call.edge not in getters:
            raise unknown_path(call.edge)
        # A field requested as an edge (e.g. /{conv}/participants).
        obj = self.core.node(call.kind, call.object_id)
        value = getters[call.edge](obj, FieldSpec(call.edge), call.ctx)
        return value if isinstance(value, dict) else {"data": []}
