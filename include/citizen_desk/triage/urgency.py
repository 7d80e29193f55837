"""Urgency: someone's life or liberty in danger *now*, whatever the message's category.

The ``urgent:`` section of ``vocabulary.yaml`` holds three kinds of cue, matched like every
phrase (whole words, with or without diacritics, teencode expanded):

* ``phrases``: the situation. Positive weights are danger ("chuộc", "bị nhốt", "đuổi đánh",
  "mắc kẹt", "đi lạc" ...); negative ones say "not now" or "not real": past ("hôm qua", "năm
  ngoái"), resolved ("đã được giải cứu", "đã tìm thấy"), hypothetical ("nếu", "khi nào"),
  figurative ("như muốn", "kiểu như"). Regular-expression ``patterns`` with an ``urgent`` weight
  count here too.
* ``ongoing``: tense markers ("đang", "hiện", "vẫn chưa", "đến giờ", "từ sáng") that add their
  weight, at most ``thresholds.urgent_ongoing_max`` together, only when a danger cue fired:
  "đang" alone ("tôi đang làm thủ tục") says nothing. A "not now" phrase inside a longer
  ongoing one does not count: "từ hôm qua" (since yesterday) is not "hôm qua" (yesterday).
A "not now" phrase inside a longer danger phrase or pattern does not count either: the wider
reading wins ("bị lừa sang Campuchia" is trafficking, not the "bị lừa" of a scam; the "nếu" of
an ultimatum "nếu không ... sẽ bán" is no hypothetical).

* ``negators``: a danger or "not now" phrase right after one of these words (at most one word
  in between, never across punctuation) does not count: "không bị đánh", "chưa bị giam",
  "chưa được giải cứu" (which leaves the danger standing).
* ``false_friends``: accented words that fold like an urgency word; typed so, they never make
  a cue or a negator ("đảng" is no "đang", "treo cờ" no "treo cổ", "khổng lồ" no "không").

The score is their sum, the danger cues counting at most ``thresholds.urgent_danger_max``
together (a vivid account piles up danger words; whether it is happening *now* is what the "not
now" cues weigh against it); from ``thresholds.urgent_min`` the message is urgent, whatever its
category. :func:`assess` also names the cues that fired, in the writer's own words (the
accented stream) or by a pattern's ``label``, strongest first: the explanation an officer sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from citizen_desk.text.normalize import BREAK, FOLD_TABLE, Normalized
from citizen_desk.triage.vocabulary import URGENT, URGENT_NOW, Vocabulary

MAX_CUES = 6  # an explanation names at most this many cues
FEATURE_LABELS = {"_exclaim": "!!", "_qmark": "?", "_phone": "số điện thoại", "_money": "số tiền"}


class UrgencyHit(Protocol):
    """What :func:`assess` reads of a matched phrase or pattern (``classify.Hit``)."""

    @property
    def source(self) -> str: ...  # "folded", "accented", "feature" or "pattern"
    @property
    def phrase(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def weight(self) -> float: ...
    @property
    def start(self) -> int: ...  # first token (-1: a feature token)
    @property
    def end(self) -> int: ...  # token after the last
    @property
    def label(self) -> str | None: ...


@dataclass(frozen=True)
class Urgency:
    """How urgent a message reads, and why."""

    score: float
    cues: tuple[str, ...] = ()  # danger and "now" cues that counted, strongest first
    negated: tuple[str, ...] = ()  # cues a negator cancelled ("không bị đánh")


# A negator followed by one of these words does not deny what comes next: "không biết bị nhốt
# ở đâu" (does not know where ... is held), "không may gặp chuyện" (unfortunately ...).
NOT_DENYING = frozenset({"biet", "may", "ro", "hieu"})
# A negator right after one of these words opens a condition ("nếu không trả tiền thì ... bán
# sang chỗ khác": otherwise), it denies nothing that follows.
CONDITIONAL = frozenset({"neu"})


def _negated(start: int, norm: Normalized, vocab: Vocabulary) -> bool:
    """True when one of the two words before ``start`` (same clause) is a negator."""
    folded, accented = norm.folded, norm.accented
    for index in (start - 1, start - 2):
        if index < 0 or folded[index] == BREAK:
            return False
        if accented[index] in vocab.false_friends:  # "khổng lồ" is no "không"
            continue
        if folded[index] in vocab.negators or accented[index] in vocab.negators_accented:
            if index > 0 and folded[index - 1] in CONDITIONAL:
                return False  # "nếu không ... sẽ bán": a condition, not a denial
            return folded[index + 1] not in NOT_DENYING
    return False


def _false_friend(hit: UrgencyHit, norm: Normalized, vocab: Vocabulary) -> bool:
    """True when a cue written without diacritics matched an accented word that only folds
    like its own ("đảng" is no "đang", "treo cờ" no "treo cổ", "có đạo" no "có dao"): any word
    of a phrase, the first word of a pattern (its other words may be wildcards)."""
    if hit.start < 0 or not vocab.false_friends or hit.phrase.translate(FOLD_TABLE) != hit.phrase:
        return False
    end = hit.start + 1 if hit.source == "pattern" else hit.end
    return any(word in vocab.false_friends for word in norm.accented[hit.start : end])


@dataclass(frozen=True)
class _Moved:
    """A phrase's hit moved past a false friend to the phrase's next occurrence."""

    source: str
    phrase: str
    category: str
    weight: float
    start: int
    end: int
    label: str | None


def _real_ones(hits: Iterable[UrgencyHit], norm: Normalized, vocab: Vocabulary) -> list[UrgencyHit]:
    """``hits`` without false friends; a phrase whose first occurrence was one ("đăng tin,
    nước đang lên") counts at its next real occurrence (the scan records first occurrences)."""
    if vocab.false_friends.isdisjoint(norm.accented):  # most messages: nothing to check
        return list(hits)
    kept: list[UrgencyHit] = []
    for hit in hits:
        if not _false_friend(hit, norm, vocab):
            kept.append(hit)
            continue
        if hit.source == "pattern":
            continue
        words, size = norm.folded[hit.start : hit.end], hit.end - hit.start
        for index in range(hit.start + 1, len(norm.folded) - size + 1):
            if norm.folded[index : index + size] == words and not any(
                word in vocab.false_friends for word in norm.accented[index : index + size]
            ):
                kept.append(
                    _Moved(hit.source, hit.phrase, hit.category, hit.weight, index,
                           index + size, hit.label)
                )  # fmt: skip
                break
    return kept


def label_of(hit: UrgencyHit, norm: Normalized) -> str:
    """The words an explanation shows for ``hit``: the pattern's label, else the writer's."""
    if hit.label:
        return hit.label
    if hit.start < 0:
        return FEATURE_LABELS.get(hit.phrase, hit.phrase)
    words = [
        accented if accented.translate(FOLD_TABLE) != accented else folded  # "cuu", not "cu"
        for accented, folded in zip(
            norm.accented[hit.start : hit.end], norm.folded[hit.start : hit.end], strict=True
        )
        if folded != BREAK
    ]
    return " ".join(words) or hit.phrase


def assess(hits: Iterable[UrgencyHit], norm: Normalized, vocab: Vocabulary) -> Urgency:
    """The urgency of one message from its matched urgency cues (see the module docstring)."""
    score = danger = 0.0
    counted: list[tuple[float, UrgencyHit]] = []
    ongoing: list[UrgencyHit] = []
    negated: list[UrgencyHit] = []
    hits = _real_ones(hits, norm, vocab)
    denied = [
        h.start >= 0 and h.category == URGENT and _negated(h.start, norm, vocab) for h in hits
    ]
    spans = [(h.start, h.end) for h in hits if h.category == URGENT_NOW and h.start >= 0]
    wider = [
        (h.start, h.end)
        for h, no in zip(hits, denied, strict=True)
        if h.category == URGENT and h.weight > 0 and h.start >= 0 and not no
    ]
    for hit, no in zip(hits, denied, strict=True):
        if hit.category == URGENT_NOW:
            ongoing.append(hit)
        elif hit.category == URGENT:
            if no:
                negated.append(hit)
                continue
            if hit.weight < 0 and any(a <= hit.start and hit.end <= b for a, b in spans):
                continue  # "từ hôm qua" (since yesterday) is not "hôm qua" (yesterday)
            if hit.weight < 0 and any(
                a <= hit.start and hit.end <= b and (a, b) != (hit.start, hit.end) for a, b in wider
            ):
                continue  # "bị lừa sang" (trafficked) is not "bị lừa" (scammed): wider wins
            score += hit.weight
            if hit.weight > 0:
                danger += hit.weight
                counted.append((hit.weight, hit))
    if danger > vocab.thresholds.urgent_danger_max:
        score -= danger - vocab.thresholds.urgent_danger_max
    if danger > 0:
        room = vocab.thresholds.urgent_ongoing_max
        for hit in ongoing:
            weight = min(hit.weight, room)
            if weight > 0:
                score += weight
                room -= weight
                counted.append((weight, hit))
    if not counted and not negated:
        return Urgency(round(score, 3))
    counted.sort(key=lambda pair: -pair[0])  # stable: equal weights keep the message's order
    cues: list[str] = []
    for _, hit in counted:
        label = label_of(hit, norm)
        if label not in cues:
            cues.append(label)
    return Urgency(
        round(score, 3),
        tuple(cues[:MAX_CUES]),
        tuple(dict.fromkeys(label_of(h, norm) for h in negated)),
    )
