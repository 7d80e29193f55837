"""The Zalo reader and client against the paging protocol as platform-apis.md §7 documents it.

The fake server below is built only from the reference's text, not from our simulator:
- GET `v2.0/oa/listrecentchat` / `v2.0/oa/conversation` with one JSON `data` query parameter
  (`offset`, `count`, `user_id`), the `access_token` header, `count` max 10;
- the envelope `{"data": [...], "error": 0, "message": "Success"}`, errors with HTTP 200
  (`-201 "<field> is invalid!"`);
- rows shaped like the documented item (published/zalo/listrecentchat-item.community.json,
  the reference's example row: `src` 1 = the user, 0 = the OA; `time` in epoch ms);
- "Page by raising `offset` until an empty `data`": nothing promises that only the last page is
  short, so the server may answer a page short in the middle of the list (`short`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from citizen_desk.collect.records import Bounds
from citizen_desk.collect.zalo import read_zalo
from citizen_desk.platforms.zalo import ZaloClient
from tests.contracts.test_published_payloads import published
from tests.platforms.fakes import FakeResponse

DOCUMENTED_ROW: dict[str, Any] = published("zalo/listrecentchat-item.community.json")
OA = DOCUMENTED_ROW["to_id"]
TOKEN = "oa-access-token"


def row(number: int, user: int, src: int, minutes_before: int) -> dict[str, Any]:
    """The documented row with another id, time, user and direction."""
    user_id = str(int(DOCUMENTED_ROW["from_id"]) + user)
    base = dict(DOCUMENTED_ROW, message_id=f"{number:020x}", message=f"tin {number}")
    base["time"] = DOCUMENTED_ROW["time"] - minutes_before * 60_000
    if src == 1:
        return base | {"src": 1, "from_id": user_id, "to_id": OA}
    return base | {
        "src": 0,
        "from_id": OA,
        "to_id": user_id,
        "from_display_name": "OA",
        "to_display_name": DOCUMENTED_ROW["from_display_name"],
    }


def when(payload: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(payload["time"] / 1000, tz=UTC)


class DocumentedZalo:
    """A `requests.Session` stand-in answering as §7 says; `short`: (endpoint, offset) -> rows."""

    def __init__(self, rows: list[dict[str, Any]], short: dict[tuple[str, int], int]) -> None:
        self.rows = rows  # newest first
        self.short = short
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get(self, url: str, *, params: dict[str, str], headers: dict[str, str], **_: Any) -> Any:
        endpoint = urlsplit(url).path.rsplit("/", 1)[-1]
        data = json.loads(params["data"])
        self.calls.append((endpoint, data))
        if headers.get("access_token") != TOKEN:
            return FakeResponse(200, {"error": -216, "message": "Access token is invalid"})
        offset, count = data.get("offset", 0), data.get("count", 10)
        if not isinstance(count, int) or not 1 <= count <= 10:
            return FakeResponse(200, {"error": -201, "message": "count is invalid!"})
        if endpoint == "conversation":
            user = data["user_id"]
            rows = [r for r in self.rows if user in (r["from_id"], r["to_id"])]
        else:
            rows = self.rows
        page = rows[offset : offset + count][: self.short.get((endpoint, offset), count)]
        return FakeResponse(200, {"data": page, "error": 0, "message": "Success"})


def client(server: DocumentedZalo) -> ZaloClient:
    return ZaloClient("https://openapi.zalo.me/", TOKEN, session=server, sleep=lambda _: None)  # type: ignore[arg-type]


def history(count: int, newest_minutes_before: int = 0) -> list[dict[str, Any]]:
    """`count` rows, newest first, one a minute, over five users, both directions."""
    return [
        row(1000 - i - newest_minutes_before, user=i % 5, src=int(i % 4 != 3),
            minutes_before=newest_minutes_before + i)
        for i in range(count)
    ]  # fmt: skip


def test_a_first_collection_over_many_pages_with_short_pages_keeps_every_row_once() -> None:
    rows = history(43)
    server = DocumentedZalo(rows, {("listrecentchat", 0): 6, ("listrecentchat", 16): 2})
    batch = read_zalo(client(server), Bounds(), oa_id=OA)
    assert [i.platform_message_id for i in batch.items] == [r["message_id"] for r in rows]
    assert batch.rejected == []
    offsets = [data["offset"] for _, data in server.calls]
    assert offsets == [0, 6, 16, 18, 28, 38, 43]  # the last answer is an empty `data`
    assert all(data["count"] == 10 for _, data in server.calls)
    assert {i.thread_key for i in batch.items} == {
        str(int(DOCUMENTED_ROW["from_id"]) + u) for u in range(5)
    }
    assert batch.newest == when(rows[0])


def test_the_next_run_reads_only_the_new_rows_and_stops_at_the_first_older_one() -> None:
    rows = history(43)
    first = read_zalo(client(DocumentedZalo(rows, {})), Bounds(), oa_id=OA)
    stored = {i.platform_message_id for i in first.items}
    mark = first.newest
    assert mark is not None
    new = history(13, newest_minutes_before=-20)  # 13 messages after the first run
    server = DocumentedZalo(new + rows, {("listrecentchat", 0): 4})  # a short page among them
    again = read_zalo(
        client(server),
        Bounds(since=mark - timedelta(minutes=10), mark=mark),
        known=lambda ids: stored & set(ids),
        oa_id=OA,
    )
    assert [i.platform_message_id for i in again.items] == [r["message_id"] for r in new]
    assert not stored & {i.platform_message_id for i in again.items}  # nothing twice
    # 13 new rows and the 11 stored ones of the 10-minute overlap (skipped as known), then
    # the page holding the first row older than `since`: 4 calls, no empty page needed
    assert [data["offset"] for _, data in server.calls] == [0, 4, 14, 24]


def test_per_user_threads_are_paged_to_an_empty_data_past_a_short_page() -> None:
    rows = history(25)
    user = str(int(DOCUMENTED_ROW["from_id"]) + 2)
    latest = {}
    for r in rows:
        latest.setdefault(r["from_id"] if r["src"] == 1 else r["to_id"], r)

    class PerUser(DocumentedZalo):
        def get(self, url: str, **kwargs: Any) -> Any:
            if url.endswith("listrecentchat"):  # the older reading: one latest row per user
                self.rows, every = list(latest.values()), self.rows
                try:
                    return super().get(url, **kwargs)
                finally:
                    self.rows = every
            return super().get(url, **kwargs)

    server = PerUser(rows, {("conversation", 0): 2})
    batch = read_zalo(client(server), Bounds(), oa_id=OA, recent_mode="latest_per_user")
    assert sorted(i.platform_message_id for i in batch.items) == sorted(
        r["message_id"] for r in rows
    )
    thread = [d["offset"] for e, d in server.calls if e == "conversation" and d["user_id"] == user]
    assert thread == [0, 2, 5]  # 5 messages: 2 (short), 3 (short), then the empty `data`
