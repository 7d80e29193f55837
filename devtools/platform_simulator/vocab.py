# ruff: noqa: E501
"""Vietnamese vocabulary for the world generator: names, places, message and reply templates.

Templates use ``{slot}`` placeholders that :mod:`platform_simulator.textgen` fills. Every
template belongs to one (category, topic) pair, which becomes the ground-truth label.
"""

from __future__ import annotations


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(sep))


SURNAMES = _words(
    "Nguyễn Nguyễn Nguyễn Lê Lê Trần Phạm Hoàng Vũ Đỗ Bùi Đặng Ngô Mai Trịnh Lương Đinh Hà Lò Phan Dương Cao"
)
MIDDLE_MALE = ("Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Đình", "Công", "Thành")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Hồng", "Phương", "Mai")
GIVEN_MALE = _words(
    "Tùng Hùng Dũng Nam Hải Tuấn Quân Sơn Long Thắng Cường Mạnh Hiếu Đạt Khánh Phong Trung Bình Lâm Vinh Toàn Huy"
)
GIVEN_FEMALE = _words(
    "Hoa Lan Hương Linh Trang Thảo Mai Huyền Nga Hà Yến Nhung Phượng Hạnh Loan Vân Ngọc Giang Thủy Hằng Oanh"
)
NICKNAMES = _words(
    "Bé Heo|Sóc Nâu|Mẹ Bắp|Tít Mít|Ốc Sên|Gấu Béo|Cún Con|Mây Trắng|Hạt Tiêu|Bố Bin|Mẹ Su|Trà Sữa",
    "|",
)
NAME_DECOR = ("", "", "", "", "", " 🌸", " ✨", " 🍀", " (Bin)")

PROVINCES = ("Hà Nội", "Nghệ An", "Ninh Bình", "Hải Phòng", "Nam Định", "TP HCM", "Hòa Bình")

LANDMARKS_NGA_SON = (
    "chợ Nga Sơn",
    "đê biển Nga Tiến",
    "ngã ba Nga Tân",
    "cầu Nga Bạch",
    "đường 527",
    "bến xe Nga Sơn",
    "động Từ Thức",
    "cống Trung Điền",
    "khu công nghiệp Nga Sơn",
    "trường THPT Ba Đình",
    "quốc lộ 10",
    "chợ Hói",
)
LANDMARKS_SAM_SON = (
    "bãi biển Sầm Sơn",
    "đường Hồ Xuân Hương",
    "chợ Cột Đỏ",
    "quảng trường biển",
    "đường Nguyễn Du",
    "khu đô thị Sun Group",
    "đền Độc Cước",
    "cảng cá Lạch Hới",
    "đường Lê Lợi",
    "chợ hải sản Trung Sơn",
    "đại lộ Nam Sông Mã",
    "bến xe Sầm Sơn",
)
LANDMARKS_PROVINCE = (
    "đại lộ Lê Lợi",
    "chợ Vườn Hoa",
    "ga Thanh Hóa",
    "bến xe phía Bắc",
    "quốc lộ 1A",
    "đại lộ Hùng Vương",
    "Big C Thanh Hóa",
    "cầu Hàm Rồng",
    "chợ Điện Biên",
)
PLACE_PATTERNS = (
    "thôn {n} {area}",
    "xóm {n} {area}",
    "khu phố {n} {area}",
    "gần {landmark}",
    "đầu ngõ {n} gần {landmark}",
    "đoạn {landmark}",
    "khu vực {landmark}",
    "quán nước cạnh {landmark}",
    "ngã tư gần trường THCS {area_short}",
    "bờ đê {area_short}",
)

GREETS = (
    "",
    "",
    "",
    "Dạ ",
    "Ad ơi, ",
    "Chào anh chị, ",
    "Xin chào, ",
    "Anh chị ơi ",
    "Alo ad ",
    "Kính gửi {unit}, ",
    "Em chào các anh ạ, ",
    "Chào page, ",
    "Các anh công an ơi, ",
)
ASKS = ("cho em hỏi", "cho mình hỏi", "em muốn hỏi", "cho tôi hỏi", "xin hỏi", "ad cho em hỏi")
Q_ENDS = ("ạ?", " ạ", "?", " vậy ạ?", " ad ơi?", "??", " với ạ", " ạ. Em cảm ơn!", " ạ 🙏")
WHOS = (
    "em",
    "vợ em",
    "con em",
    "bố mẹ em",
    "mấy bạn sinh viên thuê trọ nhà em",
    "cháu em",
    "người làm thuê cho nhà em",
    "chồng em",
    "em gái em",
)
TIMES = (
    "tối qua",
    "sáng nay",
    "chiều nay",
    "khoảng 9h tối",
    "đêm qua tầm 1h sáng",
    "hôm qua",
    "tầm 22h hôm qua",
    "mấy hôm nay",
    "tối nào cũng",
    "cuối tuần vừa rồi",
    "lúc 23h",
)
VEHICLES = ("xe máy", "xe Wave", "xe Exciter", "xe SH", "xe đạp điện", "xe Vision", "ô tô")
PHONES_PREFIX = ("091", "094", "098", "097", "096", "086", "088", "035", "036", "038", "039")

# (category, topic, urgent) -> templates
CITIZEN_TEMPLATES: dict[tuple[str, str, bool], tuple[str, ...]] = {
    ("question", "tam_tru", False): (
        "{greet}{ask} đăng ký tạm trú cho {who} thì cần những giấy tờ gì{q_end}",
        "{greet}em thuê trọ ở {place}, giờ muốn đăng ký tạm trú online trên VNeID thì làm thế nào{q_end}",
        "{greet}chủ nhà trọ có phải đăng ký tạm trú cho người thuê không{q_end}",
        "{greet}tạm trú của em hết hạn rồi, gia hạn ở đâu{q_end} Em ở {place}",
        "{greet}đăng ký tạm trú mất mấy ngày thì có kết quả{q_end}",
        "{greet}{who} mới từ {province} về đây làm việc, có cần khai báo tạm trú không{q_end}",
        "{greet}em nộp hồ sơ tạm trú trên dịch vụ công 3 hôm rồi mà chưa thấy duyệt{q_end}",
    ),
    ("question", "tam_vang", False): (
        "{greet}{ask} đi làm ăn xa ở {province} thì có phải khai báo tạm vắng không{q_end}",
        "{greet}{who} đi xuất khẩu lao động thì khai báo tạm vắng thế nào{q_end}",
        "{greet}khai báo tạm vắng online được không hay phải lên trụ sở{q_end}",
    ),
    ("question", "thuong_tru", False): (
        "{greet}{ask} nhập hộ khẩu cho con mới sinh thì làm ở đâu{q_end}",
        "{greet}em mua đất ở {place} rồi, muốn chuyển thường trú về đây cần giấy tờ gì{q_end}",
        "{greet}{ask} xóa đăng ký thường trú cho người đã mất thủ tục ra sao{q_end}",
        "{greet}giờ không còn sổ hộ khẩu giấy thì xác nhận thông tin cư trú ở đâu{q_end}",
        "{greet}{ask} tách hộ thì phải làm những gì{q_end}",
    ),
    ("question", "cccd", False): (
        "{greet}{ask} làm căn cước cho trẻ dưới 14 tuổi có cần đưa cháu lên không{q_end}",
        "{greet}CCCD của em bị mất, làm lại thì mang theo gì{q_end}",
        "{greet}em làm căn cước từ tháng trước mà chưa có, tra cứu ở đâu{q_end}",
        "{greet}thẻ căn cước của {who} sai ngày sinh, sửa thế nào{q_end}",
        "{greet}{ask} thứ 7 có làm căn cước không{q_end}",
        "{greet}CCCD gắn chip hết hạn năm nay thì đổi sang thẻ căn cước mới ở đâu{q_end}",
        "{greet}{ask} cấp đổi căn cước mất phí bao nhiêu{q_end}",
    ),
    ("question", "vneid", False): (
        "{greet}em quên mật khẩu VNeID, lấy lại thế nào{q_end}",
        "{greet}tài khoản định danh mức 2 của em bị khóa, giờ làm sao{q_end}",
        "{greet}{ask} đăng ký VNeID mức 2 thì phải lên công an xã đúng không{q_end}",
        "{greet}VNeID báo số điện thoại không khớp, em đổi sim rồi{q_end}",
        "{greet}em tích hợp giấy phép lái xe vào VNeID không được{q_end}",
        "{greet}app VNeID cứ báo lỗi không đăng nhập được từ hôm qua{q_end}",
    ),
    ("question", "dang_ky_xe", False): (
        "{greet}{ask} mua {vehicle} cũ thì sang tên ở đâu{q_end}",
        "{greet}đăng ký xe mới mua giờ làm online được không{q_end}",
        "{greet}em bị mất giấy đăng ký {vehicle}, làm lại cần gì{q_end}",
        "{greet}{ask} đổi biển vàng cho xe kinh doanh vận tải thì lên đâu{q_end}",
        "{greet}xe của bố em đứng tên người đã mất, muốn sang tên thì làm sao{q_end}",
    ),
    ("question", "ly_lich_tu_phap", False): (
        "{greet}{ask} xin phiếu lý lịch tư pháp số 1 thì nộp ở đâu{q_end}",
        "{greet}làm lý lịch tư pháp trên VNeID mất bao lâu{q_end}",
        "{greet}em cần lý lịch tư pháp để đi xuất khẩu lao động, có làm nhanh được không{q_end}",
    ),
    ("question", "luu_tru", False): (
        "{greet}nhà em làm homestay ở {place}, khách du lịch đến thì thông báo lưu trú thế nào{q_end}",
        "{greet}tàu cá nhà em có 8 lao động ngoại tỉnh, khai báo lưu trú cho bạn thuyền thế nào{q_end}",
        "{greet}{ask} khách ở qua đêm thì phải báo lưu trú trước mấy giờ{q_end}",
        "{greet}nhà nghỉ khai báo lưu trú qua phần mềm ASM bị lỗi thì làm sao{q_end}",
        "{greet}tàu cá đi biển dài ngày thì thuyền viên khai báo tạm vắng hay lưu trú{q_end}",
    ),
    ("tip", "dua_xe", False): (
        "{greet}{time} có nhóm thanh niên tụ tập đua xe ở {place}, rất nguy hiểm",
        "Báo công an: {time} có khoảng 20 xe máy rú ga đua xe trên {landmark}",
        "{greet}{time} lại có đua xe trái phép ở {place}, có xe biển {plate}",
        "Đêm nào cũng có bọn đua xe ở {place}, dân không ngủ được, đề nghị xử lý",
    ),
    ("tip", "boc_dau", False): (
        "{greet}{time} có mấy thanh niên bốc đầu xe ở {place}, xe {vehicle} biển {plate}",
        "Có clip mấy đứa bốc đầu xe trên {landmark} {time}, đề nghị công an xử lý",
        "Thanh niên bốc đầu, lạng lách ở {place} {time}, suýt đâm vào người đi bộ",
    ),
    ("tip", "co_bac", False): (
        "{greet}ở {place} có nhóm tụ tập đánh bạc, sát phạt ăn tiền {time}",
        "Báo tin: có lô đề, cá độ bóng đá ở quán nước {place}",
        "{greet}nhà số {n} {place} tối nào cũng có đánh bài ăn tiền, rất đông người ra vào",
        "Có sới gà ăn tiền ở bãi đất trống {place}, chiều nào cũng tụ tập",
    ),
    ("tip", "cho_vay_nang_lai", False): (
        "{greet}em bị một nhóm cho vay nặng lãi khủng bố điện thoại, lãi 5 nghìn 1 triệu 1 ngày",
        "Có đối tượng dán tờ rơi cho vay tiền nhanh ở {place}, thu lãi cắt cổ",
        "{greet}nhóm đòi nợ thuê ném chất bẩn vào nhà em ở {place} {time}",
        "App vay tiền online gọi điện đe dọa người thân em, số gọi đến {phone}",
    ),
    ("tip", "trom_cap", False): (
        "{greet}nhà em ở {place} bị mất trộm {vehicle} {time}",
        "Báo công an: {time} có 2 thanh niên đi xe không biển số bẻ khóa xe ở {place}",
        "{greet}gần đây trộm chó hoạt động nhiều ở {place}, đi xe {vehicle} biển {plate}",
        "Có kẻ trộm cắp tài sản ở chợ {area_short}, mất mấy cái điện thoại rồi",
    ),
    ("tip", "ma_tuy", False): (
        "{greet}ở {place} có đối tượng nghi bán ma túy, người lạ ra vào suốt",
        "Em thấy mấy thanh niên tụ tập sử dụng bóng cười, nghi ma túy ở {place} {time}",
        "Báo tin: nhà nghỉ gần {landmark} có dấu hiệu mua bán ma túy",
        "{greet}có người trồng cây cần sa trong vườn ở {place}",
    ),
    ("tip", "lua_dao_qua_mang", False): (
        "{greet}em bị lừa chuyển tiền cọc mua hàng online mất 3 triệu, số tài khoản kẻ lừa đảo em còn lưu",
        "Có trang facebook giả mạo bán vé tham quan ở {landmark}, nhiều người bị lừa",
        "{greet}mẹ em bị gọi điện bảo con bị tai nạn cần chuyển tiền gấp, số gọi {phone}",
        "Cảnh báo: có người nhắn tin tuyển cộng tác viên làm nhiệm vụ online, em mất 12 triệu rồi",
        "{greet}em bị lừa đảo đầu tư tiền ảo, mất hơn 50 triệu, giờ phải làm sao",
    ),
    ("tip", "mao_danh_cong_an", False): (
        "{greet}có người gọi tự xưng công an phường, bảo em cài app để cập nhật định danh",
        "Số {phone} gọi cho bố em tự nhận là công an, bảo bố liên quan vụ rửa tiền",
        "{greet}có người mặc giả cảnh phục đến thu tiền các hộ kinh doanh ở {place}",
        "Bà ngoại em nhận cuộc gọi mạo danh công an yêu cầu chuyển tiền vào tài khoản tạm giữ",
    ),
    ("tip", "danh_nhau", True): (
        "CÔNG AN ĐẾN NGAY!!! Đang có đánh nhau ở {place}, có cả dao",
        "{greet}đang có nhóm thanh niên cầm mã tấu đuổi chém nhau trước {landmark}, mau lên!!",
        "Khẩn cấp: đang có ẩu đả rất đông người ở {place}, có người bị thương chảy máu",
        "Gấp ạ, đang có hỗn chiến ở {place}, bọn nó có gậy gộc và dao",
    ),
    ("tip", "vu_khi", True): (
        "Có người say rượu cầm dao dọa giết vợ con ở {place}, công an đến gấp giúp",
        "{greet}có thanh niên mang súng tự chế đi lại ở {place} ngay lúc này",
        "Khẩn: có người cầm dao khống chế con tin trong nhà ở {place}",
    ),
    ("tip", "bao_luc_gia_dinh", True): (
        "Hàng xóm em đang đánh vợ rất dã man ở {place}, nghe tiếng kêu cứu, nhờ công an đến ngay",
        "{greet}có người đang bị chồng đánh ngoài đường {place}, cứu với",
    ),
    ("feedback", "khen_ngoi", False): (
        "Cảm ơn {unit} đã giúp đỡ gia đình em làm thủ tục rất nhanh",
        "Các anh ở bộ phận một cửa nhiệt tình lắm, em cảm ơn ạ",
        "Cảm ơn các chiến sĩ đã tìm lại chiếc {vehicle} bị mất cho gia đình em",
        "Khen ngợi đồng chí trực ban tối qua đã hỗ trợ người dân rất chu đáo 👍",
    ),
    ("feedback", "phan_nan", False): (
        "{greet}em lên làm căn cước 3 lần mà lần nào cũng báo lỗi hệ thống, mất công quá",
        "Cán bộ tiếp dân ở {unit} thái độ không nhiệt tình, hỏi gì cũng bảo lên mạng xem",
        "Hồ sơ tạm trú của em nộp 2 tuần chưa được giải quyết, đề nghị xem xét",
        "Gọi đường dây nóng mãi không ai nghe máy, người dân biết báo ai",
        "Đường {landmark} đèn đường hỏng, tối thanh niên tụ tập, đề nghị tăng cường tuần tra",
    ),
    ("feedback", "gop_y", False): (
        "Đề nghị công an bố trí làm căn cước vào thứ 7 cho công nhân đi làm",
        "Góp ý: nên có số điện thoại trực ban ghim trên đầu trang để người dân dễ liên hệ",
        "Mong các anh đăng hướng dẫn VNeID bằng video cho người già dễ làm theo",
    ),
    ("lost_found", "mat_giay_to", False): (
        "{greet}em đánh rơi ví ở khu vực {landmark}, trong có CCCD và bằng lái, ai nhặt được xin liên hệ {phone}",
        "{greet}mất căn cước trên đường đi chợ {area_short} {time}, phải báo mất ở đâu{q_end}",
        "Em làm rơi túi giấy tờ xe {vehicle} biển {plate} ở {place}, ai nhặt được cho em xin lại",
    ),
    ("lost_found", "mat_tai_san", False): (
        "{greet}em để quên điện thoại Samsung trên xe khách từ {province} về {area_short} {time}",
        "Mất {vehicle} biển {plate} trước cửa hàng ở {place} {time}, có camera không ạ",
        "Cháu bé làm rơi dây chuyền vàng ở {landmark}, ai nhặt được xin trả lại, hậu tạ",
    ),
    ("lost_found", "nhat_duoc", False): (
        "{greet}em nhặt được ví có giấy tờ ở {place}, muốn gửi lại công an để trả người mất",
        "Nhặt được điện thoại iPhone ở {landmark} {time}, chủ máy liên hệ công an nhận lại",
        "Có chiếc {vehicle} bị bỏ lại ở {place} mấy ngày nay, nghi xe trộm",
    ),
    ("lost_found", "tim_nguoi_than", False): (
        "Tìm người thân: bố em 78 tuổi bị lẫn, đi khỏi nhà ở {place} từ {time}, mặc áo nâu, ai thấy báo giúp {phone}",
        "{greet}con em 14 tuổi bỏ nhà đi từ {time} chưa về, nhờ công an giúp tìm",
        "Có cụ già đi lạc ở {landmark}, không nhớ nhà, ai là người nhà đến đón",
    ),
    ("spam", "quang_cao", False): (
        "Vay tiền online lãi suất thấp, giải ngân trong 5 phút, liên hệ zalo {phone}",
        "Nhận làm giấy tờ nhanh, bằng lái, căn cước, không cần thi. Ib ngay",
        "Tuyển cộng tác viên làm việc tại nhà thu nhập 500k/ngày, inbox mình",
        "Bán sim số đẹp giá rẻ, ai cần liên hệ {phone}",
    ),
    ("spam", "xuc_pham", False): (
        "Làm ăn như thế này thì dân nhờ ai được",
        "Toàn nói hay, có ai xử lý đâu 😤😤",
        "Page này có ai trực không hay để làm cảnh",
    ),
    ("greeting", "chao_hoi", False): (
        "Chào ad",
        "Alo",
        "Xin chào",
        "👍",
        "Ad ơi",
        "Có ai trực page không ạ",
        "Hello page",
        "Chào buổi sáng các anh",
        "Alo alo",
        "Ad có đó không ạ",
    ),
}

# Follow-ups inside an existing thread.
THANKS_TEMPLATES = (
    "Dạ em cảm ơn ạ",
    "Em cảm ơn ad nhiều",
    "Ok cảm ơn anh",
    "Cảm ơn các anh 🙏",
    "Dạ vâng ạ",
    "Vâng em hiểu rồi ạ",
    "Cảm ơn page đã trả lời",
    "👍👍",
)
MORE_QUESTION_TEMPLATES = (
    "Vậy có cần mang bản gốc không ạ?",
    "Thế em làm online được không ad?",
    "Lệ phí bao nhiêu ạ?",
    "Thứ 7 có làm việc không ạ?",
    "Em gửi qua bưu điện được không ạ?",
    "Mất khoảng mấy ngày thì có ạ?",
    "Người nhà làm thay được không ạ?",
)
NUDGE_TEMPLATES = (
    "Ad ơi trả lời giúp em với",
    "Sao chưa ai trả lời vậy ạ",
    "Có ai đọc tin nhắn không ạ",
    "Anh chị ơi giúp em với ạ",
    "Em vẫn đang chờ ạ",
    "???",
)
TIP_DETAIL_TEMPLATES = (
    "Biển số xe là {plate}",
    "Em có chụp được ảnh, gửi anh xem",
    "Bọn nó vẫn đang ở đó",
    "Cỡ 5-6 người, đi xe {vehicle}",
    "Khoảng {time} là đông nhất",
    "Số điện thoại em {phone} nếu cần",
)

STAFF_REPLIES: dict[str, tuple[str, ...]] = {
    "question": (
        "Chào bạn, {unit} xin trả lời: bạn mang theo căn cước đến bộ phận một cửa trong giờ hành chính hoặc nộp trực tuyến trên ứng dụng VNeID/Cổng dịch vụ công.",
        "Chào bạn, thủ tục này bạn thực hiện trên VNeID mục Thủ tục hành chính. Nếu vướng mắc, liên hệ trực ban {unit} qua số {hotline}.",
        "Cảm ơn bạn đã liên hệ. Hồ sơ được giải quyết trong 3 ngày làm việc, bạn theo dõi kết quả trên VNeID nhé.",
        "Chào bạn, bạn vui lòng đến trụ sở {unit} vào sáng thứ 2 đến thứ 6 để được cán bộ hướng dẫn trực tiếp.",
        "Dạ, {unit} đã nhận được câu hỏi. Bạn để lại số điện thoại qua tin nhắn để cán bộ gọi lại hướng dẫn ạ.",
    ),
    "tip": (
        "Cảm ơn bạn đã cung cấp thông tin. {unit} đã tiếp nhận và sẽ kiểm tra, xác minh.",
        "{unit} đã ghi nhận tin báo, thông tin của người báo tin được giữ bí mật. Cảm ơn bạn.",
        "Cảm ơn bạn. Lực lượng chức năng sẽ xác minh, xử lý theo quy định.",
    ),
    "urgent": (
        "{unit} đã tiếp nhận, tổ công tác đang đến hiện trường. Bạn giữ an toàn, gọi 113 nếu cần.",
        "Đã chuyển tin cho tổ tuần tra, lực lượng đang đến. Cảm ơn bạn.",
    ),
    "feedback": (
        "Cảm ơn ý kiến của bạn, {unit} xin ghi nhận và sẽ chấn chỉnh.",
        "{unit} cảm ơn bạn đã tin tưởng và đồng hành cùng lực lượng Công an.",
        "Cảm ơn bạn đã góp ý, chúng tôi sẽ báo cáo lãnh đạo xem xét.",
    ),
    "lost_found": (
        "{unit} đã tiếp nhận thông tin, nếu có người giao nộp chúng tôi sẽ liên hệ bạn.",
        "Chào bạn, bạn đến trụ sở {unit} để làm đơn trình báo, mang theo giấy tờ tùy thân.",
        "Cảm ơn bạn, {unit} đã đăng thông báo tìm kiếm, có thông tin sẽ báo lại ngay.",
    ),
    "greeting": (
        "Chào bạn, {unit} có thể hỗ trợ gì cho bạn ạ?",
        "Chào bạn, bạn cần hỗ trợ thủ tục gì ạ?",
    ),
    "followup": (
        "Dạ đúng rồi bạn nhé.",
        "Bạn có thể làm trực tuyến, không cần đến trụ sở.",
        "Lệ phí theo quy định, bạn xem chi tiết trên Cổng dịch vụ công nhé.",
        "Thứ 7 bộ phận một cửa làm việc buổi sáng bạn nhé.",
    ),
}

POSTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "lua_dao_qua_mang",
        "⚠️ CẢNH BÁO LỪA ĐẢO QUA MẠNG",
        (
            "Thời gian gần đây xuất hiện thủ đoạn giả danh nhân viên ngân hàng, yêu cầu người dân bấm vào đường link lạ. Tuyệt đối không cung cấp mã OTP cho bất kỳ ai.",
            "Các đối tượng tuyển cộng tác viên 'làm nhiệm vụ' online, ban đầu trả thưởng nhỏ rồi chiếm đoạt số tiền lớn. Người dân cảnh giác!",
            "Cảnh giác với cuộc gọi thông báo người thân bị tai nạn cần chuyển tiền gấp. Hãy gọi lại cho người thân để xác minh.",
        ),
    ),
    (
        "vneid",
        "📱 HƯỚNG DẪN ĐĂNG KÝ TẠM TRÚ TRÊN VNEID",
        (
            "Bước 1: Đăng nhập VNeID. Bước 2: Chọn Thủ tục hành chính → Đăng ký tạm trú. Bước 3: Điền thông tin và đính kèm giấy tờ chứng minh chỗ ở hợp pháp.",
            "Người dân có thể đăng ký tạm trú trực tuyến mà không cần đến trụ sở. Kết quả trả qua ứng dụng trong 3 ngày làm việc.",
        ),
    ),
    (
        "mao_danh_cong_an",
        "🚨 CẢNH BÁO MẠO DANH CÔNG AN",
        (
            "Công an không làm việc qua điện thoại, không yêu cầu người dân chuyển tiền hay cài đặt ứng dụng lạ. Khi nhận cuộc gọi như vậy, hãy báo ngay cho Công an nơi gần nhất.",
            "Đối tượng giả danh cán bộ công an gửi giấy triệu tập giả qua Zalo. Người dân lưu ý kiểm tra kỹ.",
        ),
    ),
    (
        "dua_xe",
        "🏍️ RA QUÂN XỬ LÝ ĐUA XE, BỐC ĐẦU",
        (
            "Công an ra quân tuần tra, kiểm soát đêm cuối tuần, xử lý nghiêm hành vi tụ tập đua xe, lạng lách, bốc đầu. Phụ huynh quản lý con em mình.",
            "Trong tuần qua đã tạm giữ nhiều phương tiện vi phạm. Đề nghị người dân cung cấp thông tin về các điểm nóng đua xe.",
        ),
    ),
    (
        "cccd",
        "🪪 LỊCH LÀM CĂN CƯỚC CUỐI TUẦN",
        (
            "Bộ phận tiếp nhận hồ sơ căn cước làm việc sáng thứ 7 và chủ nhật để phục vụ học sinh, công nhân. Người dân mang theo giấy tờ cần thiết.",
            "Lưu ý: trẻ em dưới 6 tuổi làm căn cước qua VNeID của cha mẹ, không cần thu nhận sinh trắc học.",
        ),
    ),
    (
        "luu_tru",
        "⚓ THÔNG BÁO LƯU TRÚ CHO KHÁCH DU LỊCH VÀ TÀU CÁ",
        (
            "Mùa du lịch, các cơ sở lưu trú, homestay thực hiện thông báo lưu trú cho khách trước 23 giờ qua ứng dụng ASM hoặc VNeID.",
            "Chủ tàu cá thông báo lưu trú cho thuyền viên ngoại tỉnh trước mỗi chuyến biển, liên hệ Công an xã để được hướng dẫn.",
        ),
    ),
    (
        "ma_tuy",
        "💊 PHÒNG CHỐNG MA TÚY TRONG HỌC ĐƯỜNG",
        (
            "Tuyên truyền tác hại của ma túy, 'bóng cười', thuốc lá điện tử tới học sinh. Mọi thông tin tố giác xin gửi về trang hoặc đường dây nóng.",
        ),
    ),
    (
        "ket_qua",
        "📊 KẾT QUẢ CÔNG TÁC TUẦN QUA",
        (
            "Trong tuần, lực lượng công an đã tiếp nhận và giải quyết nhiều hồ sơ cư trú, căn cước; xử lý vi phạm giao thông và giải quyết tin báo của nhân dân.",
            "Cảm ơn nhân dân đã cung cấp thông tin giúp lực lượng công an phát hiện, xử lý kịp thời các vụ việc.",
        ),
    ),
)

POST_HASHTAGS = ("#CongAnThanhHoa", "#VNeID", "#CanhGiac", "#VìNhânDânPhụcVụ", "#AnNinhTratTu")

ABBREVIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("không", ("ko", "k", "hok")),
    ("được", ("dc", "đc", "đk")),
    ("đăng ký", ("đk", "dk")),
    ("anh em", ("a/e", "ae")),
    ("admin", ("ad",)),
    ("vậy", ("v", "z")),
    ("gì", ("j",)),
    ("với", ("vs",)),
    ("biết", ("bít",)),
    ("trả lời", ("tl", "rep")),
    ("mình", ("mk",)),
    ("rồi", ("r",)),
    ("bây giờ", ("bh",)),
    ("thanh niên", ("tn",)),
    ("công an", ("CA", "ca")),
    ("số điện thoại", ("sđt", "sdt")),
)

EMOJI_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "question": ("🙏", "😊", "🙏🙏", "😅"),
    "tip": ("😡", "⚠️", "😤", "🙏"),
    "feedback": ("👍", "❤️", "😞", "😤"),
    "lost_found": ("😭", "😢", "🙏"),
    "spam": ("💰", "🔥", "✅"),
    "greeting": ("😊", "👋"),
}
