"""The SLA sweep over crafted timelines in the DB: outcomes, recorded events, notifications."""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import sessionmaker

from citizen_desk.db.models import Case, Notification, SlaEvent
from citizen_desk.sla import sweep as sla_sweep
from citizen_desk.sla.calendar import WorkingCalendar
from tests.conftest import NOW
from tests.sla.factories import CANARY_NAME, CANARY_PHONE, answer, local, make_case

NGATHUY_DUTY, NGATHUY_CHIEF = "U07NTHUYD01", "U07NTHUYC01"


@pytest.fixture
def factory(synced_engine):
    return sessionmaker(synced_engine, expire_on_commit=False)


NO_DIGEST = time(23, 59, 59)


def _individually(registry):
    """Catch-up off: these tests read the alert of an outcome found long past, which a sweep
    with catch-up lists in a summary instead (tests/sla/test_catch_up.py)."""
    from citizen_desk.domain.catchup import CatchUpPolicy

    return dataclasses.replace(registry, notifications=CatchUpPolicy(fresh_within=None))


def _sweep(factory, registry, now, **kwargs):
    kwargs.setdefault("digest_at", NO_DIGEST)
    with factory() as session, session.begin():
        return sla_sweep.sweep(session, registry, now=now, run_id="test", **kwargs)


def _events(factory) -> list[tuple[int, int, str]]:
    with factory() as session:
        rows = session.scalars(select(SlaEvent).order_by(SlaEvent.id))
        return [(e.case_id, e.turn_no, e.kind) for e in rows]


def _notes(factory) -> dict[str, Notification]:
    with factory() as session:
        return {n.idempotency_key: n for n in session.scalars(select(Notification))}


def _seed(factory, **kwargs) -> Case:
    with factory() as session, session.begin():
        return make_case(session, **kwargs)


def _case(factory, case_id: int) -> Case:
    with factory() as session:
        return session.get(Case, case_id)


def test_never_answered_warns_then_breaches_once(factory, registry) -> None:
    # Zalo question (8 working hours) asked Friday 16:00: 1 h on Friday, 7 h on Monday.
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 20, 16), None)],
    )
    due, warn = local(2026, 11, 23, 16, 30), local(2026, 11, 23, 14, 30)

    report = _sweep(factory, registry, NOW)  # Monday 10:00: on track
    assert report.states == {"on_track": 1}
    assert _events(factory) == []
    stored = _case(factory, case.id)
    assert (stored.sla_due_at, stored.sla_warn_at, stored.sla_breached) == (due, warn, False)

    report = _sweep(factory, registry, local(2026, 11, 23, 15))
    assert (report.warnings_recorded, report.notifications) == (1, 1)
    warning = _notes(factory)[f"sla:{case.id}:1:warning"]
    assert warning.recipient == NGATHUY_DUTY
    assert warning.kind == "sla_warning"
    assert "còn 1 giờ 30 phút" in warning.payload["text"]

    report = _sweep(factory, registry, local(2026, 11, 23, 17))
    assert (report.breaches_recorded, report.notifications) == (1, 2)
    assert _events(factory) == [(case.id, 1, "warning"), (case.id, 1, "breach")]
    notes = _notes(factory)
    breach = notes[f"sla:{case.id}:1:breach:{NGATHUY_DUTY}"]
    assert f"sla:{case.id}:1:breach:{NGATHUY_CHIEF}" in notes
    assert "quá hạn 30 phút" in breach.payload["text"]
    assert _case(factory, case.id).sla_breached is True

    # Reruns and later sweeps record and announce nothing new.
    for now in (local(2026, 11, 23, 17), local(2026, 11, 23, 18), local(2026, 11, 25, 9)):
        report = _sweep(factory, registry, now)
        assert (report.warnings_recorded, report.breaches_recorded, report.notifications) == (
            0,
            0,
            0,
        )
    assert len(_events(factory)) == 2
    assert len(_notes(factory)) == 3


def test_repeat_sweep_reads_recorded_events_instead_of_inserting(
    factory, registry, synced_engine
) -> None:
    for hour in (8, 9, 10):
        _seed(
            factory,
            channel_key="zalo-th-ns-ngathuy",
            category="question",
            turns=[(local(2026, 11, 20, hour), None)],
        )
    later = local(2026, 11, 25, 9)
    assert _sweep(factory, registry, later).breaches_recorded == 3

    statements: list[str] = []

    def capture(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(synced_engine, "before_cursor_execute", capture)
    try:
        report = _sweep(factory, registry, later + timedelta(hours=1))
    finally:
        event.remove(synced_engine, "before_cursor_execute", capture)
    assert (report.breaches_recorded, report.notifications) == (0, 0)
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT INTO SLA_EVENTS")]
    assert len(_events(factory)) == 3


@pytest.mark.parametrize("catch_up", [False, True])
def test_late_cases_are_recorded_and_alerted_in_a_few_statements(
    factory, registry, synced_engine, catch_up
) -> None:
    # 12 cases late at once: one insert of their events, one of their alerts (or of the covered
    # alerts and one of the summaries), one update of the cases; no statement per case.
    for index in range(12):
        _seed(
            factory,
            channel_key="zalo-th-ns-ngathuy",
            category="question",
            turns=[(local(2026, 11, 20, 8, index), None)],
            citizen_name=None,
        )
    later = local(2026, 11, 25, 9)
    statements: list[str] = []

    def capture(conn, cursor, statement, params, context, executemany):
        statements.append(" ".join(statement.split()).upper())

    event.listen(synced_engine, "before_cursor_execute", capture)
    try:
        report = _sweep(factory, registry if catch_up else _individually(registry), later)
    finally:
        event.remove(synced_engine, "before_cursor_execute", capture)
    assert report.breaches_recorded == 12
    notes = _notes(factory)
    if catch_up:
        assert (report.caught_up, report.summaries) == (12, 2)
        assert [n.status for n in notes.values()].count("superseded") == 24
    else:
        assert report.notifications == 24
        assert {n.status for n in notes.values()} == {"pending"}
    # (on PostgreSQL, 20 rows or more are COPYed into a staging table, then moved by one
    # `WITH staged AS (DELETE …) INSERT INTO …`)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "WITH"))]
    assert [s for s in writes if s.startswith("INSERT INTO SLA_EVENTS")] != []
    assert len([s for s in writes if s.startswith("INSERT INTO SLA_EVENTS")]) == 1
    assert len([s for s in writes if s.startswith("UPDATE CASES")]) == 1
    assert len([s for s in writes if "INSERT INTO NOTIFICATIONS" in s]) == (2 if catch_up else 1)
    assert len(statements) < 20  # the reads too: a few per sweep, none per case


def test_answered_in_time_records_nothing(factory, registry) -> None:
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 23, 8), None)],
    )
    _sweep(factory, registry, NOW)
    with factory() as session, session.begin():
        answer(session, session.get(Case, case.id), local(2026, 11, 23, 11))
    report = _sweep(factory, registry, local(2026, 11, 25, 9))
    assert report.evaluated == 0
    assert _events(factory) == []
    assert _notes(factory) == {}


def test_answered_late_breach_announced_once_then_stops(factory, registry) -> None:
    # Asked Thursday 08:00, due Friday 08:30 (8 working hours); answered Monday.
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 19, 8), None)],
    )
    report = _sweep(factory, registry, local(2026, 11, 20, 9, 30))
    assert report.breaches_recorded == 1
    breach = _notes(factory)[f"sla:{case.id}:1:breach:{NGATHUY_DUTY}"]
    assert "quá hạn 1 giờ" in breach.payload["text"]
    with factory() as session, session.begin():
        answer(session, session.get(Case, case.id), local(2026, 11, 23, 8))
    report = _sweep(factory, registry, NOW)
    assert report.evaluated == 0
    assert report.notifications == 0
    assert _events(factory) == [(case.id, 1, "breach")]


def test_follow_up_question_uses_next_response_target(factory, registry) -> None:
    # A tip: first reply within 4 h (answered), the follow-up within 8 h (wall clock).
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="tip",
        turns=[(local(2026, 11, 22, 20), local(2026, 11, 22, 21)), (local(2026, 11, 23, 0), None)],
    )
    report = _sweep(factory, registry, NOW)  # 10:00, follow-up due 08:00
    assert report.breaches_recorded == 1
    assert _events(factory) == [(case.id, 2, "breach")]
    note = _notes(factory)[f"sla:{case.id}:2:breach:{NGATHUY_CHIEF}"]
    assert "quá hạn 2 giờ" in note.payload["text"]
    assert "Lần hỏi thứ 2*" in str(note.payload["blocks"])
    assert _case(factory, case.id).sla_due_at == local(2026, 11, 23, 8)


def test_reply_window_ceiling_comes_first_on_facebook(factory, registry) -> None:
    # Same question as on Zalo, but Messenger only allows replies for 24 h after the last
    # citizen message (here a second message on Saturday 10:00).
    case = _seed(
        factory,
        channel_key="fb-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 20, 16), None)],
        extra_citizen_messages=[local(2026, 11, 21, 10)],
    )
    report = _sweep(factory, _individually(registry), NOW)
    assert report.breaches_recorded == 1
    assert _case(factory, case.id).sla_due_at == local(2026, 11, 22, 10)
    assert (
        "quá hạn 1 ngày"
        in _notes(factory)[f"sla:{case.id}:1:breach:{NGATHUY_DUTY}"].payload["text"]
    )


def test_public_holiday_pauses_the_working_clock(factory, registry) -> None:
    # Monday 23/11 16:00 + 8 working hours; Tuesday 24/11/2026 is Vietnam Cultural Day.
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 23, 16), None)],
    )
    report = _sweep(factory, registry, local(2026, 11, 24, 17))
    assert report.states == {"on_track": 1}
    assert _case(factory, case.id).sla_due_at == local(2026, 11, 25, 16, 30)
    report = _sweep(factory, registry, local(2026, 11, 25, 17))
    assert report.breaches_recorded == 1


def test_make_up_saturday_counts_as_a_working_day(factory, registry) -> None:
    # Saturday 22/8/2026 is a make-up working day (for Monday 31/8).
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 8, 21, 16), None)],
    )
    report = _sweep(factory, registry, local(2026, 8, 22, 17))
    assert report.breaches_recorded == 1
    assert _case(factory, case.id).sla_due_at == local(2026, 8, 22, 16, 30)


def test_categories_without_target_are_not_tracked(factory, registry) -> None:
    _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="abuse",
        turns=[(local(2026, 11, 1, 8), None)],
    )
    report = _sweep(factory, registry, NOW)
    assert report.states == {"no_sla": 1}
    assert _notes(factory) == {}


def test_alerts_carry_no_identity(factory, registry) -> None:
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 19, 8), None)],
        text=f"Tôi là {CANARY_NAME}, số {CANARY_PHONE}, bị mất ví ở chợ <b>&",
    )
    _sweep(factory, _individually(registry), NOW)
    notes = _notes(factory)
    assert {n.status for n in notes.values()} == {"pending"}
    payload = str(notes[f"sla:{case.id}:1:breach:{NGATHUY_DUTY}"].payload)
    assert CANARY_NAME not in payload
    assert "Canary" not in payload
    assert "0912" not in payload
    assert "345 678" not in payload
    assert "[TÊN]" in payload
    assert "[SĐT]" in payload
    assert "&lt;b&gt;&amp;" in payload  # mrkdwn escaped
    assert f"CD-{case.id:06d}" in payload
    assert registry.case_url(case.id) in payload
    assert "Công an xã Nga Thủy" in payload
    assert "Hỏi đáp" in payload


def test_an_excerpt_the_gate_refuses_is_withheld_not_the_breach(
    factory, registry, monkeypatch
) -> None:
    from citizen_desk.notify.outbox import WITHHELD

    # a redaction bug lets the phone into the excerpt: the gate must withhold it
    monkeypatch.setattr("citizen_desk.privacy.redact", lambda text, names=(): text)
    case = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 19, 8), None)],
        text="Mất ví ở chợ, ai thấy gọi 0912 345 678",
    )
    _sweep(factory, _individually(registry), NOW)
    notes = _notes(factory)
    breach = [n for key, n in notes.items() if key.startswith(f"sla:{case.id}:1:breach:")]
    assert {(n.recipient, n.status) for n in breach} == {
        (NGATHUY_DUTY, "pending"),
        (NGATHUY_CHIEF, "pending"),
    }
    for note in breach:
        payload = str(note.payload)
        assert WITHHELD in payload
        assert f"CD-{case.id:06d}" in payload
        assert "345" not in payload.replace(registry.case_url(case.id), "")
        assert "Công an xã Nga Thủy" in payload
    assert [n.kind for n in notes.values() if n.kind.startswith("pii_")] == ["pii_withheld"]


def test_daily_digest_per_unit_once_a_day(factory, registry) -> None:
    late = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 19, 8), None)],
    )
    soon = _seed(
        factory,
        channel_key="fb-th-ns-ngathuy",
        category="lost_found",
        turns=[(local(2026, 11, 23, 8, 20), None)],
    )
    _seed(
        factory, channel_key="fb-th-ss", category="question", turns=[(local(2026, 11, 23, 9), None)]
    )  # on track: no digest for TH-SS

    report = _sweep(factory, registry, local(2026, 11, 23, 6), digest_at=sla_sweep.DIGEST_AT)
    assert report.digests == 0  # before 07:00 local
    report = _sweep(factory, registry, NOW, digest_at=sla_sweep.DIGEST_AT)
    assert report.digests == 1
    digest = _notes(factory)["sla-digest:TH-NS-NGATHUY:2026-11-23"]
    assert digest.recipient == NGATHUY_DUTY
    blocks = str(digest.payload["blocks"])
    assert blocks.index(f"CD-{late.id:06d}") < blocks.index(f"CD-{soon.id:06d}")
    assert "1 hồ sơ quá hạn, 1 hồ sơ sắp quá hạn" in digest.payload["text"]
    later = _sweep(factory, registry, NOW + timedelta(hours=1), digest_at=sla_sweep.DIGEST_AT)
    assert later.digests == 0
    next_day = _sweep(factory, registry, NOW + timedelta(days=1), digest_at=sla_sweep.DIGEST_AT)
    assert next_day.digests == 2  # the Sầm Sơn question is late by now too
    assert {"sla-digest:TH-NS-NGATHUY:2026-11-24", "sla-digest:TH-SS:2026-11-24"} <= set(
        _notes(factory)
    )


def test_notify_false_records_without_announcing(factory, registry) -> None:
    _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 19, 8), None)],
    )
    report = _sweep(factory, registry, NOW, notify=False)
    assert report.breaches_recorded == 1
    assert _notes(factory) == {}


def test_recompute_after_calendar_change_records_new_version_without_alerts(
    factory, registry
) -> None:
    # Wednesday 08:00 + 8 working hours = Thursday 08:30; answered Thursday 10:00 (late).
    flips = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 18, 8), local(2026, 11, 19, 10))],
    )
    late = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 18, 16), local(2026, 11, 23, 8))],
    )
    _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 10, 8), local(2026, 11, 17, 8))],
    )  # outside the period

    period = sla_sweep.local_period(date(2026, 11, 18), date(2026, 11, 19), registry.timezone)
    with factory() as session, session.begin():
        first = sla_sweep.recompute(session, registry, start=period[0], end=period[1], now=NOW)
    assert first.evaluated == 2
    assert first.states == {"met_late": 2}

    # Thursday 19/11 declared a day off: the first case's deadline moves to Friday 08:30.
    calendar = dataclasses.replace(
        registry.calendar, extra_days_off=frozenset({date(2026, 11, 19)})
    )
    changed = dataclasses.replace(registry, calendar=calendar)
    assert isinstance(changed.calendar, WorkingCalendar)
    with factory() as session, session.begin():
        second = sla_sweep.recompute(session, changed, start=period[0], end=period[1], now=NOW)
    assert second.states == {"met": 1, "met_late": 1}
    assert second.policy_version != first.policy_version
    assert second.policy_version.startswith(registry.sla.version)
    with factory() as session:
        events = session.execute(
            select(SlaEvent.case_id, SlaEvent.policy_version, SlaEvent.due_at).order_by(SlaEvent.id)
        ).all()
    assert [(e.case_id, e.policy_version) for e in events] == [
        (flips.id, first.policy_version),
        (late.id, first.policy_version),
        (late.id, second.policy_version),
    ]
    assert events[1].due_at == local(2026, 11, 19, 16, 30)
    assert events[2].due_at == local(2026, 11, 20, 16, 30)
    assert _notes(factory) == {}
    with factory() as session, session.begin():
        again = sla_sweep.recompute(session, changed, start=period[0], end=period[1], now=NOW)
    assert again.breaches_recorded == 0


def test_open_case_query_uses_the_partial_index(factory) -> None:
    with factory() as session:
        bind = session.get_bind()
        compiled = sla_sweep.open_turns_query().compile(
            bind, compile_kwargs={"literal_binds": True}
        )
        if bind.dialect.name == "sqlite":
            rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        else:  # tiny tables: make the planner show whether the index is usable at all
            session.execute(text("SET LOCAL enable_seqscan = off"))
            rows = session.execute(text(f"EXPLAIN {compiled}"))
        plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_cases_open_awaiting" in plan


def test_run_check_dry_run_writes_nothing(factory, registry, synced_engine, monkeypatch) -> None:
    _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 19, 8), None)],
    )
    url = synced_engine.url.render_as_string(hide_password=False)
    result = sla_sweep.run_check(NOW, "test", dry_run=True, url=url, registry=registry)
    assert result["breaches_recorded"] == 1
    assert result["dry_run"] is True
    assert _events(factory) == []
    assert _notes(factory) == {}
    result = sla_sweep.run_check(NOW, "test", url=url, registry=registry)
    assert result["breaches_recorded"] == 1
    assert len(_events(factory)) == 1


def test_alerts_of_a_case_answered_meanwhile_are_superseded(factory, registry, sim, slack) -> None:
    from citizen_desk.notify import delivery

    late = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 20, 16), None)],
    )
    still_late = _seed(
        factory,
        channel_key="zalo-th-ns-ngathuy",
        category="question",
        turns=[(local(2026, 11, 20, 16), None)],
    )
    _sweep(factory, registry, local(2026, 11, 23, 17))  # breaches of both, not yet delivered
    with factory() as session, session.begin():
        answer(session, session.get(Case, late.id), local(2026, 11, 23, 17, 10))

    report = delivery.deliver_pending(factory, slack, now=local(2026, 11, 23, 17, 15))
    notes = _notes(factory)
    answered = [n for k, n in notes.items() if k.startswith(f"sla:{late.id}:")]
    open_ = [n for k, n in notes.items() if k.startswith(f"sla:{still_late.id}:")]
    assert {n.status for n in answered} == {"superseded"}
    assert {n.last_error for n in answered} == {f"superseded: case #{late.id} is answered"}
    assert {n.status for n in open_} == {"sent"}
    assert (report.sent, report.superseded) == (len(open_), len(answered))
    sent_keys = {m["metadata"]["event_payload"]["key"] for m in sim.slack_messages()}
    assert sent_keys == {n.idempotency_key for n in open_}


def test_a_case_waiting_for_human_triage_keeps_the_strictest_sla(factory, registry) -> None:
    """An abuse case has no SLA; the same case left to a human's triage ("cần người xem") may
    be any category, so it takes the strictest target (lost & found: 2 wall-clock hours)."""
    started = local(2026, 11, 23, 8)
    calm = _seed(
        factory, channel_key="zalo-th-ns-ngathuy", category="abuse", turns=[(started, None)]
    )
    doubtful = _seed(
        factory, channel_key="zalo-th-ns-ngathuy", category="abuse", turns=[(started, None)]
    )
    with factory() as session, session.begin():
        session.get(Case, doubtful.id).needs_human_triage = True
    report = _sweep(factory, registry, local(2026, 11, 23, 9))
    assert report.states == {"no_sla": 1, "on_track": 1}
    assert _case(factory, calm.id).sla_due_at is None
    assert _case(factory, doubtful.id).sla_due_at == local(2026, 11, 23, 10)


def test_an_urgent_case_of_any_category_jumps_the_queue_and_says_so(factory, registry) -> None:
    """A missing child filed as lost & found (2 wall hours) but urgent: 15 wall minutes, and its
    warning and breach say KHẨN. The calm one beside it keeps its category's deadline."""
    started = local(2026, 11, 23, 8)
    calm = _seed(
        factory, channel_key="zalo-th-ns-ngathuy", category="lost_found", turns=[(started, None)]
    )
    missing = _seed(
        factory, channel_key="zalo-th-ns-ngathuy", category="lost_found", turns=[(started, None)]
    )
    with factory() as session, session.begin():
        case = session.get(Case, missing.id)
        case.urgent, case.urgency_cues = True, ["đi lạc", "đến giờ"]
    individually = _individually(registry)
    report = _sweep(factory, individually, local(2026, 11, 23, 8, 12))
    assert (report.warnings_recorded, report.breaches_recorded) == (1, 0)
    assert _case(factory, missing.id).sla_due_at == started + timedelta(minutes=15)
    assert _case(factory, calm.id).sla_due_at == local(2026, 11, 23, 10)
    warning = _notes(factory)[f"sla:{missing.id}:1:warning"]
    assert warning.payload["text"].startswith("[KHẨN] [Sắp đến hạn]")
    _sweep(factory, individually, local(2026, 11, 23, 8, 20))
    breach = _notes(factory)[f"sla:{missing.id}:1:breach:{NGATHUY_DUTY}"]
    assert breach.payload["text"].startswith("[KHẨN] [Quá hạn]")
    assert "đi lạc" not in breach.payload["text"]  # cues are message words: never in Slack
