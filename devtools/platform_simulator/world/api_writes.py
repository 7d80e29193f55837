"""What the platform APIs write into the world: page replies, comments, posts, Zalo sends.

Each write draws ids from its own RNG (seed + a counter), so a replayed run writes the same ids,
and records its ground truth at once (``source: api``).
"""

from __future__ import annotations

import random
from typing import Any

from platform_simulator.config import Channel
from platform_simulator.world import ids
from platform_simulator.world.queries import WorldQueries
from platform_simulator.world.threads import ThreadPlanner
from platform_simulator.world.truth import TruthLog


class ApiWrites(ThreadPlanner, TruthLog, WorldQueries):
    def _api_rng(self) -> random.Random:
        n = self.state["api_counter"]
        self.state["api_counter"] = n + 1
        return random.Random(f"{self.cfg.seed}|api|{n}")

    def send_fb_message(
        self, conv: dict[str, Any], text: str, now_ms: int, private_reply_to: str | None = None
    ) -> str:
        rng = self._api_rng()
        channel = self.channels[conv["channel"]]
        msg = {
            "id": self._unique(lambda: ids.fb_message_id(rng)),
            "seq": self.next_seq(),
            "conv_id": conv["id"],
            "page_id": conv["page_id"],
            "channel": conv["channel"],
            "citizen_id": conv["citizen_id"],
            "link_id": conv["link_id"],
            "from_id": conv["page_id"],
            "created_ms": now_ms,
            "message": text,
            "attachments": [],
            "private_reply_to": private_reply_to,
        }
        self._add_fb_message(msg)
        self._api_truth(
            channel,
            "messenger",
            msg["id"],
            conv["id"],
            conv["citizen_id"],
            now_ms,
            text,
            {"private_reply_to": private_reply_to},
        )
        return str(msg["id"])

    def open_private_conversation(self, channel: Channel, psid: str) -> dict[str, Any]:
        existing = self.conversation_with(channel, psid)
        if existing is not None:
            return existing
        rng = self._api_rng()
        person = self.citizens.get((channel.key, psid)) or self._new_citizen(
            channel, "comment", rng, id=psid, name="Người dùng Facebook"
        )
        conv_id = self._conversation_for(channel, person, rng)
        return self._add_conversation(
            conv_id, channel.platform_id, channel.key, psid, person["link_id"]
        )

    def add_page_comment(self, target_id: str, text: str, now_ms: int) -> str:
        s = self.state
        if target_id in s["posts"]:
            post_id, parent_id = target_id, None
        else:
            target = s["comments"][target_id]
            post_id = target["post_id"]
            parent_id = target["parent_id"] or target["id"]
        post = s["posts"][post_id]
        channel = self.channels[post["channel"]]
        rng = self._api_rng()
        comment = {
            "id": self._comment_id(post_id, rng),
            "seq": self.next_seq(),
            "post_id": post_id,
            "page_id": channel.platform_id,
            "channel": channel.key,
            "parent_id": parent_id,
            "from_id": channel.platform_id,
            "from_name": channel.name,
            "message": text,
            "created_ms": now_ms,
            "replies": [],
            "private_reply_conv": None,
            "deleted": False,
        }
        self._add_comment(comment)
        citizen = s["comments"][parent_id]["from_id"] if parent_id else None
        if citizen == channel.platform_id:
            citizen = None
        self._api_truth(
            channel,
            "comment",
            comment["id"],
            parent_id or comment["id"],
            citizen,
            now_ms,
            text,
            {"post_id": post_id, "parent_id": parent_id},
        )
        return str(comment["id"])

    def add_api_post(
        self,
        channel: Channel,
        message: str,
        now_ms: int,
        published: bool,
        scheduled_ms: int | None,
        link: str | None,
    ) -> str:
        rng = self._api_rng()
        digits = self._unique(lambda: ids.digits(rng, 16))
        post_id = f"{channel.platform_id}_{digits}"
        self.reserved.add(post_id)
        post = {
            "id": post_id,
            "seq": self.next_seq(),
            "page_id": channel.platform_id,
            "channel": channel.key,
            "message": message,
            "created_ms": scheduled_ms if scheduled_ms is not None else now_ms,
            "requested_ms": now_ms,
            "published": published,
            "scheduled_ms": scheduled_ms,
            "link": link,
            "source": "api",
            "topic": None,
            "deleted": False,
            "comments": [],
        }
        self._add_post(post)
        self.state["api_posts"].append(post_id)
        return post_id

    def send_zalo(self, channel: Channel, user_id: str, text: str, now_ms: int) -> str:
        rng = self._api_rng()
        msg = {
            "id": self._unique(lambda: ids.zalo_message_id(rng)),
            "seq": self.next_seq(),
            "oa_id": channel.platform_id,
            "channel": channel.key,
            "user_id": user_id,
            "src": 0,
            "time": now_ms,
            "type": "text",
            "message": text,
        }
        self._add_zalo_message(msg)
        self._api_truth(channel, "zalo", msg["id"], user_id, user_id, now_ms, text, {})
        return str(msg["id"])
