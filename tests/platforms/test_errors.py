"""The one classifier of collection errors: token, rate limit or other, from the clients' codes."""

from __future__ import annotations

import pytest

from citizen_desk.domain.vocabulary import CollectionErrorKind
from citizen_desk.errors import ConfigError, PlatformError
from citizen_desk.platforms import graph, zalo
from citizen_desk.platforms.errors import error_kind, failure_kind, failure_kind_from_text
from tests.platforms.fakes import FakeResponse
from tests.platforms.test_graph import client, graph_error
from tests.platforms.test_zalo import zalo as zalo_client

RATE = CollectionErrorKind.RATE_LIMIT


def _graph_failure(code: int) -> PlatformError:
    graph_client, _, _ = client([FakeResponse(400, graph_error(code))], max_attempts=1)
    with pytest.raises(PlatformError) as info:
        graph_client.get("123/conversations")
    return info.value


def _zalo_failure(code: int) -> PlatformError:
    body = {"error": code, "message": "Your application/OA reached limit call api"}
    zalo_client_, _, _ = zalo_client([FakeResponse(200, body)], max_attempts=1)
    with pytest.raises(PlatformError) as info:
        zalo_client_.get("listrecentchat", {"offset": 0, "count": 10})
    return info.value


@pytest.mark.parametrize("code", [80001, 341, 4, 613])
def test_graph_rate_limits_are_rate_limits(code):
    error = _graph_failure(code)
    assert failure_kind(error) == RATE
    assert failure_kind_from_text(str(error)) == RATE  # a run stored before the kind was


def test_zalo_rate_limit_is_a_rate_limit():
    error = _zalo_failure(-32)
    assert failure_kind(error) == RATE
    assert failure_kind_from_text(str(error)) == RATE


def test_every_code_the_clients_know_is_classified_as_they_treat_it():
    for module in (graph, zalo):
        for code in module.RATE_LIMIT_CODES:
            assert error_kind(module.PLATFORM, code) == RATE, (module.PLATFORM, code)
        for code in module.TOKEN_CODES:
            assert error_kind(module.PLATFORM, code) == "token", (module.PLATFORM, code)


def test_tokens_configuration_and_server_errors():
    assert failure_kind(_graph_failure(190)) == "token"
    assert failure_kind(_zalo_failure(-216)) == "token"
    assert failure_kind(ConfigError("registry.yaml", "channels", "bad")) == "other"
    assert failure_kind(PlatformError("HTTP 503", platform="facebook", http_status=503)) == "other"
    assert failure_kind(PlatformError("x", platform="facebook", code=100)) == "other"
    assert error_kind("zalo", 4) == "other"  # a Graph rate-limit code means nothing on Zalo


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Error validating access token: Session has expired (#190)", "token"),
        ("Zalo -216 Access token is invalid", "token"),
        ("HTTP 429 Too Many Requests", "rate_limit"),
        ("(#32) Page request limit reached", "rate_limit"),
        ("connection reset by peer", "other"),
        (None, None),
    ],
)
def test_classify_error(text, kind):
    assert failure_kind_from_text(text) == kind
