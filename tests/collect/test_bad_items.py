"""One bad message never stops a channel: it goes to quarantine, the rest is stored, the
watermark moves (SQLite and PostgreSQL: PostgreSQL refuses NUL and over-long values)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citizen_desk.collect.channels import ChannelRef, channel_ref
from citizen_desk.collect.comments import read_comments
from citizen_desk.collect.messenger import read_messenger
from citizen_desk.collect.records import Bounds, SourceBatch
from citizen_desk.collect.store import load_watermark, payload_text, store_batch
from citizen_desk.collect.zalo import read_zalo
from citizen_desk.db.models import Message, Quarantine
from citizen_desk.platforms.graph import GraphClient
from tests.conftest import NOW
from tests.platforms.fakes import FakeResponse

PAGE = "100064512300011"
BASE = "https://graph.test/v25.0/"


def gt(second: int) -> str:
    return datetime(2026, 11, 23, 3, 0, second, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def message(mid: str, second: int, text: Any = "Cho hỏi", **changes: Any) -> dict[str, Any]:
    body = {
        "id": mid,
        "created_time": gt(second),
        "message": text,
        "from": {"id": "9001", "name": "Nguyễn Thị Hoa", "email": "9001@facebook.com"},
        "to": {"data": [{"id": PAGE, "name": "Trang"}]},
    }
    body.update(changes)
    return body


BAD_MESSAGES = {
    "message: contains an unpaired surrogate": message("m_sur", 40, "bad \ud800 text"),
    "message: contains a NUL character": message("m_nul", 39, "bad \x00 text"),
    "message: display name longer than 255 characters": message(
        "m_name", 38, **{"from": {"id": "9002", "name": "N" * 256}}
    ),
    "message: id longer than 128 characters": message("m" * 129, 37),
}


class UrlSession:
    """Answers each GET by its URL (a path under BASE or an absolute paging link)."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages = pages

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        return FakeResponse(200, self.pages[url.removeprefix(BASE)])


def graph(pages: dict[str, Any]) -> GraphClient:
    return GraphClient(BASE, "page-token", session=UrlSession(pages), sleep=lambda _s: None)  # type: ignore[arg-type]


def inbox() -> GraphClient:
    later = "t_3/messages?after=X"
    return graph(
        {
            f"{PAGE}/conversations": {
                "data": [
                    {
                        "id": "t_1",
                        "updated_time": gt(50),
                        "messages": {
                            "data": [
                                message("m_ok2", 50),
                                *BAD_MESSAGES.values(),
                                message("m_ok1", 30),
                            ]
                        },
                    },
                    {"id": "t_2", "updated_time": gt(20), "messages": {"data": "not a list"}},
                    {
                        "id": "t_3",
                        "updated_time": gt(10),
                        "messages": {
                            "data": [message("m_ok3", 10)],
                            "paging": {"next": BASE + later},
                        },
                    },
                ]
            },
            later: {"data": {"not": "a list"}},
        }
    )


@pytest.fixture
def fb_channel(synced_engine: Engine) -> ChannelRef:
    with Session(synced_engine) as session:
        return channel_ref(session, "fb-th-ns-ttns")


def store(engine: Engine, channel: ChannelRef, batch: SourceBatch) -> None:
    with Session(engine) as session:
        store_batch(session, channel, batch, run_id="run-1", now=NOW, advance_watermark=True)
        session.commit()


def quarantined(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(Quarantine.reason)))


def stored(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(select(Message.platform_message_id)))


def test_bad_messages_are_quarantined_and_the_rest_is_stored(synced_engine, fb_channel) -> None:
    batch = read_messenger(inbox(), PAGE, Bounds())
    store(synced_engine, fb_channel, batch)

    assert stored(synced_engine) == {"m_ok1", "m_ok2", "m_ok3"}
    assert quarantined(synced_engine) == sorted(
        [
            *BAD_MESSAGES,
            "conversation: messages.data is not a list",
            "conversation: a messages page's data is not a list",
        ]
    )
    with Session(synced_engine) as session:
        mark = load_watermark(session, fb_channel.id, "messenger")
        payloads = list(session.scalars(select(Quarantine.payload)))
    assert mark == datetime(2026, 11, 23, 3, 0, 50, tzinfo=UTC)
    assert any("\\ud800" in p for p in payloads)  # kept, escaped: the text column can hold it
    # a second run quarantines nothing twice
    store(synced_engine, fb_channel, read_messenger(inbox(), PAGE, Bounds()))
    assert len(quarantined(synced_engine)) == len(BAD_MESSAGES) + 2


def test_bad_comments_are_quarantined_and_the_rest_is_stored(synced_engine, fb_channel) -> None:
    def comment(cid: str, second: int, **changes: Any) -> dict[str, Any]:
        body = {"id": cid, "created_time": gt(second), "message": "Hỏi",
                "from": {"id": "9003", "name": "Lê Văn C"}}  # fmt: skip
        return body | changes

    client = graph(
        {
            f"{PAGE}/published_posts": {
                "data": [
                    {
                        "id": f"{PAGE}_1",
                        "updated_time": gt(50),
                        "comments": {
                            "data": [
                                comment("c_ok", 50),
                                comment("c_nul", 40, message="\x00"),
                                comment("c_long", 30, parent={"id": "p" * 200}),
                                comment("c_user", 20, **{"from": {"id": "9" * 65, "name": "X"}}),
                            ]
                        },
                    },
                    {"id": f"{PAGE}_2", "updated_time": gt(5), "comments": {"data": 7}},
                ]
            }
        }
    )
    batch = read_comments(client, PAGE, Bounds())
    batch = SourceBatch("comments", batch.items, batch.rejected, batch.newest)
    store(synced_engine, fb_channel, batch)
    assert stored(synced_engine) == {"c_ok"}
    assert quarantined(synced_engine) == [
        "comment: contains a NUL character",
        "comment: thread id longer than 128 characters",
        "comment: user id longer than 64 characters",
        "post: comments.data is not a list",
    ]


class FakeZalo:
    def __init__(self, recent: list[Any], threads: dict[str, list[Any]]) -> None:
        self.recent, self.threads = recent, threads

    def list_recent_chat(self, offset: int, count: int = 10) -> list[Any]:
        return self.recent[offset : offset + count]

    def conversation(self, user_id: str, offset: int, count: int = 10) -> list[Any]:
        return self.threads.get(user_id, [])[offset : offset + count]


def zmsg(mid: str, ms: int, user: str = "u1", **changes: Any) -> dict[str, Any]:
    body = {
        "message_id": mid,
        "time": 1795000000000 + ms,
        "src": 1,
        "type": "text",
        "message": "Hỏi",
        "from_id": user,
        "from_display_name": "Phạm D",
        "to_id": "oa",
    }
    return body | changes


@pytest.mark.parametrize("mode", ["messages", "latest_per_user"])
def test_a_bad_latest_zalo_message_still_lets_its_thread_be_read(synced_engine, mode) -> None:
    with Session(synced_engine) as session:
        channel = channel_ref(session, "zalo-th-ns-ttns")
    bad_latest = zmsg("z3", 3, from_display_name="Z" * 300)
    thread = [bad_latest, zmsg("z2", 2, message="\ud83d"), zmsg("z1", 1)]
    bad_other = zmsg("y1", 2, user="u2", time="9" * 5000)
    # listrecentchat: every message (documented) or the latest per user (the older reading)
    recent = [bad_latest, bad_other, *thread[1:]] if mode == "messages" else [bad_latest, bad_other]
    client = FakeZalo(recent, {"u1": thread})
    batch = read_zalo(client, Bounds(), recent_mode=mode)
    store(synced_engine, channel, batch)
    assert stored(synced_engine) == {"z1"}
    assert quarantined(synced_engine) == [
        "zalo message: contains an unpaired surrogate",
        "zalo message: display name longer than 255 characters",
        "zalo message: time is not epoch milliseconds",
    ]


def test_payload_text_always_encodes() -> None:
    assert payload_text({"a": "ư"}) == '{"a": "ư"}'  # unchanged for ordinary payloads
    assert payload_text({"a": "\udfff"}) == '{"a": "\\udfff"}'
    payload_text({"a": "\x00"}).encode("utf-8")
