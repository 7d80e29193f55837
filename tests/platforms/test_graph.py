"""Graph client: errors, bounded retries, usage headers, paging (only to the API), redaction."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms import redact
from citizen_desk.platforms.graph import (
    DEFAULT_BASE_URL,
    GraphClient,
    describe_endpoint,
    parse_usage,
)
from tests.platforms.fakes import FakeResponse, FakeSession

TOKEN = "EAAGsecretPageToken123"


def graph_error(code: int, status: int = 400, **extra: Any) -> dict[str, Any]:
    return {
        "error": {"message": f"(#{code}) boom", "type": "OAuthException", "code": code, **extra}
    }


def client(script: list[Any], **kwargs: Any) -> tuple[GraphClient, FakeSession, list[float]]:
    session = FakeSession(script)
    sleeps: list[float] = []
    graph = GraphClient(
        "http://graph.test/v21.0", TOKEN, session=session, sleep=sleeps.append, **kwargs
    )
    return graph, session, sleeps


def test_token_is_sent_in_a_header_not_the_url() -> None:
    graph, session, _ = client([FakeResponse(200, {"id": "1"})])
    assert graph.get("123/conversations", {"limit": 5}) == {"id": "1"}
    call = session.calls[0]
    assert call["url"] == "http://graph.test/v21.0/123/conversations"
    assert call["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in json.dumps(call["params"])
    assert graph.calls == 1


def test_expired_token_is_a_token_error_and_never_retried() -> None:
    body = graph_error(190, error_subcode=463)
    body["error"]["message"] = f"Error validating access token {TOKEN}"
    graph, session, sleeps = client([FakeResponse(400, body)])
    with pytest.raises(TokenError) as info:
        graph.get("123/conversations")
    assert info.value.code == 190
    assert info.value.subcode == 463
    assert not info.value.retryable
    assert TOKEN not in str(info.value)
    assert len(session.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("code", [10, 100, 200, 230, 368])
def test_permission_and_parameter_errors_are_not_retried(code: int) -> None:
    graph, session, _ = client([FakeResponse(403, graph_error(code))])
    with pytest.raises(PlatformError) as info:
        graph.get("123/conversations")
    assert not info.value.retryable
    assert info.value.code == code
    assert len(session.calls) == 1


def test_rate_limit_waits_as_the_buc_header_says_then_retries() -> None:
    buc = {"123": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 1}]}
    limited = FakeResponse(400, graph_error(80001), {"X-Business-Use-Case-Usage": json.dumps(buc)})
    graph, _session, sleeps = client([limited, FakeResponse(200, {"data": []})])
    assert graph.get("123/conversations") == {"data": []}
    assert sleeps == [60.0]
    assert graph.stats.rate_limit_waits == 1
    assert graph.stats.retries == 1
    assert graph.calls == 2


def test_a_long_rate_limit_wait_is_left_to_airflow() -> None:
    buc = {"123": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 30}]}
    limited = FakeResponse(403, graph_error(32), {"X-Business-Use-Case-Usage": json.dumps(buc)})
    graph, _, sleeps = client([limited])
    with pytest.raises(PlatformError) as info:
        graph.get("123/conversations")
    assert info.value.retryable
    assert info.value.retry_after == 1800
    assert sleeps == []


def test_server_errors_and_timeouts_retry_with_backoff_then_give_up() -> None:
    script = [
        FakeResponse(500, graph_error(1, is_transient=True)),
        requests.Timeout("read timed out"),
        requests.ConnectionError(f"http://graph.test/x?access_token={TOKEN}"),
        FakeResponse(503, graph_error(2)),
    ]
    graph, session, sleeps = client(script, max_attempts=4, backoff=1.0)
    with pytest.raises(PlatformError) as info:
        graph.get("123/conversations")
    assert info.value.retryable
    assert info.value.code == 2
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(session.calls) == 4
    assert TOKEN not in str(info.value)


def test_malformed_json_is_a_retryable_error_that_says_so() -> None:
    graph, _, sleeps = client(
        [FakeResponse(200, '{"data": [{"id": "1"'), FakeResponse(200, {"data": [{"id": "1"}]})]
    )
    assert graph.get("123/conversations") == {"data": [{"id": "1"}]}
    assert len(sleeps) == 1
    graph, _, _ = client([FakeResponse(200, "{")], max_attempts=1)
    with pytest.raises(PlatformError, match="malformed JSON") as info:
        graph.get("123/conversations")
    assert info.value.retryable


def test_slows_down_when_usage_reaches_the_threshold() -> None:
    busy = {"X-App-Usage": json.dumps({"call_count": 95, "total_time": 10, "total_cputime": 5})}
    graph, _, sleeps = client(
        [FakeResponse(200, {"a": 1}, busy), FakeResponse(200, {"b": 2})], throttle_pause=3.0
    )
    graph.get("1")
    assert sleeps == []
    graph.get("2")
    assert sleeps == [3.0]
    assert graph.stats.rate_limit_waits == 1


def test_paginate_follows_next_through_short_and_empty_pages() -> None:
    next_1 = f"http://graph.test/v21.0/123/conversations?access_token={TOKEN}&after=A"
    next_2 = f"http://graph.test/v21.0/123/conversations?access_token={TOKEN}&after=B"
    script = [
        FakeResponse(200, {"data": [{"id": "1"}], "paging": {"next": next_1}}),
        FakeResponse(200, {"data": [], "paging": {"next": next_2}}),
        FakeResponse(200, {"data": [{"id": "2"}, {"id": "3"}], "paging": {"cursors": {}}}),
    ]
    graph, session, _ = client(script)
    assert [i["id"] for i in graph.paginate("123/conversations", {"limit": 25})] == ["1", "2", "3"]
    assert [c["url"] for c in session.calls[1:]] == [next_1, next_2]


def test_stopping_early_makes_no_further_request() -> None:
    script = [
        FakeResponse(200, {"data": [{"id": "1"}, {"id": "2"}], "paging": {"next": "http://x/n"}})
    ]
    graph, session, _ = client(script)
    for item in graph.paginate("123/conversations"):
        if item["id"] == "1":
            break
    assert len(session.calls) == 1


def test_usage_and_redaction_helpers() -> None:
    headers = {
        "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":25}',
        "X-Business-Use-Case-Usage": '{"1":[{"type":"pages","call_count":91,'
        '"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":2}]}',
    }
    assert parse_usage(headers) == (91.0, 120.0)
    assert parse_usage({"X-App-Usage": "not json"}) == (0.0, 0.0)
    url = f"https://h/v21.0/t_123456789/messages?access_token={TOKEN}&after=X"
    assert TOKEN not in redact(url)
    assert describe_endpoint("GET", url) == "GET /v21.0/{id}/messages"


def test_a_write_is_not_repeated_blindly() -> None:
    graph, session, sleeps = client([FakeResponse(500, graph_error(1)), FakeResponse(200, {})])
    with pytest.raises(PlatformError) as info:
        graph.post("123/feed", {"message": "Kết quả tuần"})
    assert info.value.retryable  # the caller decides, after checking whether it was posted
    assert len(session.calls) == 1
    assert sleeps == []
    graph, session, _ = client(
        [
            requests.ConnectTimeout("connect"),
            FakeResponse(400, graph_error(4)),
            FakeResponse(200, {"id": "1_2"}),
        ]
    )
    assert graph.post("123/feed", {"message": "Kết quả tuần"}) == {"id": "1_2"}
    assert [c["method"] for c in session.calls] == ["POST", "POST", "POST"]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/v21.0/123/conversations?after=A",  # another host
        "http://graph.facebook.com/v21.0/123/conversations?after=A",  # plain http
        "https://graph.facebook.com:8443/v21.0/123/conversations?after=A",  # another port
        "https://graph.facebook.com.evil.example/v21.0/123/conversations?after=A",
        "https://graph.facebook.com:bad/v21.0/123/conversations?after=A",  # unparsable port
    ],
)
def test_paging_next_off_the_api_is_refused_without_sending_the_token(next_url: str) -> None:
    session = FakeSession([FakeResponse(200, {"data": [{"id": "2"}]})])
    sleeps: list[float] = []
    graph = GraphClient(DEFAULT_BASE_URL, TOKEN, session=session, sleep=sleeps.append)
    page = {"data": [{"id": "1"}], "paging": {"next": f"{next_url}&access_token={TOKEN}"}}
    items = graph.follow(page)
    assert next(items) == {"id": "1"}
    with pytest.raises(PlatformError, match="not followed") as info:
        next(items)
    assert not info.value.retryable
    assert TOKEN not in str(info.value)
    assert session.calls == []  # nothing was sent anywhere
    assert (graph.calls, sleeps) == (0, [])


def test_paging_next_on_the_configured_api_is_followed() -> None:
    next_url = f"https://graph.facebook.com:443/v21.0/123/conversations?access_token={TOKEN}&x=1"
    session = FakeSession([FakeResponse(200, {"data": [{"id": "2"}]})])
    graph = GraphClient(DEFAULT_BASE_URL, TOKEN, session=session, sleep=lambda _s: None)
    page = {"data": [{"id": "1"}], "paging": {"next": next_url}}
    assert [i["id"] for i in graph.follow(page)] == ["1", "2"]
    assert [c["url"] for c in session.calls] == [next_url]
    # The simulator: an http base URL allows its own scheme, host and port only.
    local = "http://127.0.0.1:8765/v21.0/"
    for url, followed in (
        ("http://127.0.0.1:8765/v21.0/1/messages?after=A", True),
        ("http://127.0.0.1:8766/v21.0/1/messages?after=A", False),
        ("http://localhost:8765/v21.0/1/messages?after=A", False),
    ):
        session = FakeSession([FakeResponse(200, {"data": []})])
        graph = GraphClient(local, TOKEN, session=session, sleep=lambda _s: None)
        pages = graph.follow({"data": [], "paging": {"next": url}})
        if followed:
            assert list(pages) == []
            assert [c["url"] for c in session.calls] == [url]
        else:
            with pytest.raises(PlatformError, match="not followed"):
                list(pages)
            assert session.calls == []


def test_retry_waits_and_stats_add_up() -> None:
    buc = {"1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 0.5}]}
    limited = FakeResponse(400, graph_error(613), {"X-Business-Use-Case-Usage": json.dumps(buc)})
    script = [FakeResponse(500, graph_error(2)), limited, FakeResponse(200, {"id": "1"})]
    graph, session, sleeps = client(script, backoff=0.25, max_wait=40.0)
    assert graph.get("1") == {"id": "1"}
    assert sleeps == [0.25, 30.0]  # backoff after the 5xx, then the header's 0.5 min
    assert (graph.stats.retries, graph.stats.rate_limit_waits) == (2, 1)
    assert graph.stats.waited_seconds == 30.25
    assert graph.stats.as_dict()["api_calls"] == len(session.calls) == 3
