"""What the Graph and Zalo clients share: URL joining and the retry settings they pass on."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.platforms import join_url, with_trailing_slash
from citizen_desk.platforms.graph import RATE_LIMIT_CODES as GRAPH_RATE_LIMIT_CODES
from citizen_desk.platforms.graph import GraphClient
from citizen_desk.platforms.zalo import RATE_LIMIT_CODES as ZALO_RATE_LIMIT_CODES
from citizen_desk.platforms.zalo import ZaloClient
from tests.platforms.fakes import FakeResponse, FakeSession

SEGMENT = st.text(alphabet="abcv0123456789._-", min_size=1, max_size=8)


@given(base=st.lists(SEGMENT, max_size=3), path=st.lists(SEGMENT, min_size=1, max_size=3))
def test_join_url_puts_exactly_one_slash_between_base_and_path(
    base: list[str], path: list[str]
) -> None:
    root = "http://api.test/" + "/".join(base)
    for base_url in (root, root.rstrip("/") + "/"):
        for leading in ("", "/", "//"):
            url = join_url(with_trailing_slash(base_url), leading + "/".join(path))
            assert url == root.rstrip("/") + "/" + "/".join(path)


@pytest.mark.parametrize("base_url", ["http://api.test/v1", "http://api.test/v1/"])
@pytest.mark.parametrize("path", ["me/messages", "/me/messages"])
def test_both_clients_send_to_the_same_joined_url(base_url: str, path: str) -> None:
    graph_session = FakeSession([FakeResponse(200, {"data": []})])
    GraphClient(base_url, "tok", session=graph_session).get(path)  # type: ignore[arg-type]
    zalo_session = FakeSession([FakeResponse(200, {"data": [], "error": 0})])
    ZaloClient(base_url, "tok", session=zalo_session).get(path, {})  # type: ignore[arg-type]
    assert graph_session.calls[0]["url"] == "http://api.test/v1/me/messages"
    assert zalo_session.calls[0]["url"] == "http://api.test/v1/me/messages"


@pytest.mark.parametrize(
    ("make", "codes"),
    [(GraphClient, GRAPH_RATE_LIMIT_CODES), (ZaloClient, ZALO_RATE_LIMIT_CODES)],
)
def test_settings_and_rate_limit_codes_reach_the_retries(make: Any, codes: frozenset[int]) -> None:
    client = make("http://api.test", "tok", max_attempts=0, max_wait=7.0, backoff=2.0)
    assert (client.base_url, client.max_attempts, client.max_wait, client.backoff) == (
        "http://api.test/",
        1,
        7.0,
        2.0,
    )
    assert client.rate_limit_codes == codes
    assert client.calls == 0
