"""Rendered texts for the crafted week, compared with golden files.

Regenerate after an intended template change:
    CITIZEN_DESK_REGEN_GOLDEN=1 PYTHONPATH=include .venv/bin/pytest tests/publication -k golden
then review the diff of tests/publication/golden/.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from citizen_desk.publication.gate import gate_findings
from citizen_desk.publication.report import render_report, report_context
from citizen_desk.publication.texts import (
    FACEBOOK_MAX_CHARS,
    ZALO_MAX_CHARS,
    has_marker,
    hashtag,
    post_context,
    render_post,
)
from tests.publication.conftest import REGISTRY_PROVINCE, Week
from tests.publication.seed import INFORMANT, OUTCOME, PERIOD, UNIT

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("CITIZEN_DESK_REGEN_GOLDEN") == "1"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden {name}: run with CITIZEN_DESK_REGEN_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file (regenerate if intended)"


@pytest.mark.parametrize(
    ("channel", "golden"),
    [
        ("fb-th-ns-ngathuy", "post_fb-th-ns-ngathuy.txt"),
        ("zalo-th-ns-ngathuy", "broadcast_zalo-th-ns-ngathuy.txt"),
        ("fb-th", "post_fb-th.txt"),
        ("fb-th-ss-bacson", "post_fb-th-ss-bacson.txt"),
    ],
)
def test_texts_match_golden_files(shared_week: Week, channel: str, golden: str) -> None:
    check_golden(golden, shared_week.publication(channel).text)


def test_report_matches_golden_file(shared_week: Week) -> None:
    path = Path(shared_week.rendered["report"])
    assert path == shared_week.report_dir / "2026-W47.html"
    check_golden("report_2026-W47.html", path.read_text(encoding="utf-8"))


def test_post_shows_the_week_and_hides_small_numbers(shared_week: Week) -> None:
    text = shared_week.publication("fb-th-ns-ngathuy").text
    assert "Tuần 47 (16/11–22/11/2026)" in text
    assert text.rstrip().endswith("#CongAnThanhHoa #CongAnXaNgaThuy #Tuan47_2026")
    assert has_marker(text, "#Tuan47_2026")
    assert "Tiếp nhận 14 tin nhắn, bình luận (tuần trước: 3)" in text
    # 2 tip *messages*: worded as messages, so the only tip count is the tips' (issue #19)
    assert "Tin nhắn báo tin về an ninh, trật tự: dưới 3" in text
    assert "– Tin báo về an ninh, trật tự:" not in text
    assert "– Khác: dưới 3" in text  # 1 abuse message, shown as "other"
    # on time over everything due in the week (Q5 unanswered and Q3 late count against it)
    assert (
        "Đã trả lời 6 câu hỏi của người dân; câu hỏi đến hạn trả lời trong tuần: "
        "4/6 đúng hạn (67%)." in text
    )
    assert "trong vòng 1 giờ, 90% trong vòng 7 giờ 54 phút" in text
    assert "tiếp nhận dưới 3 tin" in text
    assert OUTCOME in text
    # no count of 1 or 2: what is left is ≥ 3, 0, a date, a duration, a share or the hotline
    numbers = re.findall(r"(?<![\d/:#_])\b[12]\b(?![\d/:%]| giờ| phút)", text.split("#")[0])
    assert numbers == ["2"], numbers  # only "2 đối tượng" inside the officer's outcome sentence
    assert len(text) < FACEBOOK_MAX_CHARS
    assert shared_week.publication("fb-th").text.count("dưới 3") == 2  # total and the category


def test_consecutive_weeks_never_repeat(shared_week: Week) -> None:
    report = shared_week.results.unit(UNIT)
    this_week = render_post(
        post_context(report, PERIOD, min_count=3, province_name=REGISTRY_PROVINCE, outcomes=[])
    )
    next_week = render_post(
        post_context(
            report, PERIOD.previous(), min_count=3, province_name=REGISTRY_PROVINCE, outcomes=[]
        )
    )
    assert this_week != next_week
    assert "#Tuan46_2026" in next_week


def test_texts_pass_the_gate_and_fit_the_platforms(shared_week: Week) -> None:
    for key in ("fb-th-ns-ngathuy", "fb-th", "fb-th-ss-bacson", "zalo-th-ns-ngathuy"):
        text = shared_week.publication(key).text
        assert gate_findings(text, [INFORMANT], key) == []
        assert has_marker(text, PERIOD.tag)
    assert len(shared_week.publication("zalo-th-ns-ngathuy").text) < ZALO_MAX_CHARS


def test_long_outcome_lists_are_cut_to_fit(shared_week: Week) -> None:
    report = shared_week.results.unit(UNIT)
    sentence = "Đã phối hợp xác minh, làm rõ vụ việc và xử lý theo quy định của pháp luật. " * 4
    context = post_context(
        report, PERIOD, min_count=3, province_name=REGISTRY_PROVINCE, outcomes=[sentence] * 30
    )
    text = render_post(context)
    assert len(text) < FACEBOOK_MAX_CHARS
    assert 0 < text.count("Đã phối hợp xác minh") // 4 <= 10


def test_hashtags() -> None:
    assert hashtag("Công an tỉnh Thanh Hóa", drop_kind=True) == "#CongAnThanhHoa"
    assert hashtag("Công an phường Quảng Tiến") == "#CongAnPhuongQuangTien"
    assert hashtag("Công an thị trấn Nga Sơn", drop_kind=True) == "#CongAnNgaSon"


def test_report_escapes_html(shared_week: Week) -> None:
    unit = shared_week.results.unit(UNIT)
    results = replace(
        shared_week.results, units=(replace(unit, unit_name="<script>alert(1)</script>"),)
    )
    html = render_report(
        report_context(
            results,
            outcomes={unit.current.outcome_tip_ids[0]: "a <b>bold</b> & claim"},
            channels_by_unit={},
            generated_at=datetime(2026, 11, 23, 3, tzinfo=UTC),
        )
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; claim" in html
    assert html.count("<svg") >= 2


def test_report_has_exact_figures_and_charts(shared_week: Week) -> None:
    html = Path(shared_week.rendered["report"]).read_text(encoding="utf-8")
    assert "Toàn tỉnh" in html
    assert html.count('<section id="unit-') == 1 + len(shared_week.results.units)
    assert '<td>Tin báo xác minh có cơ sở</td><td class="n">1</td>' in html  # exact, not "dưới 3"
    assert "16580 lượt hiển thị" in html
    assert "Không lấy được số liệu trang" in html
    assert INFORMANT not in html


def test_golden_post_on_every_backend(week: Week) -> None:
    """The same text from SQLite and PostgreSQL (the query layer is backend-neutral)."""
    check_golden("post_fb-th-ns-ngathuy.txt", week.publication("fb-th-ns-ngathuy").text)
