"""Slack Web API through the real slack_sdk client."""

from __future__ import annotations

import re

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from platform_simulator import ServerThread
from tests.devtools.platform_simulator.support import SLACK_TOKEN

DUTY = "C07THDUTY01"
CHIEF = "U07THCHIEF1"


def client(srv: ServerThread, token: str = SLACK_TOKEN, **kwargs) -> WebClient:
    return WebClient(token=token, base_url=srv.base_url + "/api/", timeout=10, **kwargs)


def recorded(srv: ServerThread, channel: str | None = None) -> list[dict]:
    params = {"channel": channel} if channel else {}
    resp = requests.get(f"{srv.base_url}/_sim/slack/messages", params=params, timeout=10)
    return list(resp.json()["messages"])


def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def test_post_message_and_recording(make_sim) -> None:
    _, srv = make_sim(days=1)
    web = client(srv)
    assert web.auth_test()["user_id"].startswith("U")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Tin báo* #12"}}]
    first = web.chat_postMessage(channel=DUTY, text="Tin báo #12", blocks=blocks)
    assert first["ok"] is True
    assert first["channel"] == DUTY
    assert re.fullmatch(r"\d{10}\.\d{6}", first["ts"])
    assert first["message"]["text"] == "Tin báo #12"
    reply = web.chat_postMessage(channel=DUTY, text="Đã xử lý", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    updated = web.chat_update(channel=DUTY, ts=first["ts"], text="Tin báo #12 (đã nhận)")
    assert updated["ts"] == first["ts"]
    messages = recorded(srv, DUTY)
    assert [m["ts"] for m in messages] == [first["ts"], reply["ts"]]
    assert messages[0]["blocks"] == blocks
    assert messages[0]["text"] == "Tin báo #12 (đã nhận)"
    assert messages[1]["thread_ts"] == first["ts"]
    assert recorded(srv, "C07NSDUTY01") == []


def test_dm_channel_is_stable_per_user(make_sim) -> None:
    _, srv = make_sim(days=1)
    web = client(srv)
    opened = web.conversations_open(users=CHIEF)
    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    again = web.conversations_open(users=[CHIEF])
    assert again["channel"]["id"] == dm
    assert again["already_open"] is True
    posted = web.chat_postMessage(channel=dm, text="Báo cáo chỉ huy")
    assert posted["channel"] == dm
    via_user = web.chat_postMessage(channel=CHIEF, text="Trực tiếp")
    assert via_user["channel"] == dm
    assert len(recorded(srv, dm)) == 2
    assert error_of(lambda: web.conversations_open(users="U0NOBODY")).response["error"] == (
        "user_not_found"
    )
    found = web.users_lookupByEmail(email="chief.th@citizen-desk.sim")
    assert found["user"]["id"] == CHIEF


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_error_responses(make_sim) -> None:
    sim, srv = make_sim(days=1)
    web = client(srv)
    cases = {
        "channel_not_found": lambda: web.chat_postMessage(channel="C0UNKNOWN", text="x"),
        "no_text": lambda: web.chat_postMessage(channel=DUTY),
        "msg_too_long": lambda: web.chat_postMessage(channel=DUTY, text="a" * 40001),
        "invalid_blocks": lambda: web.chat_postMessage(
            channel=DUTY, text="x", blocks=[{"text": "no type"}]
        ),
        "invalid_auth": lambda: client(srv, token="xoxb-wrong").chat_postMessage(
            channel=DUTY, text="x"
        ),
    }
    for expected, call in cases.items():
        err = error_of(call)
        assert err.response.status_code == 200
        assert err.response["ok"] is False
        assert err.response["error"] == expected
    too_many = [{"type": "divider"}] * 51
    assert (
        error_of(
            lambda: web.chat_postMessage(channel="C07SSDUTY01", text="x", blocks=too_many)
        ).response["error"]
        == "invalid_blocks"
    )
    form = requests.post(
        f"{srv.base_url}/api/chat.postMessage",
        data={"channel": "C07TECHADMIN", "text": "x", "blocks": "not json"},
        headers={"Authorization": f"Bearer {SLACK_TOKEN}"},
        timeout=10,
    )
    assert form.json()["error"] == "invalid_blocks"
    sim.add_fault({"kind": "not_in_channel", "channel": "C07NSDUTY01"})
    err = error_of(lambda: web.chat_postMessage(channel="C07NSDUTY01", text="x"))
    assert err.response["error"] == "not_in_channel"
    assert recorded(srv) == []


def test_burst_gets_429_with_integer_retry_after(make_sim) -> None:
    _, srv = make_sim(days=1, slack_rate_per_second=0.2, slack_burst=2)
    web = client(srv)
    statuses = []
    errors: list[SlackApiError] = []
    for i in range(6):
        try:
            web.chat_postMessage(channel=DUTY, text=f"tin {i}")
            statuses.append(200)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)
            errors.append(exc)
    assert errors
    assert {e.response["error"] for e in errors} == {"ratelimited"}
    retry_after = errors[0].response.headers["Retry-After"]
    assert statuses[:2] == [200, 200]
    assert 429 in statuses
    assert retry_after is not None
    assert int(retry_after) >= 1
    assert len(recorded(srv, DUTY)) == statuses.count(200)
    stats = requests.get(f"{srv.base_url}/_sim/stats", timeout=10).json()
    assert stats["slack_429"] == statuses.count(429)


def test_rate_limit_retry_handler_succeeds(make_sim) -> None:
    sim, srv = make_sim(days=1)
    sim.add_fault({"kind": "slack_429", "channel": DUTY, "count": 1, "retry_after": 1})
    plain = client(srv)
    assert error_of(
        lambda: plain.chat_postMessage(channel=DUTY, text="x")
    ).response.status_code == (429)
    sim.add_fault({"kind": "slack_429", "channel": DUTY, "count": 1, "retry_after": 1})
    patient = client(srv, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    result = patient.chat_postMessage(channel=DUTY, text="Tin báo khẩn")
    assert result["ok"] is True
    assert [m["text"] for m in recorded(srv, DUTY)] == ["Tin báo khẩn"]


def test_conversations_history_pages_newest_first_with_metadata(make_sim) -> None:
    _, srv = make_sim(days=1)
    web = client(srv)
    metadata = {"event_type": "citizen_desk_notification", "event_payload": {"key": "k-1"}}
    posted = [
        web.chat_postMessage(channel=DUTY, text=f"tin {i}", metadata=metadata if i == 0 else None)
        for i in range(3)
    ]
    first = web.conversations_history(channel=DUTY, limit=2, include_all_metadata=True)
    assert [m["ts"] for m in first["messages"]] == [posted[2]["ts"], posted[1]["ts"]]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = web.conversations_history(
        channel=DUTY, limit=2, cursor=cursor, include_all_metadata=True
    )
    assert [m["ts"] for m in rest["messages"]] == [posted[0]["ts"]]
    assert rest["messages"][0]["metadata"] == metadata
    assert rest["has_more"] is False
    without = web.conversations_history(channel=DUTY)
    assert all("metadata" not in m for m in without["messages"])
    assert (
        error_of(lambda: web.conversations_history(channel="C0NOPE000")).response["error"]
        == "channel_not_found"
    )


def test_chat_write_public_posts_outside_the_channel_but_history_needs_membership(
    make_sim,
) -> None:
    from platform_simulator.slack import BOT_SCOPES

    sim, srv = make_sim(days=1, slack_scopes=[*BOT_SCOPES, "chat:write.public"])
    sim.add_fault({"kind": "not_in_channel", "channel": DUTY})
    web = client(srv)
    headers = {k.lower(): v for k, v in web.auth_test().headers.items()}
    assert "chat:write.public" in headers["x-oauth-scopes"]
    assert web.chat_postMessage(channel=DUTY, text="Tin báo")["ok"] is True
    err = error_of(lambda: web.conversations_history(channel=DUTY))
    assert err.response["error"] == "not_in_channel"
    assert DUTY not in {c["id"] for c in web.users_conversations()["channels"]}


def test_history_answers_a_rate_limit_fault_like_tier_3(make_sim) -> None:
    sim, srv = make_sim(days=1)
    web = client(srv)
    web.chat_postMessage(channel=DUTY, text="Tin báo")
    sim.add_fault(
        {"kind": "slack_429", "method": "conversations.history", "count": 1, "retry_after": 30}
    )
    assert web.chat_postMessage(channel=DUTY, text="again")["ok"] is True  # posting unaffected
    err = error_of(lambda: web.conversations_history(channel=DUTY))
    assert err.response.status_code == 429
    assert err.response["error"] == "ratelimited"
    headers = {k.lower(): v for k, v in err.response.headers.items()}
    assert headers["retry-after"] in ("30", ["30"])
    assert len(web.conversations_history(channel=DUTY)["messages"]) == 2  # one fault, one 429


# --- interactivity: button clicks become signed block_actions requests ---------------------------

BUTTONS = [
    {
        "type": "actions",
        "block_id": "citizen_desk_actions",
        "elements": [
            {"type": "button", "action_id": "ack", "value": "tip:7:L0:arrival:0",
             "text": {"type": "plain_text", "text": "Đã nhận"}, "style": "primary"},
            {"type": "button", "action_id": "open", "url": "http://desk.example/tips/7",
             "text": {"type": "plain_text", "text": "Mở hồ sơ"}},
        ],
    }
]  # fmt: skip


class _Receiver:
    """A local HTTP endpoint standing in for the app's Interactivity Request URL."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slack/interactions"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _payload(body: bytes) -> dict:
    import json
    from urllib.parse import parse_qs

    [text] = parse_qs(body.decode())["payload"]
    return json.loads(text)


def test_a_click_is_a_block_actions_request_signed_as_slack_documents(make_sim) -> None:
    from slack_sdk.signature import SignatureVerifier

    sim, srv = make_sim(days=1)
    posted = client(srv).chat_postMessage(
        channel=DUTY, text="Tin báo", blocks=BUTTONS,
        metadata={"event_type": "citizen_desk_notification", "event_payload": {"key": "k1"}},
    )  # fmt: skip
    request = sim.slack_click(
        key="k1", user="U07NSCHIEF1", action_id="ack", url="http://app.example/slack"
    )
    assert request.url == "http://app.example/slack"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    stamp = request.headers["X-Slack-Request-Timestamp"]
    assert int(stamp) == int(sim.clock.timestamp())

    class Clock:
        def now(self) -> float:
            return float(stamp)

    verifier = SignatureVerifier(sim.cfg.slack_signing_secret, clock=Clock())
    assert verifier.is_valid_request(request.body, request.headers)
    assert not SignatureVerifier("other", clock=Clock()).is_valid_request(
        request.body, request.headers
    )
    payload = _payload(request.body)
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U07NSCHIEF1"
    assert payload["container"] == {
        "type": "message", "message_ts": posted["ts"], "channel_id": DUTY, "is_ephemeral": False,
    }  # fmt: skip
    assert payload["channel"]["id"] == DUTY
    assert payload["response_url"].startswith("https://hooks.slack.com/actions/")
    [action] = payload["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "ack", "tip:7:L0:arrival:0", "citizen_desk_actions",
    )  # fmt: skip
    again = sim.slack_click(channel=DUTY, ts=posted["ts"], user="U07NSCHIEF1", action_id="ack",
                            url="http://app.example/slack")  # fmt: skip
    assert _payload(again.body)["actions"][0]["action_ts"] != action["action_ts"]  # a new click
    old = sim.slack_click(key="k1", user="U07NSCHIEF1", action_id="ack",
                          url="http://app.example/slack", timestamp=1, secret="forged")  # fmt: skip
    assert old.headers["X-Slack-Request-Timestamp"] == "1"
    assert not verifier.is_valid_request(old.body, old.headers)


def test_clicks_that_cannot_happen_in_slack(make_sim) -> None:
    from platform_simulator.slack import ClickError

    sim, srv = make_sim(days=1)
    web = client(srv)
    dm = web.chat_postMessage(channel=CHIEF, text="Tin báo", blocks=BUTTONS)
    url = "http://app.example/slack"
    with pytest.raises(ClickError, match="cannot see"):  # someone else's DM
        sim.slack_click(channel=dm["channel"], ts=dm["ts"], user="U07NSCHIEF1",
                        action_id="ack", url=url)  # fmt: skip
    assert sim.slack_click(channel=dm["channel"], ts=dm["ts"], user=CHIEF, action_id="open",
                           url=url)  # fmt: skip
    with pytest.raises(ClickError, match="no button"):
        sim.slack_click(channel=dm["channel"], ts=dm["ts"], user=CHIEF, action_id="x", url=url)
    with pytest.raises(ClickError, match="no message"):
        sim.slack_click(key="nope", user=CHIEF, action_id="ack", url=url)
    with pytest.raises(ClickError, match="Interactivity Request URL"):
        sim.slack_click(channel=dm["channel"], ts=dm["ts"], user=CHIEF, action_id="ack")


def test_sim_click_endpoint_posts_to_the_interactivity_url(make_sim) -> None:
    receiver = _Receiver()
    try:
        _, srv = make_sim(days=1, slack_interactivity_url=receiver.url)
        posted = client(srv).chat_postMessage(channel=DUTY, text="Tin báo", blocks=BUTTONS)
        click = {"channel": DUTY, "ts": posted["ts"], "user": "U07NSCHIEF1", "action_id": "ack"}
        answer = requests.post(f"{srv.base_url}/_sim/slack/click", json=click, timeout=10).json()
        assert answer == {"status": 200, "body": "ok"}
        [(headers, body)] = receiver.received
        assert _payload(body)["actions"][0]["value"] == "tip:7:L0:arrival:0"
        assert headers["X-Slack-Signature"].startswith("v0=")
        bad = requests.post(f"{srv.base_url}/_sim/slack/click", json={**click, "action_id": "x"},
                            timeout=10)  # fmt: skip
        assert bad.status_code == 409
        assert requests.post(f"{srv.base_url}/_sim/slack/click", json={"user": "U1"},
                             timeout=10).status_code == 400  # fmt: skip
    finally:
        receiver.close()
