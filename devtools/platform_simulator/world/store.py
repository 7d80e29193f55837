"""The world's storage: one JSON-native state dict, the indexes over it, and how objects enter it.

All state lives in ``WorldStore.state`` so it can be persisted as-is (``--state``); the indexes
(``objects``, ``citizens``, per-page lists) are rebuilt from it on load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from platform_simulator.config import Channel, Registry, SimulatorConfig

STATE_FORMAT = 1


class WorldStore:
    """The state dict and its indexes; every stored object goes through the ``_add_*`` methods."""

    def __init__(
        self,
        config: SimulatorConfig,
        registry: Registry,
        start_ms: int,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.cfg = config
        self.registry = registry
        # called with (op, data) for every event applied from now on (the webhook pusher)
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self.channels: dict[str, Channel] = {c.key: c for c in registry.channels}
        self.by_platform_id: dict[str, Channel] = {c.platform_id: c for c in registry.channels}
        self.state = state if state is not None else self._empty_state(start_ms)
        self._rebuild_indexes()
        if state is None:
            self._populate(start_ms)

    def _populate(self, start_ms: int) -> None:
        """Fill a new (not loaded) world; the planner generates its history here."""

    def _empty_state(self, start_ms: int) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "seed": self.cfg.seed,
            "start_ms": start_ms,
            "clock_ms": start_ms,
            "seq": 0,
            "citizens": {c.key: [] for c in self.registry.channels},
            "conversations": {},
            "fb_messages": {},
            "posts": {},
            "comments": {},
            "zalo_threads": {
                c.platform_id: {} for c in self.registry.channels if c.platform == "zalo"
            },
            "truth": [],
            "pending": [],
            "planned_until_ms": 0,
            "post_index": {c.key: [] for c in self.registry.channels},
            "post_counter": {c.key: 0 for c in self.registry.channels},
            "inject_counter": 0,
            "api_counter": 0,
            "api_posts": [],
            "slack": {"messages": [], "dms": {}, "last_ts": {}},
            "zalo_tokens": {},
        }

    def _rebuild_indexes(self) -> None:
        s = self.state
        for c in self.registry.channels:  # channels added since the state was saved
            s["citizens"].setdefault(c.key, [])
            s["post_index"].setdefault(c.key, [])
            s["post_counter"].setdefault(c.key, 0)
            if c.platform == "zalo":
                s["zalo_threads"].setdefault(c.platform_id, {})
        self.objects: dict[str, tuple[str, str]] = {}
        for c in self.registry.channels:
            self.objects[c.platform_id] = ("page" if c.platform == "facebook" else "oa", c.key)
        self.page_conversations: dict[str, list[str]] = {}
        self.conv_by_citizen: dict[tuple[str, str], str] = {}
        for conv in s["conversations"].values():
            self._index_conversation(conv)
        for msg in s["fb_messages"].values():
            self.objects[msg["id"]] = ("message", msg["channel"])
        self.page_posts: dict[str, list[str]] = {}
        for post in s["posts"].values():
            self._index_post(post)
        for comment in s["comments"].values():
            self.objects[comment["id"]] = ("comment", comment["channel"])
        self.citizens: dict[tuple[str, str], dict[str, Any]] = {}
        for key, people in s["citizens"].items():
            for person in people:
                self.citizens[(key, person["id"])] = person
        self.reserved: set[str] = set(self.objects)
        for ev in s["pending"]:
            self.reserved.add(ev["data"].get("id", ""))

    def next_seq(self) -> int:
        self.state["seq"] += 1
        return int(self.state["seq"])

    def _unique(self, make: Callable[[], str]) -> str:
        """``make()`` until it gives an id no object has (or is planned to have); reserve it."""
        while True:
            value = make()
            if value not in self.reserved:
                self.reserved.add(value)
                return str(value)

    # ------------------------------------------------------------------ adding objects

    def _index_conversation(self, conv: dict[str, Any]) -> None:
        self.objects[conv["id"]] = ("conversation", conv["channel"])
        self.page_conversations.setdefault(conv["page_id"], []).append(conv["id"])
        self.conv_by_citizen[(conv["page_id"], conv["citizen_id"])] = conv["id"]

    def _index_post(self, post: dict[str, Any]) -> None:
        self.objects[post["id"]] = ("post", post["channel"])
        self.page_posts.setdefault(post["page_id"], []).append(post["id"])

    def _add_conversation(
        self, conv_id: str, page_id: str, channel_key: str, citizen_id: str, link_id: Any
    ) -> dict[str, Any]:
        conv = {
            "id": conv_id,
            "page_id": page_id,
            "channel": channel_key,
            "citizen_id": citizen_id,
            "link_id": link_id,
            "messages": [],
        }
        self.state["conversations"][conv_id] = conv
        self._index_conversation(conv)
        return conv

    def _add_post(self, post: dict[str, Any]) -> None:
        self.state["posts"][post["id"]] = post
        self._index_post(post)

    def _add_comment(self, comment: dict[str, Any]) -> None:
        s = self.state
        s["comments"][comment["id"]] = comment
        self.objects[comment["id"]] = ("comment", comment["channel"])
        if comment["parent_id"]:
            s["comments"][comment["parent_id"]]["replies"].append(comment["id"])
        else:
            s["posts"][comment["post_id"]]["comments"].append(comment["id"])

    def _add_fb_message(self, msg: dict[str, Any]) -> None:
        s = self.state
        conv = s["conversations"].get(msg["conv_id"])
        if conv is None:
            conv = self._add_conversation(
                msg["conv_id"], msg["page_id"], msg["channel"], msg["citizen_id"], msg["link_id"]
            )
        s["fb_messages"][msg["id"]] = msg
        self.objects[msg["id"]] = ("message", msg["channel"])
        conv["messages"].append(msg["id"])
        if msg.get("private_reply_to"):
            comment = s["comments"].get(msg["private_reply_to"])
            if comment is not None:
                comment["private_reply_conv"] = conv["id"]

    def _add_zalo_message(self, msg: dict[str, Any]) -> None:
        threads = self.state["zalo_threads"].setdefault(msg["oa_id"], {})
        threads.setdefault(msg["user_id"], []).append(msg)
