"""Comments: the comment node, the `comments` edge of posts and comments, replies, deletes."""

from __future__ import annotations

import hashlib
from typing import Any

from platform_simulator.clock import graph_time
from platform_simulator.fields import FieldSpec
from platform_simulator.graph.core import ABSENT, DEFAULT_FIELDS, Resource
from platform_simulator.graph.errors import bad_param, unknown_object
from platform_simulator.graph.paging import parse_bool
from platform_simulator.graph.request import Call, Ctx, Getter, Handler, RouteKey
from platform_simulator.world.timing import DAY_MS


class Comments(Resource):
    def getters(self) -> dict[str, dict[str, Getter]]:
        core = self.core

        def author(c: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
            return core.sub({"name": c["from_name"], "id": c["from_id"]}, spec)

        def parent(c: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            if not c["parent_id"]:
                return ABSENT
            p = self.world.state["comments"][c["parent_id"]]
            return core.render("comment", p, spec.children, ctx)

        def comments(obj: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            return self.nested_comments(ctx, obj["id"], spec)

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
            conv = self.world.state["conversations"][conv_id]
            return core.render("conversation", conv, spec.children, ctx, "conversation")

        def likes(c: dict[str, Any]) -> int:
            return int(hashlib.sha256(c["id"].encode()).hexdigest()[:2], 16) % 7

        def digits(c: dict[str, Any]) -> str:
            return str(c["id"]).split("_", 1)[1]

        return {
            "comment": {
                "id": lambda o, s, c: o["id"],
                "message": lambda o, s, c: o["message"],
                "created_time": lambda o, s, c: graph_time(o["created_ms"]),
                "from": lambda o, s, c: author(o, s),
                "parent": parent,
                "comment_count": lambda o, s, c: len([r for r in o["replies"]]),
                "like_count": lambda o, s, c: likes(o),
                "permalink_url": lambda o, s, c: (
                    f"https://www.facebook.com/{o['page_id']}/posts/"
                    f"{o['post_id'].split('_', 1)[1]}?comment_id={digits(o)}"
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
                "comments": comments,
            },
            "post": {"comments": comments},
        }

    def routes(self) -> dict[RouteKey, Handler]:
        routes: dict[RouteKey, Handler] = {}
        for kind in ("post", "comment"):
            routes[(kind, "GET", "comments")] = self.list_comments
            routes[(kind, "POST", "comments")] = self.add_comment
            routes[(kind, "DELETE", "")] = self.core.delete_node
        return routes

    def _comment_list(self, object_id: str, filter_: str, order: str) -> list[dict[str, Any]]:
        if filter_ not in ("toplevel", "stream"):
            raise bad_param("(#100) param filter must be one of {toplevel, stream}")
        if order not in ("chronological", "reverse_chronological", "ranked"):
            raise bad_param(
                "(#100) param order must be one of {chronological, reverse_chronological, ranked}"
            )
        items = self.world.comments_of(object_id, stream=filter_ == "stream")
        return list(reversed(items)) if order == "reverse_chronological" else items

    @staticmethod
    def _summary(items: list[Any], order: str) -> dict[str, Any]:
        return {"order": order, "total_count": len(items), "can_comment": True}

    def list_comments(self, call: Call) -> dict[str, Any]:
        params, specs = call.params, call.specs
        filter_ = str(params.get("filter") or "toplevel")
        order = str(params.get("order") or "chronological")
        items = self._comment_list(call.object_id, filter_, order)
        if specs is None and filter_ == "stream":
            specs = [FieldSpec(n) for n in (*DEFAULT_FIELDS["comment"], "parent")]
            specs[-1].children = [FieldSpec("id")]
        extra = (
            {"summary": self._summary(items, order)}
            if parse_bool(params.get("summary"), False)
            else None
        )
        return self.core.edge_list(call.ctx, items, "comment", specs, params, call.endpoint, extra)

    def nested_comments(self, ctx: Ctx, object_id: str, spec: FieldSpec) -> Any:
        filter_ = spec.params.get("filter", "toplevel")
        order = spec.params.get("order", "chronological")
        items = self._comment_list(object_id, filter_, order)
        summary = parse_bool(spec.params.get("summary"), False)
        extra = {"summary": self._summary(items, order)} if summary else None
        return self.core.nested_edge(
            ctx, object_id, "comments", items, "comment", spec, extra, keep_empty=summary
        )

    def add_comment(self, call: Call) -> dict[str, Any]:
        """The page comments on a post or replies to a comment."""
        text = str(call.params.get("message") or "").strip()
        if not text and not call.params.get("attachment_url"):
            raise bad_param("(#100) Missing message or attachment")
        if call.kind == "post" and self.world.state["posts"][call.object_id]["deleted"]:
            raise unknown_object(call.object_id, call.method)
        return {"id": self.world.add_page_comment(call.object_id, text, call.ctx.now_ms)}
