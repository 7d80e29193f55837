"""Property-based, by class of miss (issue #16, sixth pass: citizens' posts, comments and
readers' letters of 20 new pages, train/dev rows):

* a display name in quotes after "tài khoản mạng xã hội" ("tài khoản mạng xã hội “Tung
  Quán”"), as after "tài khoản Facebook";
* a given name that is the agency word, typed in lower case or not ("Đối tượng Dương Công an
  cùng tang vật"), while "Công an xã …", "Bộ Công an", "Lực lượng Công an" stay;
* what must stay for officers: a district or commune named bare and closed by its province
  with a dash or a comma, as citizens type where they are ("bé trai ở Vị Xuyên - Hà Giang",
  "Em ở xóm Bầu Trạnh, Bạn Lộc, Hòa Mỹ Đông, Đắk Lắk"), while a person named before a
  province stays masked ("anh Hồng Đào, Đắk Lắk").
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.budget import examples
from tests.privacy.helpers import covered, untouched

SETTINGS = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

DISPLAY_NAMES = ["Tung Quán", "Hoa Nguyen", "Hien Thanh", "Minh Thư", "Trần Điểu"]
PLATFORM_CUES = ["tài khoản mạng xã hội", "tài khoản MXH", "tài khoản mạng xã hội có tên"]
DISPLAY_CONTEXTS = [
    "Ngày 17/11, phóng viên đã liên hệ với chủ nhân chiếc điện thoại - {cue} “{name}” - và",
    "Sau đó, {cue} “{name}” đăng bài tìm người nhặt được.",
    'Chủ {cue} "{name}" cho biết đã bị lừa.',
]


@SETTINGS
@given(
    name=st.sampled_from(DISPLAY_NAMES),
    cue=st.sampled_from(PLATFORM_CUES),
    context=st.sampled_from(DISPLAY_CONTEXTS),
)
@example(name="Tung Quán", cue=PLATFORM_CUES[0], context=DISPLAY_CONTEXTS[0])
def test_a_display_name_after_a_social_network_account_is_masked(
    name: str, cue: str, context: str
) -> None:
    text = context.format(cue=cue, name=name)
    start = text.index(name)
    assert covered(text, start, start + len(name)), text


UNITS = ["Vị Xuyên", "Hòa Mỹ Đông", "Krông Năng", "Tân Triều", "Minh Tân", "Xuân Thới Đông"]
PROVINCES = ["Hà Giang", "Đắk Lắk", "Hà Nội", "Quảng Nam", "Nghệ An", "Thanh Hóa"]
PLACE_CONTEXTS = [
    "cũng rất nhiều bạn tưởng bé trai ở {unit}{sep}{province} là con em nên em xin xác nhận",
    'Em ở xóm Bầu Trạnh, Bạn Lộc, {unit}{sep}{province}".',
    "Mình ở {unit}{sep}{province}, ai nhặt được xin liên hệ.",
]


@SETTINGS
@given(
    unit=st.sampled_from(UNITS),
    province=st.sampled_from(PROVINCES),
    sep=st.sampled_from([" - ", ", ", " – "]),
    context=st.sampled_from(PLACE_CONTEXTS),
)
@example(unit="Vị Xuyên", province="Hà Giang", sep=" - ", context=PLACE_CONTEXTS[0])
@example(unit="Hòa Mỹ Đông", province="Đắk Lắk", sep=", ", context=PLACE_CONTEXTS[1])
def test_a_unit_closed_by_its_province_is_kept(
    unit: str, province: str, sep: str, context: str
) -> None:
    text = context.format(unit=unit, province=province, sep=sep)
    assert untouched(text, unit), text
    assert untouched(text, province), text


@SETTINGS
@given(
    cue=st.sampled_from(["anh", "chị", "bà", "cháu"]),
    given_name=st.sampled_from(["Hồng Đào", "Minh Tân", "Xuân Phương"]),
    province=st.sampled_from(PROVINCES),
)
def test_a_person_before_a_province_stays_masked(cue: str, given_name: str, province: str) -> None:
    text = f"Theo {cue} {given_name}, {province} đang mưa lớn."
    start = text.index(given_name)
    assert covered(text, start, start + len(given_name)), text


HAMLETS = ["ấp 8", "ấp Tân Định", "thôn Thanh Bình", "xóm 3", "tổ 12"]
COMMUNES = ["xã Xuân Thới Đông", "xã Minh Tân", "phường Từ Liêm"]
HOME_CONTEXTS = [
    "Cùng ở {hamlet} {commune}, bà Lê Thị Lan (66 tuổi) ứa nước mắt.",
    "Cùng ở {hamlet}, {commune}, ông Tư cũng bị lừa.",
    "Thời điểm đó, bé đang chơi trước nhà (tại {hamlet}, {commune}) cùng mẹ.",
    "Cháu chơi trước nhà (ở {hamlet}, {commune}) thì mất tích.",
]


@SETTINGS
@given(
    hamlet=st.sampled_from(HAMLETS),
    commune=st.sampled_from(COMMUNES),
    context=st.sampled_from(HOME_CONTEXTS),
)
@example(hamlet="ấp 8", commune="xã Xuân Thới Đông", context=HOME_CONTEXTS[0])
@example(hamlet="ấp Tân Định", commune="xã Minh Tân", context=HOME_CONTEXTS[2])
def test_a_hamlet_shared_or_of_the_house_is_a_home(hamlet: str, commune: str, context: str) -> None:
    text = context.format(hamlet=hamlet, commune=commune)
    start = text.index(hamlet)
    assert covered(text, start, start + len(hamlet)), text
    assert untouched(text, commune), text


BUILDINGS = ["chung cư CT5-ĐN2 Mỹ Đình 2", "chung cư HH4-C Linh Đàm", "chung cư Thủ Thiêm Xanh"]
RESIDENT_CONTEXTS = [
    "Tối 8/1, Nguyễn Thị Vân Anh (44 tuổi, cư dân {building}, phường Từ Liêm) chửi bới hàng xóm.",
    "Chị Hà (ngụ {building}, phường Từ Liêm) cho biết như vậy.",
    "Anh Tú, cư dân {building}, kể lại sự việc.",
]


@SETTINGS
@given(building=st.sampled_from(BUILDINGS), context=st.sampled_from(RESIDENT_CONTEXTS))
@example(building=BUILDINGS[0], context=RESIDENT_CONTEXTS[0])
def test_a_residents_building_is_masked_with_its_code(building: str, context: str) -> None:
    text = context.format(building=building)
    start = text.index(building)
    assert covered(text, start, start + len(building)), text


def test_a_scene_hamlet_and_netizens_stay() -> None:
    assert untouched("Cư dân mạng bức xúc vì vụ việc ở xã Minh Tân.", "Cư dân mạng")
    assert untouched("Cùng ngày, tại xã Minh Tân, huyện Dầu Tiếng đã xảy ra mưa lớn.", "Dầu Tiếng")


HANDLES = ["dung phan", "tuan anh 88", "hoa.nguyen", "bemeo"]
QUOTES = [("‘", "’"), ("'", "'"), ("“", "”"), ('"', '"')]


@SETTINGS
@given(handle=st.sampled_from(HANDLES), quotes=st.sampled_from(QUOTES))
@example(handle="dung phan", quotes=("‘", "’"))
def test_a_readers_handle_in_quotes_is_masked(handle: str, quotes: tuple[str, str]) -> None:
    text = f"3. Bạn đọc {quotes[0]}{handle}{quotes[1]} (dung376@yahoo.com) gửi email ngày 15/8."
    start = text.index(handle)
    assert covered(text, start, start + len(handle)), text


FULL_NAMES = ["Trần Mỹ Linh", "Nguyễn Thu Hà", "Lê Văn Minh Tuấn", "Phạm Ngọc Anh"]
BEFORE_REPEAT = [
    "hiện đang là sinh viên ngành Ngôn ngữ học - ĐH KHXH & NV Hà Nội.",
    "quê ở Nghệ An.",
    "đang làm việc tại TP.HCM.",
]


@SETTINGS
@given(full=st.sampled_from(FULL_NAMES), middle=st.sampled_from(BEFORE_REPEAT))
@example(full="Trần Mỹ Linh", middle=BEFORE_REPEAT[0])
def test_the_last_two_words_of_a_full_name_repeat_it(full: str, middle: str) -> None:
    short = " ".join(full.split()[-2:])
    text = f"Cô gái tên là {full} (1995), {middle} {short} là một sinh viên ưu tú."
    start = text.rindex(short)
    assert covered(text, start, start + len(short)), text


AGENCY_SURNAMES = ["Dương", "Nguyễn", "Trần", "Lê", "Phạm"]
AGENCY_CUES = ["Đối tượng", "Bị can", "anh", "Nghi phạm"]
AGENCY_AFTER = [" cùng tang vật thu giữ.", ", sinh năm 1990.", " khai nhận hành vi.", "."]


@SETTINGS
@given(
    cue=st.sampled_from(AGENCY_CUES),
    surname=st.sampled_from(AGENCY_SURNAMES),
    spelt=st.sampled_from(["Công an", "Công An"]),
    after=st.sampled_from(AGENCY_AFTER),
)
@example(cue="Đối tượng", surname="Dương", spelt="Công an", after=AGENCY_AFTER[0])
def test_a_name_that_is_the_agency_word_is_masked(
    cue: str, surname: str, spelt: str, after: str
) -> None:
    name = f"{surname} {spelt}"
    text = f"{cue} {name}{after}"
    start = text.index(name)
    assert covered(text, start, start + len(name)), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Đối tượng Dương bị Công an xã Gò Nổi bắt giữ.", "Công an xã Gò Nổi"),
        ("Đối tượng Dương, Công an phường Vĩnh Phúc cho biết.", "Công an phường Vĩnh Phúc"),
        ("Chị Lan đến Công an tỉnh trình báo.", "Công an tỉnh"),
        ("Nguyễn Văn Hùng, Công an TP Hà Nội, cho biết.", "Công an TP Hà Nội"),
        ("Bộ Công an cùng các ngành vào cuộc.", "Bộ Công an"),
        ("Lực lượng Công an cùng người dân tìm kiếm.", "Công an"),
    ],
)
def test_the_agency_word_stays_an_agency(text: str, part: str) -> None:
    assert untouched(text, part), text
