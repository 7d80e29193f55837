"""Webhook bodies into inbox events, from the platforms' published example payloads."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.realtime.events import parse_meta, parse_zalo

PUBLISHED = Path(__file__).resolve().parents[1] / "contracts" / "published"


def published(name: str) -> dict:
    return json.loads((PUBLISHED / name).read_text(encoding="utf-8"))


def envelope(*items: dict, page: str = "1234") -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": page, "time": 1, "messaging": list(items)}]}
    ).encode()


def test_a_published_messenger_text_event_is_keyed_by_its_mid() -> None:
    item = published("facebook/webhook-messages-text.json")
    parsed = parse_meta(envelope(item))
    (event,) = parsed.events
    assert (event.platform, event.event_key, event.account_id, event.kind) == (
        "facebook", item["message"]["mid"], "1234", "message"
    )  # fmt: skip
    assert json.loads(event.payload) == item
    assert event.occurred_at is not None
    assert event.occurred_at.year == 2016


def test_echoes_deliveries_and_comments() -> None:
    echo = {"sender": {"id": "1234"}, "recipient": {"id": "42"}, "timestamp": 1,
            "message": {"mid": "m_echo", "is_echo": True, "text": "Chào anh"}}  # fmt: skip
    delivery = {"sender": {"id": "42"}, "recipient": {"id": "1234"}, "delivery": {"mids": ["m_1"]}}
    body = json.loads(envelope(echo, delivery))
    body["entry"][0]["changes"] = [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "10_20",
                                    "post_id": "10", "message": "Có trộm",
                                    "created_time": 1733470000}},
        {"field": "feed", "value": {"item": "reaction", "verb": "add"}},
    ]  # fmt: skip
    parsed = parse_meta(json.dumps(body).encode())
    assert [(e.kind, e.event_key) for e in parsed.events] == [
        ("echo", "m_echo"),
        ("comment", "10_20"),
    ]
    assert parsed.ignored == 2


def test_a_published_zalo_text_event_is_keyed_by_its_msg_id() -> None:
    document = published("zalo/webhook-user_send_text.json")
    (event,) = parse_zalo(json.dumps(document).encode()).events
    assert (event.platform, event.event_key, event.account_id, event.kind) == (
        "zalo", document["message"]["msg_id"], document["recipient"]["id"], "message"
    )  # fmt: skip


def test_a_published_zalo_follow_event() -> None:
    document = published("zalo/webhook-follow.json")
    (event,) = parse_zalo(json.dumps(document).encode()).events
    assert event.kind == "follow"
    assert event.account_id == document["oa_id"]


def test_bodies_unlike_the_documentation_are_quarantined_with_a_reason() -> None:
    bodies = (b"not json", b"[]", b'{"object":"user","entry":[]}', b'{"object":"page","entry":{}}',
              b'{"object":"page","entry":[{"messaging":[]}]}')  # fmt: skip
    for body in bodies:
        (event,) = parse_meta(body).events
        assert event.kind == "quarantined"
        assert event.reason
    bad_mid = envelope({"message": {"mid": 5, "text": "x"}})
    (event,) = parse_meta(bad_mid).events
    assert (event.kind, event.reason) == ("quarantined", "message without a valid mid")
    for body in (b"\xff", b"{}", b'{"event_name":"user_send_text","message":{}}'):
        (event,) = parse_zalo(body).events
        assert event.kind == "quarantined"
        assert event.reason


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_no_body_raises_and_every_event_has_a_key(document: object) -> None:
    for wrapped in (document, {"object": "page", "entry": [{"id": "1", "messaging": [document]}]},
                    {"event_name": "user_send_text", "message": document}):  # fmt: skip
        body = json.dumps(wrapped).encode()
        for parser in (parse_meta, parse_zalo):
            for event in parser(body).events:
                assert 0 < len(event.event_key) <= 255
                assert (event.kind == "quarantined") == (event.reason is not None)
