"""The SLA sweep's alerts: who hears about a late case, and what they read.

A warning goes to the unit's duty officer, a breach to the duty officer and the chief (the nearest
ancestor's when the unit has none), each once under its key; one digest per unit and local day
lists its open cases that are late or close to it. Alerts carry the case reference, unit,
category, delay, a redacted excerpt and the case link; the citizen's protected name is read only
to mask it. The excerpt is passed to the outbox as free text: should the PII gate still find
personal data in it, the alert goes out with the excerpt withheld.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Case, Citizen, Message, Unit
from citizen_desk.domain.labels import category_label
from citizen_desk.notify.blocks import our_values
from citizen_desk.notify.outbox import FreeText
from citizen_desk.sla.policy import SlaVerdict

if TYPE_CHECKING:
    from citizen_desk.config.registry import Registry
    from citizen_desk.privacy.excerpt import Verdict
    from citizen_desk.sla.sweep import TurnRow

log = logging.getLogger(__name__)

DIGEST_MAX_ITEMS = 40
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    parent_id: int | None
    duty_officer: str | None
    chief: str | None


def unit_infos(session: Session) -> dict[int, UnitInfo]:
    return {
        u.id: UnitInfo(u.code, u.name, u.parent_id, u.duty_officer_slack, u.chief_slack)
        for u in session.scalars(select(Unit))
    }


def contact(units: Mapping[int, UnitInfo], unit_id: int, role: str) -> str | None:
    """The unit's contact for `role`, else the nearest ancestor's."""
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        unit = units[current]
        value = unit.duty_officer if role == "duty_officer" else unit.chief
        if value:
            return value
        current = unit.parent_id
    return None


def _protected_names(session: Session, cases: Sequence[Case]) -> dict[int, list[str]]:
    """Per case, its citizen's protected name, ONLY to mask it (redact/pii_gate); never shown."""
    ids = sorted({c.citizen_id for c in cases if c.citizen_id is not None})
    names: dict[int, str] = {}
    for chunk in chunks(ids):
        names.update(
            (citizen_id, name)
            for citizen_id, name in session.execute(
                select(Citizen.id, Citizen.protected_display_name).where(Citizen.id.in_(chunk))
            )
            if name
        )
    return {c.id: [names[c.citizen_id]] if c.citizen_id in names else [] for c in cases}


def _last_texts(session: Session, case_ids: Sequence[int]) -> dict[int, str]:
    """Per case, the text of its last citizen message (by time, then id)."""
    texts: dict[int, str] = {}
    for chunk in chunks(sorted(set(case_ids))):
        ranked = (
            select(
                Message.case_id,
                Message.text,
                func.row_number()
                .over(
                    partition_by=Message.case_id,
                    order_by=(Message.created_at.desc(), Message.id.desc()),
                )
                .label("rank"),
            )
            .where(Message.case_id.in_(chunk), Message.direction == "in")
            .subquery()
        )
        texts.update(
            (case_id, text)
            for case_id, text in session.execute(
                select(ranked.c.case_id, ranked.c.text).where(ranked.c.rank == 1)
            )
        )
    return texts


def _redact(text: str, names: Sequence[str]) -> str:
    """The package's `redact`, looked up at each call (module-level: the excerpt memo keeps
    what it made)."""
    from citizen_desk.privacy import redact

    return redact(text, names=tuple(names))


def announce(
    session: Session,
    registry: Registry,
    units: Mapping[int, UnitInfo],
    outcomes: Sequence[tuple[TurnRow, SlaVerdict]],
    now: datetime,
    run_id: str | None,
) -> int:
    """Enqueue the alerts of these new outcomes (a warning or a breach each); returns how many.

    Set-based: the cases' names and last messages in one query per 500 cases, one rendering per
    outcome whatever its recipients, the outbox's batch enqueue."""
    from citizen_desk.config.registry import deployment_zone
    from citizen_desk.notify.batch import Outgoing, enqueue_many
    from citizen_desk.notify.blocks import render_message

    cases = [row.case for row, _ in outcomes]
    names_of = _protected_names(session, cases)
    zone = deployment_zone()  # once, not once per time shown (it stats the registry file)
    shown_of = _excerpts(session, cases, names_of, now)
    items: list[Outgoing] = []
    for row, verdict in outcomes:
        case, turn = row.case, row.turn
        unit = units[case.unit_id]
        names = names_of[case.id]
        (shown, judged), case_url = shown_of[case.id], registry.case_url(case.id)
        context: dict[str, Any] = {  # the template's variables
            "case_ref": case.reference,
            "unit_name": unit.name,
            "category_label": category_label(case.category),
            "urgent": bool(case.urgent),  # danger now: the case has the `urgent` reply target
            "turn_no": turn.turn_no,
            "due_at": verdict.due_at,
            "excerpt": shown,
            "case_url": case_url,
            "timezone": zone,  # what the `local_time` filter reads first
        }
        extra: dict[str, Any]
        if verdict.state == "warning":
            template, extra = "sla_warning", {"remaining": verdict.remaining}
        else:
            template, extra = "sla_breach", {"overdue_by": verdict.overdue_by}
        message = render_message(template, **extra, **context)
        free_text = FreeText(
            fields={"excerpt": shown},
            render=partial(_rerender, template, {**extra, **context}),
            case_ref=case.reference,
            case_url=case_url,
            ours=our_values(*_ours(context).values(), *extra.values(), zone=zone),
            judged=(judged,) if judged is not None else (),
        )
        kind = f"sla_{'warning' if verdict.state == 'warning' else 'breach'}"
        for key, recipient in alert_targets(units, row, verdict):
            if recipient is None:
                log.warning(
                    "%s: no duty officer configured up the chain; alert not sent", case.reference
                )
                continue
            items.append(
                Outgoing(
                    key=key,
                    kind=kind,
                    recipient=recipient,
                    text=message.text,
                    blocks=message.blocks,
                    pii_names=names,
                    free_text=free_text,
                )
            )
    added = enqueue_many(session, items, now=now, source=run_id, registry=registry)
    return len(added)


def _ours(context: Mapping[str, Any]) -> dict[str, Any]:
    """The template's values that are ours: not the citizen's excerpt, nor our case link (the
    gate strips our links itself), nor the zone times are shown in."""
    return {k: v for k, v in context.items() if k not in ("excerpt", "case_url", "timezone")}


def _excerpts(
    session: Session, cases: Sequence[Case], names_of: Mapping[int, list[str]], now: datetime
) -> dict[int, tuple[str, Verdict | None]]:
    """Per case, its alerts' excerpt and the PII gate's verdict on it: kept in the domain DB by
    the collection, else made (and kept) here."""
    from citizen_desk.db.excerpts import judged_excerpts

    texts = _last_texts(session, [case.id for case in cases])
    ids = list(texts)
    requests = [(texts[case_id] or "", list(names_of.get(case_id, ()))) for case_id in ids]
    shown = judged_excerpts(session, requests, EXCERPT_CHARS, _redact, now=now)
    return dict(zip(ids, shown, strict=True))


def excerpts_of(
    session: Session,
    texts: Mapping[int, str],
    names_of: Mapping[int, Sequence[str]],
    *,
    keep_at: datetime | None = None,
) -> dict[int, str]:
    """Per case id of `texts` (its last citizen message), the excerpt its alerts show: read from
    the domain DB where kept, else made; kept too when `keep_at` is given (the caller commits).
    The SLA board shows the same excerpt."""
    from citizen_desk.db.excerpts import excerpts

    ids = list(texts)
    requests = [(texts[case_id] or "", list(names_of.get(case_id, ()))) for case_id in ids]
    shown = excerpts(session, requests, EXCERPT_CHARS, _redact, now=keep_at)
    return dict(zip(ids, shown, strict=True))


def prepare_excerpts(session: Session, now: datetime) -> int:
    """Keep the excerpt of every open case awaiting a reply and not yet late (what its coming
    alerts will show), so that a sweep after a burst reads them; returns how many cases."""
    cases = session.scalars(
        select(Case).where(
            Case.status == "open", Case.awaiting_since.is_not(None), Case.sla_breached.is_(False)
        )
    ).all()
    if cases:
        _excerpts(session, cases, _protected_names(session, cases), now)
    return len(cases)


def _rerender(template: str, context: Mapping[str, Any], values: Mapping[str, str]) -> Any:
    from citizen_desk.notify.blocks import render_message

    return render_message(template, **{**context, **values})


def alert_targets(
    units: Mapping[int, UnitInfo], row: TurnRow, verdict: SlaVerdict
) -> list[tuple[str, str | None]]:
    """(key, recipient) of each alert of this outcome: a warning to the duty officer, a breach
    to the duty officer and the chief (None: nobody configured up the chain)."""
    case, base = row.case, f"sla:{row.case.id}:{row.turn.turn_no}"
    if verdict.state == "warning":
        return [(f"{base}:warning", contact(units, case.unit_id, "duty_officer"))]
    recipients = [
        contact(units, case.unit_id, "duty_officer"),
        contact(units, case.unit_id, "chief"),
    ]
    return [(f"{base}:breach:{r}", r) for r in dict.fromkeys(recipients) if r]


def event_time(verdict: SlaVerdict) -> datetime | None:
    """When the outcome happened: the warning time of a warning, the deadline of a breach."""
    return verdict.warn_at if verdict.state == "warning" else verdict.due_at


def send_catch_up(
    session: Session,
    registry: Registry,
    units: Mapping[int, UnitInfo],
    stale: Sequence[tuple[TurnRow, SlaVerdict]],
    now: datetime,
    run_id: str | None,
) -> int:
    """Outcomes a sweep found long past (first start, backfill, outage): instead of one alert
    each, one catch-up summary per unit and recipient (references, category and state counts;
    no excerpt). Each alert key gets its ledger row naming the summary. Returns summaries."""
    from citizen_desk.domain.labels import SLA_STATE_LABELS
    from citizen_desk.domain.vocabulary import SlaState
    from citizen_desk.notify.digest import SummaryItem, record_covered_many, render_catch_up

    state_label = {
        "warning": SLA_STATE_LABELS[SlaState.WARNING],
        "breached": SLA_STATE_LABELS[SlaState.BREACH],
    }
    groups: dict[tuple[int, str], list[tuple[str, TurnRow, SlaVerdict]]] = {}
    for row, verdict in stale:
        for key, recipient in alert_targets(units, row, verdict):
            if recipient is None:
                log.warning("%s: no duty officer configured up the chain", row.case.reference)
                continue
            groups.setdefault((row.case.unit_id, recipient), []).append((key, row, verdict))
    from citizen_desk.notify.batch import Outgoing, enqueue_many

    stamp = now.strftime("%Y%m%dT%H%MZ")
    summaries: list[Outgoing] = []
    covered: list[tuple[str, str, str, str]] = []
    for (unit_id, recipient), entries in sorted(
        groups.items(), key=lambda item: (units[item[0][0]].code, item[0][1])
    ):
        unit = units[unit_id]
        summary_key = f"sla-catchup:{unit.code}:{recipient}:{stamp}"
        items = [
            SummaryItem(
                row.case.reference,
                f"{category_label(row.case.category)} – {state_label[verdict.state]}",
                registry.case_url(row.case.id),
            )
            for _, row, verdict in sorted(entries, key=lambda e: (e[2].state, e[1].case.id))
        ]
        message = render_catch_up(unit.name, "hồ sơ chưa được trả lời đúng hạn", items)
        summaries.append(
            Outgoing(summary_key, "sla_catchup", recipient, message.text, message.blocks)
        )
        covered.extend(
            (
                key,
                f"sla_{'warning' if verdict.state == 'warning' else 'breach'}",
                recipient,
                f"catch-up: listed in summary {summary_key}",
            )
            for key, _, verdict in entries
        )
    added = enqueue_many(session, summaries, now=now, source=run_id, registry=registry)
    record_covered_many(session, covered, now=now, source=run_id)
    return len(added)


def send_digests(
    session: Session,
    registry: Registry,
    late: Sequence[tuple[TurnRow, SlaVerdict]],
    now: datetime,
    run_id: str | None,
) -> int:
    """One digest per unit and local day of its late cases, enqueued as one batch: the PII gate
    judges each of our values alone (references by their shape) and a line's wording once."""
    from citizen_desk.config.registry import deployment_zone
    from citizen_desk.notify.batch import Outgoing, enqueue_many
    from citizen_desk.notify.blocks import render_message

    units = unit_infos(session)
    by_unit: dict[int, list[tuple[TurnRow, SlaVerdict]]] = {}
    for row, verdict in late:
        by_unit.setdefault(row.case.unit_id, []).append((row, verdict))
    day = now.astimezone(ZoneInfo(registry.timezone)).date()
    zone = deployment_zone()
    digests: list[Outgoing] = []
    for unit_id, entries in sorted(by_unit.items(), key=lambda item: units[item[0]].code):
        unit = units[unit_id]
        recipient = contact(units, unit_id, "duty_officer")
        if recipient is None:
            continue
        entries.sort(key=_digest_order)
        items = [
            {
                "case_ref": row.case.reference,
                "category_label": category_label(row.case.category),
                "state": verdict.state,
                "delay": verdict.overdue_by if verdict.state == "breached" else verdict.remaining,
                "due_at": verdict.due_at,
                "case_url": registry.case_url(row.case.id),
            }
            for row, verdict in entries
        ]
        breached = sum(1 for item in items if item["state"] == "breached")
        shown = items[:DIGEST_MAX_ITEMS]
        message = render_message(
            "sla_digest",
            unit_name=unit.name,
            day=day.strftime("%d/%m/%Y"),
            items=shown,
            breached=breached,
            warning=len(items) - breached,
            more=max(len(items) - DIGEST_MAX_ITEMS, 0),
            timezone=zone,  # what the `local_time` filter reads first
        )
        values = [v for item in shown for k, v in item.items() if k not in ("state", "case_url")]
        digests.append(
            Outgoing(
                key=f"sla-digest:{unit.code}:{day.isoformat()}",
                kind="sla_digest",
                recipient=recipient,
                text=message.text,
                blocks=message.blocks,
                ours=our_values(unit.name, day.strftime("%d/%m/%Y"), *values, zone=zone),
            )
        )
    added = enqueue_many(session, digests, now=now, source=run_id, registry=registry)
    return len(added)


def _digest_order(entry: tuple[TurnRow, SlaVerdict]) -> tuple[int, float, int]:
    _, verdict = entry
    if verdict.state == "breached":
        return (0, -(verdict.overdue_by or timedelta(0)).total_seconds(), verdict.case_id)
    due = verdict.due_at.timestamp() if verdict.due_at else 0.0
    return (1, due, verdict.case_id)
