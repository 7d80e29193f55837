"""The Page node: its fields, and the app's webhook subscription edge."""

from __future__ import annotations

import hashlib
from typing import Any

from platform_simulator.graph.core import ABSENT, Resource
from platform_simulator.graph.request import Call, Getter, Handler, RouteKey


class Pages(Resource):
    def getters(self) -> dict[str, dict[str, Getter]]:
        def fans(obj: Any) -> int:
            return 5000 + int(hashlib.sha256(obj["id"].encode()).hexdigest()[:6], 16) % 60000

        return {
            "page": {
                "id": lambda o, s, c: o["id"],
                "name": lambda o, s, c: o["channel"].name,
                "category": lambda o, s, c: "Government organization",
                "link": lambda o, s, c: f"https://www.facebook.com/{o['id']}",
                "fan_count": lambda o, s, c: fans(o),
                "followers_count": lambda o, s, c: fans(o) + 311,
                "username": lambda o, s, c: ABSENT,
                "about": lambda o, s, c: f"Trang thông tin chính thức của {o['channel'].name}",
            }
        }

    def routes(self) -> dict[RouteKey, Handler]:
        return {("page", "*", "subscribed_apps"): self.subscribed_apps}

    @staticmethod
    def subscribed_apps(call: Call) -> dict[str, Any]:
        return {"success": True} if call.method == "POST" else {"data": []}
