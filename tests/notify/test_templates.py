"""The Slack templates' layout: each labelled line of an alert starts a line of its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from citizen_desk.notify.blocks import render_message

LABEL = re.compile(r"\*[^*\n]+:\*")  # "*Loại:*", "*Hạn trả lời:*"


@pytest.mark.parametrize("template", ["sla_warning", "sla_breach"])
@pytest.mark.parametrize("urgent", [False, True])
def test_every_label_of_an_sla_alert_starts_its_own_line(template: str, urgent: bool) -> None:
    message = render_message(
        template,
        case_ref="CD-000042",
        unit_name="Công an xã Hoằng Hóa",
        category_label="Hỏi thủ tục",
        urgent=urgent,
        turn_no=2,
        due_at=datetime(2026, 12, 7, 3, tzinfo=UTC),
        remaining=timedelta(minutes=20),
        overdue_by=timedelta(minutes=30),
        excerpt="cho em hỏi làm căn cước",
        case_url="http://localhost:8080/citizen-desk/cases/42",
    )
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    labels = [m for text in sections for m in LABEL.finditer(text)]
    assert len(labels) >= 3
    for text in sections:
        for label in LABEL.finditer(text):
            assert label.start() == 0 or text[label.start() - 1] == "\n", text
