"""Slack interaction requests: signature, replay window, size and payload shape (no database).

Requests are signed by the platform simulator's own implementation of Slack's documented scheme
(`platform_simulator.slack.slack_signature`), verified by ours (slack_sdk's SignatureVerifier).
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizen_desk.notify.interactions import (
    ACK_ACTION,
    MAX_BODY,
    OPEN_ACTION,
    Refused,
    actions_block,
    check_size,
    parse,
    parse_ack_value,
    verify,
)
from platform_simulator.slack import slack_signature
from tests.conftest import NOW

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documented example shape
TS = str(int(NOW.timestamp()))


def _payload(**overrides) -> dict:
    payload = {
        "type": "block_actions",
        "user": {"id": "U07NTHUYD01", "team_id": "T07SIM0001"},
        "team": {"id": "T07SIM0001"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "D07AB"},
        "channel": {"id": "D07ABCDEFGH"},
        "actions": [
            {
                "type": "button",
                "action_id": ACK_ACTION,
                "value": "tip:12:L0:arrival:0",
                "action_ts": "1700000001.000200",
            }
        ],
    }
    payload.update(overrides)
    return payload


def _body(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()


def _headers(body: bytes, ts: str = TS, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(secret, ts, body),
    }


def test_a_request_signed_as_slack_documents_is_accepted():
    body = _body(_payload())
    assert verify(body, _headers(body), SECRET, NOW) == _headers(body)["X-Slack-Signature"]
    # header names are case-insensitive
    lowered = {k.lower(): v for k, v in _headers(body).items()}
    assert verify(body, lowered, SECRET, NOW).startswith("v0=")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"secret": "another-secret"}, 401),  # forged: signed with the wrong secret
        ({"body": b"payload=%7B%7D"}, 401),  # the body was changed after signing
        ({"ts_at": str(int(NOW.timestamp()) + 1)}, 401),  # the timestamp was changed
        ({"drop": "X-Slack-Signature"}, 401),
        ({"drop": "X-Slack-Request-Timestamp"}, 401),
        ({"signature": "v1=" + "0" * 64}, 401),
        ({"signature": "v0=" + "Z" * 64}, 401),
        ({"signature": "v0=ƒ" + "0" * 63}, 401),  # non-ASCII: never reaches compare_digest
        ({"ts": "1e9"}, 401),
        ({"ts": "-1"}, 401),
    ],
)
def test_forged_or_malformed_signatures_are_refused(change, status):
    body = _body(_payload())
    ts = change.get("ts", TS)
    headers = _headers(body, ts=ts, secret=change.get("secret", SECRET))
    if "ts_at" in change:
        headers["X-Slack-Request-Timestamp"] = change["ts_at"]
    if "signature" in change:
        headers["X-Slack-Signature"] = change["signature"]
    headers.pop(change.get("drop", ""), None)
    with pytest.raises(Refused) as refused:
        verify(change.get("body", body), headers, SECRET, NOW)
    assert refused.value.status == status


@pytest.mark.parametrize("skew", [-301, 301, -86400, 10**6])
def test_stale_or_future_requests_are_refused_even_when_correctly_signed(skew):
    body = _body(_payload())
    ts = str(int(NOW.timestamp()) + skew)
    with pytest.raises(Refused, match="stale") as refused:
        verify(body, _headers(body, ts=ts), SECRET, NOW)
    assert refused.value.status == 401


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_the_five_minute_window_is_inclusive(skew):
    body = _body(_payload())
    ts = str(int(NOW.timestamp()) + skew)
    assert verify(body, _headers(body, ts=ts), SECRET, NOW)
    later = NOW + timedelta(seconds=1 if skew <= 0 else -1)  # one second more: stale
    if skew:
        with pytest.raises(Refused, match="stale"):
            verify(body, _headers(body, ts=ts), SECRET, later)


def test_oversized_and_non_utf8_bodies_are_refused():
    big = b"payload=" + b"a" * MAX_BODY
    with pytest.raises(Refused) as refused:
        verify(big, _headers(big), SECRET, NOW)
    assert refused.value.status == 413
    with pytest.raises(Refused) as refused:
        check_size(str(MAX_BODY + 1))
    assert refused.value.status == 413
    check_size(str(MAX_BODY))
    check_size(None)
    with pytest.raises(Refused):
        check_size("12abc")
    latin = "payload=caf\xe9".encode("latin-1")
    with pytest.raises(Refused) as refused:
        verify(latin, _headers(latin), SECRET, NOW)
    assert refused.value.status in (400, 401)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    body=st.binary(max_size=2000),
    ts=st.text(max_size=20),
    signature=st.text(max_size=80),
)
def test_hostile_headers_and_bodies_are_refused_never_crash(body, ts, signature):
    with pytest.raises(Refused):
        verify(body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}, SECRET, NOW)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2000))
def test_any_verified_body_parses_or_is_refused_with_400(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert verify(body, _headers(body), SECRET, NOW)
    status = None
    try:
        interaction = parse(text.encode())
    except Refused as refused:
        status = refused.status
    else:
        assert interaction.user
    assert status in (None, 400)


def test_parse_reads_the_click():
    interaction = parse(_body(_payload()))
    assert (interaction.user, interaction.action_id, interaction.value) == (
        "U07NTHUYD01",
        ACK_ACTION,
        "tip:12:L0:arrival:0",
    )
    assert interaction.channel == "D07ABCDEFGH"
    assert interaction.message_ts == "1700000000.000100"


@pytest.mark.parametrize(
    "payload",
    [
        _payload(type="view_submission"),
        _payload(user={"id": "not-a-user"}),
        _payload(user="U07NTHUYD01"),
        _payload(actions=[]),
        _payload(actions=["x"]),
        _payload(actions=[{"value": "tip:1:L0:arrival:0"}]),
        [],
    ],
)
def test_parse_refuses_anything_but_one_block_actions_click(payload):
    with pytest.raises(Refused) as refused:
        parse(_body(payload))
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "body", [b"", b"payload=not-json", b"a=1&b=2", b"payload=%7B%7D&payload=%7B%7D", b"%%%"]
)
def test_parse_refuses_malformed_forms(body):
    with pytest.raises(Refused):
        parse(body)


def test_ack_values_are_ladder_alert_keys_only():
    target = parse_ack_value("tip:12:L1:reminder:3")
    assert target is not None
    assert (target.tip_id, target.level, target.kind) == (12, 1, "reminder")
    for bad in (
        None,
        "",
        "tip:12:L0:urgent:0",  # urgent alerts acknowledge nothing
        "tip:12:L1:reminder:3:U07NTHUYC01",  # the recipient is not part of the value
        "tip:0:L1:arrival:0",
        "tip:12:L1:arrival:0 ",
        "sla:1:1:breach",
        "tip:1" + "0" * 30 + ":L0:arrival:0",
    ):
        assert parse_ack_value(bad) is None, bad


def test_the_buttons_carry_the_key_and_the_link_only():
    block = actions_block(ack_key="tip:12:L0:arrival:0", open_url="https://desk.example/tips/12")
    ack, link = block["elements"]
    assert (ack["action_id"], ack["value"], ack["text"]["text"]) == (
        ACK_ACTION,
        "tip:12:L0:arrival:0",
        "Đã nhận",
    )
    assert (link["action_id"], link["url"], link["text"]["text"]) == (
        OPEN_ACTION,
        "https://desk.example/tips/12",
        "Mở hồ sơ",
    )
    assert "value" not in link
    only_link = actions_block(ack_key=None, open_url="https://desk.example/tips/12")
    assert [e["action_id"] for e in only_link["elements"]] == [OPEN_ACTION]
    with pytest.raises(ValueError, match="not a ladder alert key"):
        actions_block(ack_key="tip:12:L0:urgent:0", open_url="https://x")
