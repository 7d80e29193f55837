"""The excerpt memo: a board refreshed again does not redact the same excerpts again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from citizen_desk.privacy import redact
from citizen_desk.privacy.excerpt import excerpt

CALLS: list[str] = []


def counting_redactor(text: str, names: Sequence[str]) -> str:
    CALLS.append(text)
    return redact(text, names=tuple(names))


def _text() -> str:  # unique per test: the memo lives as long as the process
    return f"Tôi là Nguyễn Văn An, gọi 0912 345 678 giúp tôi (mã {uuid.uuid4().hex})"


def test_the_same_excerpt_is_redacted_once_and_stays_the_same() -> None:
    text = _text()
    CALLS.clear()
    first = excerpt(text, ("Nguyễn Văn An",), 60, redactor=counting_redactor)
    calls = len(CALLS)
    again = excerpt(text, ("Nguyễn Văn An",), 60, redactor=counting_redactor)
    assert again == first
    assert calls == 2  # both passes the first time...
    assert len(CALLS) == 2  # ...none the second
    assert "Nguyễn Văn An" not in first
    assert "345 678" not in first


def test_other_names_or_limit_are_redacted_afresh() -> None:
    text = _text()
    CALLS.clear()
    with_name = excerpt(text, ("Nguyễn Văn An",), 60, redactor=counting_redactor)
    excerpt(text, (), 60, redactor=counting_redactor)
    excerpt(text, ("Nguyễn Văn An",), 40, redactor=counting_redactor)
    assert len(CALLS) == 6
    assert "Nguyễn Văn An" not in with_name


def test_a_lambda_redactor_is_never_remembered() -> None:
    text = _text()
    seen: list[str] = []

    def local(value: str, names: Sequence[str]) -> str:
        seen.append(value)
        return value.upper()

    assert excerpt(text, (), 60, redactor=local) == excerpt(text, (), 60, redactor=local)
    assert len(seen) == 4
    assert excerpt(text, (), 60, redactor=lambda value, names: value) != excerpt(
        text, (), 60, redactor=local
    )
