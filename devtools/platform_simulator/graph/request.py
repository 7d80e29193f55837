"""One Graph request as the handlers see it: its context and the call being routed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from platform_simulator.fields import FieldSpec
from platform_simulator.web import Request

if TYPE_CHECKING:
    from platform_simulator.config import Channel


@dataclass
class Ctx:
    """Per-request rendering context."""

    req: Request
    token: str
    version: str
    now_ms: int
    page_id: str


@dataclass
class Call:
    """A routed call: the node it addresses, its edge and its parameters."""

    ctx: Ctx
    kind: str
    object_id: str
    channel: Channel
    edge: str
    params: dict[str, Any]
    specs: list[FieldSpec] | None
    endpoint: str

    @property
    def method(self) -> str:
        return self.ctx.req.method


# A field of a node: (object, its field spec, request context) -> value or ABSENT.
Getter = Callable[[Any, FieldSpec, Ctx], Any]
# A route's handler: the call -> the JSON payload (or raises GraphError).
Handler = Callable[[Call], Any]
# (node kind, HTTP method or "*" for any, edge or "" for the node itself)
RouteKey = tuple[str, str, str]
