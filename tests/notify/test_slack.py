"""The Slack client: the provider's SlackHook on our connection, and bare-token clients."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from citizen_desk.errors import ConfigError
from citizen_desk.notify.slack import (
    CONN_ID,
    build_client,
    signing_secret_from_connection,
    slack_client_from_connection,
)
from tests.conftest import SIM_TOKEN

pytestmark = pytest.mark.airflow  # the Slack client comes from an Airflow connection


def test_build_client_ignores_env_proxy_for_loopback(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert build_client(SIM_TOKEN, base_url="http://127.0.0.1:9/api/").proxy is None
    assert build_client(SIM_TOKEN, base_url="https://slack.com/api/").proxy == (
        "http://proxy.invalid:3128"
    )
    monkeypatch.setenv("NO_PROXY", "slack.internal")
    assert build_client(SIM_TOKEN, base_url="https://slack.internal/api/").proxy is None


ENV = f"AIRFLOW_CONN_{CONN_ID.upper()}"


def _connection(monkeypatch, **conn: Any) -> None:
    monkeypatch.setenv(ENV, json.dumps({"conn_type": "slack", **conn}))


def test_the_demo_connection_gives_a_slackhook_client_with_our_retry_handlers(monkeypatch) -> None:
    from e2e.topology import connection_env

    env = connection_env("http://127.0.0.1:18998", "fernet-key")
    monkeypatch.setenv(ENV, env[ENV])
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    client = slack_client_from_connection()
    assert client.token == SIM_TOKEN
    assert client.base_url == "http://127.0.0.1:18998/api/"
    assert client.timeout == 10
    assert client.proxy is None  # loopback: the environment's proxy is not used
    connection, rate_limit = client.retry_handlers
    assert isinstance(connection, ConnectionErrorRetryHandler)
    assert isinstance(rate_limit, RateLimitErrorRetryHandler)
    assert (connection.max_retry_count, rate_limit.max_retry_count) == (1, 3)
    assert slack_client_from_connection(rate_limit_retries=0).retry_handlers[1].max_retry_count == 0


def test_connection_defaults_and_an_explicit_proxy(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    _connection(monkeypatch, password="xoxb-real")
    client = slack_client_from_connection()
    assert (client.base_url, client.timeout) == ("https://slack.com/api/", 30)
    assert client.proxy == "http://proxy.invalid:3128"
    _connection(
        monkeypatch,
        password="xoxb-real",
        extra={"base_url": "http://127.0.0.1:9/api", "proxy": "http://squid:3128", "timeout": "5"},
    )
    client = slack_client_from_connection()
    assert (client.base_url, client.timeout) == ("http://127.0.0.1:9/api/", 5)
    assert client.proxy == "http://squid:3128"  # given explicitly: kept even for loopback


def test_a_connection_without_token_is_a_config_error(monkeypatch) -> None:
    _connection(monkeypatch, extra={"base_url": "http://127.0.0.1:9/api/"})
    with pytest.raises(ConfigError, match="missing Slack bot token"):
        slack_client_from_connection()


def test_the_signing_secret_comes_from_the_connection_extra(monkeypatch) -> None:
    _connection(monkeypatch, password="xoxb-real", extra={"signing_secret": "s3cr3t"})
    assert signing_secret_from_connection() == "s3cr3t"
    for extra in ({}, {"signing_secret": "  "}, {"signing_secret": 12}):
        _connection(monkeypatch, password="xoxb-real", extra=extra)
        with pytest.raises(ConfigError, match="missing signing secret") as error:
            signing_secret_from_connection()
        assert error.value.key == "extra.signing_secret"
    monkeypatch.delenv(ENV)
    with pytest.raises(ConfigError, match="not found"):
        signing_secret_from_connection("citizen_desk_no_such_connection")


def test_the_demo_connection_carries_the_simulators_signing_secret(monkeypatch) -> None:
    from e2e.topology import connection_env
    from platform_simulator import SimulatorConfig

    env = connection_env("http://127.0.0.1:18998", "fernet-key")
    monkeypatch.setenv(ENV, env[ENV])
    assert signing_secret_from_connection() == SimulatorConfig().slack_signing_secret
