"""Urgency by class of situation (issue #18): synthetic phrasings written for these tests.

Each class below was missed (or over-flagged) as a whole before its cues were added; the
sentences are the team's own wording (not rows of ``datasets/real``), each checked as typed
and without diacritics, so a cue family is tested, not one example.
"""

from __future__ import annotations

import pytest

from citizen_desk.text.normalize import strip_diacritics
from citizen_desk.triage import classify, explain

URGENT = {
    "captor's threat": [
        "Chuyển ngay 50 triệu nếu muốn thấy con mày còn sống",
        "Mày mà báo công an thì chuẩn bị nhận xác con mày",
        "Không đưa tiền thì đừng hòng gặp lại nó",
        "3 ngày nữa không có tiền tao bán nó sang bên kia",
        "Gia đình chuẩn bị 300 triệu, chuyển vào tài khoản này thì nó được về",
        "Nó nói nếu tôi báo công an thì nó giết con tôi",
    ],
    "held abroad or forced": [
        "Con tôi bị lừa sang Campuchia làm việc, bọn chúng đòi 200 triệu mới thả, nếu không"
        " sẽ bán qua công ty khác",
        "Chúng nó đang bắt ép em bán dâm, em bị giữ giấy tờ không trốn được",
        "Bố ơi, con bị bắt cóc rồi, họ đòi tiền, đừng báo công an",
        "Có một người phụ nữ bị giam trong căn nhà cuối hẻm, tôi nghe tiếng kêu khóc mỗi đêm",
    ],
    "threatened or followed now": [
        "tui đang bị nhóm người theo dõi, chúng nó chặn đầu xe, tui sợ quá",
        "Tôi đang bị chồng cũ đe dọa, anh ta đang đứng trước cửa nhà có mang theo dao",
        "Nhà tôi đang bị một nhóm người lạ bao vây, họ ném chất bẩn và đe dọa",
    ],
    "suicide or poisoning": [
        "Bố em uống thuốc sâu rồi, đang co giật",
        "Em không muốn sống nữa, em đã mua thuốc rồi",
        "Có người đang treo cổ trong nhà kho, cứu với",
    ],
    "missing child or frail person": [
        "Cháu tôi mới 3 tuổi, chơi trước nhà rồi biến mất, cả xóm đi tìm mà chưa thấy",
        "Bà nội em bị Alzheimer, đi đâu từ trưa không về, gia đình rất lo",
        "Con gái tôi 11 tuổi đi học không về, cô giáo nói cháu đã về từ 4h chiều",
        "Hai cháu nhỏ đi tắm sông chiều nay chưa thấy lên bờ",
        "Cháu ngoại tôi 2 tuổi bị một người phụ nữ bế đi khi mẹ cháu đang bán hàng",
        "Bé nhà em 4 tuổi vừa bị một người đàn ông lạ dắt đi ở công viên, mọi người giúp em với",
        "Ba tôi bị bệnh tâm thần, bỏ nhà đi từ 2 hôm nay không rõ tung tích",
        "tìm con gấp: bé trai 6 tuổi mặc áo xanh, lạc ở công viên lúc 5h chiều nay",
        "Bố tôi đã già, sức khỏe yếu, ai nhìn thấy bố tôi xin đưa giúp đến công an gần nhất",
    ],
    "lost in the wild, adrift, drowning, electrocuted": [
        "Em bị lạc trong rừng, điện thoại sắp hết pin, không biết đường ra",
        "Thuyền chúng tôi bị hỏng máy đang trôi giữa biển, sóng to, có 5 người",
        "Bạn em đi bơi bị nước cuốn ra xa, không thấy đâu nữa",
        "Có người bị điện giật ngã gục ở cột điện đầu ngõ",
    ],
    "choking on smoke, a fire typed without accents": [
        "Con bị ngạt khói trong phòng, không thở được",
        "Nhà tôi bị cháy rồi",
    ],
    "clinging above a flood": [
        "Nước lên tới trần, ông bà tôi đang đu cầu thang chờ người tới",
        "Cả nhà phải bám mái nhà, nước vẫn lên",
    ],
    "a kidnapping that has just happened": [
        "Mẹ ơi, em con bị người ta bắt cóc rồi",
    ],
    # issue #18, 855-row growth: the classes the new real rows showed missed
    "water up to the roof or the upper floor": [
        "Nước lên tới mái rồi, cả nhà đang ngồi trên gác xép",
        "Nhà ông bà tôi ngập gần hết tầng 1, hai ông bà không đi được",
        "Nước sắp ngập lên tầng 2 rồi, làm sao bây giờ",
    ],
    "held by someone (the agent between 'bị' and the act)": [
        "Chị tôi bị chồng nhốt trong phòng, không cho ra ngoài",
        "Con bé bị bọn chúng trói ở nhà kho cuối xóm",
    ],
    "a medical emergency called in": [
        "Vợ em đẻ rớt rồi, anh cho xe xuống ngay giúp em",
        "Ông tôi tự nhiên ngừng thở, ngất xỉu ngay tại nhà",
    ],
    "a rumour of a find corrected: the child is still missing": [
        "Nhiều người hiểu lầm là gia đình đã tìm thấy cháu, cháu 5 tuổi vẫn chưa về, cả nhà đang"
        " đi tìm",
    ],
    "in the water, alone in a flood, hoping someone shelters a missing child": [
        "Con tôi bị nước cuốn, giờ vẫn đang dưới dòng nước",
        "Bé nhà em ở một mình trong nhà, nước ngập, bé vừa đói vừa sợ",
        "Mong ai đó cưu mang con tôi, từ hôm qua đến giờ con chưa ăn gì",
    ],
}

CALM = {
    "an old story (a year, 'ngày xưa', 'hôm đó', 'khi mới 6 tuổi')": [
        "Năm 2015 con gái tôi mất tích khi mới 6 tuổi, đến nay gia đình vẫn mong tin",
        "Ngày xưa làng tôi hay bị lũ cuốn trôi nhà cửa",
        "Sáng hôm đó không thấy con đâu, cả nhà đi tìm khắp nơi, đến chiều cháu tự về",
        "Tháng 4/2022 em tôi bị nhốt ở Campuchia, giờ đã về Việt Nam",
    ],
    "found, rescued, put out, arrested": [
        "Cụ ông đi lạc ở Hà Đông đã được người dân phát hiện và đưa về gia đình an toàn",
        "Chúng tôi đang giữ một cháu bé khoảng 4 tuổi đi lạc ở cổng chợ, ai là người nhà liên hệ",
        "Đám cháy tối qua ở chợ đã được dập tắt, không có thiệt hại về người",
        "Đêm 12/3, nhóm thanh niên đã đuổi chém nhau ở đầu ngõ, sau đó công an đã bắt giữ",
        "Sau khi gia đình nộp tiền chuộc, con tôi đã được thả và về đến nhà",
    ],
    "hearsay, onlookers and trade slang": [
        "nghe tin có người bị lừa sang Campuchia bị bán cho công ty, gia đình phải chuộc 200 triệu",
        "Sáng nay tôi thấy xe cứu thương chạy qua, không biết có chuyện gì",
        "Cháy hàng rồi, shop ơi bao giờ có hàng lại",
    ],
    "escaped, or a correction of a rumour": [
        "Hàng xóm hô hoán cháy, tôi bế con chạy được ra ngoài",
        "Cháu bé trong clip đi cùng bố mẹ, không phải cháu bé bị mất tích như mọi người đồn",
    ],
    # issue #18, 855-row growth: the classes the new real rows showed over-flagged
    "a story's frame: once, after the incident, 'I thought I was dead'": [
        "Có lần tôi bị chủ nợ giữ lại đến tối mới cho về",
        "Sau vụ việc, vợ chồng hàng xóm xông vào nhà đánh tôi và phá đồ",
        "Nước lũ lên nhanh, tôi chỉ kịp leo lên nóc nhà ngồi suốt đêm, tôi nghĩ đã chết rồi",
    ],
    "a proverb, homework, a bare 'cháy'": [
        "đúng là cháy nhà mới ra mặt chuột",
        "Giờ mà bật lửa thì cháy hết tóc",
        "thầy ơi cứu em với bài tập này",
    ],
    "bystanders and praise for a rescue done": [
        "Nhìn nước ngập tới mái mà rùng mình, mong các anh cứu hộ tới kịp",
        "Cháu bé đã giúp cứu mạng hai người, đáng được khen",
    ],
    "rising water that threatens goods, not lives": [
        "Từ sáng mưa to, nước dâng nhanh, kê cao đồ đạc đến đâu nước lên đến đó",
    ],
    # issue #18, fourteenth session: the classes the 80 new real rows showed over-flagged
    "goods and animals swept away, not people": [
        "Xe máy bị nước cuốn trôi, đồ đạc hỏng hết",
        "Lũ về trong đêm, đàn gà bị cuốn trôi hết",
    ],
    "keeping watch against a rise": [
        "Nước mới tới bậc thềm, tối nay tôi cử người túc trực đề phòng lũ dâng",
    ],
    "a rescuer or helper speaking": [
        "Đội chúng tôi thức trắng, hễ có tin cần cứu hộ là lập tức lên đường",
        "Nước xiết quá, gặp ai cứu người đó thôi",
    ],
    "a story told by the hours between its moments": [
        "Lúc đi nước mới tới sân, hai tiếng sau quay lại thì đã ngập tới cổ",
    ],
}


def _cases(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(what, text) for what, texts in table.items() for text in texts]


@pytest.mark.parametrize(("what", "text"), _cases(URGENT))
@pytest.mark.parametrize("accents", [True, False], ids=["accented", "unaccented"])
def test_a_danger_class_is_urgent_with_or_without_accents(
    what: str, text: str, accents: bool
) -> None:
    typed = text if accents else strip_diacritics(text)
    result = classify(typed)
    assert result.urgent, (what, typed)
    assert result.urgency_cues


@pytest.mark.parametrize(("what", "text"), _cases(CALM))
@pytest.mark.parametrize("accents", [True, False], ids=["accented", "unaccented"])
def test_an_old_resolved_or_figurative_class_is_not_urgent(
    what: str, text: str, accents: bool
) -> None:
    typed = text if accents else strip_diacritics(text)
    assert not classify(typed).urgent, (what, typed)


# Typed with their accents, these words only fold like an urgency word ("đảng" like "đang",
# "cờ" like "cổ", "khổng" like the negator "không", "đạo" like "dao"): without accents the text
# cannot tell them apart, so only the accented typing is checked.
FALSE_FRIENDS = [
    "Cả xóm treo cờ đỏ sao vàng",
    "Tuyệt đối tin Đảng, nơi cứu người",
    "Cái kết là nổ tung cả giàn khoan khổng lồ =))",
    "Cô ấy có đạo đức, nói chuyện dễ dàng",
]


@pytest.mark.parametrize("text", FALSE_FRIENDS)
def test_an_accented_false_friend_is_no_urgency_word(text: str) -> None:
    assert not classify(text).urgent, text


def test_a_false_friend_leaves_the_real_word_alone() -> None:
    assert classify("Có người đang treo cổ trong nhà kho, cứu với").urgent
    assert explain("nhà tôi không bị cháy").urgency <= 0  # "không" still denies


def test_a_story_frame_outweighs_a_pile_of_danger_words() -> None:
    """Danger cues saturate (thresholds.urgent_danger_max): a vivid account told afterwards
    piles them up, and its frame ("lúc đó", "sau đó") decides."""
    told = "Lúc đó chúng nó cầm dao truy sát, đòi giết, tôi nhảy xuống, sau đó trốn được"
    assert not classify(told).urgent
    assert classify("Chúng nó đang cầm dao truy sát, đòi giết, cứu tôi với").urgent


def test_a_guard_inside_a_wider_danger_reading_does_not_count() -> None:
    """Read "bị lừa sang Campuchia" as trafficking, not the "bị lừa" of a scam; the "nếu" of an
    ultimatum is no hypothetical."""
    held = explain("Em tôi bị lừa sang Campuchia, chúng nói nếu không chuộc sẽ bán qua chỗ khác")
    assert held.triage.urgent
    assert "đe dọa: nếu không làm theo thì hại người" in held.urgency_cues
    assert not classify("Tôi bị lừa mất 5 triệu khi mua hàng online").urgent


def test_if_not_opens_a_condition_and_denies_nothing() -> None:
    """'nếu không (trả tiền) sẽ bán ...': the threat stands; 'không bán' alone is denied."""
    threat = explain("họ đòi 200 triệu, nếu không sẽ bán qua công ty khác").urgency
    denied = explain("họ đòi 200 triệu, họ hứa sẽ không bán qua công ty khác").urgency
    assert threat > denied


def test_past_times_are_not_read_into_their_folded_twins() -> None:
    """'tội quá' (what a pity) and 'bán sang qua' (over to) are not 'tối qua', 'sáng qua'."""
    pity = explain("Con bé bị bắt cóc rồi, tội quá").urgency
    last_night = explain("Con bé bị bắt cóc rồi, tối qua").urgency
    assert pity > last_night
    over_to = explain("Em tôi bị bán sang qua Campuchia").urgency
    this_morning = explain("Em tôi bị bán sáng qua ở Campuchia").urgency
    assert over_to > this_morning
    assert (
        explain("em toi bi ban sang qua campuchia").urgency
        == explain("em toi bi ban sang qua o campuchia").urgency
    )  # unaccented "sang qua" stays a past time, as before


def test_an_age_in_months_is_no_duration() -> None:
    """ "em bé 13 tháng" is a baby's age, not "for 13 months" (a chronic problem)."""
    baby = explain("Nhà em có em bé 13 tháng, nước ngập nửa nhà, cần sơ tán gấp")
    assert baby.urgency >= 0
    assert explain("Đã 13 tháng nay nhà tôi bị ngập mỗi khi mưa").urgency < 0


def test_drifting_is_no_tying_up() -> None:
    """Folded "troi" is both "trôi" (drift) and "trói" (tie up): swept away is not held."""
    assert "bị nhốt / giam giữ" not in explain("Con bò bị nước cuốn trôi").urgency_cues
    assert "bị nhốt / giam giữ" in explain("Con bé bị bọn chúng trói ở nhà kho").urgency_cues
