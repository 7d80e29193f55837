"""Zalo Article API client: request shapes of the official Java SDK examples, the async verify
(-214 retried with backoff), the article list, the broadcast, and no blind retry of a write.

No verbatim official response example of the Article API was found (platform-facts.md §10,
"Unknowns"): the response shapes here are those of the community clients cited there.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms.zalo import ZaloClient
from citizen_desk.platforms.zalo_articles import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    Article,
    ArticleClient,
    broadcast_banned,
    clip,
)
from tests.platforms.fakes import FakeResponse, FakeSession

ARTICLE = Article(
    title="Công an xã Nga Thủy – kết quả Tuần 47 #Tuan47_2026",
    author="Công an xã Nga Thủy",
    description="Tiếp nhận 14 tin nhắn, bình luận.",
    paragraphs=("Dòng 1", "Dòng 2"),
    cover_url="https://cdn.example/cover.jpg",
)


def ok(data: Any) -> FakeResponse:
    return FakeResponse(200, {"data": data, "error": 0, "message": "Success"})


def err(code: int, message: str = "x") -> FakeResponse:
    return FakeResponse(200, {"error": code, "message": message})


def articles(
    script: list[Any], **kwargs: Any
) -> tuple[ArticleClient, FakeSession, list[float], ZaloClient]:
    session = FakeSession(script)
    sleeps: list[float] = []
    zalo = ZaloClient("http://zalo.test", "AT-1", session=session, sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]
    return ArticleClient(zalo), session, sleeps, zalo


def test_create_sends_a_normal_article_and_returns_the_job_token() -> None:
    client, session, _, _ = articles([ok({"token": "JOB-1"})])
    assert client.create(ARTICLE) == "JOB-1"
    (call,) = session.calls
    assert (call["method"], call["url"]) == ("POST", "http://zalo.test/v2.0/article/create")
    assert call["headers"] == {"access_token": "AT-1"}
    assert call["json"] == {
        "type": "normal",
        "title": ARTICLE.title,
        "author": ARTICLE.author,
        "cover": {
            "cover_type": "photo",
            "photo_url": "https://cdn.example/cover.jpg",
            "status": "show",
        },
        "description": ARTICLE.description,
        "body": [{"type": "text", "content": "Dòng 1"}, {"type": "text", "content": "Dòng 2"}],
        "status": "show",
        "comment": "show",
    }


def test_a_create_without_an_answer_is_not_repeated() -> None:
    client, session, sleeps, _ = articles([requests.Timeout("read timed out")])
    with pytest.raises(PlatformError) as info:
        client.create(ARTICLE)
    assert info.value.retryable  # the ledger reconciles: the article may exist
    assert len(session.calls) == 1
    assert sleeps == []


def test_a_rate_limited_create_is_retried_and_a_bad_token_refreshed_once() -> None:
    refreshed: list[str] = []

    def refresh(old: str) -> str:
        refreshed.append(old)
        return "AT-2"

    client, session, sleeps, _ = articles(
        [err(-32), err(-216), ok({"token": "JOB-1"})], on_token_invalid=refresh
    )
    assert client.create(ARTICLE) == "JOB-1"
    assert refreshed == ["AT-1"]
    assert [c["headers"]["access_token"] for c in session.calls] == ["AT-1", "AT-1", "AT-2"]
    assert len(sleeps) == 1


def test_a_refused_create_is_not_retried() -> None:
    client, session, _, _ = articles([err(-221, "The OA needs to be verified")])
    with pytest.raises(PlatformError) as info:
        client.create(ARTICLE)
    assert (info.value.code, info.value.retryable) == (-221, False)
    assert len(session.calls) == 1


def test_an_expired_token_without_refresh_is_a_token_error() -> None:
    client, _, _, _ = articles([err(-220)])
    with pytest.raises(TokenError):
        client.create(ARTICLE)


def test_verify_waits_while_the_article_is_processed() -> None:
    client, session, sleeps, zalo = articles(
        [err(-214, "Article is being processed"), err(-214), ok({"id": "ART-9"})]
    )
    assert client.verify("JOB-1") == "ART-9"
    assert [c["json"] for c in session.calls] == [{"token": "JOB-1"}] * 3
    assert session.calls[0]["url"] == "http://zalo.test/v2.0/article/verify"
    assert sleeps == [4.0, 8.0]  # backoff
    assert zalo.stats.retries == 2


def test_verify_reads_article_id_too() -> None:
    client, _, _, _ = articles([ok({"article_id": 12345})])
    assert client.verify("JOB-1") == "12345"


def test_verify_still_processing_after_its_attempts_is_retryable() -> None:
    client, session, _, _ = articles([err(-214)] * 6)
    with pytest.raises(PlatformError) as info:
        client.verify("JOB-1")
    assert (info.value.code, info.value.retryable) == (-214, True)
    assert len(session.calls) == 6


def test_verify_of_a_failed_job_is_not_retried() -> None:
    client, session, _, _ = articles([err(-201, "token is invalid!")])
    with pytest.raises(PlatformError) as info:
        client.verify("JOB-1")
    assert (info.value.code, info.value.retryable) == (-201, False)
    assert len(session.calls) == 1


def test_the_article_list_uses_plain_query_parameters_and_pages_of_ten() -> None:
    page = [{"id": str(i), "title": f"t{i}"} for i in range(10)]
    client, session, _, _ = articles(
        [ok({"medias": page, "total": 13}), ok({"articles": [{"id": "10", "title": "x"}]})]
    )
    found = list(client.recent(30))
    assert [a["id"] for a in found] == [*map(str, range(10)), "10"]
    assert [c["params"] for c in session.calls] == [
        {"offset": "0", "limit": "10", "type": "normal"},
        {"offset": "10", "limit": "10", "type": "normal"},
    ]
    assert session.calls[0]["url"] == "http://zalo.test/v2.0/article/getslice"


def test_the_article_list_stops_at_scan() -> None:
    page = [{"id": str(i)} for i in range(10)]
    client, session, _, _ = articles([ok({"medias": page})])
    assert len(list(client.recent(5))) == 5
    assert len(session.calls) == 1


def test_a_malformed_article_list_is_an_error() -> None:
    client, _, _, _ = articles([ok({"medias": "nope"})])
    with pytest.raises(PlatformError):
        list(client.recent(10))


def test_broadcast_sends_the_article_as_a_media_template() -> None:
    client, session, _, _ = articles([ok({"message_id": "M-1"})])
    assert client.broadcast("ART-9") == "M-1"
    (call,) = session.calls
    assert call["url"] == "http://zalo.test/v2.0/oa/message"
    assert call["json"] == {
        "recipient": {"target": {}},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "article", "attachment_id": "ART-9"}],
                },
            }
        },
    }


def test_a_night_banned_broadcast_is_raised_with_its_code() -> None:
    client, session, _, _ = articles([err(-234, "Cannot send promotion message")])
    with pytest.raises(PlatformError) as info:
        client.broadcast("ART-9")
    assert info.value.code == -234
    assert len(session.calls) == 1


def test_night_ban_window() -> None:
    from datetime import time

    assert broadcast_banned(time(22, 0))
    assert broadcast_banned(time(5, 59))
    assert not broadcast_banned(time(6, 0))
    assert not broadcast_banned(time(21, 59))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * TITLE_LIMIT),  # Zalo refuses exactly 150
        ("description", "x" * DESCRIPTION_LIMIT),
        ("author", ""),
        ("cover_url", ""),
        ("paragraphs", ()),
    ],
)
def test_an_invalid_article_is_refused_before_any_call(field: str, value: Any) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match=field.split("_")[0].replace("paragraphs", "body")):
        replace(ARTICLE, **{field: value}).payload()


@given(st.text(), st.integers(min_value=3, max_value=400))
def test_clip_is_one_line_and_below_the_limit(text: str, limit: int) -> None:
    out = clip(text, limit)
    assert len(out) < limit
    assert "\n" not in out
    if len(" ".join(text.split())) < limit:
        assert out == " ".join(text.split())


def test_a_gateway_429_on_create_is_retried_after_its_retry_after() -> None:
    html_429 = FakeResponse(429, "<html>429</html>", headers={"Retry-After": "3"})
    client, session, sleeps, _ = articles([html_429, ok({"token": "JOB-1"})])
    assert client.create(ARTICLE) == "JOB-1"
    assert len(session.calls) == 2
    assert sleeps == [3.0]
