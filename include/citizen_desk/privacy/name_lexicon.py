"""The words and patterns the name rules rely on: surnames, cue words, place and agency words,
stop words, well-known places, and the shape of a Vietnamese syllable.

Sets of words as typed with diacritics sit next to their folded forms (lower-case, no marks):
a text typed without diacritics is matched against the folded forms only where they are not
also ordinary words.
"""

from __future__ import annotations

import re
import unicodedata

from citizen_desk.text.normalize import fold


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(words.split())


SURNAMES = word_set(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh trinh truong "
    "lam mai cao luong luu ha ta doan vuong trieu thai quach kieu tong to chu la lai tang dao "
    "khuc mac lu thach giang tieu au banh bach chung dam dieu han hua khong kha lieu nghiem "
    "nong phung quan than thieu tu van vi chau"
)
# Lower-case surname + middle name: only the surnames that are not also common words.
LOWER_SURNAMES = word_set("nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô")
LOWER_SURNAMES_FOLDED = word_set("nguyen tran pham hoang huynh phan dang bui")
LOWER_SURNAME_WORDS = LOWER_SURNAMES_FOLDED | word_set("le vu vo do ho ngo")
MIDDLE_NAMES = word_set(
    "văn thị đức hữu đình công quang minh ngọc thanh xuân hồng kim quốc bá trọng thế "
    "tiến mạnh duy gia hoài khánh phương thùy như bảo"
)
MIDDLE_NAMES_FOLDED = word_set("van thi duc huu dinh cong quang minh ngoc thanh xuan")

# Kinship and title words, as typed with diacritics; without diacritics only the forms that
# are not also common words ("đi", "có", "cầu", "mở" fold to di, co, cau, mo).
CUES = word_set("anh chị em ông bà cô chú bác cháu cậu dì mợ thím bạn")
CUES_FOLDED = word_set("anh chi em ong chu bac chau thim")
# Kinship cues as typed in chats: "a" (anh), "c" (chị), "e" (em), before a name or "A.Quang".
ABBREVIATED_CUES = frozenset({"a", "c", "e"})
# Words after which a lone letter is a label, not a kinship cue ("khoản a", "loại A", "vitamin C").
LETTER_LABELS = word_set(
    "khoan diem muc loai nhom hang lop phan luc phuong an bang to khu day tang phong block "
    "doan giai vitamin kieu dang so chuong quyen tap ban mau cap"
)
INTRO_RE = re.compile(
    r"(?<![a-z])(?:ten toi la|ten toi|ten (?:em|minh|tao|tui|chau|con) la|toi ten la|toi ten|"
    r"toi la|minh ten la|minh ten|minh la|"
    r"em ten la|em ten|ho ten|ho va ten|ten la|ten|nguoi gui|nguoi hoi|nguoi viet|gui tu(?=\s*:))"
    r"\s*:?\s+$"
)
INTRO_WORDS = word_set("toi la ten minh em ho va nguoi gui hoi viet")
INTRO_WORDS_TYPED = word_set("tôi là tên mình em họ và người gửi hỏi viết")
# After these, whatever follows is a name, even in lower case ("tên tôi là hùng").
NAMING_INTRO_RE = re.compile(
    r"(?:ten(?: toi)?(?: la)?|(?:toi|minh|em) ten(?: la)?|ho(?: va)? ten|nguoi (?:gui|hoi|viet))"
    r"\s*:\s+$"
    r"|(?:ten(?: toi| em| minh| tao| tui| chau| con)?(?: la)?|(?:toi|minh|em) ten(?: la)?|"
    r"ho(?: va)? ten)\s+$"
)

# Words after which capitalised words are a place, an agency or a law, not a person.
PLACE_WORDS = word_set(
    "xa phuong huyen quan tinh tp thanh pho thi tran duong pho ap thon xom ngo hem kiet khu lang "
    "ban buon cau cho song nui truong benh vien chua den cong an ubnd hdnd cuc so bo doi tram "
    "vien toa dieu luat khoan nghi dinh quyet thong tu chuong muc tuyen ben cang cty hang "
    "to chi nganh mien vung tay dong nam bac dao"
)
# The same words as typed with diacritics: "truy tố", "giao dịch viên", "khách hàng", "đồng chí"
# and "chị" fold onto "tổ", "viện", "hãng", "đông" and "chi" but are not place words.
PLACE_WORDS_ACCENTED = word_set(
    "xã phường huyện quận tỉnh tp thành phố thị trấn đường ấp thôn xóm ngõ hẻm kiệt khu làng "
    "bản buôn bon cầu chợ sông núi trường bệnh viện chùa đền công an ubnd hđnd cục sở bộ đội "
    "trạm toà tòa điều luật khoản nghị định quyết thông tư chương mục tuyến bến cảng cty hãng "
    "tổ chi ngành miền vùng tây đông nam bắc đảo khóm khối vpls dntn htx tnhh taxi"
)
# Verbs ending in a place word: "yêu cầu Hòa" is not "cầu Hòa" (a bridge).
VERB_BIGRAMS = frozenset(
    {
        "yêu cầu", "nhu cầu", "đề nghị", "kiến nghị", "xác định", "nhận định", "khẳng định",
        "quyết định", "thông báo",
    }
)  # fmt: skip
PLACE_WORDS = PLACE_WORDS | word_set("khom khoi vpls dntn htx tnhh taxi")
PLACE_BIGRAMS = frozenset(
    {
        "thanh pho",
        "thi xa",
        "thi tran",
        "cong an",
        "khu pho",
        "benh vien",
        "uy ban",
        "to dan",
        "hang xe",
        "nha xe",
        "hang taxi",
        "tap doan",
        "co phan",
    }
)
# Capitalised words that are never (part of) a person's name here, as typed with diacritics.
NOT_NAME = word_set(
    "tôi chúng mình ubnd hđnd xã phường huyện quận tỉnh tp phố điều luật khoản nghị "
    "bộ sở cục viện tòa bệnh đội trạm hội đảng nhà cty hôm ngày tháng chiều "
    "tối đêm lúc vào tại ở các những một xin kính gửi nhờ chào đã đang sẽ chủ trưởng phó "
    "giám cán bí tuần thứ bài thôn xóm ấp ngõ ngách hẻm kiệt đường số lộ tỉnh lộ đây"
)
# Words of `NOT_NAME` that are given names too ("ông Hội", "Phạm Văn Hội"): a name after a
# kinship cue or a surname and a middle name, unless an institution's word follows ("Hội Nông
# dân", "Hội Liên hiệp Phụ nữ", "Hội đồng").
GIVEN_ALSO: dict[str, frozenset[str]] = {
    "hội": word_set(
        "nông phụ liên cựu chữ đồng luật nhà người doanh sinh bảo khuyến làm thẩm nghị trưởng "
        "viên quán chợ thi đua văn y nhạc họa an sở sử chăn cha phụ thánh trại hè đền xuân diễn "
        "trường cao khoa kín nhóm đoàn chính thảo nghề từ tương hữu hiếu chơi lim gióng"
    ),
    # "Nguyễn Đức Điều" (not "Điều 9", "Điều lệ"), "Lê Văn Đảng", "Phạm Văn Tuần", "Trần Thanh
    # Kiệt", "Cao Văn Đường", "Nguyễn Văn Nghị", "Trần Văn Đội", "Vũ Văn Trưởng", "Lê Văn Thứ"
    "điều": word_set("luật lệ khoản kiện tra hành phối chỉnh trị động khiển dưỡng này đó"),
    "đảng": word_set("ủy uỷ bộ viên cộng đoàn"),
    "tuần": word_set("trước sau này tới qua lễ tra"),
    "kiệt": word_set("sức quệ"),
    "đường": word_set("dây sắt bộ thủy thuỷ phố số tỉnh huyện quốc"),
    "nghị": word_set("định quyết viện sĩ"),
    "đội": word_set("trưởng phó cảnh csgt cstt cscđ quản thi phòng tuyển"),
    "trưởng": word_set("phòng ban thôn công đoàn khoa ấp khu tộc nhóm xóm"),
    "thứ": word_set("hai ba tư năm sáu bảy trưởng"),
    "chúng": word_set("tôi ta nó mình em con cháu"),  # "Nguyễn Thị Chúng", not "Chúng tôi"
    # "Châu Văn Phó", not "Lê Văn Phó Chủ tịch xã"
    "phó": word_set("chủ giám trưởng thủ tổng ban phòng bí chánh viện đội cục hiệu thống đô bộ"),
}
# Also given names or surnames ("Đinh Quốc Thiện", "Hà Văn Ngân", "Đoàn Tuế", "Huỳnh Quý"): a
# stop word only before these words ("Quốc lộ", "Ngân hàng", "Đoàn thanh niên", "Sáng nay").
STOP_BEFORE: dict[str, frozenset[str]] = {
    "quốc": word_set("lộ tế hội gia phòng khánh doanh ca kỳ tịch lập"),
    "ngân": word_set("hàng sách quỹ khố"),
    "đoàn": word_set("thanh thể kết công viên trưởng xe luật đại kiểm tàu người khách"),
    "quý": word_set("i ii iii iv khách vị ông bà cơ"),
    "sáng": word_set("nay mai qua sớm ngày hôm cùng chủ thứ mùng mồng"),
    "công": word_set("an ty trình đoàn nghệ thương nhân"),
    "trường": word_set("học tiểu trung đại mầm cao chính quân nghề thpt thcs cđ đh tc pt ptth mn"),
    # the capitalised head of a legal document or an office ("Quyết định số 537", "Thông tư
    # 59", "Chỉ thị 15", "Thanh tra Chính phủ")
    "quyết": word_set("định"),
    "thông": word_set("tư báo tin tấn"),
    "chỉ": word_set("thị"),
    "thanh": word_set("tra niên"),
    "an": word_set("ninh toàn"),
    # "Trung tâm Phát triển Quỹ đất", "Trung ương", "Trung thu", "Trung đoàn": no man Trung
    "trung": word_set("tâm ương thu đoàn đội tướng tá úy uý học cấp"),
}
# Years of the sixty-year cycle ("Tết Đinh Dậu", "năm Canh Tý"): a stem and a branch, not a name.
STEMS = word_set("giáp ất bính đinh mậu kỷ kỉ canh tân nhâm quý")
BRANCHES = word_set("tý tí sửu dần mão mẹo thìn tỵ tị ngọ mùi thân dậu tuất hợi")
# Capitalised acronyms of a business or office named after its owner ("VPLS Đặng Sơn").
ORG_ACRONYMS = word_set("vpls dntn htx tnhh cty")
# Administrative words that open a place name even when capitalised ("Phường Văn Phú", "TDP Hoàng
# Động"); none of them is a kinship or title word.
CAPITALISED_PLACE_WORDS = word_set(
    "xã phường huyện quận tỉnh đường phố thôn xóm ấp tdp ngõ hẻm tp tx tt "
    "luật bộ sở cục viện tòa đội trạm"  # "Luật Tố cáo", "Bộ Công an", "Sở Tư pháp"
)
# Abbreviated administrative words written against the name ("TP.Đà Nẵng", "P.Thạch Thang",
# "Q.Hải Châu", "H.Mang Thít", "TT.Cái Nhum", "X.Hòa Tiến"): a place, unless a kinship cue or
# another initial stands before the letter ("chị H. Nam", "N.V.P. Hùng").
ABBREVIATED_UNITS = word_set("tp tx tt p q h x")

# Provinces and centrally-run cities as typed with diacritics: the tagger calls "c) Thanh Hóa" a
# person. Without diacritics "Thanh Hoa" may be a man's name, so only the typed forms count.
PROVINCES_TYPED = frozenset(
    {
        "an giang", "bà rịa", "vũng tàu", "bắc giang", "bắc kạn", "bạc liêu", "bắc ninh",
        "bến tre", "bình định", "bình dương", "bình phước", "bình thuận", "cà mau", "cần thơ",
        "cao bằng", "đà nẵng", "đắk lắk", "đắk nông", "điện biên", "đồng nai", "đồng tháp",
        "gia lai", "hà giang", "hà nam", "hà nội", "hà tĩnh", "hải dương", "hải phòng",
        "hậu giang", "hòa bình", "hưng yên", "khánh hòa", "kiên giang", "kon tum", "lai châu",
        "lâm đồng", "lạng sơn", "lào cai", "long an", "nam định", "nghệ an", "ninh bình",
        "ninh thuận", "phú thọ", "phú yên", "quảng bình", "quảng nam", "quảng ngãi",
        "quảng ninh", "quảng trị", "sóc trăng", "sơn la", "tây ninh", "thái bình",
        "thái nguyên", "thanh hóa", "thanh hoá", "thừa thiên", "huế", "tiền giang",
        "trà vinh", "tuyên quang", "vĩnh long", "vĩnh phúc", "yên bái", "sài gòn",
        "hồ chí minh",
    }
)  # fmt: skip
WORD_RE = re.compile(r"[a-z0-9]+")
# One Vietnamese syllable (folded): "Annam", "QL", "Putin" are not Vietnamese given names.
SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(?:[aeiouy]{1,3})(?:ng|nh|ch|[cmnpt])?"
)
# A foreign given name or surname: letters with a vowel, no digit ("Amaud", "Hervé", "John").
FOREIGN_NAME_RE = re.compile(r"(?=[a-z]*[aeiouy])[a-z]{2,12}")
SENTENCE_END = '.!?\n:;"“”()[]*•|>_`#\t–—'
SENTENCE_OPENERS = '.!?\n:;"“”*•|>_`#\t…'
MAX_NAME_WORDS = 4

# Titles, ranks and roles before a bare given name ("đồng chí Quang", "Thượng tá Hùng",
# "đối tượng Tuấn", "bé Ngân"), as typed with diacritics; without diacritics only the
# multi-word forms, which are not ordinary words.
TITLE_CUES = frozenset(
    {
        "bé", "cụ", "vợ", "chồng", "mẹ", "bố", "cha", "ruột", "gia đình", "đồng chí", "cán bộ",
        "điều tra viên", "thượng tá", "trung tá", "đại tá", "thiếu tá", "đại úy", "đại uý",
        "thượng úy", "thượng uý", "trung úy", "trung uý", "thiếu úy", "thiếu uý", "thiếu tướng",
        "trung tướng", "trung sĩ", "thượng sĩ", "luật sư", "bác sĩ", "thầy", "thầy giáo",
        "cô giáo", "nghi can", "nghi phạm", "đối tượng", "bị cáo", "bị can", "nạn nhân",
        "tài xế", "giao dịch viên", "sinh viên", "học sinh", "nữ sinh", "nam sinh",
        "thanh niên", "người nhà", "bạn gái", "bạn trai", "người yêu", "bạn đọc", "độc giả",
        "cử tri", "tức", "bđ", "hiệp sĩ",
    }
)  # fmt: skip
TITLE_CUES_FOLDED = frozenset(
    {
        "dong chi", "can bo", "dieu tra vien", "thuong ta", "trung ta", "dai ta", "thieu ta",
        "dai uy", "thuong uy", "trung uy", "thieu uy", "luat su", "bac si", "nghi can",
        "doi tuong", "bi cao", "bi can", "nan nhan", "tai xe", "ban doc", "doc gia", "cu tri",
        "hiep si",
    }
)  # fmt: skip
CUE_FIRST_WORDS = frozenset(
    fold(cue).split()[0] for cue in CUES | TITLE_CUES | CUES_FOLDED | TITLE_CUES_FOLDED
)
# All-caps words after a cue that are abbreviations, not initials ("anh CSGT").
NOT_INITIALS = word_set("ca csgt cstt cscd ubnd hdnd vks tand tp pc sdt stk atm ctv pv bhxh")
INITIALS_RE = re.compile(r"[a-z](?:\.[a-z])*(?:\.[a-z]+)?(?![a-z0-9])")
# A name right before a birth year, an age or an alias: "Nguyễn Văn A (SN 1990", "Quyền, sinh
# ngày", "Ngũ Đức An (tức An "Ổi"".
BIRTH_AFTER_RE = re.compile(
    r"\s*[,(]\s*(?:sn\b|sinh nam\b|sinh ngay\b|\d{1,3}\s*tuoi\b|tuc\s+[a-z])"
)
# Words that stand before a phone number without naming anyone ("Gọi 0912…", "Nhắn Zalo 09…").
CONTACT_WORDS = word_set(
    "gọi goi nhắn nhan liên lien hệ he số so sđt sdt đt dt hotline zalo điện dien thoại thoai "
    "tổng tong đài dai máy may call tel lh ib inbox alo"
)
# A name right before an e-mail in brackets, whole or cut short by the paper: a reader's
# signature ("Châu Hoàng Ân (an_ketoan@...)").
EMAIL_AFTER_RE = re.compile(r"\s*\(\s*[a-z0-9][a-z0-9._%+-]*@")
# A name right before a phone number: "SĐT của em: Phương 0912...".
PHONE_AFTER_RE = re.compile(r"[ :]*\(?\+?\d(?:[ .\-]{0,2}\d){8,}")
# Display names in the Western order of social media ("Minh Trần", "Trung Le").
LAST_SURNAMES = word_set("nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ ngô")
LAST_SURNAMES_FOLDED = word_set("nguyen tran le pham hoang huynh phan vu vo dang bui")

# A display name after the platform ("tài khoản Facebook Trung Le", "nick Zalo: Hoa Nguyen",
# "tài khoản mạng xã hội “Tung Quán”") or
# a photo credit ("Ảnh: Minh Trần"): capitalised words, Vietnamese syllables or not.
DISPLAY_CUE_RE = re.compile(
    r"(?<![a-z0-9])(?:facebook|fb|zalo|tiktok|telegram|instagram|youtube|fanpage|nick|nickname|"
    r"biet danh|tai khoan(?:\s+(?:mang xa hoi|mxh))?)(?:\s+(?:ca nhan|mang ten|co ten|ten|la))?"
    r"\s*:?\s*[\"'“‘]?$"
)
CREDIT_RE = re.compile(r"(?<![a-z0-9])anh\s*:\s*$")
NOT_DISPLAY = word_set(
    "công báo đài trang kênh ubnd cục sở bộ phòng đội trường bệnh hội nhóm group page "
    "facebook fb zalo tiktok telegram instagram youtube messenger google viber kho quỹ của cua "
    "facebooker tiktoker youtuber vneid vssid etax icloud apple paypal "
    "vietcombank techcombank agribank vietinbank sacombank bidv mbbank tpbank vpbank acb shb "
    "hdbank momo zalopay viettelpay shopee lazada tiki"
)

# A nickname in quotes right after a name or an initial: `Huy "Ổi"`, `T. "Tin"`, `Tuấn “Khỉ”`.
NICKNAME_AFTER_RE = re.compile(r"\.?\s*[\"“]([a-z0-9]+(?: [a-z0-9]+){0,2})[\"”]")
# Capitalised common words that stand alone inside a sentence without being anyone's name
# ("Tết", "Nhà nước", "Chính phủ", "Quốc hội", "Hiến pháp", "Tổ quốc", "Nhân dân", "Thủ
# tướng", "Ủy ban") and places of one word ("Huế", "Vinh", "Pháp", "Mỹ").
LONE_NOT_NAME = word_set(
    "tết đảng nhà nước chính hiến tổ nhân thủ ủy cơ cảnh trung bác phật chúa trời thánh giáng "
    "chủ tổng bí bộ sở cục viện tòa trường phòng ban hội đoàn công quốc ngân "
    "huế vinh pháp mỹ nga lào nhật hàn úc ý thái tây bắc hán kinh thứ giêng chạp rằm mùng mồng "
    # the first word of a newspaper, a programme or an office ("Dân trí", "Tuổi trẻ", "Người
    # lao động", "Lao động", "Tiền phong", "Đời sống", "Gia đình", "Giáo dục", "Sức khỏe")
    "dân tuổi người lao tiền đời gia giáo sức thể văn báo đài cổng tin "
    # function words capitalised after an ellipsis or an emoji ("… Do tuổi cao", "Sau khi")
    "sau nếu có mỗi khi vì do để thì là và nhưng hay hoặc này đó được bị cho với từ trên dưới "
    "trong ngoài hôm nay tuy dù nên rồi cũng vẫn còn chỉ rất quá đi về ra lên xuống không "
    "chưa đừng hãy vui cảm cám "
    # "Việc Trung tâm …", "Quỹ đất", "Cộng hòa Séc", "Giỗ tổ Hùng Vương"
    "việc quỹ cộng séc giỗ"
)
# Words after which one capitalised word is a language, a country or a people ("tiếng Việt",
# "quốc tịch Pháp", "người Mỹ", "nước Anh", "sang Nga", "chữ Hán", "phía Nam", "hồ Thành").
LONE_PLACE_BEFORE = word_set("tiếng tịch người nước dân sang chữ vào ra phía hướng hồ")


# Well-known places whose first word is also a surname ("Hà Nội", "Thái Bình"), as typed with
# diacritics and keyed by their folded form: typed with marks, "Châu My" (a girl called out) is
# not "Châu Mỹ", though both fold to "chau my".
PLACES_MARKED = {
    fold(form): form
    for form in (
        "hà nội", "hà giang", "hà nam", "hà tĩnh", "hà tây", "hạ long", "hà đông", "hà tiên",
        "hà trung", "hồ chí minh", "lâm đồng", "cao bằng", "thái bình", "thái nguyên",
        "phan thiết", "đồ sơn", "lý sơn", "mai châu", "tô lịch", "vụ bản", "hồ gươm",
        "hồ tây", "lâm thao", "cao lãnh", "trần đề", "hà quảng", "từ liêm", "việt nam",
        "trung quốc", "hàn quốc", "nhật bản", "thái lan", "đài loan", "anh quốc", "bà rịa",
        "bà chiểu", "bà điểm", "bà đen", "cô tô", "ông lãnh", "hai bà trưng", "bà trưng",
        "hoa kỳ", "châu thành", "châu đốc", "châu âu", "châu á", "châu phi", "châu mỹ",
        "châu úc", "châu đức", "châu phú",
    )
}  # fmt: skip
# Every well-known place, folded: those above, and those whose marks vary in typing ("Hạ Hòa" /
# "Hạ Hoà") or that also stand as a person's full name ("Hoàng Mai"), matched folded alone.
PLACES = frozenset(PLACES_MARKED) | frozenset({"ha hoa", "hoang mai", "hong kong", "phan rang"})


def starts_with_place(text: str, typed: str | None = None) -> bool:
    """`text` (folded) begins with a known place, whole words only: "chau a" is Châu Á, but
    "chau an" is a person (Châu An), not the start of a continent. `typed`, the same words as
    written: when they carry diacritics, a place known with its marks must be typed with them."""
    marked = typed is not None and fold(typed) != typed.lower()
    typed_lower = unicodedata.normalize("NFC", typed).lower() if marked and typed else ""
    for place in PLACES:
        if not text.startswith(place) or (len(text) > len(place) and text[len(place)].isalnum()):
            continue
        form = PLACES_MARKED.get(place)
        if marked and form and not typed_lower.startswith(form):
            continue
        return True
    return False
