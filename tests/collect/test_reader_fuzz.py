"""Fuzzing the readers over the documented payload shapes: one field of one item is replaced by
None, a wrong type, a huge string, an unpaired surrogate or a NUL. The reader never raises; the
untouched items are all read; the mutated item is read (harmless change) or quarantined."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizen_desk.collect.comments import read_comments
from citizen_desk.collect.messenger import read_messenger
from citizen_desk.collect.records import Bounds, Invalid, SourceBatch, storable
from citizen_desk.collect.store import payload_text
from citizen_desk.collect.zalo import read_zalo, zalo_item
from citizen_desk.platforms.graph import MalformedPage
from tests.budget import examples

PAGE = "100064512300011"
BAD_VALUES = st.sampled_from(
    [None, 0, -1, 1.5, True, "", [], {}, {"id": 5}, "x" * 5000, "9" * 5000, "\ud800",
     "a\x00b", "2026-13-45T99:00:00+0000", float("nan"), ["\udfff"], {"name": "\x00"}]
)  # fmt: skip
FUZZ = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class Pager:
    """GraphClient's paging semantics (`data` not a list -> MalformedPage) without HTTP."""

    def __init__(self, first: dict[str, Any]) -> None:
        self.first = first

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        yield from self.follow(self.first)

    def follow(self, page: dict[str, Any]) -> Iterator[Any]:
        data = page.get("data", [])
        if not isinstance(data, list):
            raise MalformedPage("Graph response: 'data' is not a list")
        yield from data  # the documented examples have no further page


def fb_message(mid: str, minute: int, sender: str = "9001") -> dict[str, Any]:
    return {
        "id": mid,
        "created_time": f"2026-11-23T03:{minute:02d}:00+0000",
        "message": "Cho hỏi thủ tục",
        "from": {"name": "Nguyễn Thị Hoa", "email": f"{sender}@facebook.com", "id": sender},
        "to": {"data": [{"name": "Trang", "email": f"{PAGE}@facebook.com", "id": PAGE}]},
    }


def conversations() -> dict[str, Any]:
    """`GET /{page-id}/conversations?fields=id,updated_time,messages{...}` (documented shape)."""
    return {
        "data": [
            {
                "id": "t_1",
                "updated_time": "2026-11-23T03:30:00+0000",
                "messages": {"data": [fb_message("m_3", 30), fb_message("m_2", 20, PAGE)]},
            },
            {
                "id": "t_2",
                "updated_time": "2026-11-23T03:10:00+0000",
                "messages": {"data": [fb_message("m_1", 10, "9002")]},
            },
        ]
    }


def posts() -> dict[str, Any]:
    def comment(cid: str, minute: int, parent: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": cid,
            "created_time": f"2026-11-23T03:{minute:02d}:00+0000",
            "message": "Đường hỏng",
            "from": {"name": "Lê Văn C", "id": "9003"},
            "permalink_url": f"https://www.facebook.com/{cid}",
        }
        if parent:
            body["parent"] = {"id": parent}
        return body

    return {
        "data": [
            {
                "id": f"{PAGE}_1",
                "created_time": "2026-11-20T03:00:00+0000",
                "updated_time": "2026-11-23T03:30:00+0000",
                "comments": {"data": [comment("c_3", 30, "c_1"), comment("c_2", 20)]},
            },
            {
                "id": f"{PAGE}_2",
                "created_time": "2026-11-21T03:00:00+0000",
                "updated_time": "2026-11-23T03:10:00+0000",
                "comments": {"data": [comment("c_1", 10)]},
            },
        ]
    }


def zalo_message(mid: str, ms: int, user: str, src: int = 1) -> dict[str, Any]:
    """A `listrecentchat` / `conversation` item (community example shape)."""
    user_side = {"id": user, "display_name": "Phạm D", "avatar": "https://s120.avatar/u.jpg"}
    oa_side = {"id": "oa_1", "display_name": "Công an", "avatar": "https://s120.avatar/oa.jpg"}
    sender, receiver = (user_side, oa_side) if src == 1 else (oa_side, user_side)
    return {
        "src": src,
        "time": 1795000000000 + ms,
        "type": "text",
        "message": "Xin chào",
        "message_id": mid,
        "from_id": sender["id"],
        "from_display_name": sender["display_name"],
        "from_avatar": sender["avatar"],
        "to_id": receiver["id"],
        "to_display_name": receiver["display_name"],
        "to_avatar": receiver["avatar"],
    }


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside `value` (the root excluded)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, inner in items:
        yield (*prefix, key)
        yield from paths(inner, (*prefix, key))


def mutate(doc: Any, path: tuple[Any, ...], bad: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = copy.deepcopy(bad)
    return doc


def check_batch(batch: SourceBatch, what: str) -> None:
    """Whatever was read can be stored; whatever was rejected can be quarantined."""
    for item in batch.items:
        storable(item, what)
        assert isinstance(item.text, str)
    for rejected in batch.rejected:
        assert rejected.reason
        payload_text(rejected.payload).encode("utf-8")


def ids(batch: SourceBatch) -> set[str]:
    return {i.platform_message_id for i in batch.items}


def accounted(batch: SourceBatch, everything: set[str], touched: set[str]) -> None:
    """The untouched items are read; a touched item that was not read (under its id or a changed
    one) left a quarantine reason."""
    assert everything - touched <= ids(batch)
    if len(ids(batch)) < len(everything):
        assert batch.rejected


@st.composite
def mutation(draw: st.DrawFn, doc: dict[str, Any]) -> tuple[tuple[Any, ...], Any]:
    """A path inside one item of the page (a page whose `data` is not a list is no item's fault)."""
    inside = sorted((p for p in paths(doc) if len(p) > 1), key=repr)
    return draw(st.sampled_from(inside)), draw(BAD_VALUES)


def item_ids(node: Any) -> set[str]:
    """Ids of the messages/comments (objects with `id`, `created_time`, `from`) inside `node`."""
    out, stack = set(), [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("id"), str) and {"created_time", "from"} <= value.keys():
                out.add(value["id"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return out


def touched_by(doc: dict[str, Any], path: tuple[Any, ...]) -> set[str]:
    """The items a change at `path` may hide: those of the top-level entry it lies in."""
    return item_ids(doc["data"][path[1]] if len(path) > 1 else doc)


def no_items_left(doc: Any, path: tuple[Any, ...], bad: Any, edge: str) -> bool:
    """The change only removes items the documented way: `messages`/`comments` null (no
    expansion, like a conversation without messages) or a list emptied."""
    original = doc
    for key in path:
        original = original[key]
    emptied = isinstance(original, list) and bad == [] and not isinstance(bad, dict)
    return emptied or (len(path) == 3 and path[2] == edge and bad is None)


@FUZZ
@given(data=st.data())
def test_messenger_reader_never_raises_and_accounts_for_every_message(data: st.DataObject) -> None:
    doc = conversations()
    path, bad = data.draw(mutation(doc))
    batch = read_messenger(Pager(mutate(doc, path, bad)), PAGE, Bounds())
    check_batch(batch, "message")
    if not no_items_left(doc, path, bad, "messages"):
        accounted(batch, item_ids(doc), touched_by(doc, path))


@FUZZ
@given(data=st.data())
def test_comments_reader_never_raises_and_accounts_for_every_comment(data: st.DataObject) -> None:
    doc = posts()
    path, bad = data.draw(mutation(doc))
    batch = read_comments(Pager(mutate(doc, path, bad)), PAGE, Bounds())
    check_batch(batch, "comment")
    if not no_items_left(doc, path, bad, "comments"):
        accounted(batch, item_ids(doc), touched_by(doc, path))


class FakeZalo:
    def __init__(self, recent: Any, threads: dict[str, Any]) -> None:
        self.recent, self.threads = recent, threads

    def list_recent_chat(self, offset: int, count: int = 10) -> Any:
        if not isinstance(self.recent, list):
            return self.recent
        return self.recent[offset : offset + count]

    def conversation(self, user_id: str, offset: int, count: int = 10) -> Any:
        thread = self.threads.get(user_id, [])
        return thread[offset : offset + count] if isinstance(thread, list) else thread


@FUZZ
@given(data=st.data())
def test_zalo_message_level_walk_never_raises_and_accounts_for_every_message(
    data: st.DataObject,
) -> None:
    """`listrecentchat` rows are messages across users (the default mode): one bad row hides
    only itself, and a row that lost its `src` is still read (direction from the OA's id)."""
    recent = [zalo_message("z3", 3, "u1"), zalo_message("z2", 2, "u1", src=0)]
    recent.append(zalo_message("y1", 1, "u2"))
    path, bad = data.draw(mutation({"data": recent}))
    recent = mutate({"data": recent}, path, bad)["data"]
    batch = read_zalo(FakeZalo(recent, {}), Bounds(), oa_id="oa_1")
    check_batch(batch, "zalo message")
    touched = {("z3", "z2", "y1")[path[1]]}
    accounted(batch, {"z3", "z2", "y1"}, touched)
    if path[2:] == ("src",) and bad is None:
        assert ids(batch) == {"z3", "z2", "y1"}  # inferred, not quarantined


@FUZZ
@given(data=st.data(), in_recent=st.booleans())
def test_zalo_reader_never_raises_and_accounts_for_every_message(
    data: st.DataObject, in_recent: bool
) -> None:
    """The same in `latest_per_user` mode (the list names users; their threads are read)."""
    threads = {
        "u1": [zalo_message("z3", 3, "u1"), zalo_message("z2", 2, "u1", src=0)],
        "u2": [zalo_message("y1", 1, "u2")],
    }
    recent = [threads["u1"][0], threads["u2"][0]]
    path, bad = data.draw(mutation({"data": recent if in_recent else threads["u1"]}))
    if in_recent:
        recent = mutate({"data": recent}, path, bad)["data"]
        # a bad latest message hides at most its user's thread
        touched = {"z3", "z2"} if path[1] == 0 else {"y1"}
    else:
        threads["u1"] = mutate({"data": threads["u1"]}, path, bad)["data"]
        touched = {"z3"} if path[1] == 0 else {"z2"}
    batch = read_zalo(FakeZalo(recent, threads), Bounds(), recent_mode="latest_per_user")
    check_batch(batch, "zalo message")
    if in_recent and valid(recent[path[1]]):
        return  # a valid latest message (maybe of another user): nothing to quarantine
    accounted(batch, {"z3", "z2", "y1"}, touched)


def valid(payload: Any) -> bool:
    try:
        zalo_item(payload)
    except (Invalid, AttributeError):
        return False
    return True


# The hostile shapes of the brief, each with the reason it must be quarantined under.
HOSTILE = {
    "surrogate": ({"message": "tin \ud800 nhắn"}, "zalo message: contains an unpaired surrogate"),
    "nul": ({"message": "a\x00b"}, "zalo message: contains a NUL character"),
    "long name": (
        {"from_display_name": "Đ" * 256, "to_display_name": "Đ" * 256},
        "zalo message: display name longer than 255 characters",
    ),
    "long id": ({"message_id": "9" * 129}, "zalo message: id longer than 128 characters"),
}


@FUZZ
@given(
    kinds=st.lists(st.sampled_from([None, *HOSTILE]), min_size=1, max_size=25),
    mode=st.sampled_from(["messages", "latest_per_user"]),
    broken_tail=st.booleans(),
)
def test_zalo_hostile_rows_are_quarantined_and_the_rest_is_kept(
    kinds: list[str | None], mode: str, broken_tail: bool
) -> None:
    """A page mixing good rows with lone surrogates, NULs, names > 255 and ids > 128 (and,
    optionally, a later page whose `data` is not a list): every good row is read, every hostile
    one quarantined with its reason, and the watermark is the newest good row."""
    rows = []
    for n, kind in enumerate(kinds):
        row = zalo_message(f"m{n}", 1000 - n, "u1", src=n % 2)
        rows.append(row | HOSTILE[kind][0] if kind else row)
    good = {f"m{n}" for n, kind in enumerate(kinds) if kind is None}
    recent: Any = rows
    if mode == "latest_per_user":
        recent = rows[:1]
    threads: dict[str, Any] = {"u1": rows}
    client = BrokenTail(recent, threads) if broken_tail else FakeZalo(recent, threads)
    batch = read_zalo(client, Bounds(), oa_id="oa_1", recent_mode=mode)
    check_batch(batch, "zalo message")
    assert ids(batch) == good
    tail = broken_tail  # either walk of the list asks past its end, for the empty page
    assert ("zalo recent chat: data is not a list" in {r.reason for r in batch.rejected}) == tail
    expected = sorted(HOSTILE[k][1] for k in kinds if k)
    hostile = {v[1] for v in HOSTILE.values()}
    reasons = sorted(r.reason for r in batch.rejected if r.reason in hostile)
    if mode == "messages":
        assert reasons == expected
    else:  # the bad latest row is quarantined twice (list and thread): same reasons, maybe twice
        assert set(reasons) == set(expected)
    newest = [1000 - n for n, kind in enumerate(kinds) if kind is None]
    if newest and mode == "messages":
        assert batch.newest is not None
        assert int(batch.newest.timestamp() * 1000) == 1795000000000 + max(newest)


class BrokenTail(FakeZalo):
    """Answers the page after the last row with a `data` that is not a list."""

    def list_recent_chat(self, offset: int, count: int = 10) -> Any:
        if offset >= len(self.recent):
            return {"error": "not a list"}
        return super().list_recent_chat(offset, count)


@pytest.mark.parametrize("where", ["recent", "thread"])
def test_zalo_data_not_a_list_is_quarantined_and_the_rest_read(where: str) -> None:
    good = [zalo_message("z3", 3, "u1"), zalo_message("z2", 2, "u1", src=0)]
    if where == "recent":
        batch = read_zalo(FakeZalo({"rows": good}, {}), Bounds())
        assert [r.reason for r in batch.rejected] == ["zalo recent chat: data is not a list"]
        assert batch.items == []
        assert batch.newest is None
        return
    threads = {"u1": "not a list", "u2": [zalo_message("y1", 1, "u2")]}
    recent = [good[0], zalo_message("y1", 1, "u2")]
    batch = read_zalo(FakeZalo(recent, threads), Bounds(), recent_mode="latest_per_user")
    assert ids(batch) == {"y1"}
    assert [r.reason for r in batch.rejected] == ["zalo conversation: data is not a list"]
    assert batch.newest is not None  # the walk saw z3: the watermark moves


def test_a_bad_latest_zalo_message_keeps_its_thread_readable() -> None:
    threads = {"u1": [zalo_message("z3", 3, "u1"), zalo_message("z2", 2, "u1", src=0)]}
    recent = [zalo_message("z3", 3, "u1") | {"message": "\x00"}]
    batch = read_zalo(FakeZalo(recent, threads), Bounds(), recent_mode="latest_per_user")
    assert ids(batch) == {"z3", "z2"}
    assert [r.reason for r in batch.rejected] == ["zalo message: contains a NUL character"]
