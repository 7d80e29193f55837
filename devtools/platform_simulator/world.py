"""The simulated world: pages, posts, comments, Messenger and Zalo threads, and ground truth.

All state lives in one JSON-native dict (``World.state``) so it can be persisted as-is.
Traffic is planned in one-hour buckets per channel with an RNG seeded by
``(seed, channel, bucket)``; planned events sit in ``pending`` until the clock passes them.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from platform_simulator.clock import from_ms, graph_time
from platform_simulator.config import Channel, Registry, SimulatorConfig
from platform_simulator.textgen import Label, TextFactory, area_for, person_name

LOCAL_TZ = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh, no DST
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
STATE_FORMAT = 1

# Relative citizen activity per local hour (0..23).
# fmt: off
HOUR_WEIGHTS = (
    0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 2.0, 2.0, 1.8,
    1.5, 1.5, 1.8, 1.8, 1.8, 1.8, 2.0, 2.2, 2.4, 2.2, 1.5, 0.8,
)
# fmt: on
HOUR_WEIGHT_SUM = sum(HOUR_WEIGHTS)
THREAD_SHARE = 0.72  # thread starts per citizen message (the rest are follow-ups)
POST_PROBABILITY = 0.45  # chance a Facebook page publishes on a given day
REPLY_PROBABILITY = {
    "tip": 0.55,
    "urgent": 0.85,
    "feedback": 0.6,
    "lost_found": 0.75,
    "greeting": 0.5,
    "spam": 0.0,
}
OFFICE_WINDOWS = {  # weekday -> [(start_minute, end_minute)] local time
    0: ((450, 690), (810, 1020)),
    1: ((450, 690), (810, 1020)),
    2: ((450, 690), (810, 1020)),
    3: ((450, 690), (810, 1020)),
    4: ((450, 690), (810, 1020)),
    5: ((450, 690),),
}
THANKS_LABEL = Label("greeting", "cam_on", False)


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(10 ** (n - 1), 10**n - 1))


def _fb_message_id(rng: random.Random) -> str:
    return "m_" + base64.urlsafe_b64encode(rng.getrandbits(384).to_bytes(48, "big")).decode()


def _zalo_message_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(80):020x}"


def _hotline(key: str) -> str:
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return f"0237.3{digest % 100:02d}.{digest // 100 % 1000:03d}"


def local_hour(ms: int) -> int:
    return int(ms // HOUR_MS + 7) % 24


def floor_hour(ms: int) -> int:
    return ms - ms % HOUR_MS


def in_office(ms: int) -> bool:
    local = from_ms(ms).astimezone(LOCAL_TZ)
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in OFFICE_WINDOWS.get(local.weekday(), ()))


def next_office_start(ms: int) -> int:
    """The start of the next office window strictly after ``ms``."""
    local = from_ms(ms).astimezone(LOCAL_TZ)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(0, 8):
        d = day + timedelta(days=offset)
        for start, _end in OFFICE_WINDOWS.get(d.weekday(), ()):
            candidate = d + timedelta(minutes=start)
            if candidate > local:
                return int(candidate.timestamp() * 1000)
    return ms + DAY_MS


def reply_time(rng: random.Random, after_ms: int, urgent: bool) -> int:
    """When staff answer: quick for urgent tips, else a delay snapped to office hours."""
    if urgent and rng.random() < 0.85:
        return after_ms + rng.randint(3, 30) * MINUTE_MS + rng.randint(0, 59_999)
    delay_min = min(2880.0, max(10.0, rng.lognormvariate(math.log(90), 1.1)))
    candidate = after_ms + int(delay_min * MINUTE_MS)
    if in_office(candidate):
        return candidate
    return next_office_start(candidate) + rng.randint(5, 90) * MINUTE_MS + rng.randint(0, 59_999)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class World:
    """The simulated platforms' data plus the generator that grows it."""

    def __init__(
        self,
        config: SimulatorConfig,
        registry: Registry,
        start_ms: int,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.cfg = config
        self.registry = registry
        self.channels: dict[str, Channel] = {c.key: c for c in registry.channels}
        self.by_platform_id: dict[str, Channel] = {c.platform_id: c for c in registry.channels}
        self.texts = {
            c.key: TextFactory(area_for(c.unit_name or c.name, c.unit), _hotline(c.key))
            for c in registry.channels
        }
        self.daily_rate = {
            c.key: (
                config.rate
                if config.rate is not None
                else random.Random(f"{config.seed}|rate|{c.key}").uniform(3.0, 12.0)
            )
            for c in registry.channels
        }
        if state is not None:
            self.state = state
            self._rebuild_indexes()
            return
        self.state = self._empty_state(start_ms)
        self._rebuild_indexes()
        self._generate_history(start_ms)

    # ------------------------------------------------------------------ state & indexes

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
            self.objects[conv["id"]] = ("conversation", conv["channel"])
            self.page_conversations.setdefault(conv["page_id"], []).append(conv["id"])
            self.conv_by_citizen[(conv["page_id"], conv["citizen_id"])] = conv["id"]
        for msg in s["fb_messages"].values():
            self.objects[msg["id"]] = ("message", msg["channel"])
        self.page_posts: dict[str, list[str]] = {}
        for post in s["posts"].values():
            self.objects[post["id"]] = ("post", post["channel"])
            self.page_posts.setdefault(post["page_id"], []).append(post["id"])
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

    def _unique(self, make: Any) -> str:
        while True:
            value = make()
            if value not in self.reserved:
                self.reserved.add(value)
                return str(value)

    # ------------------------------------------------------------------ generation

    def _generate_history(self, start_ms: int) -> None:
        history_from = floor_hour(start_ms - self.cfg.days * DAY_MS)
        posts_from = history_from - 7 * DAY_MS
        self.state["planned_until_ms"] = posts_from
        self.plan_until(start_ms, posts_only_before=history_from)
        self._plan_canaries(start_ms, history_from)
        self.materialize(start_ms, keep_future=self.cfg.live)

    def plan_until(self, now_ms: int, posts_only_before: int = 0) -> None:
        """Plan every hour bucket that starts at or before ``now_ms``."""
        s = self.state
        start_bucket = floor_hour(int(s["start_ms"]))
        while s["planned_until_ms"] <= now_ms:
            bucket = int(s["planned_until_ms"])
            for channel in self.registry.channels:
                self._plan_bucket(
                    channel,
                    bucket,
                    posts_only=bucket < posts_only_before,
                    live_rate=self.cfg.live and bucket > start_bucket,
                )
            s["planned_until_ms"] = bucket + HOUR_MS
        s["pending"].sort(key=lambda e: (e["t"], e["seq"]))

    def _hour_mean(self, channel: Channel, bucket: int, live_rate: bool) -> float:
        if live_rate and self.cfg.live_rate is not None:
            return self.cfg.live_rate / max(1, len(self.channels)) * THREAD_SHARE
        share = HOUR_WEIGHTS[local_hour(bucket)] / HOUR_WEIGHT_SUM
        return self.daily_rate[channel.key] * share * THREAD_SHARE

    def _plan_bucket(
        self, channel: Channel, bucket: int, posts_only: bool, live_rate: bool
    ) -> None:
        rng = random.Random(f"{self.cfg.seed}|{channel.key}|{bucket}")
        if (
            channel.platform == "facebook"
            and local_hour(bucket) == 8
            and rng.random() < POST_PROBABILITY
        ):
            self._plan_post(channel, bucket + rng.randint(0, 4 * HOUR_MS), rng)
        if posts_only:
            return
        count = _poisson(rng, self._hour_mean(channel, bucket, live_rate))
        starts = sorted(bucket + rng.randrange(HOUR_MS) for _ in range(count))
        for t0 in starts:
            self._plan_thread(channel, t0, rng, source="history" if not live_rate else "live")

    def _push(
        self, t: int, op: str, data: dict[str, Any], truth: dict[str, Any] | None = None
    ) -> None:
        seq = self.next_seq()
        data["seq"] = seq
        self.state["pending"].append({"t": t, "seq": seq, "op": op, "data": data, "truth": truth})

    def _plan_post(self, channel: Channel, t: int, rng: random.Random) -> None:
        counter = self.state["post_counter"]
        index = counter[channel.key]
        counter[channel.key] = index + 1
        offset = int(hashlib.sha256(channel.key.encode()).hexdigest()[:4], 16)
        topic, text = self.texts[channel.key].post(rng, index + offset)
        digits = self._unique(lambda: _digits(rng, 16))
        post_id = f"{channel.platform_id}_{digits}"
        self.reserved.add(post_id)
        self.state["post_index"][channel.key].append([post_id, t, topic])
        data = {
            "id": post_id,
            "page_id": channel.platform_id,
            "channel": channel.key,
            "message": text,
            "created_ms": t,
            "published": True,
            "scheduled_ms": None,
            "link": None,
            "source": "generated",
            "topic": topic,
            "deleted": False,
            "comments": [],
        }
        self._push(t, "fb_post", data)

    def _new_citizen(
        self, channel: Channel, surface: str, rng: random.Random, **extra: Any
    ) -> dict[str, Any]:
        digits = 19 if channel.platform == "zalo" else 16
        cid = extra.pop("id", None) or self._unique(lambda: _digits(rng, digits))
        self.reserved.add(cid)
        person = {
            "id": cid,
            "name": extra.pop("name", None) or person_name(rng),
            "surface": surface,
            "avatar": (
                f"https://s120-ava-talk.zadn.vn/{rng.getrandbits(64):016x}/{rng.randint(1, 9)}.jpg"
                if channel.platform == "zalo"
                else None
            ),
            "canary": bool(extra.pop("canary", False)),
            "conv_id": None,
            "link_id": None,
        }
        self.state["citizens"][channel.key].append(person)
        self.citizens[(channel.key, cid)] = person
        return person

    def _conversation_for(
        self, channel: Channel, person: dict[str, Any], rng: random.Random
    ) -> str:
        if not person.get("conv_id"):
            person["conv_id"] = self._unique(lambda: "t_" + _digits(rng, 15))
            person["link_id"] = _digits(rng, 16)
        return str(person["conv_id"])

    def _pick_citizen(self, channel: Channel, surface: str, rng: random.Random) -> dict[str, Any]:
        known = [
            p
            for p in self.state["citizens"][channel.key]
            if p["surface"] == surface and not p["canary"]
        ]
        if known and rng.random() < 0.25:
            return rng.choice(known)
        return self._new_citizen(channel, surface, rng)

    def _eligible_post(self, channel: Channel, t0: int, rng: random.Random) -> list[Any] | None:
        posts = [
            p
            for p in self.state["post_index"][channel.key]
            if t0 - 10 * DAY_MS < p[1] < t0 - 10 * MINUTE_MS
        ]
        if not posts:
            return None
        return rng.choice(posts[-4:])

    def _plan_thread(
        self,
        channel: Channel,
        t0: int,
        rng: random.Random,
        source: str,
        person: dict[str, Any] | None = None,
        label: Label | None = None,
        phone: str | None = None,
    ) -> None:
        if channel.platform == "zalo":
            surface = "zalo"
        else:
            surface = "comment" if rng.random() < 0.4 else "messenger"
        post = self._eligible_post(channel, t0, rng) if surface == "comment" else None
        if surface == "comment" and (post is None or person is not None):
            surface = "messenger"
        if person is None:
            person = self._pick_citizen(channel, surface, rng)
        texts = self.texts[channel.key]
        if label is None:
            label = texts.pick_label(rng, surface, post[2] if post else None)
        first = texts.citizen_text(rng, label, phone=phone)
        if phone and phone not in first:
            first = f"{first}. SĐT của em {phone}, cần thì gọi em"
        canary = bool(person.get("canary"))
        if surface == "comment":
            assert post is not None
            self._plan_comment_thread(channel, post[0], t0, rng, person, label, first, source)
            return
        turns: list[tuple[int, str, Label, str]] = [(t0, "in", label, first)]
        t = t0
        if label.category == "tip" and rng.random() < 0.3:
            t += rng.randint(1, 10) * MINUTE_MS + rng.randint(0, 59_999)
            turns.append((t, "in", label, texts.follow_up(rng, "detail", phone)))
        key = "urgent" if label.urgent else label.category
        p_reply = self.cfg.answer_ratio if key == "question" else REPLY_PROBABILITY[key]
        if rng.random() < p_reply:
            t = reply_time(rng, t, label.urgent)
            staff_key = "urgent" if label.urgent else label.category
            turns.append((t, "out", label, texts.staff_reply(rng, staff_key)))
            if rng.random() < 0.3:
                more = rng.random() < 0.4
                t += rng.randint(2, 180) * MINUTE_MS + rng.randint(0, 59_999)
                follow_label = (
                    Label(
                        "question", label.topic if label.category == "question" else "khac", False
                    )
                    if more
                    else THANKS_LABEL
                )
                turns.append(
                    (t, "in", follow_label, texts.follow_up(rng, "more" if more else "thanks"))
                )
                if more and rng.random() < 0.6:
                    t = reply_time(rng, t, False)
                    turns.append((t, "out", follow_label, texts.staff_reply(rng, "followup")))
        elif rng.random() < 0.25:
            t += rng.randint(3, 20) * HOUR_MS + rng.randint(0, HOUR_MS)
            turns.append((t, "in", label, texts.follow_up(rng, "nudge")))
        for t_msg, direction, lab, text in turns:
            self._plan_chat_message(
                channel, surface, person, t_msg, direction, lab, text, rng, source, canary
            )

    def _plan_chat_message(
        self,
        channel: Channel,
        surface: str,
        person: dict[str, Any],
        t: int,
        direction: str,
        label: Label,
        text: str,
        rng: random.Random,
        source: str,
        canary: bool,
    ) -> None:
        photo = direction == "in" and ("ảnh" in text or "anh xem" in text) and rng.random() < 0.8
        truth = {
            "direction": direction,
            "label": label.as_dict() if direction == "in" else None,
            "source": source,
            "canary": canary,
        }
        if surface == "zalo":
            data: dict[str, Any] = {
                "id": self._unique(lambda: _zalo_message_id(rng)),
                "oa_id": channel.platform_id,
                "channel": channel.key,
                "user_id": person["id"],
                "src": 1 if direction == "in" else 0,
                "time": t,
                "type": "photo" if photo else "text",
                "message": text,
            }
            if photo:
                data["url"] = f"https://photo-stal-zalo.zadn.vn/sim/{rng.getrandbits(64):016x}.jpg"
                data["thumb"] = data["url"].replace(".jpg", "_thumb.jpg")
            self._push(t, "zalo_msg", data, truth)
            return
        conv_id = self._conversation_for(channel, person, rng)
        data = {
            "id": self._unique(lambda: _fb_message_id(rng)),
            "conv_id": conv_id,
            "page_id": channel.platform_id,
            "channel": channel.key,
            "citizen_id": person["id"],
            "link_id": person["link_id"],
            "from_id": person["id"] if direction == "in" else channel.platform_id,
            "created_ms": t,
            "message": text,
            "attachments": [self._fb_image(rng)] if photo else [],
            "private_reply_to": None,
        }
        self._push(t, "fb_msg", data, truth)

    def _fb_image(self, rng: random.Random) -> dict[str, Any]:
        att_id = _digits(rng, 15)
        width, height = rng.choice(((1920, 1080), (1080, 1440), (960, 1280), (1280, 720)))
        url = f"https://scontent.xx.fbcdn.net/v/t1.15752-9/{_digits(rng, 9)}_{att_id}_n.jpg"
        return {
            "id": att_id,
            "mime_type": "image/jpeg",
            "name": f"image-{att_id}",
            "size": rng.randint(40_000, 400_000),
            "image_data": {
                "width": width,
                "height": height,
                "max_width": width,
                "max_height": height,
                "url": url,
                "preview_url": url.replace("_n.jpg", "_s.jpg"),
                "image_type": 1,
                "render_as_sticker": False,
            },
        }

    def _comment_id(self, post_id: str, rng: random.Random) -> str:
        post_digits = post_id.split("_", 1)[1]
        return self._unique(lambda: f"{post_digits}_{_digits(rng, 15)}")

    def _plan_comment_thread(
        self,
        channel: Channel,
        post_id: str,
        t0: int,
        rng: random.Random,
        person: dict[str, Any],
        label: Label,
        text: str,
        source: str,
    ) -> None:
        texts = self.texts[channel.key]
        top_id = self._comment_id(post_id, rng)
        self._push_comment(channel, post_id, top_id, None, person, t0, text, label, source)
        key = "urgent" if label.urgent else label.category
        p_reply = self.cfg.answer_ratio if key == "question" else REPLY_PROBABILITY[key]
        if rng.random() >= p_reply:
            if rng.random() < 0.2:
                t = t0 + rng.randint(2, 20) * HOUR_MS
                nudge = texts.follow_up(rng, "nudge")
                cid = self._comment_id(post_id, rng)
                self._push_comment(channel, post_id, cid, top_id, person, t, nudge, label, source)
            return
        t = reply_time(rng, t0, label.urgent)
        reply_text = texts.staff_reply(rng, key)
        if rng.random() < 0.12 and label.category in ("tip", "lost_found", "question"):
            # Private reply: a Messenger message tied to the comment.
            conv_id = self._conversation_for(channel, person, rng)
            data = {
                "id": self._unique(lambda: _fb_message_id(rng)),
                "conv_id": conv_id,
                "page_id": channel.platform_id,
                "channel": channel.key,
                "citizen_id": person["id"],
                "link_id": person["link_id"],
                "from_id": channel.platform_id,
                "created_ms": t,
                "message": reply_text,
                "attachments": [],
                "private_reply_to": top_id,
            }
            truth = {"direction": "out", "label": None, "source": source, "canary": False}
            self._push(t, "fb_msg", data, truth)
            return
        cid = self._comment_id(post_id, rng)
        self._push_comment(channel, post_id, cid, top_id, None, t, reply_text, None, source)
        if rng.random() < 0.25:
            t += rng.randint(5, 300) * MINUTE_MS
            thanks = texts.follow_up(rng, "thanks")
            cid2 = self._comment_id(post_id, rng)
            self._push_comment(
                channel, post_id, cid2, top_id, person, t, thanks, THANKS_LABEL, source
            )

    def _push_comment(
        self,
        channel: Channel,
        post_id: str,
        comment_id: str,
        parent_id: str | None,
        person: dict[str, Any] | None,
        t: int,
        text: str,
        label: Label | None,
        source: str,
    ) -> None:
        data = {
            "id": comment_id,
            "post_id": post_id,
            "page_id": channel.platform_id,
            "channel": channel.key,
            "parent_id": parent_id,
            "from_id": person["id"] if person else channel.platform_id,
            "from_name": person["name"] if person else channel.name,
            "message": text,
            "created_ms": t,
            "replies": [],
            "private_reply_conv": None,
            "deleted": False,
        }
        truth = {
            "direction": "in" if person else "out",
            "label": label.as_dict() if (person and label) else None,
            "source": source,
            "canary": bool(person and person.get("canary")),
        }
        self._push(t, "fb_comment", data, truth)

    def _plan_canaries(self, start_ms: int, history_from: int) -> None:
        chat_channels = [c for c in self.registry.channels if c.platform == "facebook"] or list(
            self.registry.channels
        )
        topics = ("ma_tuy", "cho_vay_nang_lai", "co_bac", "trom_cap")
        for i, canary in enumerate(self.cfg.canaries):
            rng = random.Random(f"{self.cfg.seed}|canary|{i}")
            key = canary.get("channel")
            channel = self.channels.get(str(key)) if key else chat_channels[i % len(chat_channels)]
            if channel is None:
                raise ValueError(f"canary {i}: unknown channel {key!r}")
            ident = str(canary.get("psid") or canary.get("user_id") or "") or None
            person = self._new_citizen(
                channel,
                "zalo" if channel.platform == "zalo" else "messenger",
                rng,
                id=ident,
                name=canary.get("name"),
                canary=True,
            )
            t0 = max(history_from + HOUR_MS, start_ms - (i + 1) * 7 * HOUR_MS - 30 * MINUTE_MS)
            label = Label("tip", topics[i % len(topics)], False)
            self._plan_canary_tip(channel, person, t0, rng, label, canary.get("phone"))

    def _plan_canary_tip(
        self,
        channel: Channel,
        person: dict[str, Any],
        t0: int,
        rng: random.Random,
        label: Label,
        phone: str | None,
    ) -> None:
        texts = self.texts[channel.key]
        text = texts.citizen_text(rng, label, phone=phone, style=False)
        if phone and phone not in text:
            text = f"{text}. SĐT của em {phone}, cần thì gọi em"
        surface = "zalo" if channel.platform == "zalo" else "messenger"
        self._plan_chat_message(
            channel, surface, person, t0, "in", label, text, rng, "canary", True
        )
        self.state["pending"].sort(key=lambda e: (e["t"], e["seq"]))

    def inject(self, count: int, now_ms: int) -> list[str]:
        """Plan ``count`` new citizen threads starting now (deterministic by seed+counter)."""
        created: list[str] = []
        channels = list(self.registry.channels)
        for _ in range(count):
            n = self.state["inject_counter"]
            self.state["inject_counter"] = n + 1
            rng = random.Random(f"{self.cfg.seed}|inject|{n}")
            channel = rng.choice(channels)
            before = len(self.state["pending"])
            self._plan_thread(channel, now_ms, rng, source="inject")
            created.extend(ev["data"]["id"] for ev in self.state["pending"][before : before + 1])
        self.state["pending"].sort(key=lambda e: (e["t"], e["seq"]))
        self.materialize(now_ms, keep_future=self.cfg.live)
        return created

    # ------------------------------------------------------------------ materialization

    def materialize(self, now_ms: int, keep_future: bool) -> int:
        """Apply planned events up to ``now_ms``; returns how many were applied."""
        pending = self.state["pending"]
        idx = 0
        while idx < len(pending) and pending[idx]["t"] <= now_ms:
            idx += 1
        due = pending[:idx]
        del pending[:idx]
        for item in due:
            self._apply(item)
        applied = len(due)
        if not keep_future:
            pending.clear()
        self.state["clock_ms"] = max(int(self.state["clock_ms"]), now_ms)
        return applied

    def catch_up(self, now_ms: int) -> int:
        """Live mode: plan and apply traffic up to ``now_ms``."""
        self.plan_until(now_ms)
        return self.materialize(now_ms, keep_future=True)

    def _apply(self, ev: dict[str, Any]) -> None:
        op, data = ev["op"], ev["data"]
        if op == "fb_post":
            self._add_post(data)
        elif op == "fb_comment":
            self._add_comment(data)
            self._record_truth(ev)
        elif op == "fb_msg":
            self._add_fb_message(data)
            self._record_truth(ev)
        elif op == "zalo_msg":
            self._add_zalo_message(data)
            self._record_truth(ev)

    def _add_post(self, post: dict[str, Any]) -> None:
        self.state["posts"][post["id"]] = post
        self.objects[post["id"]] = ("post", post["channel"])
        self.page_posts.setdefault(post["page_id"], []).append(post["id"])

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
            conv = {
                "id": msg["conv_id"],
                "page_id": msg["page_id"],
                "channel": msg["channel"],
                "citizen_id": msg["citizen_id"],
                "link_id": msg["link_id"],
                "messages": [],
            }
            s["conversations"][conv["id"]] = conv
            self.objects[conv["id"]] = ("conversation", conv["channel"])
            self.page_conversations.setdefault(conv["page_id"], []).append(conv["id"])
            self.conv_by_citizen[(conv["page_id"], conv["citizen_id"])] = conv["id"]
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

    def _record_truth(self, ev: dict[str, Any]) -> None:
        meta, data, op = ev["truth"], ev["data"], ev["op"]
        if meta is None:
            return
        channel = self.channels[data["channel"]]
        if op == "zalo_msg":
            citizen_id, t = data["user_id"], data["time"]
            surface, thread_id, text = "zalo", data["user_id"], data["message"]
            extra: dict[str, Any] = {}
        elif op == "fb_msg":
            citizen_id, t = data["citizen_id"], data["created_ms"]
            surface, thread_id, text = "messenger", data["conv_id"], data["message"]
            extra = {"private_reply_to": data.get("private_reply_to")}
        else:
            post = self.state["posts"][data["post_id"]]
            top = data["parent_id"] or data["id"]
            top_comment = self.state["comments"].get(top, data)
            citizen_id, t = top_comment["from_id"], data["created_ms"]
            if citizen_id == channel.platform_id:
                citizen_id = None
            surface, thread_id, text = "comment", top, data["message"]
            extra = {"post_id": post["id"], "parent_id": data["parent_id"]}
        person = self.citizens.get((channel.key, citizen_id)) if citizen_id else None
        record = {
            "id": data["id"],
            "seq": ev["seq"],
            "channel": channel.key,
            "unit": channel.unit,
            "platform": channel.platform,
            "platform_id": channel.platform_id,
            "surface": surface,
            "thread_id": thread_id,
            "citizen_id": citizen_id,
            "citizen_name": person["name"] if person else None,
            "direction": meta["direction"],
            "created_ms": t,
            "created_time": graph_time(t),
            "text": text,
            "label": meta["label"],
            "source": meta["source"],
            "canary": bool(meta.get("canary")),
            **extra,
        }
        self.state["truth"].append(record)

    # ------------------------------------------------------------------ queries

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

    def truth(self) -> list[dict[str, Any]]:
        return sorted(self.state["truth"], key=lambda r: (r["created_ms"], r["seq"]))

    # ------------------------------------------------------------------ API mutations

    def _api_rng(self) -> random.Random:
        n = self.state["api_counter"]
        self.state["api_counter"] = n + 1
        return random.Random(f"{self.cfg.seed}|api|{n}")

    def _api_truth(
        self,
        channel: Channel,
        surface: str,
        obj_id: str,
        thread_id: str,
        citizen_id: str | None,
        t: int,
        text: str,
        extra: dict[str, Any],
    ) -> None:
        person = self.citizens.get((channel.key, citizen_id)) if citizen_id else None
        self.state["truth"].append(
            {
                "id": obj_id,
                "seq": self.next_seq(),
                "channel": channel.key,
                "unit": channel.unit,
                "platform": channel.platform,
                "platform_id": channel.platform_id,
                "surface": surface,
                "thread_id": thread_id,
                "citizen_id": citizen_id,
                "citizen_name": person["name"] if person else None,
                "direction": "out",
                "created_ms": t,
                "created_time": graph_time(t),
                "text": text,
                "label": None,
                "source": "api",
                "canary": False,
                **extra,
            }
        )

    def send_fb_message(
        self, conv: dict[str, Any], text: str, now_ms: int, private_reply_to: str | None = None
    ) -> str:
        rng = self._api_rng()
        channel = self.channels[conv["channel"]]
        msg = {
            "id": self._unique(lambda: _fb_message_id(rng)),
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

    def conversation_with(self, channel: Channel, psid: str) -> dict[str, Any] | None:
        conv_id = self.conv_by_citizen.get((channel.platform_id, psid))
        return self.state["conversations"].get(conv_id) if conv_id else None

    def open_private_conversation(self, channel: Channel, psid: str) -> dict[str, Any]:
        existing = self.conversation_with(channel, psid)
        if existing is not None:
            return existing
        rng = self._api_rng()
        person = self.citizens.get((channel.key, psid)) or self._new_citizen(
            channel, "comment", rng, id=psid, name="Người dùng Facebook"
        )
        conv_id = self._conversation_for(channel, person, rng)
        conv = {
            "id": conv_id,
            "page_id": channel.platform_id,
            "channel": channel.key,
            "citizen_id": psid,
            "link_id": person["link_id"],
            "messages": [],
        }
        self.state["conversations"][conv_id] = conv
        self.objects[conv_id] = ("conversation", channel.key)
        self.page_conversations.setdefault(channel.platform_id, []).append(conv_id)
        self.conv_by_citizen[(channel.platform_id, psid)] = conv_id
        return conv

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
        digits = self._unique(lambda: _digits(rng, 16))
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

    def last_post_text(self, page_id: str) -> str | None:
        posts = [self.state["posts"][p] for p in self.page_posts.get(page_id, [])]
        posts = [p for p in posts if not p["deleted"]]
        if not posts:
            return None
        last = max(posts, key=lambda p: (p.get("requested_ms", p["created_ms"]), p["seq"]))
        return str(last["message"])

    def send_zalo(self, channel: Channel, user_id: str, text: str, now_ms: int) -> str:
        rng = self._api_rng()
        msg = {
            "id": self._unique(lambda: _zalo_message_id(rng)),
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

    def activity_by_day(self, platform_id: str) -> dict[str, int]:
        """Citizen messages/comments per local date (for insights)."""
        out: dict[str, int] = {}
        for rec in self.state["truth"]:
            if rec["platform_id"] == platform_id and rec["direction"] == "in":
                day = from_ms(rec["created_ms"]).astimezone(LOCAL_TZ).date().isoformat()
                out[day] = out.get(day, 0) + 1
        return out


def parse_time(value: str | int | float | None) -> int | None:
    """Unix seconds, ISO 8601 or a date -> epoch ms (Graph's since/until/scheduled times)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value * 1000)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text) * 1000
    try:
        dt = datetime.fromisoformat(text.replace("+0000", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)
