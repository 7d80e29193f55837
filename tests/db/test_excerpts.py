"""Redacted excerpts kept in the domain DB (`citizen_desk.db.excerpts`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from citizen_desk.db import excerpts as store
from citizen_desk.db.models import RedactedExcerpt
from citizen_desk.privacy import excerpt as memo
from citizen_desk.privacy import redact

NOW = datetime(2026, 12, 7, 3, tzinfo=UTC)
TEXT = "Em là Nguyễn Thị Lan, số 0912 345 678, nhà em bị mất trộm xe máy đêm qua"
CALLS: list[str] = []


def counting_redactor(text: str, names: Sequence[str]) -> str:
    CALLS.append(text)
    return redact(text, tuple(names))


@pytest.fixture(autouse=True)
def fresh_process() -> Iterator[None]:
    """Each test starts as a new process would: nothing remembered, no call counted."""
    memo._MEMO.clear()
    CALLS.clear()
    yield
    memo._MEMO.clear()


def _kept(session) -> int:
    return session.scalar(select(func.count()).select_from(RedactedExcerpt)) or 0


def test_an_excerpt_made_once_is_read_back_by_another_process(session) -> None:
    [first] = store.excerpts(session, [(TEXT, ["Nguyễn Thị Lan"])], 200, counting_redactor, now=NOW)
    session.commit()
    assert "0912" not in first
    assert "Lan" not in first
    assert "[SĐT]" in first
    assert CALLS
    assert _kept(session) == 1

    memo._MEMO.clear()  # another process
    CALLS.clear()
    again = store.excerpts(session, [(TEXT, ["Nguyễn Thị Lan"])], 200, counting_redactor, now=NOW)
    assert again == [first]
    assert CALLS == []  # read, not redacted again
    assert _kept(session) == 1  # and not kept twice


def test_the_key_holds_no_text_or_identity(session) -> None:
    store.excerpts(session, [(TEXT, ["Nguyễn Thị Lan"])], 200, counting_redactor, now=NOW)
    row = session.scalars(select(RedactedExcerpt)).one()
    assert len(row.digest) == 32
    assert "0912" not in row.excerpt
    assert "Lan" not in row.excerpt
    assert row.engine == memo.engine_fingerprint()


def test_without_now_nothing_is_kept(session) -> None:
    store.excerpts(session, [(TEXT, [])], 200, counting_redactor)
    assert _kept(session) == 0


def test_a_redactor_that_may_differ_between_calls_is_never_kept(session) -> None:
    shown = store.excerpts(session, [(TEXT, [])], 200, lambda t, n: redact(t, tuple(n)), now=NOW)
    assert "0912" not in shown[0]
    assert _kept(session) == 0


def test_other_names_or_length_are_other_excerpts(session) -> None:
    store.excerpts(
        session,
        [(TEXT, []), (TEXT, ["Nguyễn Thị Lan"]), (TEXT, [])],  # the same request twice: one row
        200,
        counting_redactor,
        now=NOW,
    )
    store.excerpts(session, [(TEXT, [])], 80, counting_redactor, now=NOW)
    assert _kept(session) == 3


def test_empty_texts_have_empty_excerpts(session) -> None:
    assert store.excerpts(session, [("", ["X"])], 200, counting_redactor, now=NOW) == [""]
    assert _kept(session) == 0


def test_a_new_engine_misses_the_old_rows_and_drops_them(session, monkeypatch) -> None:
    store.excerpts(session, [(TEXT, [])], 200, counting_redactor, now=NOW)
    session.commit()
    monkeypatch.setattr(memo, "engine_fingerprint", lambda: "another-engine")
    memo._MEMO.clear()
    CALLS.clear()
    store.excerpts(session, [(TEXT, [])], 200, counting_redactor, now=NOW)
    assert CALLS  # made again under the new engine
    assert store.forget_stale(session) == 1
    assert _kept(session) == 1


def test_the_fingerprint_is_short_and_stable_within_a_process() -> None:
    fingerprint = memo.engine_fingerprint()
    assert len(fingerprint) == 16
    assert fingerprint == memo.engine_fingerprint()


# --- the gate's verdict kept beside the excerpt --------------------------------------------------

NAMES = ("Nguyễn Thị Lan",)


def _judged(session) -> tuple[str, memo.Verdict | None]:
    [found] = store.judged_excerpts(session, [(TEXT, NAMES)], 200, counting_redactor, now=NOW)
    return found


def test_a_kept_excerpt_carries_the_gate_s_verdict_sealed_to_it(session) -> None:
    shown, verdict = _judged(session)
    session.commit()
    assert verdict is not None
    assert verdict.holds_for(shown, NAMES)
    assert verdict.kinds == frozenset()  # redacted: the gate finds nothing in it
    row = session.scalars(select(RedactedExcerpt)).one()
    assert (row.verdict, row.seal) == ("", verdict.seal())

    memo._MEMO.clear()  # another process reads it back, verdict and all
    CALLS.clear()
    again, kept = _judged(session)
    assert (again, kept) == (shown, verdict)
    assert CALLS == []


def test_an_excerpt_changed_since_it_was_judged_loses_its_verdict(session) -> None:
    _judged(session)
    row = session.scalars(select(RedactedExcerpt)).one()
    row.excerpt = "gọi em số 0912 345 678"  # edited in the table, the verdict left as it was
    session.commit()
    memo._MEMO.clear()
    again, verdict = _judged(session)
    assert again == "gọi em số 0912 345 678"  # what the row says is what would be shown...
    assert verdict is None  # ...and the gate judges it again


def test_a_verdict_changed_since_it_was_sealed_is_not_trusted(session) -> None:
    _judged(session)
    row = session.scalars(select(RedactedExcerpt)).one()
    row.verdict = "phone"
    session.commit()
    memo._MEMO.clear()
    assert _judged(session)[1] is None


def test_a_verdict_read_with_other_names_is_not_trusted(session) -> None:
    shown, verdict = _judged(session)
    assert verdict is not None
    row = session.scalars(select(RedactedExcerpt)).one()
    assert memo.kept_verdict(shown, ("Someone Else",), row.verdict, row.seal) is None
    assert not verdict.holds_for(shown, ("Someone Else",))


def test_a_verdict_of_another_engine_is_not_trusted(session, monkeypatch) -> None:
    shown, verdict = _judged(session)
    assert verdict is not None
    row = session.scalars(select(RedactedExcerpt)).one()
    monkeypatch.setattr(memo, "engine_fingerprint", lambda: "another-engine")
    assert memo.kept_verdict(shown, NAMES, row.verdict, row.seal) is None
    assert not verdict.holds_for(shown, NAMES)


def test_a_row_kept_before_verdicts_has_none(session) -> None:
    _judged(session)
    row = session.scalars(select(RedactedExcerpt)).one()
    row.verdict, row.seal = None, None
    session.commit()
    memo._MEMO.clear()
    assert _judged(session)[1] is None


def test_an_excerpt_still_holding_personal_data_is_kept_with_its_kinds(session) -> None:
    # a redactor that leaves the phone (not the engine's): the verdict says so
    [(shown, verdict)] = store.judged_excerpts(session, [(TEXT, ())], 200, leaky_redactor, now=NOW)
    assert "0912" in shown
    assert verdict is not None
    assert "phone" in verdict.kinds
    assert session.scalars(select(RedactedExcerpt.verdict)).one() == ",".join(sorted(verdict.kinds))


def leaky_redactor(text: str, names: Sequence[str]) -> str:
    return text
