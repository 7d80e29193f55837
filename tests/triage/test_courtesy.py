"""Courtesy replies ("cảm ơn ạ", "ok", "vâng", a sticker) are told apart from real questions,
however they are typed (diacritics or not, stretched letters, capitals, emoji)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.text.normalize import strip_diacritics
from citizen_desk.triage.courtesy import is_courtesy

COURTESY = (
    "cảm ơn",
    "cảm ơn ạ",
    "Cảm ơn ạ!",
    "ok ạ",
    "Ok",
    "vâng",
    "dạ",
    "Dạ em cảm ơn ạ",
    "Em cảm ơn ad nhiều",
    "Ok cảm ơn anh",
    "Cảm ơn các anh 🙏",
    "Dạ vâng ạ",
    "Vâng em hiểu rồi ạ",
    "cmơn nha",
    "thanks",
    "👍",
    "👍👍",
    "🙏🏻",
    ":)",
    "❤️",
)
QUESTIONS = (
    "Cảm ơn ạ, cho em hỏi bao giờ sửa đường?",
    "cảm ơn. Khi nào có kết quả ạ",
    "ok ạ?",
    "Vậy có cần mang bản gốc không ạ?",
    "Dạ nhà em bị cháy",
    "cam on, nhung den duong van hong",
    "Cảm ơn page đã trả lời, nhưng nước vẫn ngập",
    "",
    "   ",
)

SPELLINGS = st.sampled_from(COURTESY)


@pytest.mark.parametrize("text", COURTESY)
def test_courtesy(text: str) -> None:
    assert is_courtesy(text)


@pytest.mark.parametrize("text", QUESTIONS)
def test_not_courtesy(text: str) -> None:
    assert not is_courtesy(text)


def test_a_sticker_without_text_is_courtesy_a_bare_attachment_is_not() -> None:
    assert is_courtesy("", sticker=True)
    assert not is_courtesy("")  # a photo sent as evidence, say
    assert not is_courtesy("nhà em bị ngập", sticker=True)


def _stretch(text: str, data: st.DataObject) -> str:
    """Stretch some vowels the way people type on phones ("cảm ơnnn", "okkk")."""
    out = []
    for char in text:
        out.append(char)
        if char.isalpha() and data.draw(st.booleans()):
            out.append(char * data.draw(st.integers(1, 3)))
    return "".join(out)


@given(
    text=SPELLINGS,
    folded=st.booleans(),
    upper=st.booleans(),
    tail=st.sampled_from(("", "!", "!!", ".", " 🙏", " 😊", " ạ", " nha")),
    data=st.data(),
)
def test_any_spelling_of_a_courtesy_reply_is_courtesy(
    text: str, folded: bool, upper: bool, tail: str, data: st.DataObject
) -> None:
    typed = strip_diacritics(text) if folded else text
    typed = _stretch(typed, data) + tail
    assert is_courtesy(typed.upper() if upper else typed)


@given(
    thanks=SPELLINGS,
    question=st.sampled_from(
        (
            "cho em hỏi khi nào sửa đường",
            "bao giờ có kết quả",
            "đèn đường vẫn hỏng",
            "nhà em bị mất điện từ sáng",
            "xin số điện thoại tổ dân phố",
        )
    ),
    folded=st.booleans(),
    mark=st.sampled_from(("", "?", " ạ?", ".")),
)
def test_a_real_question_after_thanks_is_not_courtesy(
    thanks: str, question: str, folded: bool, mark: str
) -> None:
    text = f"{thanks}, {question}{mark}"
    assert not is_courtesy(strip_diacritics(text) if folded else text)


@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    assert is_courtesy(text) in (True, False)
