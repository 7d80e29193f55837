"""`citizen_desk outbox`: list and retry from the command line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from citizen_desk.cli import main
from citizen_desk.db.models import Notification
from citizen_desk.notify import outbox
from tests.conftest import NOW


def test_outbox_cli_lists_without_text_and_retries(engine, registry, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        outbox.enqueue(
            session,
            key="cli-1",
            kind="test",
            recipient="C07NSDUTY01",
            text="Nội dung bí mật",
            now=NOW,
            registry=registry,
        )
        row = session.scalars(select(Notification)).one()
        row.status, row.last_error = "failed", "slack: not_in_channel"

    assert main(["outbox", "list", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "cli-1" in out
    assert "failed" in out
    assert "slack: not_in_channel" in out
    assert "bí mật" not in out

    assert main(["outbox", "retry", "--url", url]) == 2
    assert main(["outbox", "retry", "cli-1", "--url", url]) == 0
    with factory() as session:
        assert session.scalars(select(Notification)).one().status == "pending"
