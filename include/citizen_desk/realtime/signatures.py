"""The platforms' webhook signatures, checked in constant time (pure: bytes in, bool out).

Meta signs every event notification with `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of
the raw body keyed with the app secret. Zalo OA sends `X-ZEvent-Signature: mac=<hex>`, a *plain*
SHA-256 of `app_id + raw body + timestamp + OA secret key` (community-documented; some OAs sign
with the OA id in place of the app id, so both are tried). Sources: docs/research/platform-facts.md
§6 and §9.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

# Zalo retries a failed delivery after 30 s, 5, 15 and 30 minutes and 1 hour with the original
# timestamp: older than this, the body is a replay, not a retry.
ZALO_MAX_AGE = timedelta(hours=3)
ZALO_MAX_SKEW = timedelta(minutes=5)  # clocks ahead of ours


def meta_signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Does `X-Hub-Signature-256` sign `body` with `app_secret`?"""
    if not header or not app_secret:
        return False
    scheme, _, sent = header.strip().partition("=")
    if scheme.lower() != "sha256" or not sent:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sent.strip().lower())


def zalo_signature_valid(
    body: bytes,
    header: str | None,
    *,
    app_id: str,
    timestamp: str,
    secret: str,
    oa_id: str | None = None,
) -> bool:
    """Does `X-ZEvent-Signature` sign `body` (with the app id, or else the OA id)?"""
    if not header or not secret or not timestamp:
        return False
    sent = header.strip().removeprefix("mac=").strip().lower()
    if not sent:
        return False
    matched = False
    for first in (app_id, oa_id):
        if not first:
            continue
        digest = hashlib.sha256(first.encode() + body + timestamp.encode() + secret.encode())
        # no early exit: both variants always cost the same
        matched |= hmac.compare_digest(digest.hexdigest(), sent)
    return matched


def zalo_timestamp_fresh(timestamp: str, now: datetime) -> bool:
    """Is the body's `timestamp` (epoch milliseconds, a string) recent enough to accept?"""
    if not timestamp.isdigit() or len(timestamp) > 16:
        return False
    sent = datetime.fromtimestamp(int(timestamp) / 1000, tz=now.tzinfo)
    return now - ZALO_MAX_AGE <= sent <= now + ZALO_MAX_SKEW
