"""The collection health page: state per channel and the kind of the last error."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from citizen_desk.web.health import classify_error, collection_health
from tests.conftest import NOW


def test_collection_health(ro_officer):
    page = ro_officer.get("/collection").text
    rows = {
        key: row
        for row in re.findall(r"<tr class=\"health-.*?</tr>", page, re.S)
        for key in re.findall(r"<small class=\"muted\">([a-z0-9-]+)", row)[:1]
    }
    assert "health-ok" in rows["fb-th-ns-ngathuy"]
    zalo = rows["zalo-th-ns-ngathuy"]
    assert "health-problem" in zalo
    assert "Token hết hạn" in zalo
    assert "2 ngày" in zalo
    ss = rows["fb-th-ss"]
    assert "health-warning" in ss  # 2 quarantined items
    assert "Bị giới hạn tần suất" in ss
    assert "đã khắc phục" in ss
    assert '<strong class="warn">2</strong>' in ss
    assert "health-unknown" in rows["fb-th"]


def test_collection_health_model(ro_seeded):
    from sqlalchemy.orm import sessionmaker

    engine, _ = ro_seeded
    with sessionmaker(engine)() as session:
        health = {h.key: h for h in collection_health(session, now=NOW)}
    zalo = health["zalo-th-ns-ngathuy"]
    assert zalo.last_success_at == NOW - timedelta(hours=48)
    assert zalo.error_kind == "token"
    assert zalo.error_is_current
    assert zalo.oldest_watermark_age == timedelta(hours=48)
    assert health["fb-th-ss"].error_kind == "rate_limit"
    assert not health["fb-th-ss"].error_is_current
    assert health["fb-th-ss"].quarantined == 2


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
    assert classify_error(text) == kind
