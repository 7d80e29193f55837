"""Slices of an evaluation: per source family, with / without diacritics, model next to rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from citizen_desk.text.normalize import has_diacritics

if TYPE_CHECKING:
    from citizen_desk.triage.evaluate import Outcome, Report

HEADER = (
    f"{'slice':<24}{'rows':>6}{'accuracy':>10}{'accepted':>10}{'needs_h':>9}"
    f"{'tip rec':>9}{'tip+rev':>9}{'urgent':>8}{'false urg':>10}{'abuse rec':>11}"
)


def _row(name: str, report: Report) -> str:
    tips = [o for o in report.outcomes if o.example.category == "tip"]
    urgent = [o for o in report.outcomes if o.example.urgent]
    abuse = [o for o in report.outcomes if o.example.category == "abuse"]

    def share(part: list[Outcome], ok: int) -> str:
        return f"{ok}/{len(part)}" if part else "-"

    return (
        f"{name:<24}{report.total:>6}{report.accuracy:>10.1%}{report.accuracy_accepted:>10.1%}"
        f"{report.needs_human_rate:>9.1%}"
        f"{share(tips, sum(o.correct for o in tips)):>9}"
        f"{share(tips, sum(o.correct or o.sent_to_review for o in tips)):>9}"
        f"{share(urgent, sum(o.triage.urgent for o in urgent)):>8}"
        f"{report.false_urgents:>10}"
        f"{share(abuse, sum(o.correct for o in abuse)):>11}"
    )


def _of_family(family: str) -> Callable[[Outcome], bool]:
    return lambda outcome: outcome.example.family == family


def slices(report: Report) -> list[tuple[str, Report]]:
    """The report per source family (when the set has sources) and per way of typing."""
    result: list[tuple[str, Report]] = []
    families = sorted({o.example.family for o in report.outcomes if o.example.family})
    for family in families:
        result.append((family, report.subset(_of_family(family))))
    result.append(("with diacritics", report.subset(lambda o: has_diacritics(o.example.text))))
    result.append(
        ("without diacritics", report.subset(lambda o: not has_diacritics(o.example.text)))
    )
    return [(name, part) for name, part in result if part.total]


def format_breakdown(report: Report, rules: Report | None = None) -> str:
    """A table of the slices; with ``rules``, each line again for the rules alone."""
    lines = [
        "tip rec / tip+rev: tips routed as tips / also counting those left to a human with tip "
        "a candidate",
        HEADER,
        _row("all", report),
    ]
    lines += [_row(name, part) for name, part in slices(report)]
    if rules is not None:
        lines += ["", "the rules alone:", HEADER, _row("all", rules)]
        lines += [_row(name, part) for name, part in slices(rules)]
    return "\n".join(lines)
