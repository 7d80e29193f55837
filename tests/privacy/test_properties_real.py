"""Property-based, in the sentence frames of real published text (datasets/real/redaction.jsonl):
names with kinship and title cues, lone given names, nicknames, signatures and house-level
addresses never survive `redact` nor pass the gate; the commune, district and province around
them (from the registry and the official list of administrative units), law articles, dates and
amounts always survive.

The frames are written after the classes of the set's train/dev rows; the names and places are
drawn, so no test relies on a row of the set.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from citizen_desk.config.registry import load_registry
from citizen_desk.errors import PiiDetectedError
from citizen_desk.privacy import contains_pii, pii_gate, redact
from tests.budget import examples

SETTINGS = settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
SURNAMES += ["Ngô", "Dương", "Lý", "Lương", "Đào", "Trịnh", "Mai", "Đinh", "Lư", "Ngũ"]
MIDDLE = ["Văn", "Thị", "Đức", "Hữu", "Minh", "Ngọc", "Thanh", "Xuân", "Quốc", "Hoài", "Trọng"]
GIVEN = [
    "An", "Bình", "Hùng", "Lan", "Tuấn", "Hoa", "Dũng", "Hương", "Thảo", "Đắc", "Yến", "Khiêm",
    "Ngọc", "Phúc", "Hò", "Thơm", "Huấn", "Trông", "Nhiễu", "Vẻ", "Duy", "Quân", "Lộc", "Hiếu",
]  # fmt: skip
KIN = ["anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cháu", "cụ", "bé"]
TITLES = ["bạn đọc", "cử tri", "nạn nhân", "đối tượng", "bị can", "học sinh", "tài xế"]
HAMLETS = ["Đông Hương", "Làng Nam", "Minh Quán 6", "Bến Đền", "An Xuân 3", "Hòa Sơn", "Mạc Thủ"]
STREETS = ["Tô Hiệu", "Lê Lợi", "Nguyễn Siêu", "Điện Biên Phủ", "Hoàng Cầu", "Trần Phú"]


def _full(draw: st.DrawFn) -> str:
    return " ".join(draw(st.sampled_from(pool)) for pool in (SURNAMES, MIDDLE, GIVEN))


@st.composite
def homes(draw: st.DrawFn) -> str:
    """The house-level part of a home address, as papers and police notices print it."""
    n, m = draw(st.integers(1, 199)), draw(st.integers(1, 30))
    hamlet, street = draw(st.sampled_from(HAMLETS)), draw(st.sampled_from(STREETS))
    return draw(
        st.sampled_from(
            [
                f"thôn {hamlet}", f"xóm {hamlet}", f"ấp {hamlet}", f"bản {hamlet}", f"xóm {m}",
                f"thôn {m}", f"tổ {m}, cụm {n}", f"TDP {m}", f"tổ dân phố {hamlet}",
                f"khu phố {m}", f"khối {m}", f"số nhà {n} ngõ {m} phố {street}",
                f"số {n}, ngõ {m}, phố {street}", f"{n} {street}", f"hẻm {n} {street}",
            ]
        )
    )  # fmt: skip


@cache
def official_units() -> tuple[str, ...]:
    """Communes, wards, districts and provinces of the official list shipped in underthesea's
    wheel (vietnamadminunits, 2025), as written with their administrative word."""
    spec = importlib.util.find_spec("underthesea")
    assert spec is not None
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations)), "address", "data", "mapping.json")
    mapping = json.loads(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for row in mapping["ward_mapping"]:
        for key in ("old_ward", "new_ward", "old_district", "old_province", "new_province"):
            names.add(row.get(key) or "")
    heads = r"(Thành phố|Thị xã|Thị trấn|Phường|Xã|Huyện|Quận|Tỉnh|Đặc khu) "
    proper = re.compile(heads + r"(?:[A-ZĐÀ-Ỹ][\w’']*|\d+)(?: (?:[A-ZĐÀ-Ỹ][\w’']*|\d+))*")
    return tuple(sorted(n for n in names if proper.fullmatch(n)))


@cache
def registry_places() -> tuple[str, ...]:
    """The places of the registry's units ("xã Nga Thủy", "huyện Nga Sơn", "tỉnh Thanh Hóa")."""
    units = load_registry(Path(__file__).resolve().parents[2] / "include/config/registry.yaml")
    return tuple(sorted({u.name.removeprefix("Công an ") for u in units.units}))


@cache
def units_like_names() -> tuple[str, ...]:
    """Official units whose name goes on with a surname or a kinship word, like a person's
    ("xã Hoàng Văn Thụ", "phường Nguyễn Thái Học", "xã Tam Anh Bắc", "quận Hai Bà Trưng")."""
    risky = set(SURNAMES) | {"Văn", "Thị", "Chu", "Định", "Thái", "Anh", "Bà", "Cô", "Ông"}
    return tuple(n for n in official_units() if risky & set(n.split()[2:]))


@st.composite
def places(draw: st.DrawFn) -> str:
    pool = draw(st.sampled_from(["registry", "official", "like names"]))
    if pool == "registry":
        return draw(st.sampled_from(registry_places()))
    name = draw(st.sampled_from(official_units() if pool == "official" else units_like_names()))
    head, _, rest = name.partition(" ")
    if head in {"Thành", "Thị", "Đặc"}:
        head, _, rest = name.partition(" ")[2].partition(" ")
        head = f"{name.split()[0]} {head}"
    return f"{head.lower() if draw(st.booleans()) else head} {rest}"


LAWS = st.one_of(
    st.just("Điều 9 Luật Tố cáo 2018"),
    st.builds("khoản {} Điều {} Luật Cư trú 2020".format, st.integers(1, 5), st.integers(1, 40)),
    st.builds("điểm a khoản 2 Điều {} Bộ luật Hình sự".format, st.integers(100, 400)),
    st.builds("Nghị định số {}/2021/NĐ-CP".format, st.integers(1, 200)),
)
DATES = st.builds("ngày {}/{}/2026".format, st.integers(1, 28), st.integers(1, 12))
AMOUNTS = st.one_of(
    st.builds("{} triệu đồng".format, st.integers(2, 999)),
    st.builds("{}.000.000 đồng".format, st.integers(1, 999)),
    st.builds("{},{} triệu đồng".format, st.integers(1, 99), st.integers(1, 9)),
)


Segment = str | tuple[str, str]  # plain text, or (role, text) with role "secret" or "keep"


@st.composite
def person_frames(draw: st.DrawFn) -> list[Segment]:
    """A sentence in one of the shapes of the real set, as segments with their roles."""
    full, given = _full(draw), draw(st.sampled_from(GIVEN))
    other = draw(st.sampled_from([g for g in GIVEN if g != given]))
    kin, title = draw(st.sampled_from(KIN)), draw(st.sampled_from(TITLES))
    home, place, law = ("secret", draw(homes())), ("keep", draw(places())), ("keep", draw(LAWS))
    date, amount, year = (
        ("keep", draw(DATES)),
        ("keep", draw(AMOUNTS)),
        draw(st.integers(1940, 2015)),
    )
    age, nick = draw(st.integers(5, 95)), draw(st.sampled_from(["Ổi", "Tin", "Khỉ", "Bo"]))
    name, first, second = ("secret", full), ("secret", given), ("secret", other)
    frames: list[list[Segment]] = [
        [f"{kin.capitalize()} ", name, f" (SN {year}, trú tại ", home, ", ", place,
         ") đến trình báo ", date, "."],
        [f"{kin} ", name, f" ({age} tuổi, ngụ ", home, ", ", place, ") nhặt được ", amount, "."],
        [f"Theo {kin} ", first, ", ", date, ", ", second, " rời nhà và mất liên lạc."],
        ["Mọi thông tin về ", second, f" xin báo cho {kin} ", first, " ở ", place, "."],
        [f"{title.capitalize()} ", name, " ở ", home, ", ", place, " phản ánh theo ", law, "."],
        ["Người gửi: ", name, " - ", place],
        [name, " (tức ", first, ' "', ("secret", nick), f'", SN {year}, trú tại ', place,
         ") bị khởi tố theo ", law, "."],
        [f"{kin.capitalize()} ", first, " ở ", home, ", ", place, ": ", amount, " đã bị lấy."],
    ]  # fmt: skip
    return draw(st.sampled_from(frames))


def _spans(frame: list[Segment]) -> tuple[str, list[tuple[str, int, int]]]:
    """The sentence and its (role, start, end) spans."""
    text, spans = "", []
    for segment in frame:
        if isinstance(segment, tuple):
            role, part = segment
            spans.append((role, len(text), len(text) + len(part)))
            text += part
        else:
            text += segment
    return text, spans


ALIAS: list[Segment] = [
    ("secret", "Ngũ Đức An"), " (tức ", ("secret", "An"), ' "', ("secret", "Ổi"),
    '", SN 1940, trú tại ', ("keep", "huyện Nga Sơn"), ") bị khởi tố theo ",
    ("keep", "Điều 9 Luật Tố cáo 2018"), ".",
]  # fmt: skip
HOUSE_AFTER_NAME: list[Segment] = [
    "Bạn đọc ", ("secret", "Nguyễn Văn An"), " ở ", ("secret", "1 Tô Hiệu"), ", ",
    ("keep", "huyện Nga Sơn"), " phản ánh theo ", ("keep", "Điều 9 Luật Tố cáo 2018"), ".",
]  # fmt: skip
LONE: list[Segment] = [
    "Theo anh ", ("secret", "An"), ", ", ("keep", "ngày 1/1/2026"), ", ", ("secret", "Bình"),
    " rời nhà và mất liên lạc.",
]  # fmt: skip
# a hamlet in one of the special zones that are communes since July 2025 (found by this test)
SPECIAL_ZONE: list[Segment] = [
    "Bạn đọc ", ("secret", "Nguyễn Văn An"), " ở ", ("secret", "thôn Đông Hương"), ", ",
    ("keep", "Đặc khu Cô Tô"), " phản ánh theo ", ("keep", "Điều 9 Luật Tố cáo 2018"), ".",
]  # fmt: skip


@SETTINGS
@given(frame=person_frames(), tagger=st.booleans())
@example(frame=ALIAS, tagger=False)  # an unknown surname, named by the alias after it
@example(frame=SPECIAL_ZONE, tagger=False)
@example(frame=HOUSE_AFTER_NAME, tagger=False)
@example(frame=LONE, tagger=False)
def test_people_and_homes_never_survive(frame: list[Segment], tagger: bool) -> None:
    """With the tagger, and by the rules alone (the log filter's engine)."""
    text, spans = _spans(frame)
    findings = contains_pii(text, tagger=tagger)
    for role, start, end in spans:
        if role == "secret":
            letters = [i for i in range(start, end) if text[i].isalnum()]
            assert all(any(f.start <= i < f.end for f in findings) for i in letters), text[
                start:end
            ]
    with pytest.raises(PiiDetectedError):
        pii_gate({"blocks": [{"type": "section", "text": {"text": text}}]})


@SETTINGS
@given(frame=person_frames())
def test_places_laws_dates_amounts_survive_beside_them(frame: list[Segment]) -> None:
    text, spans = _spans(frame)
    findings = contains_pii(text)
    for role, start, end in spans:
        if role == "keep":
            assert not any(f.start < end and start < f.end for f in findings), text[start:end]
    out = redact(text)
    for role, start, end in spans:
        if role == "keep":
            assert text[start:end] in out


@SETTINGS
@given(place=places(), law=LAWS, date=DATES, amount=AMOUNTS)
@example(  # the tagger's "Tô" of "Cô Tô" is not the "Tố" of "Luật Tố cáo"
    place="Thị trấn Cô Tô",
    law="Điều 9 Luật Tố cáo 2018",
    date="ngày 1/1/2026",
    amount="2 triệu đồng",
)
@example(  # a ward's number, then its city's name (2025): not a person after the number
    place="phường 3 Bảo Lộc",
    law="Điều 9 Luật Tố cáo 2018",
    date="ngày 3/3/2026",
    amount="3 triệu đồng",
)
@example(
    place="xã Hoàng Văn Thụ",
    law="khoản 1 Điều 1 Luật Cư trú 2020",
    date="ngày 2/2/2026",
    amount="5.000.000 đồng",
)
def test_keep_spans_alone_pass_the_gate(place: str, law: str, date: str, amount: str) -> None:
    text = f"Công an {place} tiếp nhận tin báo {date} về vụ việc {amount}, xử lý theo {law}."
    assert redact(text) == text
    pii_gate(text)
