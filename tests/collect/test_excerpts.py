"""The collection keeps the excerpts the coming alerts will show; the sweeps read them back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from citizen_desk.collect.excerpts import keep_excerpts
from citizen_desk.db.models import Notification, RedactedExcerpt
from citizen_desk.privacy import excerpt as memo
from citizen_desk.sla import sweep as sla_sweep
from citizen_desk.tips import sweep as tips_sweep
from tests.conftest import NOW
from tests.sla.factories import local, make_case
from tests.tips.seed import CANARY_PHONE, add_tip

LATE_TEXT = f"Cho em hỏi làm lại căn cước, gọi em số {CANARY_PHONE} nhé"


@pytest.fixture
def factory(synced_engine):
    return sessionmaker(synced_engine, expire_on_commit=False)


@pytest.fixture(autouse=True)
def new_process() -> Iterator[None]:
    memo._MEMO.clear()
    yield
    memo._MEMO.clear()


def _world(factory) -> None:
    with factory() as session, session.begin():
        make_case(
            session,
            channel_key="zalo-th-ns-ngathuy",
            category="question",
            turns=[(local(2026, 11, 19, 8), None)],
            text=LATE_TEXT,
        )
        add_tip(
            session, received_at=NOW - timedelta(hours=30), text="Có nhóm hút ma túy ở bãi sông"
        )


def _no_redaction(*_args, **_kwargs):
    raise AssertionError("redacted again: the kept excerpt was not read")


def test_a_sweep_after_the_collection_reads_the_kept_excerpts(
    factory, synced_engine, registry, monkeypatch
) -> None:
    _world(factory)
    kept = keep_excerpts(NOW, registry, synced_engine.url.render_as_string(hide_password=False))
    assert kept["cases"] >= 1
    assert kept["tips"] >= 1
    with factory() as session:
        rows = session.scalars(select(RedactedExcerpt)).all()
    assert len(rows) >= 2
    assert not any("0912" in r.excerpt or "345 678" in r.excerpt for r in rows)

    memo._MEMO.clear()  # the sweeps run in other processes
    monkeypatch.setattr("citizen_desk.privacy.redact", _no_redaction)
    from citizen_desk.domain.catchup import CatchUpPolicy

    individually = dataclasses.replace(registry, notifications=CatchUpPolicy(fresh_within=None))
    with factory() as session, session.begin():
        sla = sla_sweep.sweep(
            session, individually, now=NOW, run_id="t", digest_at=time(23, 59, 59)
        )
    with factory() as session, session.begin():
        tips = tips_sweep.sweep(session, individually, now=NOW, actor="t", source="t")
    assert sla.notifications >= 1
    assert tips.as_dict()
    with factory() as session:
        payloads = [str(n.payload) for n in session.scalars(select(Notification))]
    assert any("[SĐT]" in p and "căn cước" in p for p in payloads)  # the kept excerpt, shown
    assert not any("0912" in p for p in payloads)


def test_keeping_twice_adds_nothing(factory, synced_engine, registry) -> None:
    _world(factory)
    url = synced_engine.url.render_as_string(hide_password=False)
    keep_excerpts(NOW, registry, url)
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(RedactedExcerpt))
    memo._MEMO.clear()
    assert keep_excerpts(NOW, registry, url)["stale_dropped"] == 0
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(RedactedExcerpt)) == before


def _sweep_both(factory, registry) -> list[str]:
    """Both sweeps, every alert on its own; the payloads written."""
    from citizen_desk.domain.catchup import CatchUpPolicy

    individually = dataclasses.replace(registry, notifications=CatchUpPolicy(fresh_within=None))
    with factory() as session, session.begin():
        sla_sweep.sweep(session, individually, now=NOW, run_id="t", digest_at=time(23, 59, 59))
    with factory() as session, session.begin():
        tips_sweep.sweep(session, individually, now=NOW, actor="t", source="t")
    with factory() as session:
        return [str(n.payload) for n in session.scalars(select(Notification))]


def test_the_sweeps_take_the_kept_verdicts_instead_of_judging_the_excerpts_again(
    factory, synced_engine, registry, monkeypatch
) -> None:
    _world(factory)
    keep_excerpts(NOW, registry, synced_engine.url.render_as_string(hide_password=False))
    with factory() as session:
        kept = session.scalars(select(RedactedExcerpt)).all()
    assert kept
    assert all(r.verdict == "" and r.seal for r in kept)
    excerpts = {r.excerpt for r in kept}

    memo._MEMO.clear()
    from citizen_desk.notify import gate

    judged: list[str] = []
    real = gate.pii_gate

    def recording(strings, *args, **kwargs):
        judged.extend(strings)
        return real(strings, *args, **kwargs)

    monkeypatch.setattr(gate, "pii_gate", recording)
    payloads = _sweep_both(factory, registry)
    assert any(e in p for e in excerpts for p in payloads)  # shown...
    assert not excerpts & set(judged)  # ...and not judged alone again


def test_an_excerpt_edited_in_the_table_is_judged_again_and_withheld(
    factory, synced_engine, registry
) -> None:
    from sqlalchemy import update

    from citizen_desk.db.models import AuditLog

    _world(factory)
    keep_excerpts(NOW, registry, synced_engine.url.render_as_string(hide_password=False))
    with factory() as session, session.begin():  # its verdict ("clean") left as it was
        session.execute(update(RedactedExcerpt).values(excerpt=f"gọi em số {CANARY_PHONE}"))
    memo._MEMO.clear()
    payloads = _sweep_both(factory, registry)
    assert payloads
    assert not any(CANARY_PHONE in p for p in payloads)
    with factory() as session:
        actions = set(session.scalars(select(AuditLog.action)))
    assert "notification_pii_withheld" in actions
