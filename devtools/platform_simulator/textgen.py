"""Vietnamese text generation: names, ids-free message texts, staff replies and page posts."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from platform_simulator import vocab

# Category weights per surface: (category, weight).
CATEGORY_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "chat": (
        ("question", 0.38),
        ("tip", 0.22),
        ("feedback", 0.09),
        ("lost_found", 0.10),
        ("spam", 0.07),
        ("greeting", 0.14),
    ),
    "comment": (
        ("question", 0.35),
        ("tip", 0.16),
        ("feedback", 0.24),
        ("lost_found", 0.05),
        ("spam", 0.10),
        ("greeting", 0.10),
    ),
}
URGENT_SHARE = 0.15


@dataclass(frozen=True)
class Area:
    """Where a channel lives: names used to fill place slots."""

    unit_name: str  # "Công an xã Nga Thủy"
    area: str  # "xã Nga Thủy"
    area_short: str  # "Nga Thủy"
    landmarks: tuple[str, ...]


@dataclass(frozen=True)
class Label:
    category: str
    topic: str
    urgent: bool

    def as_dict(self) -> dict[str, object]:
        return {"category": self.category, "topic": self.topic, "urgent": self.urgent}


def area_for(unit_name: str, unit_code: str) -> Area:
    """Derive place names from a unit name like "Công an phường Trường Sơn"."""
    area = unit_name.removeprefix("Công an ").strip() or unit_name
    words = area.split()
    kinds = {"xã", "phường", "thị", "huyện", "thành", "tỉnh", "trấn", "phố"}
    short_words = [w for w in words if w.lower() not in kinds]
    area_short = " ".join(short_words) or area
    code = unit_code.upper()
    if "-SS" in code:
        landmarks = vocab.LANDMARKS_SAM_SON
    elif "-NS" in code:
        landmarks = vocab.LANDMARKS_NGA_SON
    else:
        landmarks = vocab.LANDMARKS_PROVINCE
    return Area(unit_name=unit_name, area=area, area_short=area_short, landmarks=landmarks)


def person_name(rng: random.Random) -> str:
    """A Vietnamese display name as people set it on Facebook/Zalo."""
    roll = rng.random()
    if roll < 0.05:
        return rng.choice(vocab.NICKNAMES)
    female = rng.random() < 0.5
    surname = rng.choice(vocab.SURNAMES)
    middle = rng.choice(vocab.MIDDLE_FEMALE if female else vocab.MIDDLE_MALE)
    given = rng.choice(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE)
    if roll < 0.25:
        name = f"{given} {surname}"
    elif roll < 0.35:
        name = f"{surname} {given}"
    else:
        name = f"{surname} {middle} {given}"
    return name + rng.choice(vocab.NAME_DECOR)


def phone_number(rng: random.Random) -> str:
    digits = rng.choice(vocab.PHONES_PREFIX) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    style = rng.random()
    if style < 0.5:
        return digits
    if style < 0.75:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def licence_plate(rng: random.Random) -> str:
    """Thanh Hóa plates start with 36."""
    if rng.random() < 0.7:
        series = rng.choice(("B1", "B2", "B5", "K1", "H1", "D1", "AA"))
        return f"36{series}-{rng.randint(100, 999)}.{rng.randint(10, 99)}"
    series = rng.choice("ACDH")
    return f"36{series}-{rng.randint(100, 999)}.{rng.randint(10, 99)}"


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    )


_ABBREVIATIONS = tuple(
    (re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE), shorts)
    for word, shorts in vocab.ABBREVIATIONS
)


def _abbreviate(rng: random.Random, text: str) -> str:
    for pattern, shorts in _ABBREVIATIONS:
        if rng.random() < 0.7:
            text = pattern.sub(rng.choice(shorts), text)
    return text


class _Slots(dict[str, str]):
    def __init__(self, makers: dict[str, Callable[[], str]]) -> None:
        super().__init__()
        self._makers = makers

    def __missing__(self, key: str) -> str:
        value = self._makers[key]()
        self[key] = value
        return value


class TextFactory:
    """Builds citizen texts and staff replies for one channel area."""

    def __init__(self, area: Area, hotline: str) -> None:
        self.area = area
        self.hotline = hotline

    def place(self, rng: random.Random) -> str:
        pattern = rng.choice(vocab.PLACE_PATTERNS)
        return pattern.format(
            n=rng.randint(1, 12),
            area=self.area.area,
            area_short=self.area.area_short,
            landmark=rng.choice(self.area.landmarks),
        )

    def _slots(self, rng: random.Random, phone: str | None) -> _Slots:
        """Slot values, drawn lazily in template order (keeps RNG use small and deterministic)."""
        makers: dict[str, Callable[[], str]] = {
            "greet": lambda: rng.choice(vocab.GREETS).format(unit=self.area.unit_name),
            "ask": lambda: rng.choice(vocab.ASKS),
            "q_end": lambda: rng.choice(vocab.Q_ENDS),
            "who": lambda: rng.choice(vocab.WHOS),
            "time": lambda: rng.choice(vocab.TIMES),
            "place": lambda: self.place(rng),
            "landmark": lambda: rng.choice(self.area.landmarks),
            "area_short": lambda: self.area.area_short,
            "unit": lambda: self.area.unit_name,
            "province": lambda: rng.choice(vocab.PROVINCES),
            "vehicle": lambda: rng.choice(vocab.VEHICLES),
            "plate": lambda: licence_plate(rng),
            "phone": lambda: phone or phone_number(rng),
            "n": lambda: str(rng.randint(1, 150)),
        }
        return _Slots(makers)

    def pick_label(self, rng: random.Random, surface: str, post_topic: str | None) -> Label:
        weights = CATEGORY_WEIGHTS["comment" if surface == "comment" else "chat"]
        category = rng.choices([c for c, _ in weights], [w for _, w in weights])[0]
        urgent = category == "tip" and rng.random() < URGENT_SHARE
        keys = [k for k in vocab.CITIZEN_TEMPLATES if k[0] == category and k[2] == urgent]
        if post_topic and rng.random() < 0.4:
            matching = [k for k in keys if k[1] == post_topic]
            if matching:
                keys = matching
        key = rng.choice(keys)
        return Label(category=key[0], topic=key[1], urgent=key[2])

    def citizen_text(
        self, rng: random.Random, label: Label, phone: str | None = None, style: bool = True
    ) -> str:
        template = rng.choice(vocab.CITIZEN_TEMPLATES[(label.category, label.topic, label.urgent)])
        text = template.format_map(self._slots(rng, phone))
        text = text[0].upper() + text[1:] if text else text
        return self.stylize(rng, text, label.category) if style else text

    def stylize(self, rng: random.Random, text: str, category: str) -> str:
        """Apply the way people really type: abbreviations, no diacritics, emoji."""
        if rng.random() < 0.4:
            text = _abbreviate(rng, text)
        if rng.random() < 0.25:
            text = strip_diacritics(text)
        if rng.random() < 0.15:
            text = text.lower()
        if rng.random() < 0.2:
            text = f"{text} {rng.choice(vocab.EMOJI_BY_CATEGORY.get(category, ('🙏',)))}"
        return text

    def follow_up(self, rng: random.Random, kind: str, phone: str | None = None) -> str:
        pool = {
            "thanks": vocab.THANKS_TEMPLATES,
            "more": vocab.MORE_QUESTION_TEMPLATES,
            "nudge": vocab.NUDGE_TEMPLATES,
            "detail": vocab.TIP_DETAIL_TEMPLATES,
        }[kind]
        text = rng.choice(pool).format_map(self._slots(rng, phone))
        return self.stylize(rng, text, "question")

    def staff_reply(self, rng: random.Random, key: str) -> str:
        template = rng.choice(vocab.STAFF_REPLIES[key])
        return template.format(unit=self.area.unit_name, hotline=self.hotline)

    def post(self, rng: random.Random, index: int) -> tuple[str, str]:
        """Return (topic, text) of a page post; ``index`` keeps consecutive posts distinct."""
        topic, title, bodies = vocab.POSTS[index % len(vocab.POSTS)]
        body = rng.choice(bodies)
        tags = " ".join(rng.sample(vocab.POST_HASHTAGS, 2))
        return topic, f"{title}\n{body}\n{self.area.unit_name} khuyến cáo người dân.\n{tags}"
