from __future__ import annotations

import unicodedata

import pytest

from citizen_desk.text.normalize import (
    BREAK,
    compile_abbreviations,
    fold,
    fold_with_offsets,
    has_diacritics,
    normalize,
    strip_diacritics,
)

ABBREVIATIONS = compile_abbreviations({"ko": "không", "đc": "được", "dc": "được", "e": "em"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đăng Ký Tạm Trú", "dang ky tam tru"),
        ("ĐƯỜNG", "duong"),
        ("Ðà Nẵng", "da nang"),  # U+00D0 (Icelandic Eth) typed for Đ
        ("cứu", "cuu"),
        ("Hòa / Hoà", "hoa / hoa"),  # both tone placements
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_strip_diacritics_keeps_case_and_length() -> None:
    assert strip_diacritics("Nguyễn Văn Đức") == "Nguyen Van Duc"
    assert has_diacritics("tạm trú")
    assert not has_diacritics("tam tru")


def test_decomposed_input_is_normalised_first() -> None:
    nfd = unicodedata.normalize("NFD", "cứu với cháy nhà")
    assert normalize(nfd) == normalize("cứu với cháy nhà")
    assert fold(nfd) == "cuu voi chay nha"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("cứuuuu", ("cuu",)),  # stretched letters collapse ...
        ("cuuu voiii", ("cuu", "voi")),  # ... but a folded "uu" (cứu, lưu) survives
        ("cũ", ("cu",)),  # and stays apart from "cũ" / "cụ"
        ("nhaaaa ơiiii", ("nha", "oi")),
        ("CCCD pccc cc", ("cccd", "pccc", "cc")),  # vowel-less abbreviations are kept
        ("kkkk hahaha hihi", ("haha", "haha", "haha")),  # laughter
        ("cứu về nào 😂🤣", ("cuu", "ve", "nao", "haha")),  # laughing emoji are laughter too
        ("14h30 0912.345.678", ("14h30", "0912", "345", "678")),  # digits untouched
    ],
)
def test_tokens(text: str, folded: tuple[str, ...]) -> None:
    assert normalize(text).folded == folded


def test_abbreviations_expand_on_both_streams() -> None:
    norm = normalize("e ko đc", ABBREVIATIONS)
    assert norm.accented == ("em", "không", "được")
    assert norm.folded == ("em", "khong", "duoc")
    # keys match the token as typed: "ạ" is not the key "a", "dc" and "đc" are both listed
    assert normalize("dc ạ", ABBREVIATIONS).folded == ("duoc", "a")


def test_streams_are_aligned_and_keep_diacritics() -> None:
    norm = normalize("Cháy nhà! Chạy đi")
    assert norm.accented == ("cháy", "nhà", BREAK, "chạy", "đi")
    assert norm.folded == ("chay", "nha", BREAK, "chay", "di")
    assert norm.word_count == 4


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("cấp cứu, mẹ đã chuyển", ("cap", "cuu", BREAK, "me", "da", "chuyen")),
        ("1.500.000đ. Xe", ("1", "500", "000d", BREAK, "xe")),  # a dot inside a number is not
        ("hỏi?? ok", ("hoi", BREAK, "ok")),  # runs of punctuation make one break
        ("a - b", ("a", BREAK, "b")),
        ("...", ()),
        ("", ()),
        ("👍🙏", ()),
    ],
)
def test_clause_breaks(text: str, folded: tuple[str, ...]) -> None:
    assert normalize(text).folded == folded


def test_sos_emoji_becomes_a_word() -> None:
    assert normalize("🆘 cháy").folded == ("sos", "chay")


def test_fold_with_offsets_maps_back_to_the_original() -> None:
    text = unicodedata.normalize("NFD", "Anh Lê")  # 'ê' is two code points here
    folded, offsets = fold_with_offsets(text)
    assert folded == "anh le"
    start = folded.index("le")
    assert text[offsets[start] :].startswith("L")
