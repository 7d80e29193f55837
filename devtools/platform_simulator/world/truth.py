"""Ground truth: one record per citizen or staff message, as the platforms would show it.

Tests and the e2e harness compare what the pipeline collected against ``/_sim/truth``; every
message that reaches the world (planned traffic or an API write) is recorded here.
"""

from __future__ import annotations

from typing import Any

from platform_simulator.clock import from_ms, graph_time
from platform_simulator.config import Channel
from platform_simulator.world.store import WorldStore
from platform_simulator.world.timing import LOCAL_TZ


class TruthLog(WorldStore):
    def truth(self) -> list[dict[str, Any]]:
        return sorted(self.state["truth"], key=lambda r: (r["created_ms"], r["seq"]))

    def activity_by_day(self, platform_id: str) -> dict[str, int]:
        """Citizen messages/comments per local date (for insights)."""
        out: dict[str, int] = {}
        for rec in self.state["truth"]:
            if rec["platform_id"] == platform_id and rec["direction"] == "in":
                day = from_ms(rec["created_ms"]).astimezone(LOCAL_TZ).date().isoformat()
                out[day] = out.get(day, 0) + 1
        return out

    def _record_truth(self, ev: dict[str, Any]) -> None:
        """The truth of a planned event as it materialises (``ev["truth"]`` None: none)."""
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
        self._append_truth(
            channel,
            citizen_id,
            obj_id=data["id"],
            seq=ev["seq"],
            surface=surface,
            thread_id=thread_id,
            t=t,
            text=text,
            direction=meta["direction"],
            label=meta["label"],
            source=meta["source"],
            canary=bool(meta.get("canary")),
            extra=extra,
        )

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
        """The truth of a staff message the API wrote (Send API, a page comment, a Zalo send)."""
        self._append_truth(
            channel,
            citizen_id,
            obj_id=obj_id,
            seq=self.next_seq(),
            surface=surface,
            thread_id=thread_id,
            t=t,
            text=text,
            direction="out",
            label=None,
            source="api",
            canary=False,
            extra=extra,
        )

    def _append_truth(
        self,
        channel: Channel,
        citizen_id: str | None,
        *,
        obj_id: str,
        seq: int,
        surface: str,
        thread_id: str,
        t: int,
        text: str,
        direction: str,
        label: dict[str, Any] | None,
        source: str,
        canary: bool,
        extra: dict[str, Any],
    ) -> None:
        person = self.citizens.get((channel.key, citizen_id)) if citizen_id else None
        self.state["truth"].append(
            {
                "id": obj_id,
                "seq": seq,
                "channel": channel.key,
                "unit": channel.unit,
                "platform": channel.platform,
                "platform_id": channel.platform_id,
                "surface": surface,
                "thread_id": thread_id,
                "citizen_id": citizen_id,
                "citizen_name": person["name"] if person else None,
                "direction": direction,
                "created_ms": t,
                "created_time": graph_time(t),
                "text": text,
                "label": label,
                "source": source,
                "canary": canary,
                **extra,
            }
        )
