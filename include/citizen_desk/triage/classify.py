"""Rule-based triage of Vietnamese citizen messages: weighted phrases over normalised text.

How a message is scored (all weights live in ``vocabulary.yaml``):

1. :func:`~citizen_desk.text.normalize.normalize` turns the text into an accented and a
   folded token stream. Every vocabulary phrase found (as whole words) adds its weight once to
   its category and, for topic phrases, to its topic. Phrases written without diacritics match
   the folded stream (both typings); phrases with diacritics only match accented typing.
2. Regular-expression ``patterns`` add weight to a category/topic and/or to urgency.
3. Synthetic feature tokens can carry weight like phrases: ``_qmark`` (a "?"), ``_exclaim``
   ("!!"), ``_phone``, ``_plate``, ``_url``, ``_money`` and ``_short`` (few words).
4. Urgency cues (:mod:`~citizen_desk.triage.urgency`: danger, "not now", "happening now",
   negators) sum to an urgency score; when positive it also boosts the tip score, and from
   ``urgent_min`` the message is urgent whatever its category, with the cues that fired as its
   explanation. A category with ``topic_only_factor``
   (question) scales its topic phrases down when none of its cues matched; its
   ``generic_topic`` (question.procedure) is reported only when no specific topic matched.
5. The best category wins (ties: tip, lost_found, question, feedback, abuse, other). Below
   ``min_score`` the message is ``other``. Confidence grows with the winning score and its
   margin over the runner-up; below ``needs_human_below`` the result asks for a human.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple

from citizen_desk.domain.vocabulary import CATEGORIES
from citizen_desk.privacy.identifiers import detect_kinds
from citizen_desk.text.normalize import Normalized, has_diacritics, normalize
from citizen_desk.triage.features import parts
from citizen_desk.triage.model import TriageModel, load_model
from citizen_desk.triage.urgency import assess
from citizen_desk.triage.urgency_model import UrgencyModel, load_urgency_model
from citizen_desk.triage.vocabulary import URGENT, URGENT_NOW, Cue, Vocabulary, load_vocabulary

TIE_ORDER = ("tip", "lost_found", "question", "feedback", "abuse", "other")
# An urgent message the model files under another category becomes a tip (escalated, chiefs
# alerted) unless it reads as a missing person: that case stays lost_found and jumps the SLA.
URGENT_KEEPS = frozenset({"tip", "lost_found"})
_MONEY_RE = re.compile(
    r"\b\d+(?:[.,]\d+)*\s*(?:k|tr|trieu|ty|nghin|ngan|d|dong|vnd|cu|lit|xi)\b(?!\s*hang)"
)
_PII_HINT_RE = re.compile(r"\d|@|\.[A-Za-z]{2}")  # cheap test before the full PII scan
PACKAGED: Final = "packaged"  # classify(model=...): the packaged (or configured) model
ModelChoice = TriageModel | Literal["packaged"] | None
UrgencyChoice = UrgencyModel | Literal["packaged"] | None


@dataclass(frozen=True)
class Triage:
    """The triage of one message or one case."""

    category: str
    topic: str | None
    urgent: bool
    confidence: float
    needs_human: bool
    # For a message that needs a human: every category it may be, the chosen one first (its SLA
    # is the strictest of theirs). Empty when the triage is sure enough.
    candidates: tuple[str, ...] = ()
    # Why an urgent message is urgent: the danger and "now" cues that fired, in the writer's
    # words, strongest first (empty when not urgent).
    urgency_cues: tuple[str, ...] = ()


class Hit(NamedTuple):
    """One matched phrase or pattern, for explanations."""

    source: str  # "folded", "accented", "feature" or "pattern"
    phrase: str
    category: str
    topic: str | None
    weight: float
    start: int = -1  # first token of the match in the streams (-1: a feature token)
    end: int = -1  # token after the last
    label: str | None = None  # a pattern's label (urgency explanations)


@dataclass(frozen=True)
class Explanation:
    """Everything :func:`classify` looked at, to debug or tune the vocabulary."""

    tokens: tuple[str, ...]
    features: tuple[str, ...]
    hits: tuple[Hit, ...]
    scores: Mapping[str, float]
    urgency: float
    triage: Triage
    topic_scores: Mapping[str, float] = field(default_factory=dict)
    urgency_cues: tuple[str, ...] = ()  # every urgency cue that counted (urgent or not)
    negated: tuple[str, ...] = ()  # urgency cues a negator cancelled
    accented: tuple[str, ...] = ()  # the accented token stream, aligned with ``tokens``


def _features(text: str, norm: Normalized, short_tokens: int) -> list[str]:
    found: list[str] = []
    if "?" in text:
        found.append("_qmark")
    if "!!" in text.replace(" ", ""):
        found.append("_exclaim")
    if norm.word_count <= short_tokens:
        found.append("_short")
    if _PII_HINT_RE.search(text):
        kinds = detect_kinds(text)
        if "phone" in kinds:
            found.append("_phone")
        if "plate" in kinds:
            found.append("_plate")
        if kinds & {"url", "email"}:
            found.append("_url")
    if _MONEY_RE.search(norm.text):
        found.append("_money")
    return found


def _scan(
    tokens: Sequence[str], index: Mapping[str, tuple[Cue, ...]], vocab: Vocabulary
) -> list[tuple[Cue, int, int]]:
    """Every distinct phrase of ``index`` that occurs in ``tokens`` as whole words, with the
    tokens of its first occurrence."""
    found: dict[str, tuple[tuple[Cue, ...], int, int]] = {}
    count = len(tokens)
    max_words = vocab.max_words
    prefixes = vocab.prefixes
    lookup = index.get
    for start in range(count):
        key = tokens[start]
        stop = start + max_words if start + max_words < count else count
        end = start + 1
        while True:
            cues = lookup(key)
            if cues is not None and key not in found:
                found[key] = (cues, start, end)
            if end >= stop or key not in prefixes:
                break
            key = f"{key} {tokens[end]}"
            end += 1
    return [(cue, first, last) for cues, first, last in found.values() for cue in cues]


def explain(text: str, vocabulary: Vocabulary | None = None) -> Explanation:
    """Classify ``text`` and return every phrase, pattern and score that led to the result."""
    vocab = vocabulary or load_vocabulary()
    limits = vocab.thresholds
    norm = normalize(text or "", vocab.abbreviations)
    features = _features(text or "", norm, limits.short_message_tokens)

    hits = [Hit("folded", *c, s, e) for c, s, e in _scan(norm.folded, vocab.folded, vocab)]
    hits += [Hit("accented", *c, s, e) for c, s, e in _scan(norm.accented, vocab.accented, vocab)]
    for feature in features:
        hits += [Hit("feature", *cue) for cue in vocab.folded.get(feature, ())]
    if vocab.rules:
        streams = {"folded": f" {norm.text} ", "accented": f" {norm.accented_text} "}
        for rule in vocab.rules:
            stream = streams[rule.stream]
            if rule.requires and not any(word in stream for word in rule.requires):
                continue
            for needle in rule.needles:  # a loop: `any(...)` costs more than the tests
                if needle in stream:
                    break
            else:
                if rule.needles:
                    continue  # none of the text every match needs: skip the (dearer) search
            match = rule.regex.search(stream)
            if match and rule.plain:
                match = next((m for m in rule.regex.finditer(stream) if _plain_around(m)), None)
            if match:
                pattern = rule.regex.pattern
                if rule.weight and rule.category:
                    hits.append(Hit("pattern", pattern, rule.category, rule.topic, rule.weight))
                if rule.urgent:
                    start, end = _tokens_of(match, stream)
                    hits.append(
                        Hit("pattern", pattern, URGENT, None, rule.urgent, start, end, rule.label)
                    )

    # A category with a topic_only_factor (question) needs one of its cues ("cho hỏi", "?"):
    # naming a procedure in passing is not asking about it.
    with_cue = {h.category for h in hits if h.topic is None and h.weight > 0}
    scores = dict.fromkeys(CATEGORIES, 0.0)
    topic_scores: dict[str, float] = {}
    assessed = assess((h for h in hits if h.category in _URGENCY), norm, vocab)
    urgency = assessed.score
    for hit in hits:
        if hit.category in _URGENCY:
            continue
        weight = hit.weight
        if hit.topic is not None and hit.category not in with_cue:
            weight *= vocab.topic_only_factor.get(hit.category, 1.0)
        scores[hit.category] += weight
        if hit.topic is not None:
            key = f"{hit.category}.{hit.topic}"
            topic_scores[key] = topic_scores.get(key, 0.0) + weight
    # Danger happening now is a tip even when the wording is unusual; "not now" cues cancel it.
    scores["tip"] += limits.urgent_tip_boost * max(urgency, 0.0)

    triage = _decide(scores, topic_scores, urgency, norm.word_count, vocab, assessed.cues)
    return Explanation(
        tokens=norm.folded,
        features=tuple(features),
        hits=tuple(hits),
        scores={k: round(v, 3) for k, v in scores.items()},
        urgency=round(urgency, 3),
        triage=triage,
        topic_scores={k: round(v, 3) for k, v in topic_scores.items()},
        urgency_cues=assessed.cues,
        negated=assessed.negated,
        accented=norm.accented,
    )


_URGENCY = frozenset({URGENT, URGENT_NOW})


def _plain_around(match: re.Match[str], words: int = 4) -> bool:
    """The `words` on each side of the match are mostly typed without diacritics: how the writer
    types is judged where the cue is, not anywhere in the text ("Tôi nhớ toi qua …"); the match's
    own words are what is in doubt ("sang qua" is also spelled right with accents typed)."""
    text = match.string
    near = [*text[: match.start()].split()[-words:], *text[match.end() :].split()[:words]]
    near = [word for word in near if any(char.isalpha() for char in word)]
    return sum(map(has_diacritics, near)) * 2 < len(near) if near else True


def _tokens_of(match: re.Match[str], stream: str) -> tuple[int, int]:
    """The tokens a pattern matched in ``stream`` (the streams' tokens joined by single spaces,
    one space before the first): first token, token after the last."""
    text = match.group()
    start = match.start() + len(text) - len(text.lstrip(" "))
    first = stream.count(" ", 0, start) - 1
    return first, first + max(len(text.split()), 1)


def _confidence(best: float, runner_up: float, scale: float) -> float:
    strength = 1.0 - math.exp(-best / scale)
    margin = (best - max(runner_up, 0.0)) / best
    return strength * (0.4 + 0.6 * margin)


def _decide(
    scores: Mapping[str, float],
    topic_scores: Mapping[str, float],
    urgency: float,
    token_count: int,
    vocab: Vocabulary,
    cues: tuple[str, ...] = (),
) -> Triage:
    limits = vocab.thresholds
    ranked = sorted(TIE_ORDER, key=lambda c: -scores[c])  # stable: ties keep TIE_ORDER
    best, runner_up = ranked[0], ranked[1]
    best_score = scores[best]

    if token_count == 0:
        category, confidence = "other", limits.empty_confidence
    elif best == "other" or best_score < limits.min_score:
        category = "other"
        signal = max(scores[c] for c in CATEGORIES if c != "other")
        other = scores["other"]
        if other >= limits.min_score and other > signal:
            confidence = _confidence(other, signal, limits.strength_scale)
        else:
            confidence = 0.0
        if token_count <= limits.short_message_tokens and signal < limits.min_score:
            confidence = max(confidence, limits.short_confidence)
        elif confidence == 0.0:
            confidence = limits.unknown_confidence
    else:
        category = best
        confidence = _confidence(best_score, scores[runner_up], limits.strength_scale)

    urgent = urgency >= limits.urgent_min  # the situation, whatever the category
    confidence = round(min(max(confidence, 0.0), 1.0), 3)
    topic = _topic(category, topic_scores, vocab)
    needs_human = confidence < limits.needs_human_below
    return Triage(category, topic, urgent, confidence, needs_human, (), cues if urgent else ())


def _topic(category: str, topic_scores: Mapping[str, float], vocab: Vocabulary) -> str | None:
    """The best topic of ``category``; the generic one (question.procedure: "thủ tục", "hồ sơ")
    only when no specific topic matched."""
    topic: str | None = None
    best_topic = 0.0
    generic = vocab.generic_topic.get(category)
    for name in vocab.topics.get(category, ()):
        value = topic_scores.get(f"{category}.{name}", 0.0)
        if name != generic and value > best_topic:
            topic, best_topic = name, value
    if topic is None and generic and topic_scores.get(f"{category}.{generic}", 0.0) > 0:
        topic = generic
    return topic


def classify(
    text: str,
    vocabulary: Vocabulary | None = None,
    model: ModelChoice = PACKAGED,
    urgency_model: UrgencyChoice = PACKAGED,
) -> Triage:
    """Classify one citizen message into exactly one of :data:`CATEGORIES`.

    With a model (the packaged one unless ``model`` is another or ``None`` for the rules alone),
    the model's calibrated probabilities choose the category; the rules keep the last word on
    urgency (an urgent message is a tip unless the model reads a missing person) and put a
    message they read as a tip in front of a human when the model disagrees. The urgency model
    (:mod:`~citizen_desk.triage.urgency_model`; packaged unless ``urgency_model`` says
    otherwise, never with the rules alone) may add urgency the rules did not see.
    """
    vocab = vocabulary or load_vocabulary()
    detail = explain(text, vocab)
    chosen = load_model() if isinstance(model, str) else model
    if chosen is None or not detail.tokens:
        return detail.triage
    second = load_urgency_model() if isinstance(urgency_model, str) else urgency_model
    return combine(detail, chosen, vocab, second)


def combine(
    detail: Explanation,
    model: TriageModel,
    vocab: Vocabulary,
    urgency_model: UrgencyModel | None = None,
) -> Triage:
    """The model's decision on one message, under the rules' safety cues (see :func:`classify`).

    Urgency: the rules' urgency stands (with their cues); otherwise the urgency model may call
    the message urgent (:func:`~citizen_desk.triage.urgency_model.fused`: from a lower
    probability when the rules' score does not argue against it), unless the rules' "not now"
    cues weigh too much. Such a message keeps
    its category, goes to a human with ``tip`` among its candidates, and its cues are "mô hình"
    and the words that pushed the model most."""
    rules = detail.triage
    found = parts(
        detail.tokens, dict(detail.scores), detail.urgency, rules.category, detail.features,
        model.spec,
    )  # fmt: skip
    probabilities = model.probabilities_of(found)
    category = max(TIE_ORDER, key=lambda c: probabilities[c])  # ties keep TIE_ORDER
    confidence = probabilities[category]
    urgent, cues = rules.urgent, rules.urgency_cues  # danger now: the rules are the safety net
    if urgent and category not in URGENT_KEEPS:  # a plea read as chatter goes to the tip desk
        category, confidence = "tip", max(probabilities["tip"], rules.confidence)
    second_opinion = False
    if not urgent and urgency_model is not None:
        calm = sum(h.weight for h in detail.hits if h.category == URGENT and h.weight < 0)
        built = (found.words, found.bigrams) if model.spec.words and model.spec.bigrams else None
        gate = None if detail.negated else detail.urgency  # a denied danger: no gate
        second_opinion, _, cues = urgency_model.assess(
            detail.tokens, detail.accented, calm, built, gate
        )
        urgent = second_opinion
    confidence = round(confidence, 3)
    # A tip the rules saw but the model did not is shown to a human rather than filed away;
    # so is an urgency only the urgency model saw (a statistical guess, checked within minutes).
    tip_doubt = (rules.category == "tip" or second_opinion) and category != "tip"
    needs_human = second_opinion or (
        not rules.urgent and (confidence < model.abstain_below or tip_doubt)
    )
    candidates: tuple[str, ...] = ()
    if needs_human:
        likely = [c for c in TIE_ORDER if c != category and probabilities[c] >= model.candidate_min]
        if tip_doubt and "tip" not in likely:
            likely.insert(0, "tip")
        candidates = (category, *likely)
    topic = _topic(category, detail.topic_scores, vocab)
    return Triage(category, topic, urgent, confidence, needs_human, candidates, cues)


def classify_case(
    texts: Sequence[str], vocabulary: Vocabulary | None = None, model: ModelChoice = PACKAGED
) -> Triage:
    """Classify a thread from its citizen messages, oldest first.

    A tip anywhere makes the case a tip. Urgency is sticky whatever the category: any urgent
    message makes the case urgent, with the cues of its urgent messages. Otherwise "other"
    messages (greetings, thanks) are ignored and the category with the most confidence summed
    over the messages wins. A message the rules read as a tip but the model did not keeps the
    case in front of a human.
    """
    vocab = vocabulary or load_vocabulary()
    chosen = load_model() if isinstance(model, str) else model
    return case_of([classify(text, vocab, chosen) for text in texts], vocab, chosen)


def case_of(
    results: Sequence[Triage], vocabulary: Vocabulary | None = None, model: ModelChoice = PACKAGED
) -> Triage:
    """:func:`classify_case` from its messages' own triage (``classify`` of each text, oldest
    first, with the same vocabulary and model): a message is triaged once."""
    vocab = vocabulary or load_vocabulary()
    chosen = load_model() if isinstance(model, str) else model
    if not results:
        return classify("", vocab, chosen)
    urgent = any(r.urgent for r in results)
    tips = [r for r in results if r.category == "tip"]
    if tips:
        lead = next((r for r in tips if r.urgent), max(tips, key=lambda r: r.confidence))
        topic = lead.topic or next((r.topic for r in tips if r.topic), None)
        return _for_case("tip", topic, urgent, lead.confidence, lead.needs_human, results)
    substantive = [r for r in results if r.category != "other"]
    if not substantive:
        lead = min(results, key=lambda r: r.confidence)
        return _for_case("other", None, urgent, lead.confidence, lead.needs_human, results)
    totals: dict[str, float] = {}
    for r in substantive:
        totals[r.category] = totals.get(r.category, 0.0) + r.confidence
    category = max(TIE_ORDER, key=lambda c: totals.get(c, -1.0))
    members = [r for r in substantive if r.category == category]
    topics = [r.topic for r in members if r.topic]
    topic = max(topics, key=topics.count) if topics else None
    share = totals[category] / sum(totals.values())
    confidence = round(share * max(r.confidence for r in members), 3)
    threshold = chosen.abstain_below if chosen else vocab.thresholds.needs_human_below
    return _for_case(category, topic, urgent, confidence, confidence < threshold, results)


def _for_case(
    category: str,
    topic: str | None,
    urgent: bool,
    confidence: float,
    needs_human: bool,
    results: Sequence[Triage],
) -> Triage:
    """A case's triage; its candidates gather those of its doubtful messages, its urgency cues
    those of its urgent messages."""
    cues = tuple(dict.fromkeys(c for r in results if r.urgent for c in r.urgency_cues))
    tip_doubt = category != "tip" and any("tip" in r.candidates for r in results)
    if not (needs_human or tip_doubt):
        return Triage(category, topic, urgent, confidence, False, (), cues)
    candidates = [category]
    for result in results:
        for candidate in (result.category, *result.candidates) if result.needs_human else ():
            if candidate not in candidates:
                candidates.append(candidate)
    return Triage(category, topic, urgent, confidence, True, tuple(candidates), cues)
