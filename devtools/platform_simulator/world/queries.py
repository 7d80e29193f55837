"""Read-only views of the world for the API handlers (ordering as the platforms order)."""

from __future__ import annotations

from typing import Any

from platform_simulator.config import Channel
from platform_simulator.world.store import WorldStore


class WorldQueries(WorldStore):
    def conversation_last(self, conv: dict[str, Any]) -> dict[str, Any]:
        return self.state["fb_messages"][conv["messages"][-1]]

    def conversations_of(self, page_id: str) -> list[dict[str, Any]]:
        """Page conversations, newest ``updated_time`` first."""
        convs = [self.state["conversations"][c] for c in self.page_conversations.get(page_id, [])]
        convs = [c for c in convs if c["messages"]]

        def key(conv: dict[str, Any]) -> tuple[int, int]:
            last = self.conversation_last(conv)
            return (last["created_ms"], last["seq"])

        return sorted(convs, key=key, reverse=True)

    def posts_of(self, page_id: str, now_ms: int) -> list[dict[str, Any]]:
        """Published, visible page posts, newest first."""
        posts = [self.state["posts"][p] for p in self.page_posts.get(page_id, [])]
        visible = [
            p
            for p in posts
            if not p["deleted"]
            and p["created_ms"] <= now_ms
            and (p["published"] or p["scheduled_ms"] is not None)
        ]
        return sorted(visible, key=lambda p: (p["created_ms"], p["seq"]), reverse=True)

    def scheduled_posts_of(self, page_id: str, now_ms: int) -> list[dict[str, Any]]:
        posts = [self.state["posts"][p] for p in self.page_posts.get(page_id, [])]
        waiting = [
            p for p in posts if not p["deleted"] and not p["published"] and p["created_ms"] > now_ms
        ]
        return sorted(waiting, key=lambda p: (p["created_ms"], p["seq"]), reverse=True)

    def comments_of(self, object_id: str, stream: bool) -> list[dict[str, Any]]:
        """Comments of a post (top level or whole stream) or replies of a comment; oldest first."""
        s = self.state
        if object_id in s["posts"]:
            top = [s["comments"][c] for c in s["posts"][object_id]["comments"]]
            top = [c for c in top if not c["deleted"]]
            if not stream:
                return sorted(top, key=lambda c: (c["created_ms"], c["seq"]))
            flat = list(top)
            for c in top:
                flat.extend(s["comments"][r] for r in c["replies"])
            flat = [c for c in flat if not c["deleted"]]
            return sorted(flat, key=lambda c: (c["created_ms"], c["seq"]))
        comment = s["comments"][object_id]
        replies = [s["comments"][r] for r in comment["replies"]]
        return sorted(
            [c for c in replies if not c["deleted"]], key=lambda c: (c["created_ms"], c["seq"])
        )

    def zalo_thread(self, oa_id: str, user_id: str) -> list[dict[str, Any]]:
        return self.state["zalo_threads"].get(oa_id, {}).get(user_id, [])

    def zalo_person(self, channel: Channel, user_id: str) -> dict[str, Any] | None:
        return self.citizens.get((channel.key, user_id))

    def last_citizen_ms(self, conv: dict[str, Any]) -> int | None:
        for mid in reversed(conv["messages"]):
            msg = self.state["fb_messages"][mid]
            if msg["from_id"] != conv["page_id"]:
                return int(msg["created_ms"])
        return None

    def conversation_with(self, channel: Channel, psid: str) -> dict[str, Any] | None:
        conv_id = self.conv_by_citizen.get((channel.platform_id, psid))
        return self.state["conversations"].get(conv_id) if conv_id else None

    def last_post_text(self, page_id: str) -> str | None:
        posts = [self.state["posts"][p] for p in self.page_posts.get(page_id, [])]
        posts = [p for p in posts if not p["deleted"]]
        if not posts:
            return None
        last = max(posts, key=lambda p: (p.get("requested_ms", p["created_ms"]), p["seq"]))
        return str(last["message"])
