"""The render step: the week's admin report file and one draft per active channel."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry
from citizen_desk.db.models import Channel, Unit
from citizen_desk.domain.labels import CATEGORY_LABELS
from citizen_desk.privacy import pii_gate, redact
from citizen_desk.publication.checks import check_unit
from citizen_desk.publication.figures import UnitReport, WeeklyResults
from citizen_desk.publication.gate import block_inconsistent, tip_citizen_names
from citizen_desk.publication.ledger import store_draft
from citizen_desk.publication.report import render_report, report_context, write_report
from citizen_desk.publication.rows import load_outcomes
from citizen_desk.publication.texts import post_context, render_post, render_zalo


def render_all(
    session: Session,
    registry: Registry,
    results: WeeklyResults,
    *,
    now: datetime,
    actor: str,
    report_dir: Path | None = None,
) -> dict[str, Any]:
    """Write the admin report and a draft per active channel; returns ids (safe for XCom).

    A unit whose figures fail `publication.checks` gets its drafts stored `blocked`
    (`figures_inconsistent: <check>`) and its admins alerted; the other units go on.
    """
    period = results.week
    failed = {u.unit_code: f for u in (results.province, *results.units) if (f := check_unit(u))}
    root = next(u for u in registry.units if u.parent is None)
    ids = [i for u in (results.province, *results.units) for i in u.current.outcome_tip_ids]
    outcomes = load_outcomes(session, ids)
    # The admin report is redacted (not blocked): a slip in an outcome sentence shows as [TÊN].
    names = tip_citizen_names(session, None, period)
    report_outcomes = {k: redact(v, names=tuple(names)) for k, v in outcomes.items()}
    pii_gate(list(report_outcomes.values()), names=tuple(names), where=f"report {period.key}")
    channels = session.execute(
        select(Channel, Unit.code)
        .join(Unit, Channel.unit_id == Unit.id)
        .where(Channel.active.is_(True))
        .order_by(Channel.key)
    ).all()
    by_unit: dict[str, list[Channel]] = {}
    for channel, code in channels:
        by_unit.setdefault(code, []).append(channel)
    html = render_report(
        report_context(
            results,
            outcomes=report_outcomes,
            channels_by_unit={k: [c.key for c in v] for k, v in by_unit.items()},
            generated_at=now,
            inconsistent=failed,
        )
    )
    path = write_report(html, period, report_dir)
    working = [
        CATEGORY_LABELS[c]
        for c in ("question", "feedback", "tip", "lost_found")
        if (t := registry.sla.targets.get(c)) is not None and t.clock == "working"
    ]
    publication_ids = []
    for report in results.units:
        unit_channels = by_unit.get(report.unit_code, [])
        page = next((c for c in unit_channels if c.platform == "facebook"), None)
        context = post_context(
            report,
            period,
            min_count=results.min_count,
            province_name=root.name,
            outcomes=[outcomes[i] for i in report.current.outcome_tip_ids if i in outcomes],
            working_clock_labels=working,
            facebook_page=page.name if page else None,
        )
        for channel in unit_channels:
            text = render_post(context) if channel.platform == "facebook" else render_zalo(context)
            pub = store_draft(
                session,
                channel_id=channel.id,
                period=period,
                text=text,
                figures={"min_count": results.min_count, **_figures_json(report)},
                report_path=str(path),
                now=now,
                actor=actor,
            )
            if report.unit_code in failed and pub.status == "draft":
                block_inconsistent(
                    session,
                    registry,
                    pub,
                    failed[report.unit_code],
                    names=tip_citizen_names(session, channel.unit_id, period),
                    period=period,
                    now=now,
                    actor=actor,
                )
            publication_ids.append(pub.id)
    return {
        "period": period.key,
        "report": str(path),
        "publications": publication_ids,
        "inconsistent": failed,
    }


def _figures_json(report: UnitReport) -> dict[str, Any]:
    return asdict(report)
