"""Planning traffic: hour buckets per channel, page posts, canaries, injected threads.

Traffic is planned in one-hour buckets per channel with an RNG seeded by
``(seed, channel, bucket)``; planned events sit in ``pending`` until the clock passes them,
then ``materialize`` stores them and records their ground truth.
"""

from __future__ import annotations

import hashlib
import math
import random
from functools import cached_property
from typing import Any

from platform_simulator.config import Channel
from platform_simulator.textgen import Label
from platform_simulator.vocab import CITIZEN_TEMPLATES
from platform_simulator.world import ids
from platform_simulator.world.threads import ThreadPlanner, with_phone
from platform_simulator.world.timing import DAY_MS, HOUR_MS, MINUTE_MS, floor_hour, local_hour
from platform_simulator.world.truth import TruthLog

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


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Planner(ThreadPlanner, TruthLog):
    """Grows the world: plans traffic up to a time, then applies what the clock has passed."""

    @cached_property
    def daily_rate(self) -> dict[str, float]:
        """Citizen messages per day by channel: ``--traffic`` (per channel), else ``--rate``,
        else 3-12 fixed by the seed."""
        traffic = self.cfg.traffic or {}
        return {
            c.key: (
                traffic[c.key]
                if c.key in traffic
                else self.cfg.rate
                if self.cfg.rate is not None
                else random.Random(f"{self.cfg.seed}|rate|{c.key}").uniform(3.0, 12.0)
            )
            for c in self.registry.channels
        }

    def _populate(self, start_ms: int) -> None:
        self._generate_history(start_ms)

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
        count = poisson(rng, self._hour_mean(channel, bucket, live_rate))
        starts = sorted(bucket + rng.randrange(HOUR_MS) for _ in range(count))
        for t0 in starts:
            self._plan_thread(channel, t0, rng, source="history" if not live_rate else "live")

    def _plan_post(self, channel: Channel, t: int, rng: random.Random) -> None:
        counter = self.state["post_counter"]
        index = counter[channel.key]
        counter[channel.key] = index + 1
        offset = int(hashlib.sha256(channel.key.encode()).hexdigest()[:4], 16)
        topic, text = self.texts[channel.key].post(rng, index + offset)
        digits = self._unique(lambda: ids.digits(rng, 16))
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
            self._plan_canary_tip(
                channel, person, t0, rng, label, canary.get("phone"), canary.get("intro")
            )

    def _plan_canary_tip(
        self,
        channel: Channel,
        person: dict[str, Any],
        t0: int,
        rng: random.Random,
        label: Label,
        phone: str | None,
        intro: str | None = None,
    ) -> None:
        texts = self.texts[channel.key]
        text = with_phone(texts.citizen_text(rng, label, phone=phone, style=False), phone)
        if intro:  # how the informant introduces themself: name with a kinship word, home
            text = f"{intro}. {text}"
        surface = "zalo" if channel.platform == "zalo" else "messenger"
        self._plan_chat_message(
            channel, surface, person, t0, "in", label, text, rng, "canary", True
        )
        self.state["pending"].sort(key=lambda e: (e["t"], e["seq"]))

    def inject(
        self, count: int, now_ms: int, category: str | None = None, urgent: bool = False
    ) -> list[str]:
        """Plan ``count`` new citizen threads starting now (deterministic by seed+counter).

        With ``category`` (and ``urgent``), every thread opens with a message of that kind."""
        created: list[str] = []
        channels = list(self.registry.channels)
        kinds = [k for k in CITIZEN_TEMPLATES if k[0] == category and k[2] == urgent]
        if category is not None and not kinds:
            raise ValueError(f"no citizen template for category {category!r}, urgent={urgent}")
        for _ in range(count):
            n = self.state["inject_counter"]
            self.state["inject_counter"] = n + 1
            rng = random.Random(f"{self.cfg.seed}|inject|{n}")
            channel = rng.choice(channels)
            label = Label(*rng.choice(kinds)) if kinds else None
            before = len(self.state["pending"])
            self._plan_thread(channel, now_ms, rng, source="inject", label=label)
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
        for listener in self.listeners:
            listener(op, data)
