"""The collection health page: state per channel and the kind of the last error."""

from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.web.health import (
    attention_reasons,
    collection_health,
    traffic_departs,
    traffic_windows,
)
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


# --- "cần chú ý": departures from the channel's own pattern, not mere quiet -----------------------


def test_traffic_windows_are_the_same_hours_of_past_weeks() -> None:
    windows = traffic_windows(NOW, window=timedelta(hours=6), weeks=4)
    assert windows[0] == (NOW - timedelta(hours=6), NOW)
    assert windows[4] == (NOW - timedelta(weeks=4, hours=6), NOW - timedelta(weeks=4))
    assert len(windows) == 5


def test_traffic_departs() -> None:
    assert traffic_departs(0, [12, 9, 15, 11])  # usually busy at this hour, silent now
    assert not traffic_departs(0, [0, 1, 0, 2])  # usually quiet: silence is normal
    assert not traffic_departs(8, [12, 9, 15, 11])  # a bit less is not a departure
    assert not traffic_departs(0, [40, 0, 0, 0])  # one viral week does not make a pattern
    assert traffic_departs(0, [0, 20, 25, 30])  # one odd quiet week does not hide one
    assert not traffic_departs(0, [50])  # too little history to judge


@given(
    current=st.integers(0, 1000),
    history=st.lists(st.integers(0, 1000), max_size=8),
    extra=st.integers(1, 1000),
)
def test_more_messages_never_make_a_departure(current, history, extra) -> None:
    if not traffic_departs(current, history):
        assert not traffic_departs(current + extra, history)


@given(history=st.lists(st.integers(0, 4), max_size=8))
def test_a_usually_quiet_channel_never_departs(history) -> None:
    assert not traffic_departs(0, history)


def test_attention_reasons() -> None:
    quiet = attention_reasons(
        now=NOW,
        last_success_at=NOW - timedelta(minutes=20),
        quarantined=0,
        token_expires_at=None,
        traffic=(0, 1, 0, 0, 2),
    )
    assert quiet == ()  # citizens quiet for 6 h at a quiet hour: nothing to do
    busy = attention_reasons(
        now=NOW,
        last_success_at=NOW - timedelta(minutes=20),
        quarantined=0,
        token_expires_at=NOW + timedelta(days=3),
        traffic=(0, 12, 9, 15, 11),
    )
    assert len(busy) == 2
    assert "token hết hạn" in busy[0]
    assert "chỉ 0 tin trong 6 giờ qua, thường khoảng 11.5" in busy[1]
    stale = attention_reasons(
        now=NOW,
        last_success_at=NOW - timedelta(hours=7),
        quarantined=0,
        token_expires_at=NOW + timedelta(days=30),
        traffic=(),
    )
    assert stale == ("không thu thập được thành công trong hơn 6 giờ",)


def test_a_busy_channel_gone_silent_needs_attention(synced_engine, seeded) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import Channel, Message

    with sessionmaker(synced_engine)() as session:
        before = {h.key: h for h in collection_health(session, now=NOW)}
        assert before["fb-th-ns-ngathuy"].state == "ok"
        channel_id = session.scalar(select(Channel.id).where(Channel.key == "fb-th-ns-ngathuy"))
        for week in range(1, 5):  # 10 citizen messages in the same hours of each past week
            for n in range(10):
                session.add(
                    Message(
                        channel_id=channel_id,
                        platform_message_id=f"busy-{week}-{n}",
                        direction="in",
                        kind="messenger",
                        thread_key=f"busy-{week}-{n}",
                        text="đèn đường hỏng",
                        created_at=NOW - timedelta(weeks=week, hours=3, minutes=n),
                        collected_at=NOW - timedelta(weeks=week),
                    )
                )
        session.commit()
        after = {h.key: h for h in collection_health(session, now=NOW)}
    busy = after["fb-th-ns-ngathuy"]
    assert busy.state == "warning"
    assert any("thường khoảng 10" in reason for reason in busy.attention)
