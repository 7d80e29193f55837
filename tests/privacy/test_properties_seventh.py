"""Property-based, by class of miss (issue #16, seventh pass: rows of 54 new train/dev pages):

* a foreigner's name in Latin letters that no Vietnamese syllable spells, named by the birth
  year or the age after it ("gồm Xia Feiyang (SN 2006) và Zhang Haoran (SN 2008)", "đối tượng
  cầm đầu Wang Meng (SN 1990, quốc tịch Trung Quốc)");
* a display name after the platform whose first word is also a page word ("tài khoản Facebook
  Trang Hà Trang"), while a page's own name stays ("fanpage Trang Tin Tức Hà Nội");
* a reader's handle typed as one capitalised word that no Vietnamese syllable spells ("Bạn đọc
  Nguoimientay bức xúc", "Bạn đọc Utnho cho biết");
* a given name after a title and an adjective ("cô giáo trẻ Trung Anh", "nạn nhân xấu số Thu
  Hà");
* a given name met before, again before an acronym ("… Nguyễn Thị Hảo … Hảo FPT đã nhận …");
* a village named bare between a home's hamlet and its commune ("Em ở xóm Bầu Trạnh, Bạn Lộc,
  Hòa Mỹ Đông, Đắk Lắk"), while a commune named bare there stays ("thôn 3, Tân Lập, Đức Phổ");
* a hamlet after a relative's "người ở" with no commune after it ("chị họ tôi, người ở thôn Long
  Phượng, trấn Thiên Hưng"), and a street or hamlet after "nhà <someone> ở" ("đến nhà người quen
  ở phố Cửa Bắc và …"), while a hamlet or a street that is only the scene stays.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from citizen_desk.privacy.name_lexicon import SYLLABLE_RE
from tests.budget import examples
from tests.privacy.helpers import covered, untouched

SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

FOREIGN_NAMES = ["Xia Feiyang", "Zhang Haoran", "Wang Meng", "Chen Jie", "Liu Yang", "John Smith"]
BIRTH_CONTEXTS = [
    "Công an đang tạm giữ 2 đối tượng người Trung Quốc gồm {} (SN 2006) và một người khác.",
    "Riêng đối tượng cầm đầu {} (SN 1990, quốc tịch Trung Quốc) đang bỏ trốn.",
    "Nghi phạm {} (35 tuổi, quốc tịch Hàn Quốc) bị bắt tại Đà Nẵng.",
    "Ngày 16/8, chị Lan và bạn trai {} (SN 1992, quốc tịch Trung Quốc) đến trình báo.",
]


@SETTINGS
@given(name=st.sampled_from(FOREIGN_NAMES), context=st.sampled_from(BIRTH_CONTEXTS))
@example(name="Wang Meng", context=BIRTH_CONTEXTS[1])
@example(name="Xia Feiyang", context=BIRTH_CONTEXTS[0])
def test_a_foreign_name_before_a_birth_year_or_an_age_is_masked(name: str, context: str) -> None:
    text = context.format(name)
    start = text.index(name)
    assert covered(text, start, start + len(name)), text
    for place in ("Trung Quốc", "Hàn Quốc", "Đà Nẵng"):
        if place in text:
            assert untouched(text, place), text


DISPLAY_CUES = ["tài khoản Facebook", "Facebook", "nick Zalo", "tài khoản"]
TRANG_NAMES = ["Trang Hà Trang", "Trang Nguyễn", "Trang Lê Thu", "Trang Phạm"]


@SETTINGS
@given(cue=st.sampled_from(DISPLAY_CUES), name=st.sampled_from(TRANG_NAMES))
@example(cue="tài khoản Facebook", name="Trang Hà Trang")
def test_a_display_name_opening_with_a_page_word_is_masked(cue: str, name: str) -> None:
    text = f"Thậm chí, {cue} {name} dành hẳn một bài cay độc cho cô gái bị nhầm lẫn."
    start = text.index(name)
    assert covered(text, start, start + len(name)), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Fanpage Trang Tin Tức Hà Nội đăng bài cảnh báo.", "Hà Nội"),
        ("Bài viết được đăng trên tài khoản Facebook Trang thông tin điện tử tỉnh.", "Trang"),
    ],
)
def test_a_page_named_after_the_platform_stays(text: str, part: str) -> None:
    assert untouched(text, part), text


HANDLE_SYLLABLES = ["nguoi", "mien", "tay", "ut", "nho", "dan", "gian", "khach", "que", "lang"]


@SETTINGS
@given(
    parts=st.lists(st.sampled_from(HANDLE_SYLLABLES), min_size=2, max_size=3),
    cue=st.sampled_from(["Bạn đọc", "Độc giả", "bạn đọc"]),
    tail=st.sampled_from(
        [" bức xúc, lòng yêu nước là đáng trân trọng.", " cho biết tôi là dân ở đây."]
    ),
)
@example(parts=["nguoi", "mien", "tay"], cue="Bạn đọc", tail=" bức xúc.")
@example(parts=["ut", "nho"], cue="Bạn đọc", tail=" cho biết tôi là dân ở đây.")
def test_a_readers_capitalised_handle_is_masked(parts: list[str], cue: str, tail: str) -> None:
    handle = "".join(parts).capitalize()
    assume(SYLLABLE_RE.fullmatch(handle.lower()) is None)
    text = f"{cue} {handle}{tail}"
    start = text.index(handle)
    assert covered(text, start, start + len(handle)), text


def test_a_readers_paper_stays() -> None:
    text = "Độc giả VnExpress cho biết đã gửi thư tới Công an phường Hải Châu."
    assert untouched(text, "VnExpress"), text


TITLES = ["cô giáo", "thầy giáo", "nữ sinh", "sinh viên", "bác sĩ", "nạn nhân"]
ADJECTIVES = ["trẻ", "xấu số", "nghèo", "tốt bụng", "trẻ tuổi"]
GIVEN_PAIRS = ["Trung Anh", "Minh Quân", "Thu Hà", "Hoài Nam", "Lan Anh", "Đức Huy"]


@SETTINGS
@given(
    title=st.sampled_from(TITLES),
    adjective=st.sampled_from(ADJECTIVES),
    name=st.sampled_from(GIVEN_PAIRS),
)
@example(title="cô giáo", adjective="trẻ", name="Trung Anh")
def test_a_given_name_after_a_title_and_an_adjective_is_masked(
    title: str, adjective: str, name: str
) -> None:
    text = f"Sau nhiều năm dạy học tại Hà Nội, {title} {adjective} {name} trở về quê với ước mơ."
    start = text.index(name)
    assert covered(text, start, start + len(name)), text
    assert untouched(text, "Hà Nội"), text


FULL_NAMES = ["Nguyễn Thị Hảo", "Trần Thị Mai", "Lê Văn Hùng", "Phạm Thu Hằng"]
ACRONYMS = ["FPT", "VTV", "HAGL", "EVN"]


@SETTINGS
@given(name=st.sampled_from(FULL_NAMES), acronym=st.sampled_from(ACRONYMS))
@example(name="Nguyễn Thị Hảo", acronym="FPT")
def test_a_given_name_met_before_is_masked_before_an_acronym(name: str, acronym: str) -> None:
    given_name = name.split()[-1]
    text = (
        f"Cô gái trùng tên là {name}, nhân viên của {acronym}. Ngay khi tin được công bố, "
        f"{given_name} {acronym} đã nhận được nhiều tin nhắn."
    )
    later = text.rindex(f"{given_name} {acronym}")
    assert covered(text, later, later + len(given_name)), text
    assert not covered(text, later + len(given_name) + 1, later + len(given_name) + 4), text


@SETTINGS
@given(
    given_name=st.sampled_from(["Hảo", "Yến", "Đắc", "Khiêm"]), acronym=st.sampled_from(ACRONYMS)
)
@example(given_name="Hảo", acronym="FPT")
def test_a_lone_given_name_is_masked_again_before_an_acronym(given_name: str, acronym: str) -> None:
    text = (
        f"Trong ngày 23/6, ngay khi thông tin bắt giữ {given_name} “tú bà” được công bố, "
        f"{given_name} {acronym} đã nhận được nhiều tin nhắn."
    )
    later = text.rindex(f"{given_name} {acronym}")
    assert covered(text, later, later + len(given_name)), text


RELATIVES = ["chị họ tôi", "bác tôi", "em gái anh ấy", "ông ngoại cháu", "dì của em"]
HAMLETS = ["thôn Long Phượng", "xóm Bầu Trạnh", "ấp An Hòa", "bản Mường Phăng", "thôn Đông Yên"]
HAMLET_TAILS = [", trấn Thiên Hưng”.", "”.", ", gần chợ”."]


@SETTINGS
@given(
    relative=st.sampled_from(RELATIVES),
    hamlet=st.sampled_from(HAMLETS),
    tail=st.sampled_from(HAMLET_TAILS),
)
@example(relative="chị họ tôi", hamlet="thôn Long Phượng", tail=", trấn Thiên Hưng”.")
def test_a_hamlet_after_a_relatives_person_at_is_masked(
    relative: str, hamlet: str, tail: str
) -> None:
    text = f"Một người dùng mạng khẳng định: “Đây là {relative}, người ở {hamlet}{tail}"
    start = text.index(hamlet)
    assert covered(text, start, start + len(hamlet)), text


HOSTS = ["người quen", "bà ngoại", "bạn", "chú", "hàng xóm", "người thân"]
STREETS = ["phố Cửa Bắc", "đường Lê Quang Đạo", "phố Hàng Giấy", "thôn Linh Hưng"]


@SETTINGS
@given(host=st.sampled_from(HOSTS), street=st.sampled_from(STREETS))
@example(host="người quen", street="phố Cửa Bắc")
def test_a_street_or_hamlet_after_someones_house_is_masked(host: str, street: str) -> None:
    text = f"Chiều cùng ngày, anh đưa con đến nhà {host} ở {street} và để cháu chơi ở cầu thang."
    start = text.index(street)
    assert covered(text, start, start + len(street)), text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Nhiều người ở thôn Linh Hưng bị ngộ độc sau bữa cỗ.", "thôn Linh Hưng"),
        ("Vụ cháy xảy ra ở phố Cửa Bắc, phường Trúc Bạch.", "phố Cửa Bắc"),
        ("Một vụ trộm xảy ra trên phố Hàng Giấy đêm qua.", "phố Hàng Giấy"),
    ],
)
def test_a_scene_stays(text: str, part: str) -> None:
    assert untouched(text, part), text


VILLAGES = ["Bạn Lộc", "Gò Sỏi", "Bến Đình", "Đồng Mít", "Cây Da", "Trại Mới"]
LADDER_TAILS = [", Hòa Mỹ Đông, Đắk Lắk", ", Nghĩa Hưng, Nam Định", ", Xuân Thọ, Phú Yên"]


@SETTINGS
@given(
    hamlet=st.sampled_from(["xóm Bầu Trạnh", "thôn 3", "ấp Bình An", "tổ 5"]),
    village=st.sampled_from(VILLAGES),
    tail=st.sampled_from(LADDER_TAILS),
)
@example(hamlet="xóm Bầu Trạnh", village="Bạn Lộc", tail=", Hòa Mỹ Đông, Đắk Lắk")
def test_a_village_named_bare_between_a_home_and_its_commune_is_masked(
    hamlet: str, village: str, tail: str
) -> None:
    text = f"Mọi người kêu cứu giúp em, còn 2 cháu nhỏ. Em ở {hamlet}, {village}{tail}."
    start = text.index(hamlet)
    assert covered(text, start, text.index(village) + len(village)), text
    commune, province = tail.strip(", ").split(", ")
    assert untouched(text, commune), text
    assert untouched(text, province), text


def test_a_commune_named_bare_after_a_home_stays() -> None:
    text = "Tôi ở thôn 3, Tân Lập, Đức Phổ, Quảng Ngãi."
    assert covered(text, text.index("thôn 3"), text.index("thôn 3") + 6), text
    for place in ("Tân Lập", "Đức Phổ", "Quảng Ngãi"):
        assert untouched(text, place), text
