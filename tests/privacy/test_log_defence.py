from __future__ import annotations

import logging

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError

from citizen_desk.db.engine import get_engine
from citizen_desk.privacy import PiiLogFilter, install_log_filter

PHONE = "0912345678"


def test_engine_hides_bound_values_in_exceptions(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'hide.db'}")
    table = Table(
        "informant", MetaData(), Column("id", Integer, primary_key=True), Column("p", String)
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, p=PHONE))
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(insert(table).values(id=1, p=PHONE))
    assert "hidden due to hide_parameters" in str(caught.value)
    assert PHONE not in str(caught.value)
    assert "INSERT INTO informant" in str(caught.value)  # the statement itself is still there


def _record(msg: str, args: object = None, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("citizen_desk.x", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_filter_masks_message_and_args() -> None:
    record = _record("tip from %s (%s) at %d", ("0912 345 678", "a@b.vn", 3))
    assert PiiLogFilter().filter(record) is True
    assert record.getMessage() == "tip from [SĐT] ([EMAIL]) at 3"
    record = _record("payload %(p)s", ({"p": "cccd 038095001234"},))
    PiiLogFilter().filter(record)
    assert record.getMessage() == "payload cccd [CCCD]"


def test_filter_masks_tracebacks_and_keeps_clean_records() -> None:
    try:
        raise ValueError("bad phone +84 912 345 678")
    except ValueError:
        import sys

        record = _record("failed", exc_info=sys.exc_info())
    PiiLogFilter().filter(record)
    assert "912 345 678" not in record.exc_text
    assert "[SĐT]" in record.exc_text
    clean = _record("case %s escalated after %d h", ("TB-2026-0042", 4))
    PiiLogFilter().filter(clean)
    assert clean.getMessage() == "case TB-2026-0042 escalated after 4 h"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_install_log_filter_covers_propagated_records() -> None:
    root = logging.getLogger()
    package = logging.getLogger("citizen_desk")
    child = logging.getLogger("citizen_desk.tips.workflow")
    handler = _Collect()
    saved = (
        [(h, list(h.filters)) for h in root.handlers],
        list(package.filters),
        package.level,
        package.propagate,
        child.propagate,
        child.disabled,
    )
    root.addHandler(handler)
    # every task's run_context installs the filter too: start from a package logger without it
    package.filters[:] = [f for f in package.filters if not isinstance(f, PiiLogFilter)]
    package.setLevel(logging.INFO)
    package.propagate = child.propagate = True
    child.disabled = False
    try:
        assert install_log_filter() >= 2  # the package logger and our root handler
        assert install_log_filter() == 0  # idempotent
        child.info("informant %s", PHONE)
        package.warning("direct %s", "a@b.vn")
        assert handler.lines == ["informant [SĐT]", "direct [EMAIL]"]
    finally:
        root.removeHandler(handler)
        for h, filters in saved[0]:
            h.filters[:] = filters
        package.filters[:] = saved[1]
        package.setLevel(saved[2])
        package.propagate, child.propagate, child.disabled = saved[3], saved[4], saved[5]
