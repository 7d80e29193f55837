"""Property-based, by class of miss (issue #16, sixth pass: citizens' posts, comments and
readers' letters of 20 new pages, train/dev rows):

* a display name in quotes after "tài khoản mạng xã hội" ("tài khoản mạng xã hội “Tung
  Quán”"), as after "tài khoản Facebook";
* what must stay for officers: a district or commune named bare and closed by its province
  with a dash or a comma, as citizens type where they are ("bé trai ở Vị Xuyên - Hà Giang",
  "Em ở xóm Bầu Trạnh, Bạn Lộc, Hòa Mỹ Đông, Đắk Lắk"), while a person named before a
  province stays masked ("anh Hồng Đào, Đắk Lắk").
"""

from __future__ import annotations

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
    "Chủ {cue} \"{name}\" cho biết đã bị lừa.",
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
    "Em ở xóm Bầu Trạnh, Bạn Lộc, {unit}{sep}{province}\".",
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
