"""What `citizen-desk doctor` asks the simulator: Graph `/me` and `/debug_token`, Zalo `getoa`,
Slack `auth.test` scopes, `users.conversations` and `conversations.info`, with their faults."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from slack_sdk import WebClient

from tests.devtools.platform_simulator.support import PAGE, SLACK_TOKEN, graph_get, page_token

PUBLISHED = Path(__file__).parents[3] / "tests" / "contracts" / "published"
DUTY = "C07THDUTY01"


def test_me_and_debug_token_with_a_missing_permission(make_sim) -> None:
    sim, srv = make_sim(days=1)
    me = graph_get(srv.base_url, "me", fields="id,name").json()
    assert me["id"] == PAGE
    assert me["name"]
    debug = graph_get(srv.base_url, "debug_token", input_token=page_token()).json()["data"]
    published = json.loads((PUBLISHED / "facebook/debug-token.json").read_text())["data"]
    assert set(published) - {"metadata"} <= set(debug)  # the published shape, Page-token fields
    assert (debug["type"], debug["profile_id"], debug["is_valid"]) == ("PAGE", PAGE, True)
    assert "pages_messaging" in debug["scopes"]
    sim.add_fault({"kind": "missing_permission", "page": PAGE, "permission": "pages_messaging"})
    debug = graph_get(srv.base_url, "debug_token", input_token=page_token()).json()["data"]
    assert "pages_messaging" not in debug["scopes"]
    assert "pages_read_engagement" in debug["scopes"]


def test_debug_token_of_an_expired_token_seen_by_another_caller(make_sim) -> None:
    sim, srv = make_sim(days=1)
    other = next(c.platform_id for c in sim.world.channels.values()
                 if c.platform == "facebook" and c.platform_id != PAGE)  # fmt: skip
    sim.add_fault({"kind": "expired_token", "page": PAGE})
    expired = graph_get(srv.base_url, "me", fields="id")
    assert expired.json()["error"]["code"] == 190
    debug = graph_get(srv.base_url, "debug_token", page=other, input_token=page_token()).json()
    assert debug["data"]["is_valid"] is False
    assert debug["data"]["error"]["subcode"] == 463


def test_zalo_getoa_answers_with_the_oa_id(make_sim) -> None:
    sim, srv = make_sim(days=1)
    oa = next(c.platform_id for c in sim.world.channels.values() if c.platform == "zalo")
    creds = sim.zalo_credentials(oa)
    token = requests.post(
        f"{srv.base_url}/v4/oa/access_token",
        headers={"secret_key": creds["secret_key"]},
        data={"refresh_token": creds["refresh_token"], "app_id": creds["app_id"],
              "grant_type": "refresh_token"},
        timeout=10,
    ).json()["access_token"]  # fmt: skip
    body = requests.get(
        f"{srv.base_url}/v2.0/oa/getoa", headers={"access_token": token}, timeout=10
    ).json()
    assert body["error"] == 0
    assert body["data"]["oa_id"] == oa


def test_slack_scopes_membership_and_conversations_info(make_sim) -> None:
    sim, srv = make_sim(days=1)
    web = WebClient(token=SLACK_TOKEN, base_url=srv.base_url + "/api/", timeout=10)
    scopes = web.auth_test().headers["X-OAuth-Scopes"].split(",")
    assert {"chat:write", "im:write", "channels:history", "groups:history", "im:history"} <= set(
        scopes
    )
    member = {c["id"] for c in web.users_conversations(limit=1)["channels"]}
    listed = web.users_conversations()["channels"]
    assert DUTY in {c["id"] for c in listed}
    assert len(member) == 1  # paged by limit
    info = web.conversations_info(channel=DUTY)["channel"]
    assert info["id"] == DUTY
    assert "is_member" not in info  # as in the published example
    sim.add_fault({"kind": "not_in_channel", "channel": DUTY})
    sim.add_fault({"kind": "missing_permission", "permission": "im:write"})
    assert DUTY not in {c["id"] for c in web.users_conversations()["channels"]}
    assert "im:write" not in web.auth_test().headers["X-OAuth-Scopes"].split(",")
    assert sim.faults.snapshot()[0]["fired"] == 0  # membership checks do not use the fault up


def test_users_conversations_pages_with_a_cursor(make_sim) -> None:
    _, srv = make_sim(days=1)
    web = WebClient(token=SLACK_TOKEN, base_url=srv.base_url + "/api/", timeout=10)
    seen, cursor = [], None
    while True:
        page = web.users_conversations(limit=1, cursor=cursor)
        seen += [c["id"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 2
