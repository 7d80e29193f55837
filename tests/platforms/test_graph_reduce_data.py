"""Graph code 1 ("Please reduce the amount of data…"): the request is repeated asking for half the
items, down to a floor, and counted (community practice: docs/research/platform-facts.md §2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from citizen_desk.errors import PlatformError
from citizen_desk.platforms.graph import MIN_LIMIT, smaller_request
from tests.platforms.fakes import FakeResponse
from tests.platforms.test_graph import TOKEN, client

REDUCE = {
    "error": {
        "message": "Please reduce the amount of data you're asking for, then retry your request",
        "type": "OAuthException",
        "code": 1,
    }
}
FIELDS = "id,updated_time,messages.limit(25){id,message}"


def test_code_1_halves_the_page_and_nested_limits_until_it_answers() -> None:
    ok = FakeResponse(200, {"data": [{"id": "t_1"}]})
    graph, session, sleeps = client([FakeResponse(500, REDUCE), FakeResponse(500, REDUCE), ok])
    page = graph.get("123/conversations", {"limit": 25, "fields": FIELDS})
    assert page["data"] == [{"id": "t_1"}]
    sent = [(c["params"]["limit"], c["params"]["fields"]) for c in session.calls]
    assert sent == [
        (25, FIELDS),
        (12, "id,updated_time,messages.limit(12){id,message}"),
        (6, "id,updated_time,messages.limit(6){id,message}"),
    ]
    assert graph.stats.limit_reductions == 2
    assert graph.stats.as_dict()["limit_reductions"] == 2
    assert sleeps == []  # an identical retry does not help: none was made


def test_code_1_at_the_floor_is_raised() -> None:
    graph, session, _ = client([FakeResponse(500, REDUCE)] * 4)
    with pytest.raises(PlatformError) as info:
        graph.get("123/conversations", {"limit": 10})
    assert info.value.code == 1
    assert [c["params"]["limit"] for c in session.calls] == [10, MIN_LIMIT]
    assert graph.stats.limit_reductions == 1


def test_a_paging_link_is_shrunk_in_its_query_and_the_token_stays_out_of_logs(caplog) -> None:
    url = f"http://graph.test/v21.0/t_1/messages?access_token={TOKEN}&limit=20&after=QVFI"
    graph, session, _ = client([FakeResponse(500, REDUCE), FakeResponse(200, {"data": []})])
    assert graph.get(url) == {"data": []}
    query = parse_qs(urlsplit(session.calls[1]["url"]).query)
    assert query["limit"] == ["10"]
    assert query["after"] == ["QVFI"]
    assert TOKEN not in caplog.text


def test_a_plain_code_1_is_retried_first_then_shrunk() -> None:
    unknown = {"error": {"message": "An unknown error occurred", "code": 1}}
    script: list[Any] = [FakeResponse(500, unknown)] * 2 + [FakeResponse(200, {"data": []})]
    graph, session, sleeps = client(script, max_attempts=2)
    graph.get("123/published_posts", {"limit": 25})
    assert [c["params"]["limit"] for c in session.calls] == [25, 25, 12]
    assert len(sleeps) == 1
    assert graph.stats.limit_reductions == 1


def test_smaller_request_leaves_what_cannot_shrink() -> None:
    assert smaller_request("123/conversations", None) is None
    assert smaller_request("123/conversations", {"limit": MIN_LIMIT}) is None
    assert smaller_request("x", {"fields": "id,comments.limit(3){id}"}) is None
    assert smaller_request("x", {"fields": "comments.limit(50){id}"}) == (
        "x",
        {"fields": "comments.limit(25){id}"},
    )
