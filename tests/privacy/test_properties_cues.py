"""Property-based, by class of miss (issue #16, fourth pass, seen on the train/dev rows of the
real redaction set grown with 81 rows of lost property, missing people, scams and boarding
houses); each class failed on the engine before this pass:

* a given name that is also an institution's word, after a kinship cue or a surname and a
  middle name ("ông Hội", "Phạm Văn Hội"), while the institution stays ("Hội Nông dân");
* a given name cut by the paper to its first consonant cluster ("chị Nguyễn Huỳnh Nh");
* a person right after a residence ladder that ends at its province ("phòng trọ ở Hà Nội, Sùng
  Thị Sơ (SN 2002)"): the ladder stops at the province;
* homes chained loosely: a house number with a numbered street and an abbreviated quarter
  ("số 100 đường 154, KP.3", "bà Gái, số 128, KP.6"), a house range ("số 294/42 – 44 Xô Viết
  Nghệ Tĩnh"), a person's street and quarter after their age and "trên" ("ông H (58 tuổi) trên
  đường Bình Thành, khu phố 2, phường …");
* what stays: a school named after a person ("Trường tiểu học Trần Quang Vinh", "trường THCS
  Nguyễn Du"), a reader's district and province in brackets ("(Hoằng Hóa, Thanh Hóa)").
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from citizen_desk.privacy import redact
from tests.budget import examples
from tests.privacy.helpers import covered, untouched

SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

SURNAMES = ["Phạm", "Nguyễn", "Trần", "Lê", "Đinh", "Sùng", "Giàng", "Lò", "Thào", "Vàng"]
CUES = ["ông", "anh", "chú", "bác", "bà", "chị", "cô"]
PLACES = ["xã Tiên An", "phường Tân Phú", "huyện Nghi Lộc", "phường 3", "thị trấn Đô Lương"]


def _check(text: str, secret: str, keeps: list[str]) -> None:
    start = text.index(secret)
    assert covered(text, start, start + len(secret)), (text, redact(text))
    for keep in keeps:
        assert untouched(text, keep), (keep, text, redact(text))


@SETTINGS
@given(
    cue=st.sampled_from(CUES),
    frame=st.sampled_from(
        [
            "Khu nhà trọ của {c} Hội có 10 phòng, ở {p}.",
            "Theo {c} Hội, số tiền bị mất là 20 triệu đồng tại {p}.",
            "{C} Hội cho biết đã trình báo Công an {p}.",
            "Nhận lại tài sản, {c} Hội cảm ơn Công an {p}.",
        ]
    ),
    place=st.sampled_from(PLACES),
)
@example(cue="ông", frame="Khu nhà trọ của {c} Hội có 10 phòng, ở {p}.", place="phường Tân Phú")
def test_a_cued_given_name_that_is_an_institution_word_is_masked(
    cue: str, frame: str, place: str
) -> None:
    text = frame.format(c=cue, C=cue.capitalize(), p=place)
    _check(text, "Hội", [place])


@SETTINGS
@given(
    surname=st.sampled_from(SURNAMES),
    middle=st.sampled_from(["Văn", "Thị"]),
    frame=st.sampled_from(
        [
            "ông {n}, chủ nhà trọ tại {p}, cho biết.",
            "{n} (SN 1970, trú {p}) bị bắt.",
            "Hội Nông dân {p} trao quà cho {n} hôm qua.",
        ]
    ),
    place=st.sampled_from(PLACES),
)
@example(surname="Phạm", middle="Văn", frame="ông {n}, chủ nhà trọ tại {p}, cho biết.",
         place="phường Tân Phú")  # fmt: skip
def test_a_full_name_ending_in_an_institution_word_is_masked_whole(
    surname: str, middle: str, frame: str, place: str
) -> None:
    name = f"{surname} {middle} Hội"
    text = frame.format(n=name, p=place)
    keeps = [place] + (["Hội Nông dân"] if text.startswith("Hội Nông") else [])
    _check(text, name, keeps)


@pytest.mark.parametrize(
    "text",
    [
        "Hội Nông dân xã Tiên An tổ chức hội nghị",
        "Hội Liên hiệp Phụ nữ huyện Nghi Lộc trao quà",
        "Hội Cựu chiến binh phường 3 họp mặt",
        "Chủ tịch Hội Chữ thập đỏ tỉnh Nghệ An phát biểu",
    ],
)
def test_institutions_named_hoi_stay(text: str) -> None:
    assert untouched(text, text.split(" ", 3)[0] + " " + text.split(" ", 3)[1]), redact(text)


@SETTINGS
@given(
    cue=st.sampled_from(CUES),
    surname=st.sampled_from(SURNAMES),
    middle=st.sampled_from(["Văn", "Thị", "Huỳnh", "Minh", "Ngọc"]),
    cluster=st.sampled_from(["Nh", "Th", "Ch", "Tr", "Ng", "Ph", "Kh", "Gi", "Qu"]),
    place=st.sampled_from(PLACES),
)
@example(cue="chị", surname="Nguyễn", middle="Huỳnh", cluster="Nh", place="phường 3")
def test_a_name_cut_to_its_first_consonants_is_masked(
    cue: str, surname: str, middle: str, cluster: str, place: str
) -> None:
    name = f"{surname} {middle} {cluster}"
    text = f"Trao đổi với PV, {cue} {name} (23 tuổi, ngụ {place}) cho biết đã bị lừa."
    _check(text, name, [place])


@SETTINGS
@given(
    province=st.sampled_from(["Hà Nội", "Nghệ An", "Lào Cai", "Thanh Hóa", "Đà Nẵng"]),
    surname=st.sampled_from(SURNAMES),
    middle=st.sampled_from(["Thị", "Văn"]),
    given_=st.sampled_from(["Sơ", "Mai", "Dế", "Páo", "Chua"]),
    lead=st.sampled_from(["giữa căn phòng trọ ở", "đang sống ở", "quê ở"]),
)
@example(province="Hà Nội", surname="Sùng", middle="Thị", given_="Sơ",
         lead="giữa căn phòng trọ ở")  # fmt: skip
def test_a_person_after_a_ladder_ending_at_its_province_is_masked(
    province: str, surname: str, middle: str, given_: str, lead: str
) -> None:
    name = f"{surname} {middle} {given_}"
    text = f"Đêm 29/9, {lead} {province}, {name} (SN 2002) không tài nào chợp mắt."
    _check(text, name, [province])


HOMES = st.one_of(
    st.builds(
        "số {} đường {}, KP.{}".format, st.integers(1, 300), st.integers(1, 200), st.integers(1, 12)
    ),
    st.builds("số {}, KP.{}".format, st.integers(1, 300), st.integers(1, 12)),
    st.builds("số {}, khu phố {}".format, st.integers(1, 300), st.integers(1, 12)),
    st.builds(
        "số {}/{} – {} {}".format,
        st.integers(1, 400),
        st.integers(1, 60),
        st.integers(2, 80),
        st.sampled_from(["Xô Viết Nghệ Tĩnh", "Lê Lợi", "Hồ Tùng Mậu"]),
    ),
)


@SETTINGS
@given(
    home=HOMES,
    name=st.sampled_from(["ông Phạm Văn Hội", "bà Trần Thị Gái", "anh Lê Minh Tuấn"]),
    role=st.sampled_from(["chủ nhà trọ tại", "ngụ", "", "sống tại"]),
    ward=st.sampled_from(["P.Tân Phú", "phường 3", "P.12"]),
)
@example(home="số 128, KP.6", name="bà Trần Thị Gái", role="", ward="P.Tân Phú")
@example(home="số 100 đường 154, KP.3", name="ông Phạm Văn Hội", role="chủ nhà trọ tại",
         ward="P.Tân Phú")  # fmt: skip
@example(home="số 294/42 – 44 Xô Viết Nghệ Tĩnh", name="anh Lê Minh Tuấn", role="sống tại",
         ward="P.12")  # fmt: skip
def test_a_loosely_chained_home_is_masked_whole(home: str, name: str, role: str, ward: str) -> None:
    text = f"Bước vào khu trọ của {name}, {role} {home} ({ward}), chúng tôi thấy sạch sẽ."
    text = text.replace(",  ", ", ")
    _check(text, home, [f"({ward})"])  # bracketed: "P.12" is also inside "KP.12"


@SETTINGS
@given(
    street=st.sampled_from(["Bình Thành", "Lê Văn Quới", "Tân Thới Nhất 12"]),
    quarter=st.integers(1, 9),
    age=st.integers(18, 90),
    ward=st.sampled_from(["phường Bình Hưng Hòa B", "phường 3", "xã Tiên An"]),
)
@example(street="Bình Thành", quarter=2, age=58, ward="phường Bình Hưng Hòa B")
def test_a_persons_street_after_their_age_and_on_is_masked(
    street: str, quarter: int, age: int, ward: str
) -> None:
    home = f"đường {street}, khu phố {quarter}"
    text = f"Vụ việc xảy ra tại một dãy trọ của ông Nguyễn Văn H ({age} tuổi) trên {home}, {ward}."
    _check(text, home, [ward])


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("đoạn trước cổng Trường tiểu học Trần Quang Vinh (P.12) ồn ào",
         "Trường tiểu học Trần Quang Vinh"),
        ("học sinh trường THCS Nguyễn Du, phường 3", "trường THCS Nguyễn Du"),
        ("Trường trung học cơ sở Lê Văn Tám tổ chức khai giảng", "Lê Văn Tám"),
        ("sinh viên Đại học Tôn Đức Thắng nhặt được ví", "Tôn Đức Thắng"),
        ("Nguyễn Văn Quang (Hoằng Hóa, Thanh Hóa)", "Hoằng Hóa, Thanh Hóa"),
        ("Lê Thị Hoa (Cẩm Giàng, Hải Dương) hỏi:", "Cẩm Giàng, Hải Dương"),
        ("anh A (30 tuổi) trên đường đi làm thì bị tai nạn", "trên đường đi làm"),
        ("Sau đó, trên đường Bạch Đằng, phường 2 có tai nạn", "đường Bạch Đằng"),
    ],
)  # fmt: skip
def test_schools_and_signature_places_stay(text: str, kept: str) -> None:
    assert untouched(text, kept), redact(text)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Nguyễn Văn Quang (Hoằng Hóa, Thanh Hóa)", "Nguyễn Văn Quang"),
        ("học sinh tiểu học Nguyễn Văn An bị ngã", "Nguyễn Văn An"),
        ("Trường tiểu học Kim Đồng khen em Trần Minh Quân", "Trần Minh Quân"),
    ],
)
def test_people_beside_schools_and_signatures_are_masked(text: str, secret: str) -> None:
    start = text.index(secret)
    assert covered(text, start, start + len(secret)), redact(text)
