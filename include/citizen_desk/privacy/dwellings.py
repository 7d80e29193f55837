"""Dwellings inside a building or on a plot: flats, rented rooms, market stalls, lots and plots.

Policy (README, "Address policy"): a number that picks out one dwelling is a house number and is
masked wherever it stands, like "số nhà 12": a flat ("căn hộ A12-05", "căn hộ 308, tầng 31, tòa
BS15", "căn nhà số B01, cao ốc Phúc Thịnh"), a rented room ("phòng trọ số 11", "phòng 302",
"P.1205 chung cư …"), a stall ("ki-ốt số 12", "kiot 5"), a lot ("lô 15", "lô B2-07") and a
cadastral plot ("thửa đất số 123, tờ bản đồ số 4"): each leads to one household, and the land
register names a plot's holder, so a land dispute's plot goes like a home (officers read it on
the case page). The words alone are common nouns and stay ("lô đất", "căn hộ", "phòng trọ",
"tờ bản đồ"), and so do counts ("căn hộ 2 phòng ngủ", "phòng 20 m2", "thua 2 trận"), police
departments ("phòng PC02") and wards ("P.12", "P1Q5"). What is chained to the number goes with
it: floor, block, tower and map sheet, the building's name, and its house number and street
("căn hộ B1-01 chung cư 341 Cao Đạt", "cao ốc Phúc Thịnh ở 143 Cao Đạt").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from citizen_desk.privacy.canonical import Canonical

# The number of one dwelling: digits with a letter or a block before them and parts after them
# ("302", "15", "b01", "b1-01", "a12-05", "bs15", "12a").
_TOKEN = r"(?:[a-z]{1,2}\d+[a-z]?|\d+[a-z]?)(?:[-/.]\w+)?"
# Words before a dwelling's number, folded. "lô" and "thửa" also fold to other words ("lo 2 đứa
# con": to worry, "thua 2 trận": to lose), so as typed they need their marks or a "số" after them.
_UNIT_RE = re.compile(
    r"(?<![\w.])(?P<word>can ho|can nha|can phong|phong tro|phong|ki-ot|ki ot|kiot|kios|kiosk|"
    r"lo dat|lo|thua dat|thua)"
    rf"(?P<so> so)?\s*:?\s+(?P<number>{_TOKEN})(?![\w-])"
    r"|(?<![\w.])p\.\s?(?P<room>\d{3,4})(?![\w.])"
)
_MARKED_WORDS = frozenset({"lô", "lô đất", "thửa", "thửa đất"})
# A count, a size or a time after the number: "căn hộ 2 phòng ngủ", "phòng 20 m2", "lô 3 tấn".
_COUNT_AFTER_RE = re.compile(
    r"\s*(?:m2|m|ha|tang|phong|nguoi|tan|kg|ty|trieu|nghin|ngan|dong|gio|h|ngay|thang|nam|"
    r"can|cai|chiec|xe|lan|thua|lo|ki-ot|kiot|sao|%)(?![a-z])(?!\s*(?:so\s*)?\d)"
)
# Police departments and other offices named by a code ("Phòng PC02", "phòng PA05").
_OFFICE_CODE_RE = re.compile(r"p[a-z]\d+")
# What goes on with the dwelling: "tầng 31", "tòa BS15", "block B", "tờ bản đồ số 4", a
# building's kind and name, or "ở" before the building's house number and street.
_LINK = r"[ ,]{0,2}(?:(?:thuoc|cua|tai|o) )?"
_NEXT_UNIT_RE = re.compile(
    rf"{_LINK}(?:tang|lau|toa nha|toa|block|blok|thap|day|khu|to ban do|to|lo|can ho|phong)"
    rf"(?: so)?\s*:?\s+(?:{_TOKEN}|[a-z])(?![\w-])"
)
_BUILDING_RE = re.compile(
    rf"{_LINK}(?:chung cu|cc|cao oc|toa nha|khu tap the|ktt|khu nha tro|nha tro|khu tro|"
    r"day tro|khu do thi|kdt)(?![a-z])"
)
_AT_HOUSE_RE = re.compile(r"[ ,]{0,2}(?:(?:o|tai|so) )?(\d+[a-z]?(?:/\d+[a-z]?)*)(?![\w/])")


_WORD_AFTER_RE = re.compile(r" ([a-z0-9]+)")


def _capital_run(canon: Canonical, pos: int, limit: int = 4) -> int:
    """End of up to ``limit`` capitalised words, one space apart, from ``pos + 1``."""
    end = pos
    for _ in range(limit):
        m = _WORD_AFTER_RE.match(canon.text, end)
        if m is None or not canon.is_capitalised(m.start(1)):
            break
        end = m.end()
    return end


_CODE_TAIL_RE = re.compile(r"-[a-z0-9]*\d[a-z0-9]*|-[a-z](?![\w])")


def code_tail(canon: Canonical, end: int) -> int:
    """A building's code goes on after a dash, and its name after that ("chung cư CT5-ĐN2 Mỹ
    Đình 2", "chung cư HH4-C Linh Đàm"): the end of both, else ``end``."""
    m = _CODE_TAIL_RE.match(canon.text, end)
    if m is None or not canon.is_capitalised(end + 1):
        return end
    return _capital_run(canon, m.end(), 3)


def _marked(canon: Canonical, start: int, end: int) -> bool:
    """The unit word at ``[start, end)`` was typed "lô"/"thửa" with its marks."""
    o_start, o_end = canon.span(start, end)
    typed = unicodedata.normalize("NFC", canon.original[o_start:o_end]).lower()
    return " ".join(typed.split()) in _MARKED_WORDS


def _chain_end(canon: Canonical, end: int) -> int:
    """End of what goes on with the dwelling ending at ``end``."""
    text = canon.text
    while True:
        m = _NEXT_UNIT_RE.match(text, end)
        if m is not None:
            end = m.end()
            continue
        m = _BUILDING_RE.match(text, end)
        if m is None:
            return end
        after = _AT_HOUSE_RE.match(text, m.end())
        start = after.end() if after else m.end()
        named = _capital_run(canon, start)
        if named == start and after is None:
            return end  # "căn hộ 12 chung cư": a building, but no name
        end = named
        at = _AT_HOUSE_RE.match(text, end)
        if at is not None and _capital_run(canon, at.end()) > at.end():
            end = _capital_run(canon, at.end())  # "cao ốc Phúc Thịnh ở 143 Cao Đạt"


def dwellings(canon: Canonical) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every dwelling's number with what goes on with it (see above)."""
    text = canon.text
    if not any(w in text for w in ("can ", "phong", "ki", "lo", "thua", "p.")):
        return
    for m in _UNIT_RE.finditer(text):
        if m.group("room"):
            yield m.start("room"), _chain_end(canon, m.end())
            continue
        word, number = m.group("word"), m.group("number")
        if (
            word.startswith(("lo", "thua"))
            and not m.group("so")
            and not _marked(canon, *m.span("word"))
        ):
            continue
        if word.startswith("phong") and _OFFICE_CODE_RE.fullmatch(number):
            continue
        if number.isdigit() and _COUNT_AFTER_RE.match(text, m.end()):
            continue
        yield (
            (m.start("so") + 1 if m.group("so") else m.start("number")),
            _chain_end(canon, m.end()),
        )
