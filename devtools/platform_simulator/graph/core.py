"""What every Graph resource shares: rendering nodes with `fields`, and listing edges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from platform_simulator.fields import FieldSpec, fields_to_string
from platform_simulator.graph.errors import bad_param, unknown_object
from platform_simulator.graph.paging import Slice, cursor_paging, cursor_slice, parse_limit
from platform_simulator.graph.request import Call, Ctx, Getter, Handler, RouteKey

if TYPE_CHECKING:
    from platform_simulator.config import Channel
    from platform_simulator.simulator import Simulator
    from platform_simulator.world import World

ABSENT = object()  # a getter's "leave this field out"
NODE_TYPES = {
    "page": "Page",
    "conversation": "UnifiedThread",
    "message": "Message",
    "post": "PagePost",
    "comment": "Comment",
}
DEFAULT_FIELDS = {
    "page": ("name", "id"),
    "conversation": ("id", "updated_time"),
    "conversation_node": ("id",),
    "message": ("id", "created_time"),
    "post": ("created_time", "message", "id"),
    "comment": ("created_time", "from", "message", "id"),
}
TABLES = {
    "conversation": "conversations",
    "message": "fb_messages",
    "post": "posts",
    "comment": "comments",
}


class GraphCore:
    """The simulator, every node kind's field getters, and rendering / paging over them."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.getters: dict[str, dict[str, Getter]] = {}

    @property
    def world(self) -> World:
        return self.sim.world

    # ------------------------------------------------------------------ nodes

    def node(self, kind: str, object_id: str) -> dict[str, Any]:
        """The stored object behind a node id (a page: its channel); deleted ones do not exist."""
        if kind == "page":
            channel = self.world.by_platform_id[object_id]
            return {"id": object_id, "channel": channel}
        obj: dict[str, Any] = self.world.state[TABLES[kind]][object_id]
        if obj.get("deleted"):
            raise unknown_object(object_id, "GET")
        return obj

    def read_node(self, call: Call) -> dict[str, Any]:
        """`GET /{id}`: the node with the requested (or default) fields."""
        obj = self.node(call.kind, call.object_id)
        default = "conversation_node" if call.kind == "conversation" else call.kind
        return self.render(call.kind, obj, call.specs, call.ctx, default)

    def delete_node(self, call: Call) -> dict[str, Any]:
        """`DELETE /{id}` of a post or comment: hidden from every read from now on."""
        self.world.state[TABLES[call.kind]][call.object_id]["deleted"] = True
        self.sim.mark_dirty()
        return {"success": True}

    def render(
        self,
        kind: str,
        obj: Any,
        specs: list[FieldSpec] | None,
        ctx: Ctx,
        default: str | None = None,
    ) -> dict[str, Any]:
        fields = (
            specs if specs is not None else [FieldSpec(n) for n in DEFAULT_FIELDS[default or kind]]
        )
        getters = self.getters[kind]
        out: dict[str, Any] = {}
        for spec in fields:
            getter = getters.get(spec.name)
            if getter is None:
                raise bad_param(
                    f"(#100) Tried accessing nonexisting field ({spec.name}) on node type "
                    f"({NODE_TYPES[kind]})"
                )
            value = getter(obj, spec, ctx)
            if value is not ABSENT:
                out[spec.name] = value
        if "id" not in out:
            out["id"] = obj["id"]
        return out

    @staticmethod
    def sub(value: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
        """Apply ``{a,b}`` sub-field selection to a plain object."""
        if not spec.children:
            return value
        names = spec.child_names()
        return {k: v for k, v in value.items() if k in names or k == "id"}

    def person(self, channel: Channel, person_id: str) -> dict[str, Any]:
        if person_id == channel.platform_id:
            name = channel.name
        else:
            person = self.world.citizens.get((channel.key, person_id))
            name = person["name"] if person else "Người dùng Facebook"
        return {"name": name, "email": f"{person_id}@facebook.com", "id": person_id}

    # ------------------------------------------------------------------ edges

    def truncate(self, endpoint: str, sl: Slice) -> list[Any]:
        """Privacy-filtered pages: drop some items but keep the cursors and ``next``."""
        if not sl.has_next:
            return sl.items
        fault = self.sim.faults.take("truncated_pages", endpoint)
        if fault is None:
            return sl.items
        drop = max(1, min(int(fault.get("drop", 1)), len(sl.items) - 1))
        return sl.items[: len(sl.items) - drop]

    def edge_list(
        self,
        ctx: Ctx,
        items: list[dict[str, Any]],
        kind: str,
        specs: list[FieldSpec] | None,
        params: dict[str, Any],
        endpoint: str,
        extra: dict[str, Any] | None = None,
        default: str | None = None,
    ) -> dict[str, Any]:
        limit = parse_limit(params.get("limit"))
        sl = cursor_slice(
            items, lambda o: o["id"], limit, params.get("after"), params.get("before")
        )
        visible = self.truncate(endpoint, sl)
        out: dict[str, Any] = {"data": [self.render(kind, o, specs, ctx, default) for o in visible]}
        if sl.items:
            out["paging"] = cursor_paging(ctx, sl)
        if extra:
            out.update(extra)
        return out

    def nested_edge(
        self,
        ctx: Ctx,
        parent_id: str,
        edge: str,
        items: list[dict[str, Any]],
        kind: str,
        spec: FieldSpec,
        extra: dict[str, Any] | None = None,
        keep_empty: bool = False,
    ) -> Any:
        limit = parse_limit(spec.params.get("limit"))
        sl = cursor_slice(items, lambda o: o["id"], limit, None, None)
        if not sl.items and not keep_empty:
            return ABSENT
        out: dict[str, Any] = {"data": [self.render(kind, o, spec.children, ctx) for o in sl.items]}
        query: list[tuple[str, str]] = [("access_token", ctx.token)]
        if spec.children is not None:
            query.append(("fields", fields_to_string(spec.children)))
        query.append(("limit", str(limit)))
        for key in ("filter", "order", "summary"):
            if key in spec.params:
                query.append((key, spec.params[key]))
        if sl.items:
            out["paging"] = cursor_paging(ctx, sl, f"/{ctx.version}/{parent_id}/{edge}", query)
        if extra:
            out.update(extra)
        return out


class Resource:
    """One kind of Graph node (or a page edge family): its fields and the routes it answers."""

    def __init__(self, core: GraphCore) -> None:
        self.core = core

    @property
    def sim(self) -> Simulator:
        return self.core.sim

    @property
    def world(self) -> World:
        return self.core.sim.world

    def getters(self) -> dict[str, dict[str, Getter]]:
        """Field getters by node kind."""
        return {}

    def routes(self) -> dict[RouteKey, Handler]:
        return {}
