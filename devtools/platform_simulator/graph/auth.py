"""Page access tokens: which page a token opens, token faults, and `GET /debug_token`."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Any

from platform_simulator.clock import from_ms
from platform_simulator.graph.errors import GraphError

if TYPE_CHECKING:
    from platform_simulator.simulator import Simulator

TOKEN_RE = re.compile(r"^sim-page-token-(\d+)$")
SIM_APP_ID = "1234567890123456"
# What the demo app's Page tokens were granted (`missing_permission` faults take one away).
PAGE_SCOPES = (
    "pages_show_list",
    "pages_messaging",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "pages_manage_posts",
)
PACIFIC = timezone(timedelta(hours=-8))


class PageTokens:
    """The simulated app's Page tokens (`sim-page-token-{page_id}`)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def page_of(self, token: str) -> str:
        """The Facebook page a request's token opens; GraphError 104 / 190 otherwise."""
        if not token:
            raise GraphError(400, 104, "An access token is required to request this resource.")
        match = TOKEN_RE.match(token)
        token_page = match.group(1) if match else None
        token_channel = self.sim.world.by_platform_id.get(token_page) if token_page else None
        if token_page is None or token_channel is None or token_channel.platform != "facebook":
            raise GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")
        return token_page

    def check_faults(self, page: str) -> None:
        """An `expired_token` / `invalid_token` fault on the page: Graph's code 190 answers."""
        state = self.sim.faults.token_fault(page=page)
        if state == "expired":
            now = from_ms(self.sim.now_ms()).astimezone(PACIFIC)
            expired = now - timedelta(hours=7)
            fmt = "%A, %d-%b-%y %H:%M:%S PST"
            raise GraphError(
                400,
                190,
                f"Error validating access token: Session has expired on {expired.strftime(fmt)}. "
                f"The current time is {now.strftime(fmt)}.",
                subcode=463,
            )
        if state == "invalid":
            raise GraphError(
                400,
                190,
                "Error validating access token: The session has been invalidated because the "
                "user changed their password or Facebook has changed the session for security "
                "reasons.",
                subcode=460,
            )

    def debug_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """`GET /debug_token?input_token=`: the inspected Page token's app, validity and scopes.

        The shape of the published example (facebook/debug-token.json) with the Page-token
        fields (`type: PAGE`, `profile_id`, `data_access_expires_at`). Called with the Page token
        itself or an app token; a `missing_permission` fault removes a scope.
        """
        token = str(params.get("input_token") or "")
        match = TOKEN_RE.match(token)
        page = match.group(1) if match else None
        if page is None or page not in self.sim.world.by_platform_id:
            return {
                "data": {
                    "is_valid": False,
                    "error": {
                        "code": 190,
                        "message": "Invalid OAuth access token - Cannot parse access token",
                    },
                    "scopes": [],
                }
            }
        now_s = self.sim.now_ms() // 1000
        state = self.sim.faults.token_fault(page=page)
        scopes = [p for p in PAGE_SCOPES if p not in self.sim.faults.missing_permissions(page)]
        data: dict[str, Any] = {
            "app_id": SIM_APP_ID,
            "type": "PAGE",
            "application": "Citizen Desk (sim)",
            "data_access_expires_at": now_s + 80 * 86400,
            "expires_at": 0,  # long-lived Page token: never
            "is_valid": state is None,
            "issued_at": now_s - 30 * 86400,
            "profile_id": page,
            "scopes": scopes,
            "granular_scopes": [{"scope": p, "target_ids": [page]} for p in scopes],
            "user_id": "10000000000" + page[-4:],
        }
        if state is not None:
            data["error"] = {
                "code": 190,
                "subcode": 463 if state == "expired" else 460,
                "message": "Session has expired",
            }
        return {"data": data}
