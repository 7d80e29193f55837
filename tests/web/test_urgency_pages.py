"""Every urgent call carries its explanation on the pages: the case page, the tip page, the tips
board and the SLA board show why the triage called a case urgent (its cues), redacted like the
messages, for a tip and for a case of any other category."""

from __future__ import annotations

import html

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citizen_desk.db.models import Case
from tests.web.seed import CANARY_NAME, TIP_NAME, Seeded

WHY = "Khẩn vì"


def _mark(engine: Engine, case_id: int, *, category: str | None, cues: list[str]) -> None:
    with Session(engine) as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        case.urgent, case.urgency_cues = True, cues
        if category:
            case.category = category


def test_a_missing_child_filed_as_lost_found_is_urgent_with_its_cues(
    officer, seeded: Seeded, synced_engine: Engine
) -> None:
    # the "breach" case is the canary citizen's: a cue that a pattern stretched over her name
    # must be masked like her message
    case_id = seeded.cases["breach"]
    cues = ["đi lạc", "đến giờ", f"{CANARY_NAME} mất tích"]
    _mark(synced_engine, case_id, category="lost_found", cues=cues)

    page = html.unescape(officer.get(f"/cases/{case_id}").text)
    assert "khẩn</span>" in page
    assert WHY in page
    assert "<li>đi lạc</li>" in page
    assert "<li>đến giờ</li>" in page
    assert CANARY_NAME not in page  # redacted in the cue as in the message

    board = html.unescape(officer.get("/sla").text)
    assert "vì: đi lạc; đến giờ;" in board
    assert 'title="Khẩn vì: đi lạc; đến giờ;' in board
    assert CANARY_NAME not in board


def test_an_urgent_tip_shows_why_on_the_tip_page_and_board(
    officer, seeded: Seeded, synced_engine: Engine
) -> None:
    _mark(synced_engine, seeded.cases["ss_tip"], category=None, cues=["đuổi đánh", "cứu em"])
    page = html.unescape(officer.get(f"/tips/{seeded.tips['ss']}").text)
    assert WHY in page
    assert "<li>đuổi đánh</li>" in page
    board = html.unescape(officer.get("/tips").text)
    assert "vì: đuổi đánh; cứu em" in board
    assert TIP_NAME not in board


def test_an_urgent_case_without_recorded_cues_says_so_and_a_calm_one_says_nothing(
    officer, seeded: Seeded, synced_engine: Engine
) -> None:
    _mark(synced_engine, seeded.cases["warning"], category=None, cues=[])
    page = html.unescape(officer.get(f"/cases/{seeded.cases['warning']}").text)
    assert WHY in page
    assert "Không có giải thích tự động" in page
    calm = html.unescape(officer.get(f"/cases/{seeded.cases['ok']}").text)
    assert WHY not in calm
    assert "khẩn</span>" not in calm


def test_a_tip_that_turned_urgent_later_says_since_when(
    officer, seeded: Seeded, synced_engine: Engine
) -> None:
    from datetime import timedelta

    from citizen_desk.db.models import Tip

    with Session(synced_engine) as session, session.begin():
        tip = session.get(Tip, seeded.tips["ss"])
        assert tip is not None
        tip.urgent, tip.urgent_since = True, tip.received_at + timedelta(days=4)
    page = html.unescape(officer.get(f"/tips/{seeded.tips['ss']}").text)
    assert "Khẩn từ" in page
    assert "lãnh đạo được báo từ lúc này" in page
    with Session(synced_engine) as session, session.begin():
        tip = session.get(Tip, seeded.tips["ss"])
        assert tip is not None
        tip.urgent_since = tip.received_at  # urgent when it came in: nothing to add
    assert "Khẩn từ" not in officer.get(f"/tips/{seeded.tips['ss']}").text
