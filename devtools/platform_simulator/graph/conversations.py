"""Messenger conversations: the page's inbox edge, the conversation node and its messages."""

from __future__ import annotations

from typing import Any

from platform_simulator.clock import graph_time
from platform_simulator.fields import FieldSpec
from platform_simulator.graph.core import Resource
from platform_simulator.graph.errors import GraphError, bad_param
from platform_simulator.graph.request import Call, Ctx, Getter, Handler, RouteKey


class Conversations(Resource):
    def getters(self) -> dict[str, dict[str, Getter]]:
        core = self.core

        def participants(conv: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            ch = self.world.channels[conv["channel"]]
            people = [core.person(ch, conv["citizen_id"]), core.person(ch, conv["page_id"])]
            return {"data": [core.sub(p, spec) for p in people]}

        def unread(conv: dict[str, Any]) -> int:
            count = 0
            for mid in reversed(conv["messages"]):
                if self.world.state["fb_messages"][mid]["from_id"] == conv["page_id"]:
                    break
                count += 1
            return count

        def messages(conv: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            msgs = self.messages_of(conv)
            return core.nested_edge(ctx, conv["id"], "messages", msgs, "message", spec)

        return {
            "conversation": {
                "id": lambda o, s, c: o["id"],
                "link": lambda o, s, c: f"/{o['page_id']}/inbox/{o['link_id']}/",
                "snippet": lambda o, s, c: self.world.conversation_last(o)["message"][:100],
                "updated_time": lambda o, s, c: graph_time(
                    self.world.conversation_last(o)["created_ms"]
                ),
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
        }

    def routes(self) -> dict[RouteKey, Handler]:
        return {
            ("page", "GET", "conversations"): self.list_conversations,
            ("conversation", "GET", "messages"): self.list_messages,
            ("conversation", "POST", "messages"): self.refuse_post,
        }

    def messages_of(self, conv: dict[str, Any]) -> list[dict[str, Any]]:
        """A conversation's messages, newest first."""
        table = self.world.state["fb_messages"]
        return [table[m] for m in reversed(conv["messages"])]

    def list_conversations(self, call: Call) -> dict[str, Any]:
        params, specs = call.params, call.specs
        platform = str(params.get("platform") or "messenger").lower()
        if platform not in ("messenger", "instagram"):
            raise bad_param("(#100) param platform must be one of {MESSENGER, INSTAGRAM}")
        folder = str(params.get("folder") or "inbox").lower()
        convs = self.world.conversations_of(call.channel.platform_id)
        if platform == "instagram" or folder != "inbox":
            convs = []
        user_id = params.get("user_id")
        if user_id:
            convs = [c for c in convs if c["citizen_id"] == str(user_id)]
            if specs is None:
                specs = [FieldSpec("id")]
        return self.core.edge_list(call.ctx, convs, "conversation", specs, params, call.endpoint)

    def list_messages(self, call: Call) -> dict[str, Any]:
        msgs = self.messages_of(self.world.state["conversations"][call.object_id])
        ctx, specs, params = call.ctx, call.specs, call.params
        return self.core.edge_list(ctx, msgs, "message", specs, params, call.endpoint)

    @staticmethod
    def refuse_post(call: Call) -> Any:
        raise GraphError(
            400,
            3,
            "(#3) Application does not have the capability to make this API "
            "call. Use the Send API (POST /{page-id}/messages) instead.",
        )
