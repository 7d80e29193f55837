"""Webhook signatures: Meta's HMAC-SHA256 and Zalo's plain SHA-256 MAC, refused on any change."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.realtime.signatures import (
    meta_signature_valid,
    zalo_signature_valid,
    zalo_timestamp_fresh,
)

SECRET = "app-secret-for-tests"
BODY = b'{"object":"page","entry":[]}'


def meta_header(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def zalo_header(body: bytes, first: str, timestamp: str, secret: str) -> str:
    return (
        "mac="
        + hashlib.sha256(first.encode() + body + timestamp.encode() + secret.encode()).hexdigest()
    )


def test_meta_signature_of_the_raw_body() -> None:
    assert meta_signature_valid(BODY, meta_header(BODY), SECRET)
    assert meta_signature_valid(
        BODY, meta_header(BODY).upper().replace("SHA256=", "sha256="), SECRET
    )
    assert not meta_signature_valid(BODY, meta_header(BODY, "other"), SECRET)
    assert not meta_signature_valid(BODY + b" ", meta_header(BODY), SECRET)
    assert not meta_signature_valid(BODY, meta_header(BODY).replace("sha256=", "sha1="), SECRET)
    for header in (None, "", "sha256=", "garbage"):
        assert not meta_signature_valid(BODY, header, SECRET)
    assert not meta_signature_valid(BODY, meta_header(BODY, ""), "")  # no secret: closed


@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0), st.integers(1, 255))
def test_any_changed_byte_breaks_the_meta_signature(body: bytes, index: int, flip: int) -> None:
    header = meta_header(body)
    changed = bytearray(body)
    changed[index % len(body)] ^= flip
    assert meta_signature_valid(body, header, SECRET)
    assert not meta_signature_valid(bytes(changed), header, SECRET)


def test_zalo_mac_with_the_app_id_or_the_oa_id() -> None:
    ts = "1733470000000"
    for first in ("app-1", "oa-9"):
        header = zalo_header(BODY, first, ts, SECRET)
        assert zalo_signature_valid(
            BODY, header, app_id="app-1", oa_id="oa-9", timestamp=ts, secret=SECRET
        )
        assert zalo_signature_valid(BODY, header.removeprefix("mac="), app_id="app-1", oa_id="oa-9",
                                    timestamp=ts, secret=SECRET)  # fmt: skip
    header = zalo_header(BODY, "app-1", ts, SECRET)
    assert not zalo_signature_valid(
        BODY, header, app_id="app-1", timestamp="1733470000001", secret=SECRET
    )
    assert not zalo_signature_valid(
        BODY + b"x", header, app_id="app-1", timestamp=ts, secret=SECRET
    )
    assert not zalo_signature_valid(BODY, header, app_id="app-1", timestamp=ts, secret="other")
    assert not zalo_signature_valid(BODY, None, app_id="app-1", timestamp=ts, secret=SECRET)
    assert not zalo_signature_valid(BODY, header, app_id="app-1", timestamp=ts, secret="")
    # an HMAC is not what Zalo sends
    hmac_header = hmac.new(
        SECRET.encode(), b"app-1" + BODY + ts.encode(), hashlib.sha256
    ).hexdigest()
    assert not zalo_signature_valid(BODY, hmac_header, app_id="app-1", timestamp=ts, secret=SECRET)


def test_zalo_timestamps_older_than_the_retry_ladder_are_replays() -> None:
    now = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)

    def ms(moment: datetime) -> str:
        return str(int(moment.timestamp() * 1000))

    assert zalo_timestamp_fresh(ms(now), now)
    assert zalo_timestamp_fresh(ms(now - timedelta(hours=2, minutes=10)), now)  # the last retry
    assert not zalo_timestamp_fresh(ms(now - timedelta(hours=4)), now)
    assert not zalo_timestamp_fresh(ms(now + timedelta(hours=1)), now)
    for bad in ("", "abc", "-1", "9" * 30):
        assert not zalo_timestamp_fresh(bad, now)
