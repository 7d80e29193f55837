"""Reading tips (citizen_desk.tips.views): views, lists, not-found, against a migrated database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from citizen_desk.errors import NotFoundError
from citizen_desk.tips import views
from tests.conftest import NOW
from tests.tips import seed

H = timedelta(hours=1)


def test_view_fields_and_redacted_excerpt(db):
    tip = seed.add_canary_tip(db, received_at=NOW - 30 * H, topic="gambling")
    view = views.get_tip(db, tip.id, now=NOW)
    assert view.tip_id == tip.id
    assert view.case_id == tip.case_id
    assert view.reference == f"CD-{tip.case_id:06d}"
    assert (view.unit_code, view.unit_name) == ("TH-NS-NGATHUY", "Công an xã Nga Thủy")
    assert (view.topic, view.topic_label) == ("gambling", "cờ bạc, cá độ")
    assert (view.status, view.status_label, view.urgent, view.level) == ("new", "mới", False, -1)
    assert view.received_at == NOW - 30 * H
    assert view.age == 30 * H
    assert view.deadline == NOW - 30 * H + timedelta(days=20)
    assert (view.last_action, view.last_action_at) == (None, None)
    assert "đánh bạc" in view.excerpt
    assert "[SĐT]" in view.excerpt
    for canary in seed.CANARIES:
        assert canary.lower() not in view.excerpt.lower(), canary
    assert len(view.excerpt) <= views.EXCERPT_CHARS


def test_list_tips_orders_urgent_first_then_oldest_and_filters(db):
    old = seed.add_tip(db, received_at=NOW - 50 * H)
    new = seed.add_tip(db, received_at=NOW - 2 * H)
    urgent = seed.add_tip(db, received_at=NOW - 1 * H, urgent=True, topic="fight")
    other_unit = seed.add_tip(db, channel_key="fb-th-ss-bacson", received_at=NOW - 70 * H)
    closed = seed.add_tip(db, received_at=NOW - 90 * H, status="verified")
    assert [v.tip_id for v in views.list_tips(db, now=NOW)] == [
        urgent.id,
        other_unit.id,
        old.id,
        new.id,
    ]
    everything = views.list_tips(db, now=NOW, include_closed=True)
    assert {v.tip_id for v in everything} == {old.id, new.id, urgent.id, other_unit.id, closed.id}
    assert [v.tip_id for v in views.list_tips(db, now=NOW, unit_code="TH-SS-BACSON")] == [
        other_unit.id
    ]
    assert views.list_tips(db, now=NOW, unit_code="TH") == []
    with pytest.raises(NotFoundError, match="TH-XX"):
        views.list_tips(db, now=NOW, unit_code="TH-XX")


def test_pages_of_tips_are_the_list_cut_in_sql(db):
    made = [seed.add_tip(db, received_at=NOW - (i + 1) * H, urgent=i % 4 == 0) for i in range(9)]
    made.append(seed.add_tip(db, channel_key="fb-th-ss-bacson", received_at=NOW - 70 * H))
    made.append(seed.add_tip(db, received_at=NOW - 90 * H, status="verified"))
    made[2].escalation_level = 1
    made[5].escalation_level = 1
    db.flush()
    for closed in (False, True):
        whole = [v.tip_id for v in views.list_tips(db, now=NOW, include_closed=closed)]
        assert views.count_tips(db, include_closed=closed) == len(whole)
        pages = [
            [
                v.tip_id
                for v in views.page_of_tips(db, now=NOW, include_closed=closed, offset=o, limit=4)
            ]
            for o in range(0, len(whole) + 4, 4)
        ]
        assert [tip for page in pages for tip in page] == whole
        for offset in range(len(whole) + 2):  # the far half is read from the end of the order
            for limit in (1, 3, 4):
                page = views.page_of_tips(
                    db,
                    now=NOW,
                    include_closed=closed,
                    offset=offset,
                    limit=limit,
                    total=len(whole),
                )
                assert [v.tip_id for v in page] == whole[offset : offset + limit]
    unit = made[-2].unit_id
    assert [v.tip_id for v in views.page_of_tips(db, now=NOW, unit_ids={unit})] == [made[-2].id]
    at_one = views.page_of_tips(db, now=NOW, level=1)
    assert {v.tip_id for v in at_one} == {made[2].id, made[5].id}
    assert views.count_tips(db, level=1) == 2
    assert views.count_tips(db, unit_ids=set()) == 0


def test_unknown_tip_for_reading(db):
    with pytest.raises(NotFoundError):
        views.get_tip(db, 999, now=NOW)
    with pytest.raises(NotFoundError):
        views.tip_history(db, 999)
