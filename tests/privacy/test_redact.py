from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import PiiFinding, contains_pii, pii_gate, redact
from citizen_desk.privacy.identifiers import detect_kinds
from citizen_desk.privacy.redact import PLACEHOLDERS

# (text, expected redaction)
MASKED = [
    # phones
    ("gọi 0912345678 nhé", "gọi [SĐT] nhé"),
    ("sđt 0912 345 678", "sđt [SĐT]"),
    ("0912.345.678", "[SĐT]"),
    ("0912-345-678", "[SĐT]"),
    ("+84 912 345 678", "[SĐT]"),
    ("(+84) 912 345 678", "[SĐT]"),
    ("84912345678", "[SĐT]"),
    ("+84912345678", "[SĐT]"),
    ("zalo:0388123456", "zalo:[SĐT]"),
    ("số cũ 01662345678", "số cũ [SĐT]"),
    ("bàn 0237.3861.234", "bàn [SĐT]"),
    ("02373861234", "[SĐT]"),
    ("(0237) 3861234", "[SĐT]"),
    ("024 3826 1234", "[SĐT]"),
    # citizen id (12 digits) and old id card (9 digits)
    ("cccd 038095001234", "cccd [CCCD]"),
    ("số 038 095 001 234", "số [CCCD]"),
    ("CCCD: 0380 9500 1234", "CCCD: [CCCD]"),
    ("định danh 038095001234.", "định danh [CCCD]."),
    ("cmnd 173456789", "cmnd [CMND]"),
    ("CMND: 173 456 789", "CMND: [CMND]"),
    ("cmt số 173.456.789", "cmt số [CMND]"),
    # licence plates
    ("xe 36A-123.45 chạy", "xe [BIỂN SỐ] chạy"),
    ("36B1-234.56", "[BIỂN SỐ]"),
    ("36-B5 678.90", "[BIỂN SỐ]"),
    ("36A 123.45", "[BIỂN SỐ]"),
    ("36A12345", "[BIỂN SỐ]"),
    ("29LD-123.45", "[BIỂN SỐ]"),
    ("biển 36K1 234.56", "biển [BIỂN SỐ]"),
    ("xe 36a12345", "xe [BIỂN SỐ]"),
    ("36A-1234 (biển cũ)", "[BIỂN SỐ] (biển cũ)"),
    ("tàu TH-90123-TS", "tàu [BIỂN SỐ]"),
    # e-mail
    ("mail nguyen.van.an@gmail.com nhé", "mail [EMAIL] nhé"),
    ("An_Nguyen+1@yahoo.com.vn", "[EMAIL]"),
    # bank accounts: 8-16 digits next to account words
    ("stk 123456789012", "stk [STK]"),
    ("số tài khoản 0123 4567 8910", "số tài khoản [STK]"),
    ("tk: 19034567890123 techcombank", "tk: [STK] techcombank"),
    ("chuyển khoản vào 0123456789 ngân hàng MB", "chuyển khoản vào [STK] ngân hàng MB"),
    ("Vietcombank 0011004567890", "Vietcombank [STK]"),
    ("momo 0912345678", "momo [STK]"),
    ("0011004567890 vietcombank", "[STK] vietcombank"),
    # links, Facebook / Zalo profiles
    ("xem https://example.vn/a?b=1, nhé", "xem [LIÊN KẾT], nhé"),
    ("http://bit.ly/abc", "[LIÊN KẾT]"),
    ("www.abc.com", "[LIÊN KẾT]"),
    ("facebook.com/nguyen.van.an", "[LIÊN KẾT]"),
    ("fb.com/profile.php?id=1000123456789", "[LIÊN KẾT]"),
    ("m.facebook.com/abc.def", "[LIÊN KẾT]"),
    ("zalo.me/0912345678.", "[LIÊN KẾT]."),
    ("t.me/taikhoanvip", "[LIÊN KẾT]"),
    ("vào csgt-vn.top để nộp", "vào [LIÊN KẾT] để nộp"),
]

# ordinary numbers that must come out untouched
UNTOUCHED = [
    "500k",
    "2 triệu",
    "1.500.000đ",
    "3tr",
    "15.000.000 đồng",
    "100000000đ",
    "chuyển khoản 15.000.000đ",
    "12/11/2026",
    "12-11",
    "14h30",
    "7:30",
    "25 tuổi",
    "năm 2026",
    "2 chỉ vàng",
    "3 người, 10 ngày, 5kg, 1m50",
    "quốc lộ 1A, QL47, lớp 3A",
    "30/4 và 19/8",
    "tổng đài 1900 1234 hoặc 113",
    "20h 1234",
    "10tr 12345",
    "lúc 22h30 ngày 12/11",
    "đi.có việc",  # a missing space is not a link
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert contains_pii(redact(text)) == []


@pytest.mark.parametrize("text", UNTOUCHED)
def test_does_not_mangle_ordinary_numbers(text: str) -> None:
    assert redact(text) == text
    assert contains_pii(text) == []


# Issue #16 made a home address personal data: these were in UNTOUCHED, and are still never
# taken for a phone or an id number; they are now masked as a whole, as an address.
@pytest.mark.parametrize("text", ["ngõ 5", "số nhà 12", "ngách 3/12"])
def test_house_numbers_are_addresses_not_numbers(text: str) -> None:
    assert redact(text) == "[ĐỊA CHỈ]"
    assert [f.kind for f in contains_pii(text)] == ["address"]


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("0912345678", "phone", "0912345678"),
        ("038095001234", "cccd", "038095001234"),
        ("173456789", "cmnd", "173456789"),
        ("36A-123.45", "plate", "36A-123.45"),
        ("a@b.vn", "email", "a@b.vn"),
        ("stk 123456789", "bank_account", "123456789"),
        ("fb.com/x", "url", "fb.com/x"),
    ],
)
def test_contains_pii_reports_kind_and_span(text: str, kind: str, span: str) -> None:
    sentence = f"xem {text} nhé"
    [finding] = contains_pii(sentence)
    assert finding.kind == kind
    assert sentence[finding.start : finding.end] == span


NAME = "Nguyễn Văn An"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tôi là Nguyễn Văn An", "Tôi là [TÊN]"),
        ("toi la nguyen van an", "toi la [TÊN]"),
        ("NGUYỄN VĂN AN báo", "[TÊN] báo"),
        ("anh Văn An ở xóm 3", "anh [TÊN] ở xóm 3"),  # the last two words
        ("Nguyễn  Văn\nAn", "[TÊN]"),  # any whitespace between words
        ("anh An ở xóm 3", "anh [TÊN] ở xóm 3"),  # issue #16: kinship cue + name
        ("anh an ở đây", "anh an ở đây"),  # a single short word of ``names`` is not masked
        ("Vân Annam", "Vân Annam"),  # whole words only
    ],
)
def test_citizen_names(text: str, expected: str) -> None:
    assert redact(text, [NAME]) == expected


def test_single_word_names() -> None:
    assert redact("Hùng gọi cho hung", ["Hùng"]) == "[TÊN] gọi cho [TÊN]"
    assert redact("Lê ở đây", ["Lê"]) == "Lê ở đây"  # shorter than 3 letters: ignored
    assert redact("không có tên", ["", "   "]) == "không có tên"


def test_decomposed_text_keeps_its_other_characters() -> None:
    text = unicodedata.normalize("NFD", "Chị Trần Thị Hoà gọi 0912345678 ở Sầm Sơn")
    out = redact(text, ["Trần Thị Hòa"])
    assert unicodedata.normalize("NFC", out) == "Chị [TÊN] gọi [SĐT] ở Sầm Sơn"


def test_everything_at_once_and_idempotent() -> None:
    text = (
        "Em Lê Thị Hoa, sđt 0912 345 678, cccd 038095001234, xe 36B1-234.56, "
        "stk 123456789012 vcb, fb facebook.com/le.hoa, mail hoa@gmail.com, nợ 2 triệu từ 12/11"
    )
    out = redact(text, ["Lê Thị Hoa"])
    assert out == (
        "Em [TÊN], sđt [SĐT], cccd [CCCD], xe [BIỂN SỐ], "
        "stk [STK] vcb, fb [LIÊN KẾT], mail [EMAIL], nợ 2 triệu từ 12/11"
    )
    assert redact(out, ["Lê Thị Hoa"]) == out
    assert contains_pii(out, ["Lê Thị Hoa"]) == []


def test_placeholders_are_never_findings() -> None:
    text = " ".join(PLACEHOLDERS.values())
    assert contains_pii(text, ["Biển Số", "Liên Kết", "Tên"]) == []


def test_finding_does_not_store_the_text() -> None:
    [finding] = contains_pii("gọi 0912345678")
    assert [f.name for f in dataclasses.fields(PiiFinding)] == ["kind", "start", "end"]
    assert "0912345678" not in repr(finding)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "x"  # type: ignore[misc]


def test_uuids_and_slack_ids_are_not_findings() -> None:
    assert contains_pii("action 123e4567-e89b-12d3-a456-426614174000") == []
    assert contains_pii("ts 1763012345.123456, case 42, block tip_123456789") == []


def test_detect_kinds_is_a_fast_presence_test() -> None:
    assert detect_kinds("xe 36A-123.45, gọi 0912345678, xem fb.com/x") == {
        "plate",
        "phone",
        "url",
    }
    assert detect_kinds("500k lúc 14h30") == set()


SLACK_PAYLOAD = {
    "channel": "C0123",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Tin báo mới (TB-2026-0042)"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Loại:* ma túy"},
                {"type": "mrkdwn", "text": "*Đơn vị:* Công an xã Nga Thủy"},
            ],
        },
        {
            "type": "actions",
            "elements": (
                {"type": "button", "action_id": "verify", "value": "tip:42"},
                {"type": "button", "action_id": "open", "value": 42},
            ),
        },
    ],
    "ts": "1763012345.123456",
    "thread": None,
}


def test_pii_gate_accepts_a_clean_payload() -> None:
    pii_gate(SLACK_PAYLOAD, names=["Nguyễn Văn An"], where="slack escalation")


@pytest.mark.parametrize(
    ("leak", "kinds"),
    [
        ("gọi lại 0912345678", ["phone"]),
        ("người báo: Nguyễn Văn An, xe 36A-123.45", ["name", "plate"]),
    ],
)
def test_pii_gate_blocks_a_nested_leak(leak: str, kinds: list[str]) -> None:
    payload = {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}},
            {"type": "context", "elements": ({"type": "mrkdwn", "text": leak},)},
        ]
    }
    with pytest.raises(PiiDetectedError) as caught:
        pii_gate(payload, names=["Nguyễn Văn An"], where="slack escalation")
    assert caught.value.kinds == kinds
    assert caught.value.where == "slack escalation"
    message = str(caught.value)
    assert "0912345678" not in message
    assert "Nguyễn" not in message
    assert "36A" not in message


def test_pii_gate_checks_dict_keys_and_plain_strings() -> None:
    with pytest.raises(PiiDetectedError):
        pii_gate({"0912345678": "x"})
    with pytest.raises(PiiDetectedError) as caught:
        pii_gate("mail a@b.vn")
    assert caught.value.where == "payload"
    pii_gate(["ok", ("fine", {"n": 912345678}), None, 3.5])  # numbers are not inspected
