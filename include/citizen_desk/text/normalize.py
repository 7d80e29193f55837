"""Normalise Vietnamese as typed on phones so that keyword matching is robust.

Every message becomes two parallel token streams:

* ``accented``: NFC, lowercase, repeated letters collapsed, abbreviations expanded
  ("cứuuuu" -> "cứu", "đc" -> "được"). Used by vocabulary phrases written *with* diacritics,
  for words that only differ by their accents ("cháy" fire vs "chạy" run).
* ``folded``: the same tokens with diacritics stripped and đ folded to d ("cuu", "duoc").
  Used by vocabulary phrases written *without* diacritics, which therefore match both ways of
  typing.

Repeated letters collapse to one letter on both streams and in the vocabulary alike
("nhaaaa" -> "nha"), in words that have a vowel: abbreviations such as "cccd", "pccc" or "cc"
are left alone. On the folded stream a run of "u" keeps two letters, because "uu" is a real
folded Vietnamese ending ("cứu" -> "cuu", "lưu" -> "luu") that must stay apart from "cũ" / "lũ"
("cu", "lu"): "cứu", "cuuu" and "cứuuuu" all fold to "cuu". These are matching keys, not text
to show.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

# An abbreviation expands to (accented tokens, folded tokens).
Expansion = tuple[tuple[str, ...], tuple[str, ...]]

_WORD_RE = re.compile(r"[^\W_]+")
# A word, or (empty group) punctuation that ends a clause: phrases never match across it
# ("cấp cứu, mẹ"). A dot only counts when followed by a space ("1.500.000" is one number).
_TOKEN_RE = re.compile(
    r"([^\W_]+)|(?:[,;:!?()\[\]\"\u201c\u201d\u2026\n]|\.\s|\s[-\u2013\u2014]\s)"
)
BREAK = ","  # token marking a clause boundary in both streams (phrases never contain it)
_REPEAT_RE = re.compile(r"([^\W\d_])\1+")
# A word with a doubled letter; anchored at the word start so a long blob stays linear.
_STRETCHED_WORD_RE = re.compile(r"(?<![^\W_])[^\W_]*([^\W\d_])\1[^\W_]*")
_VOWELS = frozenset("aeiouy")
_LAUGH_WORD_RE = re.compile(
    r"(?<![^\W_])(?:k{2,}|(?:ha){2,}h?|(?:hi){2,}|(?:he){2,}|(?:hj){2,}|(?:kaka)+)(?![^\W_])"
)
# Symbols that carry meaning in chat; replaced by a word before tokenising.
_SYMBOLS = {"🆘": " sos ", "\u2757": " ! "}
# Smileys (":))", "=))", ":v", ":D", "^^"), read as laughter like "hahaha": " haha ". A colon
# after a letter or digit ("10:30", "https:") is not one.
_SMILEY_RE = re.compile(r"(?<![^\W_])(?:[:=;][-']?[)\]dpv3]+(?![^\W_])|\^\^)")
# Laughing emoji ("😂", "🤣", "😆" ...) are laughter too, like a smiley.
_LAUGH_EMOJI_RE = re.compile(
    "[\U0001f602\U0001f923\U0001f606\U0001f605\U0001f601\U0001f604"  # 😂 🤣 😆 😅 😁 😄
    "\U0001f639\U0001f61d\U0001f61c\U0001f92a]+"  # 😹 😝 😜 🤪
)


def _build_fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    ranges = (range(0x00C0, 0x0250), range(0x1E00, 0x1F00))
    for block in ranges:
        for code in block:
            base = unicodedata.normalize("NFD", chr(code))[0]
            if base != chr(code) and base.isascii():
                table[code] = ord(base)
    for code in range(0x0300, 0x0370):  # stray combining marks (text that was not NFC)
        table[code] = None
    for char, repl in (("đ", "d"), ("Đ", "D"), ("ð", "d"), ("Ð", "D")):
        table[ord(char)] = ord(repl)
    return table


FOLD_TABLE = _build_fold_table()


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics and fold đ to d; case is kept."""
    return unicodedata.normalize("NFC", text).translate(FOLD_TABLE)


def fold(text: str) -> str:
    """Lowercase and strip diacritics: the key used for accent-insensitive matching."""
    return unicodedata.normalize("NFC", text).lower().translate(FOLD_TABLE)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for every folded character, the index of its source character.

    Used to find spans on the folded text and map them back onto the original text.
    """
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFD", char.lower()):
            if unicodedata.combining(piece):
                continue
            folded = piece.translate(FOLD_TABLE)
            for out in folded:
                chars.append(out)
                offsets.append(index)
    return "".join(chars), offsets


def _keep_uu(match: re.Match[str]) -> str:
    letter = match.group(1)
    return "uu" if letter == "u" else letter


def _has_vowel(word: str) -> bool:
    return any(ch in _VOWELS for ch in word.translate(FOLD_TABLE))


def _collapse_word(match: re.Match[str]) -> str:
    word = match.group()
    return _REPEAT_RE.sub(r"\1", word) if _has_vowel(word) else word


def _collapse_word_folded(match: re.Match[str]) -> str:
    word = match.group()
    return _REPEAT_RE.sub(_keep_uu, word) if _has_vowel(word) else word


def collapse_repeats(text: str) -> str:
    """Collapse stretched letters ("cứuuuu" -> "cứu", "nhaaa" -> "nha") in every word that has
    a vowel; digits and vowel-less abbreviations ("cccd", "pccc", "cc") are kept."""
    return _STRETCHED_WORD_RE.sub(_collapse_word, text)


def collapse_folded(text: str) -> str:
    """:func:`collapse_repeats` for folded text: a run of "u" becomes "uu" ("cuuuu" -> "cuu")."""
    return _STRETCHED_WORD_RE.sub(_collapse_word_folded, text)


@dataclass(frozen=True)
class Normalized:
    """A message as two aligned token streams (see the module docstring).

    Clause boundaries (commas, full stops, "?" ...) appear as :data:`BREAK` tokens.
    """

    accented: tuple[str, ...]
    folded: tuple[str, ...]
    word_count: int = 0  # tokens that are words (not BREAK)

    @property
    def text(self) -> str:
        """The folded stream joined by single spaces."""
        return " ".join(self.folded)

    @property
    def accented_text(self) -> str:
        return " ".join(self.accented)


def _key(token: str) -> str:
    return collapse_repeats(unicodedata.normalize("NFC", token).lower())


def compile_abbreviations(mapping: Mapping[str, str]) -> dict[str, Expansion]:
    """Turn ``{"ko": "không"}`` into the lookup table :func:`normalize` uses.

    Keys are matched against the accented token (so "ạ" never matches the key "a"); write both
    "dc" and "đc" when both spellings are used.
    """
    compiled: dict[str, Expansion] = {}
    for short, full in mapping.items():
        words = _WORD_RE.findall(unicodedata.normalize("NFC", full).lower())
        accented = tuple(collapse_repeats(w) for w in words)
        folded = tuple(collapse_folded(w.translate(FOLD_TABLE)) for w in words)
        compiled[_key(short)] = (accented, folded)
    return compiled


def normalize(text: str, abbreviations: Mapping[str, Expansion] | None = None) -> Normalized:
    """Tokenise ``text`` into aligned accented and folded streams.

    Steps: NFC, lowercase, a few meaningful symbols to words, laughter ("kkk", "hahaha"),
    smileys (":))", ":v") and laughing emoji ("😂") to "haha", repeated letters collapsed,
    split on non-letters/digits (clause punctuation becomes :data:`BREAK`), abbreviations
    expanded.
    """
    if not text:
        return Normalized((), ())
    lowered = unicodedata.normalize("NFC", text).lower()
    for symbol, word in _SYMBOLS.items():
        if symbol in lowered:
            lowered = lowered.replace(symbol, word)
    lowered = _LAUGH_WORD_RE.sub("haha", lowered)
    if not lowered.isascii():
        lowered = _LAUGH_EMOJI_RE.sub(" haha ", lowered)
    if ":" in lowered or "=" in lowered or "^" in lowered:
        lowered = _SMILEY_RE.sub(" haha ", lowered)
    # Whole-string passes (fast, in C); folding maps one character to one character and
    # collapsing never crosses a word boundary, so both strings split into the same tokens.
    accented_raw = _TOKEN_RE.findall(collapse_repeats(lowered))
    folded_raw = _TOKEN_RE.findall(collapse_folded(lowered.translate(FOLD_TABLE)))
    if len(accented_raw) != len(folded_raw):  # a stray combining mark merged two words
        folded_raw = [collapse_folded(t.translate(FOLD_TABLE)) if t else t for t in accented_raw]
    accented: list[str] = []
    folded: list[str] = []
    table = abbreviations or {}
    breaks = 0
    for acc, fol in zip(accented_raw, folded_raw, strict=True):
        if not acc:  # clause punctuation
            if folded and folded[-1] != BREAK:
                accented.append(BREAK)
                folded.append(BREAK)
                breaks += 1
            continue
        expansion = table.get(acc)
        if expansion is not None:
            accented.extend(expansion[0])
            folded.extend(expansion[1])
        else:
            accented.append(acc)
            folded.append(fol)
    if folded and folded[-1] == BREAK:
        accented.pop()
        folded.pop()
        breaks -= 1
    return Normalized(tuple(accented), tuple(folded), len(folded) - breaks)


def has_diacritics(text: str) -> bool:
    """True when ``text`` carries at least one Vietnamese diacritic or đ."""
    return fold(text) != unicodedata.normalize("NFC", text).lower()
