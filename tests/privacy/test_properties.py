"""Property-based: thousands of spellings of secrets never survive; keep-spans always do."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import pii_gate, redact
from citizen_desk.text.normalize import strip_diacritics
from tests.budget import examples

SETTINGS = settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

SPELLED = {
    "0": ["không", "khong", "linh", "lẻ"],
    "1": ["một", "mot", "mốt"],
    "2": ["hai"],
    "3": ["ba"],
    "4": ["bốn", "bon", "tư"],
    "5": ["năm", "nam", "lăm"],
    "6": ["sáu", "sau"],
    "7": ["bảy", "bay", "bẩy"],
    "8": ["tám", "tam"],
    "9": ["chín", "chin"],
}
SEPARATORS = [" ", ".", "-", "\u00a0", "\u2009", "\u200b", "  ", "\t", "\u2013", " - "]
TEMPLATES = [
    "Em xin báo tin, có gì gọi {x} nhé",
    "sdt cua toi: {x}",
    "Liên hệ {x} (gặp sau 20h)",
    "{x} là số của người báo tin",
    "Mình ở xã Nga Thủy, huyện Nga Sơn, {x}, cảm ơn các anh.",
]


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    national = draw(st.sampled_from("35789")) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8))
    )
    style = draw(st.sampled_from(["digits", "spelled", "fullwidth", "teencode"]))
    prefix = draw(st.sampled_from(["0", "+84 ", "+84", "0084 ", "84", "+84 (0)", "(+84) "]))
    if style == "spelled":
        return " ".join(draw(st.sampled_from(SPELLED[d])) for d in "0" + national)
    digits = prefix + national
    if style == "fullwidth":
        return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in digits)
    groups = [national[:2], national[2:5], national[5:]]
    sep = draw(st.sampled_from(SEPARATORS))
    text = prefix + sep.join(groups) if draw(st.booleans()) else digits
    if style == "teencode" and prefix == "0":
        text = ("o" if draw(st.booleans()) else "O") + text[1:]
    return text


@st.composite
def cccd_numbers(draw: st.DrawFn) -> str:
    digits = "0" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=11, max_size=11)))
    sep = draw(st.sampled_from(["", " ", ".", "\u00a0", "-"]))
    size = draw(st.sampled_from([3, 4]))
    groups = [digits[i : i + size] for i in range(0, 12, size)]
    word = draw(st.sampled_from(["cccd", "CCCD:", "căn cước", "số định danh", "số"]))
    return f"{word} {sep.join(groups)}"


_LOCAL = st.from_regex(r"[a-z][a-z0-9]{2,8}(\.[a-z0-9]{2,6})?", fullmatch=True)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(_LOCAL)
    at = draw(st.sampled_from(["@", " @ ", " (at) ", " [at] ", " [a còng] ", " a còng "]))
    provider = draw(st.sampled_from(["gmail", "yahoo", "hotmail", "outlook"]))
    dot = draw(st.sampled_from([".", " . ", " chấm ", " (dot) ", " [chấm] "]))
    tld = draw(st.sampled_from(["com", "vn", "com.vn"]))
    return f"{local}{at}{provider}{dot}{tld}"


@st.composite
def profiles(draw: st.DrawFn) -> str:
    handle = draw(_LOCAL)
    host = draw(
        st.sampled_from(
            ["facebook.com", "facebook com", "fb.com", "m.facebook.com", "zalo.me", "m.me"]
        )
    )
    scheme = draw(st.sampled_from(["", "https://", "www."])) if "." in host else ""
    return f"{scheme}{host}/{handle}"


SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Đức", "Hữu", "Minh", "Ngọc", "Thanh"]
GIVEN = ["An", "Bình", "Hùng", "Lan", "Mai", "Tuấn", "Hoa", "Nam", "Dũng", "Hương", "Thảo"]
KIN = ["anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cháu", "cậu", "dì", "mợ", "thím"]


@st.composite
def person_phrases(draw: st.DrawFn) -> tuple[str, str]:
    """(the phrase, the name inside it)."""
    kind = draw(st.sampled_from(["full", "kin", "intro"]))
    given = draw(st.sampled_from(GIVEN))
    full = f"{draw(st.sampled_from(SURNAMES))} {draw(st.sampled_from(MIDDLE))} {given}"
    if draw(st.booleans()):
        full, given = strip_diacritics(full), strip_diacritics(given)
    if kind == "full":
        return full, full
    if kind == "kin":
        name = draw(st.sampled_from([given, full]))
        return f"{draw(st.sampled_from(KIN))} {name}", name
    intro = draw(st.sampled_from(["Tôi là", "tên tôi là", "tôi tên", "mình là", "toi la"]))
    return f"{intro} {full}", full


@st.composite
def home_addresses(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 199))
    m = draw(st.integers(1, 40))
    return draw(
        st.sampled_from(
            [
                f"số nhà {n}",
                f"số {n} ngõ {m} phố Hàng Bạc",
                f"ngách {m}/{n}",
                f"hẻm {n}",
                f"kiệt {n}",
                f"số {n} tổ {m}",
                f"số nhà {n} thôn Đông",
                f"ngõ {n} xóm {m}",
                f"số {n}, khu phố {m}",
                f"hẻm {n} ấp Bình An",
                f"so nha {n} ngo {m}",
            ]
        )
    )


SECRETS = st.one_of(phone_numbers(), cccd_numbers(), emails(), profiles(), home_addresses())


@SETTINGS
@given(secret=SECRETS, template=st.sampled_from(TEMPLATES))
def test_no_secret_survives(secret: str, template: str) -> None:
    text = template.format(x=secret)
    out = redact(text)
    assert secret not in out
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", secret) if ch.isdigit())
    if len(digits) >= 9:
        assert digits not in "".join(ch for ch in out if ch.isdigit())
    with pytest.raises(PiiDetectedError):
        pii_gate({"blocks": [{"text": text}]})


@SETTINGS
@given(phrase=person_phrases(), template=st.sampled_from(TEMPLATES))
def test_no_name_survives(phrase: tuple[str, str], template: str) -> None:
    text, name = phrase
    sentence = template.format(x=text)
    out = redact(sentence)
    assert name not in out
    assert "[TÊN]" in out
    with pytest.raises(PiiDetectedError):
        pii_gate(sentence)


KEEP = st.one_of(
    st.builds(
        "xã {} huyện {}".format,
        st.sampled_from(["Nga Thủy", "Hải Hòa", "Đông Sơn"]),
        st.sampled_from(["Nga Sơn", "Tĩnh Gia", "Quảng Xương"]),
    ),
    st.builds("Công an huyện {}".format, st.sampled_from(["Nga Sơn", "Hậu Lộc", "Như Thanh"])),
    st.builds("Điều {} Luật Tố cáo 2018".format, st.integers(1, 70)),
    st.builds("khoản {} Điều {}".format, st.integers(1, 5), st.integers(1, 400)),
    st.builds("ngày {}/{}/2026".format, st.integers(1, 28), st.integers(1, 12)),
    st.builds("{}.000.000 đồng".format, st.integers(1, 999)),
    st.builds("{} triệu".format, st.integers(1, 99)),
    st.builds("lúc {}h{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
)


@SETTINGS
@given(keep=KEEP, secret=SECRETS, template=st.sampled_from(TEMPLATES))
def test_keep_spans_survive_next_to_secrets(keep: str, secret: str, template: str) -> None:
    text = template.format(x=f"{secret}, {keep}")
    assert keep in redact(text)
    assert redact(keep) == keep
