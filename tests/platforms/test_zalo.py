"""Zalo OA client: the error in every HTTP 200, one token refresh, bounded retries, OAuth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms.zalo import ZaloClient, parse_token_response, refresh_access_token
from tests.platforms.fakes import FakeResponse, FakeSession


def zalo(script: list[Any], **kwargs: Any) -> tuple[ZaloClient, FakeSession, list[float]]:
    session = FakeSession(script)
    sleeps: list[float] = []
    return (
        ZaloClient("http://zalo.test", "AT-1", session=session, sleep=sleeps.append, **kwargs),
        session,
        sleeps,
    )


def ok(data: Any) -> FakeResponse:
    return FakeResponse(200, {"data": data, "error": 0, "message": "Success"})


def test_zalo_checks_the_error_of_every_http_200() -> None:
    client_, session, _ = zalo(
        [FakeResponse(200, {"error": -201, "message": "offset is invalid!"})]
    )
    with pytest.raises(PlatformError) as info:
        client_.list_recent_chat(0)
    assert info.value.code == -201
    assert not info.value.retryable
    call = session.calls[0]
    assert call["headers"] == {"access_token": "AT-1"}
    assert json.loads(call["params"]["data"]) == {"offset": 0, "count": 10}


def test_zalo_refreshes_a_rejected_token_once() -> None:
    refreshed: list[str] = []

    def refresh(rejected: str) -> str:
        refreshed.append(rejected)
        return "AT-2"

    expired = FakeResponse(200, {"error": -220, "message": "access_token is expired or removed"})
    client_, session, _ = zalo([expired, ok([{"src": 1}])], on_token_invalid=refresh)
    assert client_.conversation("42", 0) == [{"src": 1}]
    assert refreshed == ["AT-1"]
    assert session.calls[1]["headers"] == {"access_token": "AT-2"}

    invalid = FakeResponse(200, {"error": -216, "message": "Access token is invalid"})
    client_, _, _ = zalo([invalid, invalid], on_token_invalid=lambda _t: "AT-3")
    with pytest.raises(TokenError):
        client_.list_recent_chat(0)


def test_zalo_rate_limit_and_bad_gateway_are_retried() -> None:
    limited = FakeResponse(200, {"error": -32, "message": "reached limit call api"})
    gateway = FakeResponse(502, "<html>502 Bad Gateway</html>")
    client_, _, sleeps = zalo([limited, gateway, ok([])], backoff=2.0)
    assert client_.list_recent_chat(0) == []
    assert sleeps == [2.0, 4.0]
    assert client_.stats.rate_limit_waits == 1
    assert client_.stats.retries == 2


def test_token_refresh_hands_the_pair_over_before_returning() -> None:
    body = {"access_token": "AT-9", "refresh_token": "RT-9", "expires_in": "90000"}
    assert parse_token_response(body) is not None
    assert parse_token_response({"error": -14014, "error_name": "Invalid refresh token"}) is None

    class Session:
        def post(self, url: str, **kwargs: Any) -> FakeResponse:
            response = FakeResponse(200, body)
            for hook in kwargs["hooks"]["response"]:
                hook(response)
            raise RuntimeError("crash right after the HTTP call")

    seen = []
    with pytest.raises(RuntimeError):
        refresh_access_token(
            "http://oauth.test", app_id="a", secret_key="s", refresh_token="RT-8",
            on_response=seen.append, session=Session(),  # type: ignore[arg-type]
        )  # fmt: skip
    assert [p.refresh_token for p in seen] == ["RT-9"]


def test_a_token_refresh_is_not_a_retry() -> None:
    expired = FakeResponse(200, {"error": -220, "message": "access_token is expired or removed"})
    limited = FakeResponse(200, {"error": -32, "message": "reached limit call api"})
    client_, session, sleeps = zalo(
        [expired, limited, ok([])], on_token_invalid=lambda _t: "AT-2", backoff=1.0
    )
    assert client_.list_recent_chat(0) == []
    assert sleeps == [1.0]  # the refresh waited for nothing; the first backoff step follows
    assert (client_.stats.retries, client_.stats.rate_limit_waits) == (1, 1)
    assert [c["headers"]["access_token"] for c in session.calls] == ["AT-1", "AT-2", "AT-2"]


def test_zalo_gives_up_after_max_attempts_with_the_last_error() -> None:
    limited = FakeResponse(200, {"error": -32, "message": "reached limit call api"})
    client_, session, sleeps = zalo([limited] * 3, max_attempts=3, backoff=1.0, max_wait=3.0)
    with pytest.raises(PlatformError) as info:
        client_.list_recent_chat(0)
    assert (info.value.code, info.value.retryable) == (-32, True)
    assert sleeps == [1.0, 2.0]
    assert len(session.calls) == 3
    assert client_.stats.waited_seconds == 3.0


@pytest.mark.parametrize("retry_after", [{"Retry-After": "7"}, {}])
def test_http_429_is_a_rate_limit_retried_after_retry_after(retry_after: dict[str, str]) -> None:
    limited = FakeResponse(429, "<html>429 Too Many Requests</html>", retry_after)
    client_, session, sleeps = zalo([limited, ok([])], backoff=2.0)
    assert client_.list_recent_chat(0) == []
    assert sleeps == ([7.0] if retry_after else [2.0])  # Retry-After wins, else the backoff
    assert (client_.stats.retries, client_.stats.rate_limit_waits) == (1, 1)
    assert len(session.calls) == 2


def test_a_long_http_429_goes_to_the_caller_as_a_rate_limit() -> None:
    limited = FakeResponse(429, {"error": -32, "message": "limit"}, {"Retry-After": "3600"})
    client_, _, sleeps = zalo([limited], max_wait=60.0)
    with pytest.raises(PlatformError) as info:
        client_.conversation("42", 0)
    assert (info.value.retryable, info.value.retry_after, info.value.http_status) == (
        True,
        3600.0,
        429,
    )
    assert sleeps == []  # not slept in-process: Airflow retries the task later
    from citizen_desk.domain.vocabulary import CollectionErrorKind
    from citizen_desk.platforms.errors import failure_kind

    assert failure_kind(info.value) == CollectionErrorKind.RATE_LIMIT


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"error": -216, "message": "Access token is invalid"}),
        (200, {"error": 216, "message": "Access token is invalid"}),
        (200, {"error": 401, "message": "Unauthorized"}),
        (200, {"error": -401, "message": "Unauthorized"}),
        (401, "<html>401</html>"),
    ],
)
def test_every_spelling_of_a_bad_token_refreshes_once_then_retries(status: int, body: Any) -> None:
    refreshed: list[str] = []

    def refresh(rejected: str) -> str:
        refreshed.append(rejected)
        return "AT-2"

    client_, session, sleeps = zalo([FakeResponse(status, body), ok([])], on_token_invalid=refresh)
    assert client_.list_recent_chat(0) == []
    assert refreshed == ["AT-1"]
    assert sleeps == []
    assert [c["headers"]["access_token"] for c in session.calls] == ["AT-1", "AT-2"]
    # rejected again after the refresh: a TokenError, and no second refresh
    client_, session, _ = zalo(
        [FakeResponse(status, body), FakeResponse(status, body)], on_token_invalid=refresh
    )
    with pytest.raises(TokenError):
        client_.list_recent_chat(0)
    assert len(refreshed) == 2
    assert len(session.calls) == 2


def test_data_that_is_not_a_list_reaches_the_reader() -> None:
    client_, _, _ = zalo([ok({"rows": []}), FakeResponse(200, {"error": 0, "message": "x"})])
    assert client_.list_recent_chat(0) == {"rows": []}  # the reader quarantines it
    assert client_.conversation("42", 0) == []  # no `data` at all: an empty page
