"""The platforms' published example payloads (tests/contracts/published/, each with its
`.source.txt`) through our parsing code: what we extract from them, and where the documented
shape diverges from ours (then the divergence is quarantined, never a crash).

`*.community.*` files are third-party captures, not official examples (marked in each test).
Placeholders the docs print instead of values ("UNIX-TIMESTAMP") are replaced by a value of the
documented type, and only them; everything else is verbatim.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from citizen_desk.collect.comments import read_comments
from citizen_desk.collect.messenger import message_item, read_messenger
from citizen_desk.collect.records import Bounds
from citizen_desk.collect.zalo import zalo_item
from citizen_desk.domain.vocabulary import CollectionErrorKind
from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms.errors import failure_kind
from citizen_desk.platforms.graph import GraphClient, parse_usage
from citizen_desk.platforms.zalo import ZaloClient, parse_token_response
from tests.platforms.fakes import FakeResponse, FakeSession

PUBLISHED = Path(__file__).parent / "published"
PAGE = "PAGE-ID"
T = 1795000000  # a UNIX time for the "UNIX-TIMESTAMP" placeholders


def published(name: str) -> Any:
    path = PUBLISHED / name
    assert path.with_name(path.name.split(".")[0] + ".source.txt").exists() or any(
        path.parent.glob("*.source.txt")
    )
    return json.loads(path.read_text(encoding="utf-8"))


def fill_placeholders(value: Any) -> Any:
    """Every "UNIX-TIMESTAMP…" placeholder replaced by a UNIX time (newest first, as listed)."""
    value = copy.deepcopy(value)
    counter = iter(range(0, 10_000, 60))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and node.startswith("UNIX-TIMESTAMP"):
            return T - next(counter)
        return node

    return walk(value)


class Pager:
    def __init__(self, page: dict[str, Any]) -> None:
        self.page = page

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Any:
        yield from self.follow(self.page)

    def follow(self, page: dict[str, Any]) -> Any:
        yield from page.get("data", [])


# --- Facebook: conversations and messages ---------------------------------------------------------


def test_conversations_list_verbatim_placeholder_times_are_quarantined() -> None:
    batch = read_messenger(Pager(published("facebook/conversations-list.json")), PAGE, Bounds())
    assert batch.items == []
    assert [r.reason for r in batch.rejected] == [
        "conversation: updated_time is not a valid timestamp"
    ] * 2


def test_conversations_list_ids_and_unix_times() -> None:
    page = fill_placeholders(published("facebook/conversations-list.json"))
    batch = read_messenger(Pager(page), PAGE, Bounds())
    assert batch.rejected == []
    assert batch.newest == datetime.fromtimestamp(T, UTC)


def test_conversations_with_messages_lack_the_fields_we_ask_for() -> None:
    """The example asks `fields=messages,is_owner`; we ask for `updated_time` and the messages'
    `from`, so without them every conversation is quarantined with the reason."""
    page = fill_placeholders(published("facebook/conversations-is-owner.json"))
    batch = read_messenger(Pager(page), PAGE, Bounds())
    assert [r.reason for r in batch.rejected] == ["conversation: missing updated_time"] * 2
    for conversation in page["data"]:
        conversation["updated_time"] = T
    batch = read_messenger(Pager(page), PAGE, Bounds())
    assert batch.items == []
    assert [r.reason for r in batch.rejected] == ["message: missing from"] * 3


def test_conversation_messages_field_ids_and_times() -> None:
    conversation = fill_placeholders(published("facebook/conversation-messages-field.json"))
    assert conversation["id"] == "Conversation ID"
    messages = conversation["messages"]["data"]
    assert [m["id"] for m in messages] == ["Message ID-1", "Message ID-2", "Message ID-3"]
    sender = {"id": "PSID", "name": "Người dân"}
    items = [message_item(m | {"from": sender}, PAGE, conversation["id"]) for m in messages]
    assert [i.created_at for i in items] == sorted((i.created_at for i in items), reverse=True)
    assert {i.thread_key for i in items} == {"Conversation ID"}
    assert {(i.direction, i.citizen_user_id, i.text) for i in items} == {("in", "PSID", "")}


def test_message_object_from_to_text_and_time() -> None:
    payload = published("facebook/message-instagram-example.json")
    item = message_item(payload, "INSTAGRAM-PROFESSIONAL-ACCOUNT-ID", "t_1")
    assert item.platform_message_id == "aWdGGiblWZ..."
    assert item.created_at == datetime(2022, 7, 12, 19, 11, 7, tzinfo=UTC)
    assert item.text == "Hi Kitty!"
    assert (item.direction, item.citizen_user_id) == ("in", "INSTAGRAM-SCOPED-ID")
    assert item.citizen_name is None  # Instagram sends `username`, Messenger `name`
    page_side = message_item(
        payload | {"from": {"id": "INSTAGRAM-PROFESSIONAL-ACCOUNT-ID"}, "to": {"data": [
            {"id": "INSTAGRAM-SCOPED-ID"}]}},
        "INSTAGRAM-PROFESSIONAL-ACCOUNT-ID",
        "t_1",
    )  # fmt: skip
    assert (page_side.direction, page_side.citizen_user_id) == ("out", "INSTAGRAM-SCOPED-ID")


def test_comments_edge_shape_reads_as_nothing_new() -> None:
    post = {"id": f"{PAGE}_1", "updated_time": T, "comments": published(
        "facebook/comments-edge-shape.json")}  # fmt: skip
    batch = read_comments(Pager({"data": [post]}), PAGE, Bounds())
    assert (batch.items, batch.rejected) == ([], [])


# --- Facebook: paging, errors, headers ------------------------------------------------------------


def test_cursor_paging_follows_next_on_the_graph_host_and_stops_without_it() -> None:
    first = published("facebook/paging-cursor.json")
    last = {"data": [{"id": "1"}], "paging": {"cursors": first["paging"]["cursors"]}}
    session = FakeSession([FakeResponse(200, first), FakeResponse(200, last)])
    graph = GraphClient("https://graph.facebook.com/v25.0/", "tok", session=session)
    assert list(graph.paginate("me/albums")) == [{"id": "1"}]
    assert session.calls[1]["url"] == first["paging"]["next"]
    assert len(session.calls) == 2  # an empty page with `next` is not the end; no `next` is


@pytest.mark.parametrize(
    ("name", "status", "kind", "code", "retryable"),
    [
        ("facebook/error-object.json", 400, CollectionErrorKind.TOKEN, 190, False),
        ("facebook/error-rate-limit-32.json", 400, CollectionErrorKind.RATE_LIMIT, 32, True),
        ("facebook/error-buc-80001.json", 400, CollectionErrorKind.RATE_LIMIT, 80001, True),
    ],
)
def test_published_graph_errors(name, status, kind, code, retryable) -> None:
    session = FakeSession([FakeResponse(status, published(name))])
    graph = GraphClient("https://graph.facebook.com/v25.0/", "tok", session=session,
                        max_attempts=1)  # fmt: skip
    with pytest.raises(PlatformError) as info:
        graph.get("PAGE-ID/conversations")
    assert (info.value.code, info.value.retryable, failure_kind(info.value)) == (
        code, retryable, kind)  # fmt: skip
    if code == 190:
        assert isinstance(info.value, TokenError)
        assert info.value.subcode == 460


def test_published_usage_headers() -> None:
    app = json.dumps(published("facebook/header-x-app-usage.json"))
    assert parse_usage({"X-App-Usage": app}) == (28.0, 0.0)
    buc = json.dumps(published("facebook/header-x-business-use-case-usage.json"))
    assert parse_usage({"X-Business-Use-Case-Usage": buc}) == (100.0, 19 * 60.0)


# --- Zalo (community examples: no official verbatim example exists) -------------------------------


def test_listrecentchat_item_community_example() -> None:
    item = zalo_item(published("zalo/listrecentchat-item.community.json"))
    assert item.platform_message_id == "92e5d851aa8178dd2192"
    assert item.created_at == datetime(2021, 4, 26, 1, 50, 53, 770000, tzinfo=UTC)
    assert (item.direction, item.thread_key, item.text) == (
        "in",
        "3700646744485476903",
        "Chào shop",
    )
    assert item.citizen_name == "Khoa Pham"


def test_zalo_unknown_path_envelope_community_example_is_an_error() -> None:
    session = FakeSession([FakeResponse(200, published("zalo/error-envelope.community.json"))])
    zalo = ZaloClient("https://openapi.zalo.me/", "tok", session=session, max_attempts=1)
    with pytest.raises(PlatformError) as info:
        zalo.list_recent_chat(0)
    assert (info.value.code, info.value.retryable) == (404, False)


def test_oauth_v4_response_community_example_string_expires_in() -> None:
    pair = parse_token_response(published("zalo/oauth-v4-oa-access-token-response.community.json"))
    assert pair is not None
    assert pair.expires_in == 90000


# --- Slack ----------------------------------------------------------------------------------------


def test_slack_auth_test_and_post_message_examples() -> None:
    from citizen_desk.doctor.slack import parse_auth_test

    bot = parse_auth_test(published("slack/auth-test-bot-token.json"))
    assert (bot.ok, bot.user_id, bot.bot_id, bot.team) == (
        True, "W23456789", "BZYBOTHED", "Subarachnoid Workspace")  # fmt: skip
    bad = parse_auth_test(published("slack/auth-test-error-invalid-auth.json"))
    assert (bad.ok, bad.error) == (False, "invalid_auth")
    from citizen_desk.notify.delivery import _post

    class Client:
        def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
            return published("slack/chat-postMessage-response.json")

    assert _post(Client(), "C123ABC456", "k1", {"text": "x"}) == {  # type: ignore[arg-type]
        "channel": "C123ABC456", "ts": "1503435956.000247"}  # fmt: skip


def test_slack_conversations_info_example_has_no_is_member() -> None:
    """Membership is read from `users.conversations` (facts file C14), not conversations.info."""
    channel = published("slack/conversations-info-channel.json")["channel"]
    assert "is_member" not in channel
    listed = published("slack/conversations-list-response.json")
    assert all("is_member" in c for c in listed["channels"])


# --- Facebook: token and permissions --------------------------------------------------------------


def test_debug_token_and_me_permissions_examples() -> None:
    from citizen_desk.doctor.graph import granted_permissions, token_info

    info = token_info(published("facebook/debug-token.json"))
    assert (info.valid, info.type, info.expires_at) == (
        True, "USER", datetime.fromtimestamp(1352419328, UTC))  # fmt: skip
    assert info.scopes == {"email", "publish_actions"}
    assert granted_permissions(published("facebook/me-permissions.json")) == {"public_profile"}
