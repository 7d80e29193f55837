"""Consistency checks on a unit's weekly figures, run before anything is rendered. Pure.

A failed check stops that unit's post (`figures_inconsistent: <check name>`); the relations
checked are the ones the definitions in `publication.figures` guarantee for consistent data.
"""

from __future__ import annotations

from collections.abc import Iterator

from citizen_desk.publication.figures import PageInsights, UnitReport, WeekFigures

REASON_PREFIX = "figures_inconsistent"


def _week_failures(week: WeekFigures) -> Iterator[str]:
    counts = {
        "messages_total": week.messages_total,
        "questions_received": week.questions_received,
        "questions_answered": week.questions_answered,
        "questions_within_sla": week.questions_within_sla,
        "questions_overdue": week.questions_overdue,
        "questions_due": week.questions_due,
        "questions_in_scope": week.questions_in_scope,
        "lost_found_resolved": week.lost_found_resolved,
        "first_response_count": week.first_response.count,
        **{f"tips_{name}": getattr(week.tips, name) for name in _TIP_FIELDS},
        **{f"messages_{name}": value for name, value in week.messages.items()},
    }
    if any(value < 0 for value in counts.values()):
        yield "counts_non_negative"
    if sum(week.messages.values()) != week.messages_total:
        yield "categories_add_up_to_messages"
    tips = week.tips
    if tips.verified + tips.unfounded + tips.forwarded + tips.open != tips.in_scope:
        yield "tip_outcomes_add_up_to_tips_in_scope"
    if tips.received > tips.in_scope:
        yield "tips_received_within_tips_in_scope"
    population = week.questions_in_scope
    for name in ("received", "answered", "due", "overdue"):
        if getattr(week, f"questions_{name}") > population:
            yield f"questions_{name}_within_questions_in_scope"
    if week.questions_within_sla > week.questions_due:
        yield "on_time_within_due"
    if week.questions_within_sla > week.questions_answered:
        yield "on_time_within_answered"
    share = week.sla_share
    if share is not None and not 0 <= share <= 1:
        yield "on_time_rate_is_a_share"
    by_category = week.first_response_by_category
    if by_category and sum(s.count for s in by_category.values()) != week.first_response.count:
        yield "first_responses_by_category_add_up"
    for stats in (week.first_response, *by_category.values()):
        if stats.median is not None and (
            stats.median < 0 or stats.p90 is None or stats.median > stats.p90
        ):
            yield "first_response_median_within_p90"
            break
    if len(week.outcome_tip_ids) > tips.closed:
        yield "outcomes_within_closed_tips"


_TIP_FIELDS = ("received", "verified", "unfounded", "forwarded", "open", "in_scope")


def insight_failures(insights: PageInsights | None) -> list[str]:
    """Plausible bounds of page insights: impressions ≥ reach ≥ engagements, follows ≤ reach."""
    if insights is None:
        return []
    out = []
    values = (insights.impressions, insights.reach, insights.engagements, insights.follows)
    if any(v is not None and v < 0 for v in values):
        out.append("insights_non_negative")

    def above(big: int | None, small: int | None) -> bool:
        return big is not None and small is not None and small > big

    if above(insights.impressions, insights.reach):
        out.append("insights_reach_within_impressions")
    if above(insights.reach, insights.engagements) or (
        insights.reach is None and above(insights.impressions, insights.engagements)
    ):
        out.append("insights_engaged_within_reach")
    if above(insights.reach, insights.follows):
        out.append("insights_follows_within_reach")
    return out


def check_unit(report: UnitReport) -> list[str]:
    """Names of the failed checks for one unit's report (this week and last); [] = consistent."""
    failed: list[str] = []
    for week in (report.current, report.previous):
        failed += [name for name in _week_failures(week) if name not in failed]
    return failed + insight_failures(report.insights)


def blocked_reason(failed: list[str]) -> str:
    """The ledger's `blocked_reason`: `figures_inconsistent: <check name>[, <check name>...]`."""
    return f"{REASON_PREFIX}: {', '.join(failed)}"
