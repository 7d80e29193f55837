"""The simulator's labelled texts read as labelled by triage: the e2e times urgent tips to the
chief, so an urgent template the rules stop recognising silently shrinks what the e2e measures
(it saw 9 of 12 urgent tips after a vocabulary change dropped "mang súng … ngay lúc này")."""

from __future__ import annotations

import random

import pytest

from citizen_desk.triage.classify import classify
from platform_simulator import vocab
from platform_simulator.textgen import Label, TextFactory, area_for

URGENT_KEYS = sorted(k for k in vocab.CITIZEN_TEMPLATES if k[2])


@pytest.mark.parametrize("key", URGENT_KEYS, ids=["/".join(map(str, k)) for k in URGENT_KEYS])
def test_every_urgent_template_is_triaged_urgent(key: tuple[str, str, bool]) -> None:
    factory = TextFactory(area_for("Công an xã Nga Sơn", "NGA-SON"), hotline="0237 3852 113")
    rng = random.Random(7)
    label = Label(category=key[0], topic=key[1], urgent=True)
    missed = []
    for template in vocab.CITIZEN_TEMPLATES[key]:
        for style in (False, True):
            for _ in range(5):
                text = template.format_map(factory._slots(rng, None))
                text = factory.stylize(rng, text, label.category) if style else text
                if not classify(text).urgent:
                    missed.append(text)
    assert missed == []
