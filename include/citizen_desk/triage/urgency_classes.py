"""Class lexicons for the urgency model: what kind of danger, whether it is now, who is in it.

The rules (:mod:`~citizen_desk.triage.urgency`) weigh precise phrases written from the rows they
were fitted to; on sources they had not seen they caught about a third of the urgent messages.
These lexicons are broad and written by class from the labelling guide (danger to life or
liberty: violence, captivity, fire and flood, missing, self-harm, a medical emergency; a
vulnerable person; happening now; a plea or a call for help; past, resolved, an opinion or a
hypothetical), not from rows. Each class counts its phrases in the folded stream (so with or
without diacritics); the urgency model (:mod:`~citizen_desk.triage.urgency_model`) learns how
much each class and each "danger x context" pair weighs. The lexicons are part of the model's
features: changing them needs ``make train-triage``.
"""

from __future__ import annotations

from citizen_desk.text.normalize import BREAK

DANGER = ("violence", "captivity", "disaster", "missing", "selfharm", "medical")
CONTEXT = (
    "now", "plea", "call", "first", "vulnerable", "past", "resolved", "opinion", "hypothetical",
    "found", "property", "scam", "child", "teen", "adult",
)  # fmt: skip
CALM = ("past", "resolved", "opinion", "hypothetical", "found", "property")
PREFIX = "x:"

_LEXICON = {
    "violence": "danh dap|danh chet|chem|dam|giet|bop co|dao|sung|kiem|hanh hung|"
    "truy duoi|duoi danh|duoi theo|tan cong|dap pha|xiet no|de doa|khong che|"
    "hiep dam|cuong hiep|ep|trai phep|bat nat",
    "captivity": "bat coc|chuoc|tien chuoc|nhot|giam|giu|troi|bi ban|ban sang|"
    "lua sang|dua sang|cong ty|campuchia|trung quoc|myanmar|lao|khong cho ve|"
    "khong duoc ve|tra tien|chuyen tien|doi tien|con tin",
    "disaster": "chay|khoi|ngat|lu|ngap|nuoc len|nuoc cuon|cuon troi|mac ket|ket|"
    "mai nha|noc|nuoc dang|sat lo|chim|duoi nuoc|song|bien|troi dat|lat thuyen",
    "missing": "mat tich|di lac|lac|khong ve|chua ve|khong lien lac|mat lien lac|"
    "khong tim thay|chua tim thay|bo nha|dan di|du do|ai thay|ai biet|tim con|tim me|"
    "tim bo|tim chau|tim em",
    "selfharm": "tu tu|tu sat|nhay cau|uong thuoc|thuoc ngu|ket lieu|khong muon song|"
    "chet di|vinh biet|tam biet",
    "medical": "ngung tho|khong tho|bat tinh|ngat xiu|co giat|chay mau|mat mau|"
    "sot cao|de|cap cuu|hap hoi",
    "vulnerable": "chau|be|con nho|em be|tre|tuoi|cu|ba cu|ong cu|me gia|nguoi gia|"
    "lan|benh|thai|bau|tat nguyen|cam|diec|tam than",
    "now": "gio|hien gio|dang o|van dang|con dang|nhin doi|het pin|mat dien|mat song|"
    "co lap|mac ket|nuoc van|dang|bay gio|ngay|hien|hien tai|van|van chua|chua|"
    "luc nay|toi nay|sang nay|dem nay|tu sang|tu hom qua|den gio|den nay|suot|roi|"
    "sap",
    "plea": "giup em|ho tro|ho tro em|cuu giup|can cuu|so tan gap|cho cuu|cho cuu ho|"
    "sos|ca no|cano|ao phao|xuong|ai co|giup do|khan thiet|cuu|cuu voi|cuu em|"
    "cuu toi|cuu con|giup|giup voi|lam on|xin|gap|khan|khan cap|nhanh|mau|ai|o dau|"
    "lam sao|phai lam sao|voi a|voi",
    "call": "113|114|115|cong an|canh sat|cuu ho|cuu nan|bao an|goi",
    "past": "luc di|quay lai|chi kip|vua kip|thi thay|ai ngo|khong ngo|lan nay|"
    "lan truoc|hom do|nam nao|hom qua|hom truoc|nam|thang|tuan truoc|luc do|khi do|"
    "khi ay|hoi do|ngay do|truoc day|sau do|sau khi|da tung|ke lai|nho lai|ngay xua|"
    "luc ay|hom ay|toi qua|dem qua|sang qua|nam ngoai",
    "resolved": "da so tan|noi an toan|duoc dua|da dua|kip thoi|may co|may man|"
    "da duoc|duoc cuu|giai cuu|tim thay|da ve|ve nha|an toan|da tron|thoat|"
    "thoat duoc|binh an|da bat|bat giu|khoi to|tam giu|xu ly|dap tat|da chet|tu vong|"
    "thi the|qua doi|an tang|dam tang",
    "opinion": "chia se|thuong lam|tam long|nen|phai|nhu the nao|tai sao|"
    "sao lai|kinh khung|ghe|so qua|toi nghiep|thuong qua|xot|mong|cam on|chuc|"
    "hy vong|hi vong|cau mong|tuyet voi|gioi|haha|hihi|kkk|vcl|vl",
    "first": "em|toi|minh|con|chau|tao|tui|me|bo|chong|vo",
    "found": "den nhan|nhan lai|dang duoc giu|duoc giu|tra lai|lien he nhan|"
    "nguoi nha lien he|dang o tru so|dang o cong an|nhat duoc|ai danh roi|ai mat|"
    "chu nhan|bao gia dinh",
    "property": "do dac|hoa mau|xi mang|tu lanh|may giat|con ga|dan ga|"
    "con lon|dan lon|dan bo|lon nai|vi|tui xach|dien thoai|giay to|xe may|xe dap|"
    "o to|xe hoi|xe dien|tai san|the atm|cccd|can cuoc|con meo|con cho|con trau|"
    "con bo|thu cung|bang lai|tai khoan|nha dat|so do|vang|trang suc|laptop",
    "scam": "lua|lua dao|chuyen khoan|da chuyen|bi lua|chiem doat|vay|no|lai suat|app",
    "hypothetical": "neu|gia su|lam gi|the nao|nhu nao|co bi|co phai|bao nhieu|"
    "quy dinh|phap luat|xu phat",
}

# phrase (folded words joined by spaces) -> the classes it belongs to
PHRASES: dict[str, tuple[str, ...]] = {}
for _name, _words in _LEXICON.items():
    for _phrase in _words.split("|"):
        PHRASES[_phrase] = (*PHRASES.get(_phrase, ()), _name)
# every proper prefix of a phrase ("cuu" of "cuu voi"): only these are extended by a word
PREFIXES = frozenset(
    " ".join(words[:size])
    for words in (p.split() for p in PHRASES)
    for size in range(1, len(words))
)


CHILD_MAX, TEEN_MAX = 12, 17  # the guide: a young child is about 12 or younger


def _age_class(tokens: tuple[str, ...], index: int) -> str | None:
    """ "child", "teen" or "adult" when the token at ``index`` states an age ("4 tuổi", "16t",
    "3 tháng tuổi"), else None."""
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else ""
    if token.isdigit() and following == "tuoi":
        years = int(token)
    elif token.isdigit() and following == "thang" and tokens[index + 2 : index + 3] == ("tuoi",):
        years = 0
    elif len(token) > 1 and token[-1] == "t" and token[:-1].isdigit():
        years = int(token[:-1])
    else:
        return None
    if years > 110:
        return None
    return "child" if years <= CHILD_MAX else "teen" if years <= TEEN_MAX else "adult"


def class_counts(tokens: tuple[str, ...]) -> dict[str, int]:
    """How many times each class's phrases occur in the folded ``tokens`` (whole words, never
    across a clause break; overlapping phrases each count), and the ages stated."""
    counts: dict[str, int] = {}
    lookup = PHRASES.get
    count = len(tokens)
    for start, key in enumerate(tokens):
        if key[:1].isdigit():
            age = _age_class(tokens, start)
            if age is not None:
                counts[age] = counts.get(age, 0) + 1
        end = start + 1
        while True:
            for name in lookup(key, ()):
                counts[name] = counts.get(name, 0) + 1
            if key not in PREFIXES or end >= count or tokens[end] == BREAK:
                break
            key = f"{key} {tokens[end]}"
            end += 1
    return counts


def class_features(tokens: tuple[str, ...]) -> dict[str, float]:
    """The class features of one message: each class's count (capped), the sum of the danger
    classes, and which context classes occur beside a danger (``x:danger&now`` ...)."""
    counts = class_counts(tokens)
    features = {f"{PREFIX}{name}": min(n, 4) / 2 for name, n in counts.items()}
    danger = sum(counts.get(name, 0) for name in DANGER)
    if danger:
        features[f"{PREFIX}danger"] = min(danger, 6) / 3
        for name in CONTEXT:
            if name in counts:
                features[f"{PREFIX}danger&{name}"] = 1.0
    features[f"{PREFIX}calm"] = min(sum(counts.get(name, 0) for name in CALM), 6) / 3
    return features
