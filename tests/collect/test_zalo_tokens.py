"""The rotating Zalo token pair: stored before use, serialised per OA, honest about its window."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.collect import PermanentFailure
from citizen_desk.collect.tokens import ZaloTokenStore, stored_pair
from citizen_desk.db.models import Channel, Notification, PlatformToken
from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms.zalo import refresh_access_token
from tests.collect.conftest import stored_messages, sync, truth_messages

KEY = "zalo-th-ns-ttns"


def channel_id(engine, key: str = KEY) -> int:
    with Session(engine) as session:
        return session.scalars(select(Channel.id).where(Channel.key == key)).one()


def oauth_calls(world, oa: str) -> int:
    return world.sim.stats.snapshot()["by_page"].get("zalo_oauth", {}).get(oa, 0)


class CrashAfterRefresh(requests.Session):
    """The worker dies right after the refresh HTTP call returned (before our code goes on)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.crashed = False

    def post(self, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().post(url, *args, **kwargs)
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("worker killed right after the token refresh call")
        return response


class ResponseLost(requests.Session):
    """Zalo rotated the pair but the response never reached us (the documented window)."""

    def post(self, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.pop("hooks", None)
        super().post(url, *args, **kwargs)
        raise requests.ConnectionError("connection reset while reading the response")


@pytest.mark.parametrize("world", [2], indirect=True)
def test_rotation_survives_a_crash_between_refresh_and_store(collect, world) -> None:
    oa = world.channels[KEY]["platform_id"]
    with pytest.raises(RuntimeError, match="worker killed"):
        collect(KEY, http=CrashAfterRefresh())
    fernet = Fernet(world.fernet_key)
    pair = stored_pair(collect.engine, channel_id(collect.engine), fernet)
    assert pair is not None
    assert pair["generation"] == 1
    assert pair["refresh_token"] == world.sim.world.state["zalo_tokens"][oa]["refresh"]
    with Session(collect.engine) as session:
        row = session.scalars(select(PlatformToken)).one()
        at_rest = row.access_token_enc + row.refresh_token_enc
    assert pair["access_token"] not in at_rest  # encrypted at rest
    assert pair["refresh_token"] not in at_rest

    before = oauth_calls(world, oa)
    summary = collect(KEY, run_id="run-2")
    assert summary["status"] == "success"
    assert oauth_calls(world, oa) == before  # the stored pair was used, no second rotation
    expected = {m for m in truth_messages(world) if m[0] == KEY}
    assert stored_messages(collect.engine) == expected
    assert "sim-zalo-access" not in json.dumps(summary)


@pytest.mark.parametrize("world", [2], indirect=True)
def test_an_expired_access_token_is_refreshed_once_and_the_run_goes_on(collect, world) -> None:
    collect(KEY)
    frozen = world.clock()
    collect.options["clock"] = lambda: frozen  # our clock thinks the token is still fresh
    world.sim.advance(timedelta(hours=26))  # Zalo does not: -220 on the next call
    world.sim.generate(6)
    summary = collect(KEY, run_id="run-2")
    assert summary["status"] == "success"
    pair = stored_pair(collect.engine, channel_id(collect.engine), Fernet(world.fernet_key))
    assert pair is not None
    assert pair["generation"] == 2
    expected = {m for m in truth_messages(world) if m[0] == KEY}
    assert stored_messages(collect.engine) == expected


@pytest.mark.parametrize("world", [2], indirect=True)
def test_a_lost_refresh_response_is_alerted_and_a_new_refresh_token_recovers(
    collect, world, monkeypatch
) -> None:
    with pytest.raises(PlatformError, match="no response") as info:
        collect(KEY, http=ResponseLost(), final_attempt=False)
    assert info.value.retryable
    with pytest.raises(PermanentFailure, match="-14014") as failed:
        collect(KEY, run_id="run-2")  # the stored refresh token was consumed by the lost call
    cause = failed.value.__cause__
    assert isinstance(cause, TokenError)  # an auth error naming the channel, never a secret
    assert f"Zalo OA channel {KEY}: authorisation failed" in str(cause)
    assert world.channels[KEY]["connection_id"] in str(cause)
    assert "sim-refresh" not in str(cause)
    assert "sim-secret" not in str(cause)
    with Session(collect.engine) as session:
        alert = session.scalars(select(Notification)).one()
    text = json.dumps(alert.payload, ensure_ascii=False)
    assert "zalo_th_ns_ttns" in text
    assert "refresh_token" in text
    assert "sim-refresh" not in text

    # An admin re-authorizes the OA and pastes the new refresh token into the connection.
    oa = world.channels[KEY]["platform_id"]
    env = f"AIRFLOW_CONN_{world.channels[KEY]['connection_id'].upper()}"
    conn = json.loads(__import__("os").environ[env])
    conn["extra"]["refresh_token"] = world.sim.zalo_credentials(oa)["refresh_token"]
    monkeypatch.setenv(env, json.dumps(conn))
    assert collect(KEY, run_id="run-3")["status"] == "success"


def test_concurrent_refreshes_of_one_oa_rotate_the_pair_once(engine, small_registry, world) -> None:
    """Two workers find the token stale at once: the lock lets one refresh, the other reuses."""
    sync(engine, small_registry)
    oa = world.channels[KEY]["platform_id"]
    creds = world.sim.zalo_credentials(oa)
    fernet = Fernet(world.fernet_key)

    def slow_refresh(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # widen the race window
        return refresh_access_token(*args, **kwargs)

    def store() -> ZaloTokenStore:
        return ZaloTokenStore(
            engine,
            channel_id(engine),
            fernet=fernet,
            app_id=creds["app_id"],
            secret_key=creds["secret_key"],
            oauth_url=f"{world.base_url}/v4/oa/access_token",
            seed_refresh_token=creds["refresh_token"],
            clock=world.clock,
            refresher=slow_refresh,
        )

    stores = [store(), store()]
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda s=s: tokens.append(s.access_token())) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]
    assert sum(s.refreshes for s in stores) == 1
    assert oauth_calls(world, oa) == 1
    pair = stored_pair(engine, channel_id(engine), fernet)
    assert pair is not None
    assert pair["generation"] == 1
