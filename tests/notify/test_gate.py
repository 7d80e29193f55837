"""The gate over a message that shows free text: the text judged alone, our wording apart, and
what straddles the seams between them."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from citizen_desk.notify.blocks import render_message
from citizen_desk.notify.gate import FIELD_MARK, gate_kinds
from citizen_desk.notify.outbox import FreeText, _pii_findings
from citizen_desk.privacy import contains_pii
from tests.notify.helpers import CASE_URL, SLA_BREACH


def _breach(excerpt: str) -> tuple[dict, FreeText]:
    context = {**SLA_BREACH, "case_url": CASE_URL}
    message = render_message("sla_breach", excerpt=excerpt, **context)
    free_text = FreeText(
        fields={"excerpt": excerpt},
        render=lambda values: partial(render_message, "sla_breach", **context)(**values),
        case_ref="CD-000007",
        case_url=CASE_URL,
    )
    return {"text": message.text, "blocks": message.blocks}, free_text


def test_an_excerpt_without_diacritics_is_judged_as_written_not_against_our_wording() -> None:
    excerpt = "cuu voi co nguoi dang bi danh hoi dong truoc quan bia o duong Tran Phu"
    assert contains_pii(excerpt) == []  # what redact decided, on the citizen's text
    payload, free_text = _breach(excerpt)
    assert _pii_findings(payload, (), "k", (CASE_URL,), None, free_text) == []


def test_personal_data_in_the_excerpt_is_still_found() -> None:
    payload, free_text = _breach("goi cho em so 0912 345 678 nhe")
    assert _pii_findings(payload, (), "k", (CASE_URL,), None, free_text) == ["phone"]


def test_the_case_s_own_name_in_the_excerpt_is_found() -> None:
    payload, free_text = _breach("chuyen cua chi Thu Trang o xom tren")
    kinds = _pii_findings(payload, ("Thu Trang",), "k", (CASE_URL,), None, free_text)
    assert kinds == ["name"]


def test_our_wording_is_still_checked() -> None:
    kinds = gate_kinds(["Liên hệ 0912 345 678: […] và " + "nội dung"], ["nội dung"], (), "t")
    assert kinds == {"phone"}


def test_a_field_found_nowhere_leaves_the_string_checked_whole() -> None:
    assert gate_kinds(["gọi 0912 345 678"], ["không có ở đây"], (), "t") == {"phone"}


PHONES = st.sampled_from(["0912 345 678", "0912.345.678", "+84 912 345 678", "0912345678"])


@settings(max_examples=150, deadline=None)
@given(
    phone=PHONES,
    cut=st.integers(min_value=1, max_value=11),
    before=st.sampled_from(["Gọi ", "SĐT: ", ""]),
)
@example(phone="0912 345 678", cut=5, before="Gọi ")
def test_a_number_split_between_our_wording_and_the_field_is_found(
    phone: str, cut: int, before: str
) -> None:
    cut = min(cut, len(phone) - 1)
    ours, theirs = before + phone[:cut], phone[cut:] + " nhé"
    assert contains_pii(ours + theirs)  # whole, it is a phone number
    assert gate_kinds([ours + theirs], [theirs], (), "t"), (ours, theirs)


def test_the_mark_itself_is_clean() -> None:
    assert contains_pii(f"*Tin nhắn gần nhất* (đã che thông tin cá nhân):\n> {FIELD_MARK}") == []


def test_a_message_judged_once_per_batch_memo_keeps_its_verdict() -> None:
    memo: dict = {}
    strings, fields = ["Gọi 0912 " + "345 678 nhé"], ["345 678 nhé"]
    first = gate_kinds(strings, fields, (), "t", memo)
    assert first == gate_kinds(strings, fields, (), "t", memo) == {"phone"}
    assert gate_kinds(strings, fields, (), "t", None) == first


def test_a_value_of_ours_is_judged_alone_too() -> None:
    unit = "Công an xã Nga Thủy, trực ban 0912 345 678"
    assert gate_kinds([f"*Đơn vị:* {unit}"], [], (), "t", ours=[unit]) == {"phone"}


def test_our_wording_is_judged_once_whatever_the_case() -> None:
    memo: dict = {}
    for ref in ("CD-000101", "CD-000102", "CD-000103"):
        header = f"🔴 Quá hạn trả lời {ref}"
        assert gate_kinds([header, "> cho hỏi"], ["cho hỏi"], (), "t", memo, ours=[ref]) == set()
    skeletons = [key for key, _ in memo if key.startswith("🔴")]
    assert skeletons == [f"🔴 Quá hạn trả lời {FIELD_MARK}"]


NAMES = st.sampled_from(["Nguyễn Văn Tuấn", "Trần Thị Mai", "Lê Hoàng Nam", "Phạm Thu Hà"])


@settings(max_examples=60, deadline=None)
@given(name=NAMES, cut=st.integers(min_value=1, max_value=2), as_ours=st.booleans())
def test_a_name_split_between_our_wording_and_a_part_is_found(
    name: str, cut: int, as_ours: bool
) -> None:
    words = name.split()
    ours, theirs = "Người báo tin: " + " ".join(words[:cut]), " ".join(words[cut:]) + " ở xóm 3"
    whole = f"{ours} {theirs}"
    assert contains_pii(whole)  # whole, it is a name
    fields, values = ([], [theirs]) if as_ours else ([theirs], [])
    assert gate_kinds([whole], fields, (), "t", ours=values), (ours, theirs)


@pytest.mark.parametrize("ours", ["345 678", "345.678", "345678"])
def test_digits_of_our_wording_running_on_into_a_value_of_ours_are_found(ours: str) -> None:
    whole = f"Trực ban: 0912 {ours}"
    assert contains_pii(whole)
    assert gate_kinds([whole], [], (), "t", ours=[ours]) == {"phone"}


def test_a_citizen_s_text_also_passed_as_ours_is_still_judged_as_the_citizen_s() -> None:
    excerpt = "chi mai bi trom xe o cho"  # a lower-case name: only a citizen's seam looks for it
    ours_too = gate_kinds([f"> Người báo: {excerpt}"], [excerpt], (), "t", ours=[excerpt])
    assert ours_too == gate_kinds([f"> Người báo: {excerpt}"], [excerpt], (), "t")
