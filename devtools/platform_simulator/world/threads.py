"""Planning conversations: who writes, what, on which surface, and how staff answer.

Each planned message or comment is pushed to ``state["pending"]`` with its ground-truth
metadata; nothing is visible on the platforms until the clock passes it (``materialize``).
"""

from __future__ import annotations

import random
from functools import cached_property
from typing import Any

from platform_simulator.config import Channel
from platform_simulator.textgen import Label, TextFactory, area_for, person_name
from platform_simulator.world import ids
from platform_simulator.world.store import WorldStore
from platform_simulator.world.timing import DAY_MS, HOUR_MS, MINUTE_MS, reply_time

REPLY_PROBABILITY = {
    "tip": 0.55,
    "urgent": 0.85,
    "feedback": 0.6,
    "lost_found": 0.75,
    "greeting": 0.5,
    "spam": 0.0,
}
THANKS_LABEL = Label("greeting", "cam_on", False)


def with_phone(text: str, phone: str | None) -> str:
    """The citizen's text, with their phone number added when the text left it out."""
    if phone and phone not in text:
        return f"{text}. SĐT của em {phone}, cần thì gọi em"
    return text


class ThreadPlanner(WorldStore):
    """Plans citizen threads (Messenger, comments, Zalo) and the staff replies to them."""

    @cached_property
    def texts(self) -> dict[str, TextFactory]:
        """Each channel's text factory (its area's places, its hotline)."""
        return {
            c.key: TextFactory(area_for(c.unit_name or c.name, c.unit), ids.hotline(c.key))
            for c in self.registry.channels
        }

    @staticmethod
    def _reply_key(label: Label) -> str:
        """Which staff replies fit (and how likely one is): urgent tips, else the category."""
        return "urgent" if label.urgent else label.category

    def _reply_probability(self, key: str) -> float:
        return self.cfg.answer_ratio if key == "question" else REPLY_PROBABILITY[key]

    def _push(
        self, t: int, op: str, data: dict[str, Any], truth: dict[str, Any] | None = None
    ) -> None:
        seq = self.next_seq()
        data["seq"] = seq
        self.state["pending"].append({"t": t, "seq": seq, "op": op, "data": data, "truth": truth})

    def _new_citizen(
        self, channel: Channel, surface: str, rng: random.Random, **extra: Any
    ) -> dict[str, Any]:
        digits = 19 if channel.platform == "zalo" else 16
        cid = extra.pop("id", None) or self._unique(lambda: ids.digits(rng, digits))
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
            person["conv_id"] = self._unique(lambda: "t_" + ids.digits(rng, 15))
            person["link_id"] = ids.digits(rng, 16)
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
        first = with_phone(texts.citizen_text(rng, label, phone=phone), phone)
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
        key = self._reply_key(label)
        if rng.random() < self._reply_probability(key):
            t = reply_time(rng, t, label.urgent)
            turns.append((t, "out", label, texts.staff_reply(rng, key)))
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
                "id": self._unique(lambda: ids.zalo_message_id(rng)),
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
        self._push_fb_message(channel, person, rng, t, direction != "in", text, truth, photo)

    def _push_fb_message(
        self,
        channel: Channel,
        person: dict[str, Any],
        rng: random.Random,
        t: int,
        outgoing: bool,
        text: str,
        truth: dict[str, Any],
        photo: bool = False,
        private_reply_to: str | None = None,
    ) -> None:
        """A Messenger message between the page and ``person`` (their conversation if new)."""
        conv_id = self._conversation_for(channel, person, rng)
        data = {
            "id": self._unique(lambda: ids.fb_message_id(rng)),
            "conv_id": conv_id,
            "page_id": channel.platform_id,
            "channel": channel.key,
            "citizen_id": person["id"],
            "link_id": person["link_id"],
            "from_id": channel.platform_id if outgoing else person["id"],
            "created_ms": t,
            "message": text,
            "attachments": [self._fb_image(rng)] if photo else [],
            "private_reply_to": private_reply_to,
        }
        self._push(t, "fb_msg", data, truth)

    def _fb_image(self, rng: random.Random) -> dict[str, Any]:
        att_id = ids.digits(rng, 15)
        width, height = rng.choice(((1920, 1080), (1080, 1440), (960, 1280), (1280, 720)))
        url = f"https://scontent.xx.fbcdn.net/v/t1.15752-9/{ids.digits(rng, 9)}_{att_id}_n.jpg"
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
        return self._unique(lambda: f"{post_digits}_{ids.digits(rng, 15)}")

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
        key = self._reply_key(label)
        if rng.random() >= self._reply_probability(key):
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
            truth = {"direction": "out", "label": None, "source": source, "canary": False}
            self._push_fb_message(
                channel, person, rng, t, True, reply_text, truth, private_reply_to=top_id
            )
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
