"""The collection health page: state per channel and the kind of the last error."""

from __future__ import annotations

import re
from datetime import timedelta

from citizen_desk.web.health import collection_health
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


def test_the_page_shows_the_kind_the_collector_stored(synced_engine, seeded, officer):
    """Graph 80001 and 341 and Zalo -32 are rate limits (issue #15: they showed as "other")."""
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import Channel, CollectionRun

    failures = {
        "fb-th": (
            "Graph GET /v21.0/{id}/conversations: HTTP 400, code 80001: (#80001) There have "
            "been too many calls to this Page account. Wait a bit and try again.",
            {"error_kind": "transient", "error_cause": "rate_limit"},
        ),
        "fb-th-ns-ttns": (
            "Graph GET /v21.0/{id}/feed: HTTP 400, code 341: (#341) Application limit reached",
            {"error_kind": "transient"},  # recorded before the collector stored the kind
        ),
        "zalo-th-ns-ttns": (
            "Zalo GET /listrecentchat: error -32: Your application/OA reached limit call api",
            {"error_kind": "transient", "error_cause": "rate_limit"},
        ),
        "fb-th-ss": (  # the stored kind wins over the text, which names no code
            "Graph GET /v21.0/{id}/conversations: RemoteDisconnected (no response)",
            {"error_kind": "permanent", "error_cause": "token"},
        ),
    }
    with sessionmaker(synced_engine)() as session:
        ids = dict(session.execute(select(Channel.key, Channel.id)).all())
        for key, (error, stats) in failures.items():
            session.add(
                CollectionRun(
                    run_id="r9",
                    channel_id=ids[key],
                    status="failed",
                    started_at=NOW - timedelta(minutes=3),
                    finished_at=NOW - timedelta(minutes=1),
                    stats={"channel": key, "status": "failed", "error": error, **stats},
                    error=error,
                )
            )
        session.commit()
        health = {h.key: h for h in collection_health(session, now=NOW)}
    assert {key: health[key].error_kind for key in failures} == {
        "fb-th": "rate_limit",
        "fb-th-ns-ttns": "rate_limit",
        "zalo-th-ns-ttns": "rate_limit",
        "fb-th-ss": "token",
    }
    assert all(health[key].error_is_current for key in failures)
    page = officer.get("/collection").text
    rows = {
        key: row
        for row in re.findall(r"<tr class=\"health-.*?</tr>", page, re.S)
        for key in re.findall(r"<small class=\"muted\">([a-z0-9-]+)", row)[:1]
    }
    for key in ("fb-th", "fb-th-ns-ttns", "zalo-th-ns-ttns"):
        assert "Bị giới hạn tần suất" in rows[key], key
        assert "Lỗi khác" not in rows[key], key
