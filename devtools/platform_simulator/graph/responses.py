"""What every Graph answer carries: error bodies, `fbtrace_id`s and the usage headers."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from platform_simulator.graph.errors import GraphError
from platform_simulator.graph.limits import usage_headers
from platform_simulator.web import Response, json_response

if TYPE_CHECKING:
    from platform_simulator.simulator import Simulator


class Responses:
    """Error responses and headers; trace ids are deterministic (seed + a counter)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._trace = 0

    def error(self, err: GraphError) -> Response:
        self._trace += 1
        trace = self._trace_id()
        body: dict[str, Any] = {"message": err.message, "type": err.type, "code": err.code}
        if err.subcode is not None:
            body["error_subcode"] = err.subcode
        body["is_transient"] = err.transient
        if err.user_title:
            body["error_user_title"] = err.user_title
        if err.user_msg:
            body["error_user_msg"] = err.user_msg
        body["fbtrace_id"] = trace
        response = json_response({"error": body}, err.status)
        kind = (
            "invalid_token"
            if err.code in (104, 190)
            else ("unknown_error" if err.code in (1, 2) else "invalid_request")
        )
        response.set_header(
            "WWW-Authenticate", f'OAuth "Facebook Platform" "{kind}" "{err.message[:120]}"'
        )
        return response

    def server_error(self, code: int, version: str) -> Response:
        """Injected 5xx in Graph's code 1 / code 2 shapes."""
        if code == 2:
            err = GraphError(503, 2, "(#2) Service temporarily unavailable", transient=True)
        else:
            err = GraphError(500, 1, "An unknown error has occurred.", transient=True)
        response = self.error(err)
        self.add_headers(response, None, version, None)
        return response

    def add_headers(
        self, response: Response, page: str | None, version: str, usage: dict[str, Any] | None
    ) -> None:
        for name, value in usage_headers(self.sim, page, usage):
            response.set_header(name, value)
        self._trace += 1
        response.set_header("x-fb-trace-id", self._trace_id())
        response.set_header("x-fb-rev", "1019283746")
        response.set_header("facebook-api-version", version)

    def _trace_id(self) -> str:
        digest = hashlib.sha1(f"{self.sim.cfg.seed}:{self._trace}".encode()).digest()
        return base64.b64encode(digest).decode()[:11].replace("+", "A").replace("/", "B")
