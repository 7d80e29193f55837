"""The store writes a batch in a few set-based statements (issue #21): their number does not grow
with the batch, each citizen message is triaged once (each distinct text of a batch once), and
the turn writes (insert, update, delete) keep the derivation's result. Counts only: timings
belong to `make bench`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, select
from sqlalchemy.orm import Session

import citizen_desk.db.bulk as bulk
import citizen_desk.triage as triage_package
from citizen_desk.collect.cases import recompute_cases
from citizen_desk.collect.channels import ChannelRef, channel_ref
from citizen_desk.db.models import Case, Message, Tip
from citizen_desk.triage.classify import case_of, classify, classify_case
from tests.collect.test_store import QUESTION, TIP, URGENT_TIP, at, msg, snapshot, store


@pytest.fixture
def channel(synced_engine: Engine) -> ChannelRef:
    with Session(synced_engine) as session:
        return channel_ref(session, "fb-th-ns-ttns")


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile (an executemany counts once)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def threads(count: int, start: int = 0) -> list[Any]:
    """`count` threads of a question, the page's answer and a tip (3 messages each)."""
    items = []
    for n in range(start, start + count):
        thread = f"t_{n}"
        items += [
            msg(f"{thread}_a", n, thread=thread),
            msg(f"{thread}_b", n + 0.5, "out", thread=thread),
            msg(f"{thread}_c", n + 0.7, thread=thread, text=URGENT_TIP if n % 3 else TIP),
        ]
    return items


@pytest.mark.parametrize("copy_from", [0, 10**9], ids=["copy", "values"])
def test_a_batch_costs_the_same_statements_whatever_its_size(
    synced_engine, channel, monkeypatch, copy_from
) -> None:
    # PostgreSQL COPYs many rows (the COPY, which creates its staging table, is not among the
    # statements counted here; the INSERT that empties it is); each path on its own costs the
    # same statements for 5 threads and for 60
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_from)
    with statements(synced_engine) as small:
        first = store(synced_engine, channel, threads(5))
    with statements(synced_engine) as large:
        second = store(synced_engine, channel, threads(60, start=100), run_id="run-2")
    assert (first.messages_added, second.messages_added) == (15, 180)
    assert (first.tips_added, second.tips_added) == (5, 60)
    assert len(large) == len(small)  # no statement per message, case, turn or tip
    assert len(large) <= 20
    with statements(synced_engine) as again:
        rerun = store(synced_engine, channel, threads(60, start=100), run_id="run-3")
    assert rerun.messages_added == rerun.cases_updated == 0
    assert len(again) <= 2  # the watermark and the known ids: nothing new, nothing written
    with Session(synced_engine) as session:
        assert session.scalar(select(Message.id).where(Message.case_id.is_(None))) is None
        cases = {c.thread_key: c for c in session.scalars(select(Case))}
        assert len(cases) == 65
        for message in session.scalars(select(Message)):
            assert message.case_id == cases[message.thread_key].id
        assert len(session.scalars(select(Tip)).all()) == 65


def test_each_citizen_message_is_triaged_once(synced_engine, channel, monkeypatch) -> None:
    calls: list[str] = []

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(text)
        return classify(text, *args, **kwargs)

    monkeypatch.setattr(triage_package, "classify", counting)
    store(synced_engine, channel, threads(4))
    # 2 citizen messages in each of 4 threads, page replies not at all; each distinct text once
    assert sorted(calls) == sorted({QUESTION, TIP, URGENT_TIP})
    calls.clear()
    store(synced_engine, channel, [msg("t_0_d", 30, thread="t_0")], run_id="run-2")
    assert len(calls) == 3  # the new message once, the thread's stored ones for its case


def test_case_of_is_classify_case_from_the_messages_triage() -> None:
    threads_texts = [[QUESTION], [QUESTION, TIP], [TIP, URGENT_TIP, "cảm ơn ạ"], ["ok"], []]
    for texts in threads_texts:
        assert case_of([classify(t) for t in texts]) == classify_case(texts)


def test_turns_are_updated_and_deleted_as_the_thread_is(synced_engine, channel) -> None:
    store(synced_engine, channel, [msg("m1", 0), msg("m3", 60)])
    assert snapshot(synced_engine)["turns"] == [("t_1", 1, at(0), None)]
    store(synced_engine, channel, [msg("m2", 30, "out")], run_id="run-2")  # answers turn 1
    assert snapshot(synced_engine)["turns"] == [("t_1", 1, at(0), at(30)), ("t_1", 2, at(60), None)]
    with Session(synced_engine) as session:  # history rewritten: the answer is gone
        session.execute(delete(Message).where(Message.platform_message_id == "m2"))
        recompute_cases(session, channel, ["t_1"], now=at(700), actor="test")
        session.commit()
    assert snapshot(synced_engine)["turns"] == [("t_1", 1, at(0), None)]
    assert snapshot(synced_engine)["cases"]["t_1"][:2] == ("open", 1)


@pytest.mark.parametrize("rows", [0, 1])
def test_recompute_of_nothing_writes_nothing(synced_engine, channel, rows) -> None:
    if rows:
        store(synced_engine, channel, [msg("m2", 30, "out")])  # a page message: no case
    with Session(synced_engine) as session, statements(synced_engine) as sent:
        changes = recompute_cases(session, channel, ["t_1"] * rows, now=at(700), actor="test")
        session.commit()
    assert (changes.added, changes.updated, changes.tips_added) == (0, 0, 0)
    assert not [s for s in sent if not s.lstrip().upper().startswith("SELECT")]


def test_new_messages_are_inserted_with_their_case_and_old_ones_linked(
    synced_engine, channel
) -> None:
    """A new thread's messages get their case id as they are inserted (no UPDATE of them); a page
    message stored before its thread had a citizen message is linked once the case exists."""
    with statements(synced_engine) as sent:
        store(synced_engine, channel, threads(3))
    assert not [s for s in sent if s.lstrip().upper().startswith("UPDATE MESSAGES")]
    store(synced_engine, channel, [msg("p1", 0, "out", thread="t_late")], run_id="run-2")
    store(synced_engine, channel, [msg("c1", 5, thread="t_late")], run_id="run-3")
    with Session(synced_engine) as session:
        case_id = session.scalar(select(Case.id).where(Case.thread_key == "t_late"))
        linked = session.execute(
            select(Message.platform_message_id, Message.case_id).where(
                Message.thread_key == "t_late"
            )
        ).all()
    assert case_id is not None
    assert sorted(linked) == [("c1", case_id), ("p1", case_id)]


def test_a_key_taken_meanwhile_is_not_derived_twice(synced_engine, channel, monkeypatch) -> None:
    """A message another writer stored (here: under another thread) after the first check for
    known ids is seen again under the channel's lock: not inserted, not derived into this batch's
    case; if even that were missed (a writer without the lock), the insert skips it and its thread
    is derived again from what is stored."""
    import citizen_desk.collect.store as store_module

    store(synced_engine, channel, [msg("taken", 0, text=TIP, thread="t_other")])
    checks: list[int] = []
    known = store_module.existing_ids

    def racing(*args: Any) -> set[str]:
        checks.append(1)
        return set() if len(checks) == 1 else known(*args)  # stored between the two checks

    monkeypatch.setattr(store_module, "existing_ids", racing)
    batch = [msg("q1", 1, thread="t_new"), msg("taken", 2, text=TIP, thread="t_new")]
    result = store(synced_engine, channel, batch, run_id="run-2")
    assert (result.messages_added, result.citizen_messages_added, len(checks)) == (1, 1, 2)
    with Session(synced_engine) as session:
        case = session.scalars(select(Case).where(Case.thread_key == "t_new")).one()
        assert (case.category, case.turn_no, case.opened_at) == ("question", 1, at(1))
        assert session.scalar(select(Tip.id).where(Tip.case_id == case.id)) is None
    monkeypatch.setattr(store_module, "existing_ids", lambda *_args: set())  # never seen
    batch = [msg("q2", 3, thread="t_third"), msg("taken", 2, text=TIP, thread="t_third")]
    result = store(synced_engine, channel, batch, run_id="run-3")
    assert (result.messages_added, result.citizen_messages_added) == (1, 1)
    turns = snapshot(synced_engine)["turns"]
    assert turns == [("t_new", 1, at(1), None), ("t_other", 1, at(0), None),
                     ("t_third", 1, at(3), None)]  # fmt: skip
    assert snapshot(synced_engine)["cases"]["t_third"][2] == "question"


@pytest.mark.parametrize("copy_from", [0, 10**9], ids=["copy", "values"])
def test_citizens_are_upserted_alike_by_copy_and_by_values(
    synced_engine, channel, monkeypatch, copy_from
) -> None:
    # every citizen's id comes back; a later batch keeps the earliest first-seen time and the
    # latest name, and a message without a name keeps the stored one
    from dataclasses import replace

    from citizen_desk.collect.store import _upsert_citizens
    from citizen_desk.db.models import Citizen

    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_from)

    def person(user: str, minutes: float, name: str | None) -> Any:
        return replace(msg(f"m_{user}_{minutes}", minutes), citizen_user_id=user, citizen_name=name)

    with Session(synced_engine) as session:
        first = _upsert_citizens(
            session, channel.id, [person("u1", 5, "An"), person("u2", 5, "Bình")]
        )
        later = [person("u1", 1, None), person("u2", 9, "Chi"), person("u3", 2, None)]
        second = _upsert_citizens(session, channel.id, later)
        session.commit()
        stored = {c.platform_user_id: c for c in session.scalars(select(Citizen))}
    assert set(first) == {"u1", "u2"}
    assert set(second) == {"u1", "u2", "u3"}
    assert {user: stored[user].id for user in second} == second
    assert (first["u1"], first["u2"]) == (second["u1"], second["u2"])
    assert stored["u1"].protected_display_name == "An"
    assert stored["u2"].protected_display_name == "Chi"
    assert stored["u3"].protected_display_name is None
    assert (stored["u1"].first_seen_at, stored["u2"].first_seen_at) == (at(1), at(5))
