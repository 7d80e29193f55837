"""Zalo OA API and OAuth v4: envelopes, offset paging, windows, token rotation, rate headers."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import requests

from platform_simulator import ServerThread, Simulator
from tests.devtools.platform_simulator.support import OA

ITEM_KEYS = {
    "src", "time", "type", "message", "message_id", "from_id", "to_id",
    "from_display_name", "from_avatar", "to_display_name", "to_avatar",
}  # fmt: skip


def zget(srv: ServerThread, path: str, token: str, data: Any) -> requests.Response:
    return requests.get(
        f"{srv.base_url}/v2.0/oa/{path}",
        params={"data": json.dumps(data)},
        headers={"access_token": token},
        timeout=10,
    )


def refresh(srv: ServerThread, token: str, oa: str = OA, secret: str | None = None) -> dict:
    resp = requests.post(
        f"{srv.base_url}/v4/oa/access_token",
        data={"refresh_token": token, "app_id": f"sim-app-{oa}", "grant_type": "refresh_token"},
        headers={"secret_key": secret or f"sim-secret-{oa}"},
        timeout=10,
    )
    assert resp.status_code == 200
    return dict(resp.json())


def all_recent(srv: ServerThread, token: str) -> list[dict]:
    items: list[dict] = []
    offset = 0
    while True:
        body = zget(srv, "listrecentchat", token, {"offset": offset, "count": 10}).json()
        assert body["error"] == 0
        if not body["data"]:
            return items
        items.extend(body["data"])
        offset += 10


def test_listrecentchat_offset_paging_newest_first(
    server: ServerThread, shared_sim: Simulator
) -> None:
    token = shared_sim.zalo_credentials(OA)["access_token"]
    first = zget(server, "listrecentchat", token, {"offset": 0, "count": 10}).json()
    assert first["message"] == "Success"
    assert isinstance(first["data"], list)
    items = all_recent(server, token)
    # One row per MESSAGE across users (platform-facts.md Z1): offsets cross thread boundaries.
    truth = [r for r in shared_sim.truth()["messages"] if r["platform_id"] == OA]
    assert sorted(i["message_id"] for i in items) == sorted(r["id"] for r in truth)
    users = [i["from_id"] if i["src"] == 1 else i["to_id"] for i in items]
    assert len(set(users)) == len({r["thread_id"] for r in truth}) > 10
    assert len(users) > len(set(users))  # a user who wrote twice has two rows
    assert [i["time"] for i in items] == sorted((i["time"] for i in items), reverse=True)
    for item in items:
        assert set(item) >= ITEM_KEYS
        assert item["src"] in (0, 1)
        assert re.fullmatch(r"\d{19}", item["from_id"])
        assert (item["from_id"] == OA) == (item["src"] == 0)
        assert item["time"] > 1_700_000_000_000  # epoch milliseconds


def test_listrecentchat_can_show_one_latest_row_per_user(make_sim) -> None:
    """The older reading of the endpoint, kept as a switch (``zalo_recent_mode``)."""
    sim, srv = make_sim(zalo_recent_mode="latest_per_user")
    token = sim.zalo_credentials(OA)["access_token"]
    items = all_recent(srv, token)
    users = [i["from_id"] if i["src"] == 1 else i["to_id"] for i in items]
    truth = [r for r in sim.truth()["messages"] if r["platform_id"] == OA]
    assert len(users) == len(set(users)) == len({r["thread_id"] for r in truth})
    assert len(items) < len(truth)


def test_conversation_history_newest_first(server: ServerThread, shared_sim: Simulator) -> None:
    token = shared_sim.zalo_credentials(OA)["access_token"]
    items = all_recent(server, token)
    user = next(i["from_id"] for i in items if i["src"] == 1)
    history: list[dict] = []
    offset = 0
    while True:
        body = zget(
            server, "conversation", token, {"user_id": user, "offset": offset, "count": 2}
        ).json()
        assert body["error"] == 0
        if not body["data"]:
            break
        history.extend(body["data"])
        offset += 2
    expected = [
        r["id"] for r in shared_sim.truth()["messages"]
        if r["platform_id"] == OA and r["thread_id"] == user
    ]  # fmt: skip
    assert [m["message_id"] for m in history] == list(reversed(expected))
    assert {m["src"] for m in history} <= {0, 1}


def test_parameter_errors(server: ServerThread, shared_sim: Simulator) -> None:
    token = shared_sim.zalo_credentials(OA)["access_token"]
    too_many = zget(server, "conversation", token, {"user_id": "1", "offset": 0, "count": 11})
    assert too_many.status_code == 200
    assert too_many.json() == {"error": -201, "message": "count is invalid!"}
    no_data = requests.get(
        f"{server.base_url}/v2.0/oa/listrecentchat", headers={"access_token": token}, timeout=10
    )
    assert no_data.json()["error"] == -201
    bad_token = zget(server, "listrecentchat", "nope", {"offset": 0, "count": 5})
    assert bad_token.status_code == 200
    assert bad_token.json() == {"error": -216, "message": "Access token is invalid"}
    assert "data" not in bad_token.json()
    # a token naming an OA (the lookup reads the OA id from the token) is still checked
    for forged in (f"sim-zalo-access-{OA}-7", "sim-zalo-access-999-0", "sim-zalo-access-"):
        refused = zget(server, "listrecentchat", forged, {"offset": 0, "count": 5}).json()
        assert refused == {"error": -216, "message": "Access token is invalid"}


def test_rate_limit_headers(server: ServerThread, shared_sim: Simulator) -> None:
    token = shared_sim.zalo_credentials(OA)["access_token"]
    remains = []
    for _ in range(3):
        resp = zget(server, "listrecentchat", token, {"offset": 0, "count": 1})
        assert resp.headers["X-RateLimit-Limit"] == "4000"
        remains.append(int(resp.headers["X-RateLimit-Remain"]))
    assert remains[0] > remains[1] > remains[2]


def test_token_rotation_and_expiry(make_sim) -> None:
    sim, srv = make_sim(days=2)
    first_access = sim.zalo_credentials(OA)["access_token"]
    assert zget(srv, "listrecentchat", first_access, {"offset": 0, "count": 1}).json()["error"] == 0

    wrong_secret = refresh(srv, f"sim-refresh-{OA}-0", secret="guess")
    assert wrong_secret["error"] == -14004
    pair = refresh(srv, f"sim-refresh-{OA}-0")
    assert set(pair) == {"access_token", "refresh_token", "expires_in"}
    assert pair["expires_in"] == "90000"
    assert pair["refresh_token"] != f"sim-refresh-{OA}-0"

    reused = refresh(srv, f"sim-refresh-{OA}-0")
    assert reused["error"] == -14014
    assert reused["error_name"] == "Invalid refresh token"

    second = refresh(srv, pair["refresh_token"])
    assert second["access_token"] not in (pair["access_token"], first_access)
    assert refresh(srv, pair["refresh_token"])["error"] == -14014

    sim.advance(timedelta(hours=25, minutes=1))
    expired = zget(srv, "listrecentchat", second["access_token"], {"offset": 0, "count": 1})
    assert expired.json() == {"error": -220, "message": "access_token is expired or removed"}
    third = refresh(srv, second["refresh_token"])
    assert (
        zget(srv, "listrecentchat", third["access_token"], {"offset": 0, "count": 1}).json()[
            "error"
        ]
        == 0
    )


def test_send_within_and_outside_seven_days(make_sim) -> None:
    sim, srv = make_sim(days=14)
    token = sim.zalo_credentials(OA)["access_token"]
    now_ms = sim.now_ms()
    last_user_msg: dict[str, int] = {}
    for rec in sim.truth()["messages"]:
        if rec["platform_id"] == OA and rec["direction"] == "in":
            last_user_msg[rec["thread_id"]] = rec["created_ms"]
    recent = next(u for u, t in last_user_msg.items() if now_ms - t < 3 * 86_400_000)
    old = next(u for u, t in last_user_msg.items() if now_ms - t > 8 * 86_400_000)

    def send(user: str) -> dict:
        resp = requests.post(
            f"{srv.base_url}/v3.0/oa/message/cs",
            json={"recipient": {"user_id": user}, "message": {"text": "Chào bạn"}},
            headers={"access_token": token},
            timeout=10,
        )
        assert resp.status_code == 200
        return dict(resp.json())

    ok = send(recent)
    assert ok["error"] == 0
    assert ok["data"]["user_id"] == recent
    assert re.fullmatch(r"[0-9a-f]{20}", ok["data"]["message_id"])
    history = zget(srv, "conversation", token, {"user_id": recent, "offset": 0, "count": 1})
    assert history.json()["data"][0]["message_id"] == ok["data"]["message_id"]
    assert history.json()["data"][0]["src"] == 0

    late = send(old)
    assert late["error"] == -230
    assert send("123")["error"] == -213
