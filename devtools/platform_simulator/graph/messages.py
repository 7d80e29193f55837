"""Messenger messages: the message node, and the Send API (`POST /{page}/messages`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from platform_simulator.clock import graph_time
from platform_simulator.fields import FieldSpec
from platform_simulator.graph.core import ABSENT, Resource
from platform_simulator.graph.errors import GraphError, bad_param, outside_window
from platform_simulator.graph.paging import encode_cursor
from platform_simulator.graph.request import Call, Ctx, Getter, Handler, RouteKey
from platform_simulator.world.timing import DAY_MS

if TYPE_CHECKING:
    from platform_simulator.config import Channel

SEND_WINDOW_MS = 24 * 3600 * 1000
HUMAN_AGENT_WINDOW_MS = 7 * DAY_MS
MESSAGE_TAGS = {"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"}


class Messages(Resource):
    def getters(self) -> dict[str, dict[str, Getter]]:
        core = self.core

        def person(msg: dict[str, Any], person_id: str, spec: FieldSpec) -> dict[str, Any]:
            return core.sub(core.person(self.world.channels[msg["channel"]], person_id), spec)

        def to(msg: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            target = msg["citizen_id"] if msg["from_id"] == msg["page_id"] else msg["page_id"]
            return {"data": [person(msg, target, spec)]}

        def attachments(msg: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            items = msg.get("attachments") or []
            if not items:
                return ABSENT
            data = [core.sub(dict(a), spec) for a in items]
            cursor = encode_cursor(items[0]["id"])
            return {"data": data, "paging": {"cursors": {"before": cursor, "after": cursor}}}

        def tags(msg: dict[str, Any], spec: FieldSpec, ctx: Ctx) -> Any:
            if msg["from_id"] == msg["page_id"]:
                names = ["inbox", "sent", "source:web"]
            else:
                names = ["inbox", "read", "source:mobile"]
            return {"data": [{"name": n} for n in names]}

        return {
            "message": {
                "id": lambda o, s, c: o["id"],
                "created_time": lambda o, s, c: graph_time(o["created_ms"]),
                "message": lambda o, s, c: o["message"],
                "from": lambda o, s, c: person(o, o["from_id"], s),
                "to": to,
                "attachments": attachments,
                "tags": tags,
                "sticker": lambda o, s, c: ABSENT,
                "shares": lambda o, s, c: ABSENT,
                "is_unsupported": lambda o, s, c: False,
            }
        }

    def routes(self) -> dict[RouteKey, Handler]:
        return {
            ("message", "GET", ""): self.read,
            ("page", "POST", "messages"): self.send,
        }

    def read(self, call: Call) -> dict[str, Any]:
        """`GET /{message-id}`; with `message_detail_limit`, only the newest N can be read."""
        msg = self.core.node("message", call.object_id)
        limit = self.sim.cfg.message_detail_limit
        if limit:
            conv = self.world.state["conversations"][msg["conv_id"]]
            if msg["id"] not in conv["messages"][-limit:]:
                raise GraphError(
                    400,
                    100,
                    f"(#100) This message has been deleted. Only the {limit} most recent "
                    "messages in a conversation can be read.",
                    subcode=2534022,
                )
        return self.core.render("message", msg, call.specs, call.ctx)

    def send(self, call: Call) -> dict[str, Any]:
        ctx, channel, params = call.ctx, call.channel, call.params
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


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
