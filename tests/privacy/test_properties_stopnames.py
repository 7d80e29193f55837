"""Property-based, by class of miss (issue #16, fifth pass: rows of 31 new pages' train/dev):

* a full name whose given name is also an institution's or a function word ("Nguyễn Đức Điều",
  "Phạm Văn Tuần", "Trần Thanh Kiệt", "Cao Đăng Đường"), while "Điều 9", "Đội CSGT", "Thứ
  trưởng", "Tuần trước" stay;
* a hamlet called by its name after a person's "ở" with no commune after it ("ông Lê Văn Thành
  ở thôn Linh Hưng cũng …", "Đỗ Thị Hường, ở ấp An Hòa.");
* a boarding house "nằm trên" its street after its owner ("nhà trọ của bà Tâm nằm trên đường
  Huỳnh Tấn Phát (phường Phú Thuận …)");
* what must stay for officers: a province closing an address ladder though its first word is a
  surname ("…, huyện Phong Thổ, Lai Châu"), a transport firm after "hãng xe" / "nhà xe", a
  country ("Cộng hòa Séc"), a holiday ("Giỗ tổ Hùng Vương"), an agency ("Trung tâm Phát triển
  Quỹ đất").
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.budget import examples
from tests.privacy.helpers import covered, untouched

SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Vũ", "Cao", "Đỗ"]
MIDDLES = ["Văn", "Đức", "Thị", "Hữu", "Thanh"]
STOP_GIVEN = ["Điều", "Đảng", "Tuần", "Kiệt", "Đường", "Nghị", "Đội", "Trưởng", "Thứ"]
NAME_CONTEXTS = [
    "Ông {} (70 tuổi, anh rể của bà Lô) cho biết bà Lô là con thứ 5.",
    "Sáng 12/3, anh {} đến Công an xã Vĩnh Thanh trình báo.",
    "Bị cáo {}, sinh năm 1970, bị tuyên phạt 6 tháng tù.",
    "Gia đình chị {} ở xã Quảng Hợp cho biết như vậy.",
    "{} khai nhận đã lấy trộm chiếc xe máy.",
]


@SETTINGS
@given(
    surname=st.sampled_from(SURNAMES),
    middle=st.sampled_from(MIDDLES),
    given_name=st.sampled_from(STOP_GIVEN),
    context=st.sampled_from(NAME_CONTEXTS),
)
@example(surname="Nguyễn", middle="Đức", given_name="Điều", context=NAME_CONTEXTS[0])
@example(surname="Cao", middle="Văn", given_name="Đường", context=NAME_CONTEXTS[2])
def test_a_given_name_that_is_also_a_stop_word_ends_the_full_name(
    surname: str, middle: str, given_name: str, context: str
) -> None:
    name = f"{surname} {middle} {given_name}"
    text = context.format(name)
    start = text.index(name)
    assert covered(text, start, start + len(name)), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Theo Điều 9 Luật Tố cáo, người tố cáo được bảo vệ.", "Điều 9 Luật Tố cáo"),
        ("Anh Nguyễn Văn Nam, Đội trưởng Đội CSGT Công an huyện, cho biết.", "Đội CSGT"),
        ("Ông Lê Văn Tám gặp Thứ trưởng Bộ Công an hôm qua.", "Thứ trưởng Bộ Công an"),
        ("Chị Trần Thị Mai về quê. Tuần trước, chị đã đi Hà Nội.", "Tuần trước"),
        ("Anh Phạm Văn Hải báo tin cho Đảng ủy xã Yên Sở.", "Đảng ủy xã Yên Sở"),
    ],
)
def test_institution_words_after_a_name_stay(text: str, part: str) -> None:
    assert untouched(text, part), text


PEOPLE = ["ông Lê Văn Thành", "bà Đỗ Thị Hường", "chị Bùi Thị Cúc", "anh Nguyễn Văn Hùng"]
HAMLET_UNITS = ["thôn", "ấp", "xóm", "bản"]
HAMLET_NAMES = ["Linh Hưng", "An Hòa", "Bình Danh", "Đông Yên", "Trên Nương", "Mỹ Trang"]
HAMLET_TAILS = [" cũng bị mất tiền.", ".", " là người chơi hụi lâu năm.", ", 46 tuổi, cho biết."]


@SETTINGS
@given(
    person=st.sampled_from(PEOPLE),
    comma=st.booleans(),
    unit=st.sampled_from(HAMLET_UNITS),
    hamlet=st.sampled_from(HAMLET_NAMES),
    tail=st.sampled_from(HAMLET_TAILS),
)
@example(
    person="ông Lê Văn Thành", comma=False, unit="thôn", hamlet="Linh Hưng", tail=HAMLET_TAILS[0]
)
@example(person="bà Đỗ Thị Hường", comma=True, unit="ấp", hamlet="An Hòa", tail=".")
def test_a_named_hamlet_after_a_persons_at_is_masked_without_its_commune(
    person: str, comma: bool, unit: str, hamlet: str, tail: str
) -> None:
    home = f"{unit} {hamlet}"
    text = f"Gia đình {person}{',' if comma else ''} ở {home}{tail}"
    start = text.index(home)
    assert covered(text, start, start + len(home)), text


@SETTINGS
@given(
    owner=st.sampled_from(["bà Lê Thị Ái Tâm", "ông Trần Văn Hội", "chị Mai"]),
    street=st.sampled_from(["Huỳnh Tấn Phát", "Lê Văn Lương", "Nguyễn Thị Thập", "Trần Xuân Soạn"]),
    house=st.sampled_from(["Nhà trọ", "Căn nhà", "Dãy trọ"]),
)
@example(owner="bà Lê Thị Ái Tâm", street="Huỳnh Tấn Phát", house="Nhà trọ")
def test_a_house_lying_on_its_street_after_its_owner_is_masked(
    owner: str, street: str, house: str
) -> None:
    home = f"đường {street}"
    text = f"{house} của {owner} nằm trên {home} (phường Phú Thuận, quận 7, TP HCM) bị trộm."
    start = text.index(home)
    assert covered(text, start, start + len(home)), text
    assert untouched(text, "phường Phú Thuận"), text


LADDER_PROVINCES = ["Lai Châu", "Lâm Đồng", "Hà Giang", "Hà Nam", "Hà Tĩnh", "Cao Bằng", "Lạng Sơn"]


@SETTINGS
@given(
    province=st.sampled_from(LADDER_PROVINCES),
    lead=st.sampled_from(["ngụ bản Dền Thàng B, ", "trú tại ", "(SN 1990, ở thôn 3, "]),
)
@example(province="Lai Châu", lead="ngụ bản Dền Thàng B, ")
def test_a_province_closing_an_address_ladder_stays(province: str, lead: str) -> None:
    text = f"Cháu Lù A Sùng, 15 tuổi, {lead}xã Dào San, huyện Phong Thổ, {province}."
    assert untouched(text, province), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Chiếc xe taxi chở anh Derek thuộc hãng xe Mai Linh do tài xế lái.", "Mai Linh"),
        ("Anh Tùng gửi hàng qua nhà xe Phương Trang về quê.", "Phương Trang"),
        ("Chị Lan gửi tiền qua Cộng hòa Séc cho em dâu.", "Cộng hòa Séc"),
        ("Đợt nghỉ lễ Giỗ tổ Hùng Vương vừa qua, ông Tuấn về quê.", "Giỗ tổ Hùng Vương"),
        (
            "Bà Nhung phản ảnh: Việc Trung tâm Phát triển Quỹ đất huyện Cờ Đỏ đã cho ông Sĩ nhận.",
            "Trung tâm Phát triển Quỹ đất huyện Cờ Đỏ",
        ),
    ],
)
def test_firms_countries_holidays_and_agencies_stay(text: str, part: str) -> None:
    assert untouched(text, part), text


# Second batch of pages (17 more): a bare district after an agency's ward, brands after "taxi"
# and "Tập đoàn", and given names that are common words alone where only a person stands.

WARDS = ["phường Vĩnh Phúc", "phường Trung Hòa", "xã Quảng Hợp", "phường Thạch Thang"]
DISTRICTS = ["Ba Đình", "Cầu Giấy", "Quảng Xương", "Thanh Khê", "Hoàng Mai"]


@SETTINGS
@given(
    ward=st.sampled_from(WARDS),
    district=st.sampled_from(DISTRICTS),
    lead=st.sampled_from(["Công an ", "UBND ", "người dân "]),
)
@example(ward="phường Vĩnh Phúc", district="Ba Đình", lead="Công an ")
def test_a_bare_district_after_a_ward_and_a_comma_stays(
    ward: str, district: str, lead: str
) -> None:
    text = f"Chị Chi vay tiền. {lead}{ward}, {district} tổ chức hòa giải nhưng không thành."
    assert untouched(text, district), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Anh Nguyễn Duy Thành đi taxi Mai Linh từ TP.HCM về Cái Bè.", "Mai Linh"),
        (
            "Tài xế Đoàn Quang Nhựt thuộc Chi nhánh Công ty cổ phần Tập đoàn Mai Linh Tiền Giang.",
            "Mai Linh Tiền Giang",
        ),
    ],
)
def test_brands_after_taxi_and_group_stay(text: str, part: str) -> None:
    assert untouched(text, part), text


LONE_GIVEN = ["Trung", "Quốc", "Ngân", "Cảnh", "Hùng", "Tuấn"]
PERSON_CONTEXTS = [
    "Tòa đã tuyên phạt {} 6 tháng tù.",
    "Khoảng 1 giờ ngày hôm sau, {} đi bộ đến khu vực nhà anh Nguyễn Huy V.",
    "Tại cơ quan công an, {} khai nhận vừa lấy trộm đôi dép.",
    "Công an đã bắt {} khi đang tiêu thụ tài sản.",
]


@SETTINGS
@given(name=st.sampled_from(LONE_GIVEN), context=st.sampled_from(PERSON_CONTEXTS))
@example(name="Trung", context=PERSON_CONTEXTS[0])
@example(name="Trung", context=PERSON_CONTEXTS[1])
def test_a_lone_given_name_where_only_a_person_stands_is_masked(name: str, context: str) -> None:
    text = context.format(name)
    start = text.index(name)
    assert covered(text, start, start + len(name), tagger=True), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Mưa lớn ở miền Trung đã gây ngập nhiều nơi.", "Trung"),
        ("Ban Chấp hành Trung ương đã họp.", "Trung ương"),
        ("Quốc hội đã thông qua luật.", "Quốc hội"),
        ("Anh gửi tiền vào Ngân hàng Nhà nước.", "Ngân hàng"),
        ("Hàng hóa của Việt Nam xuất sang Trung Quốc đi qua cửa khẩu.", "Trung Quốc"),
    ],
)
def test_the_same_words_as_common_words_stay(text: str, part: str) -> None:
    assert untouched(text, part), text
