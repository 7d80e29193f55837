"""Source readers over fake clients: where they stop paging, what they keep, what they reject."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from citizen_desk.collect.comments import read_comments
from citizen_desk.collect.messenger import read_messenger
from citizen_desk.collect.records import Bounds
from citizen_desk.collect.run import Window
from citizen_desk.collect.summary import channel_block, summarise_run
from citizen_desk.collect.tasks import (
    active_channels,
    airflow_max_map_length,
    window_for,
)
from citizen_desk.collect.zalo import STALLED_PAGES, read_zalo, recent_mode
from citizen_desk.errors import ConfigError, PlatformError

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PAGE = "100064512300011"


def gt(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S+0000")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


class FakeGraph:
    """Pages by path or `next` URL; records every request."""

    def __init__(self, pages: dict[str, dict[str, Any]]) -> None:
        self.pages = pages
        self.requests: list[str] = []

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        self.requests.append(path)
        yield from self.follow(self.pages[path])

    def follow(self, page: dict[str, Any]) -> Iterator[Any]:
        while True:
            yield from page.get("data", [])
            nxt = (page.get("paging") or {}).get("next")
            if not nxt:
                return
            self.requests.append(nxt)
            page = self.pages[nxt]


def fb_message(mid: str, minutes: int, sender: str = "555", text: str = "hỏi") -> dict[str, Any]:
    other = PAGE if sender != PAGE else "555"
    return {
        "id": mid,
        "created_time": gt(minutes),
        "message": text,
        "from": {"id": sender, "name": "Page" if sender == PAGE else "Trần Văn B"},
        "to": {"data": [{"id": other, "name": "Trần Văn B" if other == "555" else "Page"}]},
    }


def inbox() -> FakeGraph:
    return FakeGraph(
        {
            f"{PAGE}/conversations": {
                "data": [
                    {
                        "id": "t_A",
                        "updated_time": gt(60),
                        "messages": {
                            "data": [fb_message("m3", 60, PAGE), fb_message("m2", 50)],
                            "paging": {"next": "A2"},
                        },
                    },
                    {
                        "id": "t_B",
                        "updated_time": gt(5),
                        "messages": {"data": [fb_message("b1", 5)]},
                    },
                ],
                "paging": {"next": "C2"},
            },
            "A2": {"data": [fb_message("m1", 10), {"id": "broken", "from": {"id": "555"}}]},
            "C2": {"data": [{"id": "t_C", "updated_time": "yesterday"}]},
        }
    )


def test_messenger_stops_at_the_watermark_and_pages_messages_only_when_needed() -> None:
    graph = inbox()
    batch = read_messenger(graph, PAGE, Bounds(since=at(55)))
    assert [i.platform_message_id for i in batch.items] == ["m3"]
    assert graph.requests == [f"{PAGE}/conversations"]  # one request for a quiet-ish page
    assert batch.newest == at(60)

    graph = inbox()
    batch = read_messenger(graph, PAGE, Bounds(since=at(40)))
    assert [i.platform_message_id for i in batch.items] == ["m3", "m2"]
    assert graph.requests == [f"{PAGE}/conversations", "A2"]  # expanded page fell short of 40
    reply, question = batch.items
    assert (reply.direction, reply.citizen_user_id, reply.thread_key) == ("out", "555", "t_A")
    assert (question.direction, question.citizen_name) == ("in", "Trần Văn B")


def test_a_first_messenger_read_takes_everything_and_quarantines_bad_payloads() -> None:
    graph = inbox()
    batch = read_messenger(graph, PAGE, Bounds())
    assert [i.platform_message_id for i in batch.items] == ["m3", "m2", "m1", "b1"]
    assert [r.reason for r in batch.rejected] == [
        "message: missing created_time",
        "conversation: updated_time is not a valid timestamp",
    ]
    window = read_messenger(inbox(), PAGE, Bounds(since=at(0), until=at(30)))
    assert [i.platform_message_id for i in window.items] == ["m1", "b1"]


def paged(items: list[Any], sizes: list[int], name: str) -> dict[str, dict[str, Any]]:
    """`items` cut into Graph pages of `sizes` (short ones included), each but the last with a
    `next` (Graph: "End of list = `next` absent", a short page is not the end)."""
    pages: dict[str, dict[str, Any]] = {}
    start = 0
    for n, size in enumerate(sizes):
        page: dict[str, Any] = {"data": items[start : start + size]}
        start += size
        if n + 1 < len(sizes):
            page["paging"] = {"next": f"{name}-{n + 1}"}
        pages[name if n == 0 else f"{name}-{n}"] = page
    assert start == len(items)
    return pages


def test_messenger_history_over_many_pages_with_short_pages_loses_nothing() -> None:
    # conversation t_0 has 23 messages: its expansion and /messages pages are short mid-list
    long = [fb_message(f"L{i:02}", 900 - i, PAGE if i % 3 == 0 else "555") for i in range(23)]
    more = paged(long, [4, 10, 2, 7], "L")
    conversations = [
        {"id": f"t_{n}", "updated_time": gt(900 - 30 * n),
         "messages": more.pop("L") if n == 0 else {"data": [fb_message(f"s{n}", 900 - 30 * n)]}}
        for n in range(9)
    ]  # fmt: skip
    listing = paged(conversations, [3, 1, 4, 1], f"{PAGE}/conversations")
    graph = FakeGraph(listing | more)
    batch = read_messenger(graph, PAGE, Bounds())
    ids = [i.platform_message_id for i in batch.items]
    assert ids == [m["id"] for m in long] + [f"s{n}" for n in range(1, 9)]  # each once
    assert len(graph.requests) == 4 + 3  # every listing page, every /messages page after the first
    # the next run, the watermark at the newest message: the first listing page only
    assert batch.newest is not None
    again = FakeGraph(paged(conversations, [3, 1, 4, 1], f"{PAGE}/conversations") | more)
    rerun = read_messenger(again, PAGE, Bounds(since=batch.newest, mark=batch.newest))
    assert again.requests == [f"{PAGE}/conversations"]
    assert [i.platform_message_id for i in rerun.items] == ["L00"]  # the watermark's own row


def test_comments_over_many_pages_with_short_pages_lose_nothing() -> None:
    thread = [comment(f"p0_c{i:02}", 800 - i) for i in range(17)]
    more = paged(thread, [5, 1, 11], "C")
    posts = [
        {"id": f"p{n}", "updated_time": gt(800 - 40 * n),
         "comments": more.pop("C") if n == 0 else {"data": [comment(f"p{n}_c", 800 - 40 * n)]}}
        for n in range(6)
    ]  # fmt: skip
    graph = FakeGraph(paged(posts, [2, 1, 3], f"{PAGE}/published_posts") | more)
    batch = read_comments(graph, PAGE, Bounds())
    ids = [i.platform_message_id for i in batch.items]
    assert ids == [c["id"] for c in thread] + [f"p{n}_c" for n in range(1, 6)]
    assert len(graph.requests) == 3 + 2


def comment(cid: str, minutes: int, author: str = "777", parent: str | None = None) -> dict:
    payload: dict[str, Any] = {
        "id": cid,
        "created_time": gt(minutes),
        "message": "hỏi dưới bài",
        "from": {"id": author, "name": "Lê C"},
    }
    if parent:
        payload["parent"] = {"id": parent}
    return payload


def test_comments_skip_unchanged_posts_and_see_answers() -> None:
    old_top = {**comment("p1_c0", -300), "private_reply_conversation": {"id": "t_Z"}}
    graph = FakeGraph(
        {
            f"{PAGE}/published_posts": {
                "data": [
                    {
                        "id": "p2",
                        "updated_time": gt(60),
                        "comments": {
                            "data": [
                                comment("p2_c2", 60, PAGE, parent="p2_c1"),
                                comment("p2_c1", 45),
                            ],
                            "paging": {"next": "P2-more"},
                        },
                    },
                    {
                        "id": "p1",
                        "updated_time": gt(-300),
                        "comments": {"data": [old_top], "paging": {"next": "P1-more"}},
                    },
                ]
            },
            "P2-more": {"data": [comment("p2_c0", 10)]},
        }
    )
    batch = read_comments(graph, PAGE, Bounds(since=at(30)))
    assert graph.requests == [f"{PAGE}/published_posts", "P2-more"]
    reply, question = batch.items
    assert (reply.direction, reply.thread_key, reply.parent_platform_id) == (
        "out",
        "p2_c1",
        "p2_c1",
    )
    assert (question.direction, question.thread_key, question.citizen_user_id) == (
        "in",
        "p2_c1",
        "777",
    )
    assert batch.private_replies == {"p1_c0": "t_Z"}  # seen on the page already fetched
    assert batch.newest == at(60)


class FakeZalo:
    def __init__(self, recent: list[dict[str, Any]], threads: dict[str, list[dict]]) -> None:
        self.recent = recent
        self.threads = threads
        self.calls: list[tuple[str, int]] = []

    def list_recent_chat(self, offset: int, count: int = 10) -> list[dict[str, Any]]:
        self.calls.append(("recent", offset))
        return self.recent[offset : offset + count]

    def conversation(self, user_id: str, offset: int, count: int = 10) -> list[dict[str, Any]]:
        self.calls.append((user_id, offset))
        return self.threads[user_id][offset : offset + count]


def zalo_message(mid: str, minutes: int, user: str, src: int = 1) -> dict[str, Any]:
    oa = "4318800000000000011"
    return {
        "message_id": mid,
        "time": int(at(minutes).timestamp() * 1000),
        "src": src,
        "type": "text",
        "message": "xin chào",
        "from_id": user if src == 1 else oa,
        "to_id": oa if src == 1 else user,
        "from_display_name": "Phạm D" if src == 1 else "OA",
        "to_display_name": "OA" if src == 1 else "Phạm D",
    }


def zalo_world(mode: str = "latest_per_user") -> FakeZalo:
    u1 = [zalo_message(f"u1-{i}", 100 - i, "11") for i in range(12)]  # newest first
    u2 = [zalo_message("u2-1", 20, "22", src=0), zalo_message("u2-0", 15, "22")]
    u3 = [zalo_message("u3-0", -500, "33")]
    threads = {"11": u1, "22": u2, "33": u3}
    if mode == "latest_per_user":
        return FakeZalo([u1[0], u2[0], u3[0]], threads)
    every = sorted((m for t in threads.values() for m in t), key=lambda m: -m["time"])
    return FakeZalo(every, threads)  # one row per message, across users, newest first


def test_zalo_message_level_list_is_the_ingest_and_users_are_deduplicated() -> None:
    client = zalo_world("messages")
    batch = read_zalo(client, Bounds(since=at(10)))
    # 14 messages newer than `since`: two pages; the second reaches an older row and stops.
    assert client.calls == [("recent", 0), ("recent", 10)]
    assert sorted(i.platform_message_id for i in batch.items) == sorted(
        [f"u1-{i}" for i in range(12)] + ["u2-1", "u2-0"]
    )
    assert {i.thread_key for i in batch.items} == {"11", "22"}
    answer = next(i for i in batch.items if i.platform_message_id == "u2-1")
    assert (answer.direction, answer.thread_key, answer.citizen_user_id) == ("out", "22", "22")
    assert batch.newest == at(100)


class ShortPages(FakeZalo):
    """A list that answers some pages short although older rows follow (`short`: offset ->
    rows served); the next offset continues from what was served."""

    def __init__(self, recent: list[dict[str, Any]], short: dict[int, int]) -> None:
        super().__init__(recent, {})
        self.short = short

    def list_recent_chat(self, offset: int, count: int = 10) -> list[dict[str, Any]]:
        page = super().list_recent_chat(offset, count)
        return page[: self.short.get(offset, count)]


def test_zalo_a_short_page_ends_the_list_only_when_an_empty_page_follows() -> None:
    client = FakeZalo([zalo_message("a", 5, "11"), zalo_message("b", 4, "22", src=0)], {})
    batch = read_zalo(client, Bounds())
    assert client.calls == [("recent", 0), ("recent", 2)]  # only the empty page is the end
    assert [i.platform_message_id for i in batch.items] == ["a", "b"]


def test_zalo_history_over_many_pages_with_short_pages_mid_list_loses_nothing() -> None:
    rows = [zalo_message(f"m{i:02}", 600 - i, str(11 + i % 7), src=i % 3 % 2) for i in range(57)]
    client = ShortPages(rows, {0: 4, 14: 9, 23: 1})
    batch = read_zalo(client, Bounds())
    assert [i.platform_message_id for i in batch.items] == [r["message_id"] for r in rows]
    offsets = [offset for _, offset in client.calls]
    assert offsets == [0, 4, 14, 23, 24, 34, 44, 54, 57]  # on past each short page to the empty one
    # the same rows with the stored ones known and the watermark at the newest: nothing new
    stored = {i.platform_message_id for i in batch.items}
    assert batch.newest is not None
    again = read_zalo(
        ShortPages(rows, {0: 4}),
        Bounds(since=batch.newest - timedelta(minutes=10), mark=batch.newest),
        known=lambda ids: stored & set(ids),
    )
    assert again.items == []


def test_zalo_a_short_first_page_of_new_rows_does_not_hide_the_rest_of_them() -> None:
    rows = [zalo_message(f"n{i}", 100 - i, "11") for i in range(15)] + [
        zalo_message("old", 10, "22")
    ]
    client = ShortPages(rows, {0: 3})
    batch = read_zalo(client, Bounds(since=at(50)))
    assert [i.platform_message_id for i in batch.items] == [f"n{i}" for i in range(15)]
    assert client.calls == [("recent", 0), ("recent", 3), ("recent", 13)]  # the third holds "old"


class IgnoresOffset(FakeZalo):
    """A server that answers the first page whatever the offset (never empty)."""

    def list_recent_chat(self, offset: int, count: int = 10) -> list[dict[str, Any]]:
        self.calls.append(("recent", offset))
        return self.recent[:3]

    def conversation(self, user_id: str, offset: int, count: int = 10) -> list[dict[str, Any]]:
        self.calls.append((user_id, offset))
        return self.threads[user_id][:3]


def test_zalo_a_server_that_does_not_page_fails_the_walk_instead_of_looping() -> None:
    rows = [zalo_message(f"r{i}", 50 - i, "11") for i in range(5)]
    client = IgnoresOffset(rows, {"11": rows})
    with pytest.raises(PlatformError, match="not paging") as caught:
        read_zalo(client, Bounds())
    assert caught.value.retryable
    assert len(client.calls) == 1 + STALLED_PAGES  # the first page, then the stalled ones
    assert "11" not in str(caught.value)  # no user id in the message

    class ThreadIgnoresOffset(IgnoresOffset):
        list_recent_chat = FakeZalo.list_recent_chat  # the list pages; the thread does not

    with pytest.raises(PlatformError, match="conversation"):
        read_zalo(
            ThreadIgnoresOffset([rows[0]], {"11": rows}), Bounds(), recent_mode="latest_per_user"
        )


def test_zalo_one_page_that_repeats_rows_is_a_shifted_list_not_a_stall() -> None:
    rows = [zalo_message(f"s{i}", 300 - i, "11") for i in range(25)]
    newer = [zalo_message(f"t{i}", 400 - i, "22") for i in range(10)]

    class Shifted(FakeZalo):
        """Ten messages arrive at the head after the second call: the list shifts by ten."""

        def list_recent_chat(self, offset: int, count: int = 10) -> list[dict[str, Any]]:
            self.calls.append(("recent", offset))
            if len(self.calls) == 3:
                self.recent = newer + self.recent
            return self.recent[offset : offset + count]

    client = Shifted(rows, {})
    batch = read_zalo(client, Bounds())
    assert [offset for _, offset in client.calls] == [0, 10, 20, 30, 35]  # 20: a repeated page
    assert [i.platform_message_id for i in batch.items] == [r["message_id"] for r in rows]


def test_zalo_a_row_seen_twice_is_kept_once() -> None:
    row = zalo_message("a", 5, "11")
    client = FakeZalo([row] * 10 + [zalo_message("b", 4, "11")], {})
    batch = read_zalo(client, Bounds())
    assert [i.platform_message_id for i in batch.items] == ["a", "b"]


def test_zalo_per_user_mode_pages_each_changed_user_until_older_or_empty() -> None:
    client = zalo_world()
    batch = read_zalo(client, Bounds(since=at(10)), recent_mode="latest_per_user")
    assert client.calls == [
        ("recent", 0),  # the third user is older: the list is not paged further
        ("11", 0),
        ("11", 10),  # twelve new messages: the second page is short ...
        ("11", 12),  # ... and only the empty one after it ends the thread
        ("22", 0),
        ("22", 2),
    ]
    assert len(batch.items) == 14
    answer = next(i for i in batch.items if i.platform_message_id == "u2-1")
    assert (answer.direction, answer.thread_key, answer.citizen_user_id) == ("out", "22", "22")
    assert batch.newest == at(100)


def test_zalo_skips_known_users_in_the_overlap() -> None:
    client = zalo_world()
    known = {"u1-0"}
    batch = read_zalo(
        client,
        Bounds(since=at(90), mark=at(100)),
        known=lambda ids: {i for i in ids if i in known},
        recent_mode="latest_per_user",
    )
    assert client.calls == [("recent", 0)]  # nothing newer than the watermark: one request
    assert batch.items == []


def test_zalo_message_level_overlap_keeps_only_what_is_not_stored() -> None:
    client = zalo_world("messages")
    known = {"u1-0", "u1-1"}
    batch = read_zalo(
        client,
        Bounds(since=at(95), mark=at(100)),
        known=lambda ids: {i for i in ids if i in known},
    )
    assert client.calls == [("recent", 0)]  # the first page reaches a row older than `since`
    assert [i.platform_message_id for i in batch.items] == [f"u1-{i}" for i in range(2, 6)]


def test_zalo_missing_src_takes_the_direction_from_the_oa_id() -> None:
    oa = "4318800000000000011"
    inbound = zalo_message("in", 5, "11")
    outbound = zalo_message("out", 6, "11", src=0)
    looped = zalo_message("loop", 4, "11") | {"from_id": oa, "to_id": oa}
    rows = [{k: v for k, v in m.items() if k != "src"} for m in (outbound, inbound, looped)]
    batch = read_zalo(FakeZalo(rows, {}), Bounds(), oa_id=oa)
    assert {(i.platform_message_id, i.direction, i.thread_key) for i in batch.items} == {
        ("out", "out", "11"),
        ("in", "in", "11"),
    }
    assert [r.reason for r in batch.rejected] == [
        "zalo message: missing src and the ids do not tell the direction"
    ]
    # without the OA's id nothing can be inferred: each row says why, none is silently guessed
    blind = read_zalo(FakeZalo(rows[:2], {}), Bounds())
    assert [r.reason for r in blind.rejected] == ["zalo message: missing src"] * 2


def test_zalo_a_page_whose_data_is_not_a_list_is_quarantined() -> None:
    class Odd(FakeZalo):
        def list_recent_chat(self, offset: int, count: int = 10) -> Any:
            self.calls.append(("recent", offset))
            return self.recent[offset : offset + count] if offset == 0 else {"oops": 1}

    rows = [zalo_message(f"m{i}", 50 - i, "11") for i in range(10)]
    batch = read_zalo(Odd(rows + rows, {}), Bounds())
    assert len(batch.items) == 10
    assert [r.reason for r in batch.rejected] == ["zalo recent chat: data is not a list"]
    assert batch.newest == at(50)  # the watermark still moves to what was read


def test_recent_mode_comes_from_the_connection() -> None:
    assert recent_mode({}) == "messages"
    assert recent_mode({"listrecentchat": "latest_per_user"}) == "latest_per_user"
    with pytest.raises(ConfigError, match=r"extra\.listrecentchat"):
        recent_mode({"listrecentchat": "threads"}, "airflow connection zalo_x")


def test_windows_from_params_and_backfills() -> None:
    params = {"since": "2026-11-20", "until": "2026-11-21"}
    window = window_for(params, run_type="manual", interval_start=None, interval_end=None, now=T0)
    assert window == Window(
        since=datetime(2026, 11, 19, 17, 0, tzinfo=UTC),
        until=datetime(2026, 11, 21, 17, 0, tzinfo=UTC),
    )
    assert window_for({}, run_type="scheduled", interval_start=T0, interval_end=T0, now=T0) is None
    backfill = window_for({}, run_type="backfill", interval_start=T0, interval_end=T0, now=T0)
    assert backfill == Window(since=T0 - timedelta(days=1), until=T0)
    with pytest.raises(ConfigError):
        window_for({"since": "2026-11-21", "until": "2026-11-20"}, run_type="manual",
                   interval_start=None, interval_end=None, now=T0)  # fmt: skip
    with pytest.raises(ConfigError):
        window_for({"until": "2026-11-20"}, run_type="manual", interval_start=None,
                   interval_end=None, now=T0)  # fmt: skip


def test_channel_selection(registry) -> None:
    every = active_channels(registry, None)
    assert every["facebook"]
    assert every["zalo"]
    assert active_channels(registry, ["zalo-th-ns-ttns"]) == {
        "facebook": [],
        "zalo": ["zalo-th-ns-ttns"],
    }
    with pytest.raises(ConfigError, match="no-such-page"):
        active_channels(registry, ["no-such-page"])


@pytest.mark.airflow
def test_the_limit_is_read_from_airflow_s_configuration(monkeypatch) -> None:
    assert airflow_max_map_length() == 1024  # Airflow's default
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "7000")
    assert airflow_max_map_length() == 7000


def test_summary_blocks() -> None:
    ok = {
        "channel": "fb-a",
        "platform": "facebook",
        "status": "success",
        "messages_added": 3,
        "api_calls": 2,
        "categories": {"tip": 1},
        "sources": {"messenger": {"messages_added": 3, "read": 5, "watermark": "2026-11-23"}},
    }
    failed = {"channel": "zalo-b", "platform": "zalo", "status": "failed", "error": "boom"}
    run = summarise_run("run-1", [ok, failed])
    assert run["failed"] == ["zalo-b"]
    assert run["totals"]["messages_added"] == 3
    assert "messenger +3 of 5 read" in channel_block(ok)
    assert "error (unknown): boom" in run["text"]
