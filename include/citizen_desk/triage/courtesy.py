"""Courtesy replies: "cảm ơn ạ", "ok ạ", "vâng", "dạ", a sticker, a thumbs-up.

After the page answered, a citizen often says thanks. That is not a new question and must not open
a new reply turn (the SLA clock would run against the page for a message that needs no answer).
`is_courtesy` is deliberately narrow: every word must be a courtesy word (with or without
diacritics, stretched letters and "cmơn"/"tks"-style abbreviations included), the message is
short, and it asks nothing (no "?"). "Cảm ơn, cho hỏi bao giờ sửa đường?" is a question.
"""

from __future__ import annotations

import re
import unicodedata

from citizen_desk.text.normalize import BREAK, normalize

_DOUBLED = re.compile(r"(.)\1+")  # "nhieuu" -> "nhieu", "okk" -> "ok" (none of the words doubles)
MAX_WORDS = 10  # a longer message is a message, however polite
# Folded (no diacritics, lowercase, repeats collapsed) words a courtesy reply is made of.
COURTESY_WORDS = frozenset(
    {
        # thanks
        "cam", "on", "cmon", "camon", "thanks", "thank", "thanh", "tks", "thx", "ty", "you",
        "xin", "nhieu", "rat", "lam", "that", "ca", "nha", "nhe", "nhen", "ne",
        # yes / ok
        "ok", "oke", "okay", "okie", "oki", "okey", "uh", "uhm", "um", "u", "vang", "da",
        "duoc", "dc", "roi", "r", "a", "vay", "the", "hieu", "biet", "ro",
        # who is thanked / who thanks
        "em", "anh", "chi", "chu", "co", "bac", "ong", "ba", "chau", "con", "minh", "toi",
        "ban", "cac", "moi", "nguoi", "ad", "admin", "page", "tong", "dai",
        # laughter and smiles written as words
        "haha", "hihi", "hehe",
    }
)  # fmt: skip


def _is_symbol(char: str) -> bool:
    """Emoji, pictographs, punctuation, spaces and the joiners emoji are built with."""
    if char.isspace() or char in "\u200d\ufe0f\ufe0e\u20e3":
        return True
    category = unicodedata.category(char)
    return category[0] in ("S", "P") or category in ("Mn", "Me", "Cf", "Sk")


def is_courtesy(text: str | None, *, sticker: bool = False) -> bool:
    """True for a thanks/ok/yes reply, a sticker or an emoji-only message; pure.

    An empty text without a sticker is not courtesy (it may be a photo sent as evidence).
    """
    if sticker and not (text or "").strip():
        return True
    if not text or not text.strip():
        return False
    if "?" in text or "\uff1f" in text:
        return False
    if all(_is_symbol(char) for char in text):
        return True  # emoji / reactions only: "👍", "🙏🙏", ":)"
    words = [w for w in normalize(text).folded if w != BREAK]
    if not words:
        return all(not c.isalnum() for c in text)
    if len(words) > MAX_WORDS:
        return False
    # repeats collapsed word by word, up to the first word that is not a courtesy word
    return all(_DOUBLED.sub(r"\1", word) in COURTESY_WORDS for word in words)
