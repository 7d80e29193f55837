"""Page posts: the post node, the feed edges (time-based paging) and publishing."""

from __future__ import annotations

from typing import Any

from platform_simulator.clock import graph_time
from platform_simulator.fields import FieldSpec
from platform_simulator.graph.core import ABSENT, Resource
from platform_simulator.graph.errors import GraphError, bad_param
from platform_simulator.graph.paging import (
    Slice,
    base_items,
    decode_cursor,
    encode_cursor,
    page_url,
    parse_bool,
    parse_limit,
)
from platform_simulator.graph.request import Call, Ctx, Getter, Handler, RouteKey
from platform_simulator.world.timing import DAY_MS, MINUTE_MS, parse_time

FEED_EDGES = ("feed", "published_posts", "posts")


class Posts(Resource):
    def getters(self) -> dict[str, dict[str, Getter]]:
        core = self.core

        def updated(post: dict[str, Any]) -> str:
            last = post["created_ms"]
            for c in self.world.comments_of(post["id"], stream=True):
                last = max(last, c["created_ms"])
            return graph_time(last)

        def published(post: dict[str, Any], ctx: Ctx) -> bool:
            return bool(post["published"]) or (
                post["scheduled_ms"] is not None and post["scheduled_ms"] <= ctx.now_ms
            )

        def digits(post: dict[str, Any]) -> str:
            return str(post["id"]).split("_", 1)[1]

        def page_from(post: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
            channel = self.world.channels[post["channel"]]
            return core.sub({"name": channel.name, "id": channel.platform_id}, spec)

        # the `comments` field is the Comments resource's
        return {
            "post": {
                "id": lambda o, s, c: o["id"],
                "message": lambda o, s, c: o["message"] if o["message"] else ABSENT,
                "created_time": lambda o, s, c: graph_time(o["created_ms"]),
                "updated_time": lambda o, s, c: updated(o),
                "from": lambda o, s, c: page_from(o, s),
                "permalink_url": lambda o, s, c: (
                    f"https://www.facebook.com/{o['page_id']}/posts/{digits(o)}"
                ),
                "is_published": lambda o, s, c: published(o, c),
                "is_hidden": lambda o, s, c: False,
                "status_type": lambda o, s, c: "mobile_status_update",
                "scheduled_publish_time": lambda o, s, c: (
                    o["scheduled_ms"] // 1000 if o["scheduled_ms"] is not None else ABSENT
                ),
                "link": lambda o, s, c: o["link"] if o.get("link") else ABSENT,
                "full_picture": lambda o, s, c: ABSENT,
                "shares": lambda o, s, c: ABSENT,
            }
        }

    def routes(self) -> dict[RouteKey, Handler]:
        routes: dict[RouteKey, Handler] = {
            ("page", "GET", edge): self.list_published for edge in FEED_EDGES
        }
        routes[("page", "GET", "scheduled_posts")] = self.list_scheduled
        routes[("page", "POST", "feed")] = self.publish
        return routes

    def list_published(self, call: Call) -> dict[str, Any]:
        return self.list_posts(call, self.world.posts_of(call.channel.platform_id, call.ctx.now_ms))

    def list_scheduled(self, call: Call) -> dict[str, Any]:
        page_id, now_ms = call.channel.platform_id, call.ctx.now_ms
        return self.list_posts(call, self.world.scheduled_posts_of(page_id, now_ms))

    def list_posts(self, call: Call, posts: list[dict[str, Any]]) -> dict[str, Any]:
        """Feed / published_posts: newest first, since/until and time-based paging."""
        ctx, params, specs = call.ctx, call.params, call.specs
        since = parse_time(params.get("since"))
        until = parse_time(params.get("until"))
        if params.get("since") not in (None, "") and since is None:
            raise bad_param("(#100) The parameter since is not a valid time")
        if params.get("until") not in (None, "") and until is None:
            raise bad_param("(#100) The parameter until is not a valid time")
        if since is not None:
            posts = [p for p in posts if p["created_ms"] // 1000 * 1000 >= since]
        if until is not None:
            posts = [p for p in posts if p["created_ms"] // 1000 * 1000 <= until]
        if params.get("after") or params.get("before"):
            return self.core.edge_list(ctx, posts, "post", specs, params, call.endpoint)
        limit = parse_limit(params.get("limit"))
        token = params.get("__paging_token")
        ids = [p["id"] for p in posts]
        start, end = 0, min(limit, len(posts))
        if token:
            key = decode_cursor(str(token))
            idx = ids.index(key) if key in ids else -1
            if params.get("__previous"):
                end = idx if idx >= 0 else 0
                start = max(0, end - limit)
            else:
                start = idx + 1 if idx >= 0 else len(posts)
                end = min(start + limit, len(posts))
        chunk = posts[start:end]
        sl = Slice(chunk, None, None, end < len(posts), start > 0)
        visible = self.core.truncate(call.endpoint, sl)
        out: dict[str, Any] = {"data": [self.core.render("post", p, specs, ctx) for p in visible]}
        if chunk:
            base = base_items(ctx, ("since", "until", "__paging_token", "__previous"))
            original_since = [("since", str(params["since"]))] if params.get("since") else []
            original_until = [("until", str(params["until"]))] if params.get("until") else []
            first, last = chunk[0], chunk[-1]

            def link(bounds: list[tuple[str, str]], post: dict[str, Any], previous: bool) -> str:
                items = [*base, *bounds, ("__paging_token", encode_cursor(post["id"]))]
                if previous:
                    items.append(("__previous", "1"))
                return page_url(ctx, ctx.req.path, items)

            paging: dict[str, Any] = {}
            if sl.has_prev:
                since_first = ("since", str(first["created_ms"] // 1000))
                paging["previous"] = link([since_first, *original_until], first, previous=True)
            if sl.has_next:
                until_last = ("until", str(last["created_ms"] // 1000))
                paging["next"] = link([*original_since, until_last], last, previous=False)
            if paging:
                out["paging"] = paging
        return out

    def publish(self, call: Call) -> dict[str, Any]:
        ctx, channel, params = call.ctx, call.channel, call.params
        message = str(params.get("message") or "")
        link = params.get("link") or None
        if not message.strip() and not link:
            raise bad_param("(#100) Missing message or attachment")
        published = parse_bool(params.get("published"), True)
        raw_time = params.get("scheduled_publish_time")
        scheduled: int | None = None
        if raw_time not in (None, ""):
            if published:
                raise bad_param(
                    "(#100) You cannot specify a scheduled publish time on a published post"
                )
            scheduled = parse_time(raw_time)
            earliest, latest = ctx.now_ms + 10 * MINUTE_MS, ctx.now_ms + 30 * DAY_MS
            if scheduled is None or not earliest <= scheduled <= latest:
                raise bad_param("(#100) The specified scheduled publish time is invalid.")
        previous = self.world.last_post_text(channel.platform_id)
        if previous is not None and previous.strip() == message.strip() and message.strip():
            raise GraphError(
                400,
                506,
                "(#506) Duplicate status message",
                subcode=1455006,
                user_title="Duplicate Status Update",
                user_msg="This status update is identical to the last one you posted. Try "
                "posting something different, or delete your previous update.",
            )
        post_id = self.world.add_api_post(
            channel, message, ctx.now_ms, published, scheduled, str(link) if link else None
        )
        self.sim.mark_dirty()
        return {"id": post_id}
