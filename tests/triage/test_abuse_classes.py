"""Abuse by class (issue #18): insults, political slurs, obscenity typed in teencode, scam SMS.

Synthetic phrasings written for these tests (not rows of ``datasets/real``): each class is
checked through the rules alone (``model=None``), which must file it under ``abuse``, so the
cue family is what is tested, whatever the trained model adds. A second table keeps words that
fold to a slur but are not one ("bộ đồ", "còn cho", "cho sẵn") out of ``abuse``.
"""

from __future__ import annotations

import pytest

from citizen_desk.triage import classify

ABUSE = {
    "political slur": [
        "Lũ bò đỏ cuồng cộng lại vào đây sủa",
        "bọn tàu khựa với đám đcs như nhau cả",
        "đảng cướp chỉ biết nhồi sọ dân",
    ],
    "obscenity in teencode": [
        "đkm cái page này xàm vãi",
        "thằng ngu nói như đúng rồi, đếch ai tin",
        "mày câm mồm đi đồ súc vật",
        "đmm bọn nó khốn nạn thật",
    ],
    "scam or ad SMS": [
        "Chúc mừng quý khách là khách hàng may mắn nhận giải nhất, vui lòng truy cập link để nhận",
        "Tuyển cộng tác viên làm tại nhà, kiếm thêm thu nhập 500k/ngày, add zalo 0901234567",
        "Nhận làm bằng lái, cung cấp các loại giấy tờ, giao tận nơi",
    ],
}

NOT_ABUSE = [
    "Cho hỏi mua bộ đồ bảo hộ ở đâu, còn cho đăng ký không ạ",
    "Mất con chó màu vàng ở khu phố 3, ai thấy xin liên hệ",
    "Tôi đã chuẩn bị giấy tờ cho sẵn, mai lên phường làm thủ tục",
]


@pytest.mark.parametrize(("what", "text"), [(w, t) for w, texts in ABUSE.items() for t in texts])
def test_an_abuse_class_is_abuse_by_the_rules(what: str, text: str) -> None:
    assert classify(text, model=None).category == "abuse", (what, text)


@pytest.mark.parametrize("text", NOT_ABUSE)
def test_words_that_fold_to_a_slur_are_not_abuse(text: str) -> None:
    assert classify(text, model=None).category != "abuse"
