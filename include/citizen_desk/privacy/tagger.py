"""underthesea's named-entity pipeline, with the same models and features, without the O(n²).

`underthesea.ner(text)` runs word segmentation, then three CRF taggers in a row (part of speech,
chunks, entities). Each tagger builds its features with `template2features`, which rebuilds every
column of the whole sentence for every feature of every word: quadratic in the sentence, it is
~90 % of a call (~45 ms for a 30-word message). `ner` here builds the very same feature strings
(same templates, same functions, columns built once per sentence) and hands them to the same
taggers (`underthesea_core.CRFTagger`, the models shipped in the wheel), so its output equals
`underthesea.ner(text)` token for token — `tests/privacy/test_tagger.py` checks it on every text
of the triage and redaction sets — in a fraction of the time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

_SYNTAX = re.compile(
    r"T\[(?P<index1>\-?\d+)(\,(?P<index2>\-?\d+))?\](\[(?P<column>.*)\])?(\.(?P<function>.*))?"
)

Feature = tuple[str, int, int | None, int, Callable[[str], Any] | None]


@cache
def _parsed(template: tuple[str, ...]) -> tuple[Feature, ...]:
    """(prefix, index1, index2, column, function) of each feature, as `template2features` reads
    its `token_syntax` (`re.match`, debug prefix `T[..]=`)."""
    from underthesea.pipeline.ner.tagged_feature import apply_function

    parsed = []
    for syntax in template:
        matched = _SYNTAX.match(syntax)
        if matched is None:  # pragma: no cover - the shipped templates all match
            raise ValueError(f"unknown feature template {syntax!r}")
        column = matched.group("column")
        index2 = matched.group("index2")
        name = matched.group("function")
        function = (lambda word, name=name: apply_function(name, word)) if name else None
        parsed.append(
            (
                f"{syntax}=",
                int(matched.group("index1")),
                int(index2) if index2 else None,
                int(column) if column else 0,
                function,
            )
        )
    return tuple(parsed)


def sentence_features(sent: Sequence[tuple[str, ...]], template: Sequence[str]) -> list[list[str]]:
    """`[word2features(sent, i, template) for i in range(len(sent))]`, columns built once."""
    if not sent:
        return []
    features = _parsed(tuple(template))
    columns = [[row[j] for row in sent] for j in range(len(sent[0]))]
    size = len(sent)
    result: list[list[str]] = []
    for i in range(size):
        row: list[str] = []
        for prefix, index1, index2, column, function in features:
            if i + index1 < 0:
                row.append(f"{prefix}BOS")
                continue
            if i + index1 >= size:
                row.append(f"{prefix}EOS")
                continue
            if index2 is not None:
                if i + index2 >= size:
                    row.append(f"{prefix}EOS")
                    continue
                word = " ".join(columns[column][i + index1 : i + index2 + 1])
            else:
                word = sent[i + index1][column]
            row.append(f"{prefix}{function(word) if function is not None else word}")
        result.append(row)
    return result


def _tag(predictor: Any, tokens: list[tuple[str, ...]]) -> list[str]:
    return list(predictor.model.tag(sentence_features(tokens, predictor.transformer.template)))


def ner(text: str) -> list[tuple[str, str, str, str]]:
    """`underthesea.ner(text)`: (word, part of speech, chunk, entity) per word."""
    from underthesea import word_tokenize
    from underthesea.pipeline.chunking.model_crf import CRFChunkingPredictor
    from underthesea.pipeline.ner.model_crf import CRFNERPredictor
    from underthesea.pipeline.pos_tag.model_crf import CRFPOSTagPredictor

    words = word_tokenize(text)
    pos = _tag(CRFPOSTagPredictor.Instance(), [(word, "X") for word in words])
    tagged = list(zip(words, pos, strict=False))
    chunks = _tag(CRFChunkingPredictor.Instance(), [(w, p, "X") for w, p in tagged])
    chunked = [(w, p, c) for (w, p), c in zip(tagged, chunks, strict=False)]
    entities = _tag(CRFNERPredictor.Instance(), [(w, p, c, "X") for w, p, c in chunked])
    return [(w, p, c, e) for (w, p, c), e in zip(chunked, entities, strict=False)]
