"""What the escalation sweep writes into the outbox: the due alerts, the catch-up summaries
and the chiefs' daily digests (see :mod:`citizen_desk.tips.sweep`).

An alert is rendered once, whatever its recipients, and a reminder reads as the n-th reminder
actually sent. Summaries carry references and levels only; alerts and digests go through the
outbox's PII gate with the case's protected names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry, deployment_zone
from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Notification, Tip
from citizen_desk.domain.labels import tip_level_label
from citizen_desk.domain.lanes import Lane, lane_for
from citizen_desk.notify.digest import SummaryItem, record_covered_many, render_catch_up
from citizen_desk.tips import views as tips
from citizen_desk.tips.alerts import (
    alert_context,
    alert_free_text,
    digest_message,
    render_alert,
)
from citizen_desk.tips.escalation import DueAlert, EscalationPolicy, UnitNode

if TYPE_CHECKING:
    from citizen_desk.notify.batch import Enqueued
    from citizen_desk.tips.sweep import SweepReport


@dataclass(frozen=True)
class PlannedAlert:
    """One due alert for one recipient; `unrouted`: its unit has no contact for the role, so it
    goes to the admins."""

    tip: Tip
    alert: DueAlert
    recipient: str
    unrouted: bool

    @property
    def key(self) -> str:
        return f"{self.alert.idempotency_key}:{self.recipient}"


def enqueue_alerts(
    session: Session,
    report: SweepReport,
    fresh: Sequence[PlannedAlert],
    views: Mapping[int, tips.TipView],
    names: Mapping[int, tuple[str, ...]],
    policy: EscalationPolicy,
    *,
    now: datetime,
    source: str | None,
    registry: Registry,
    numbers: Mapping[str, int] | None = None,
) -> None:
    """Every due alert into the outbox at once (`enqueue_many`)."""
    from citizen_desk.notify.batch import Outgoing, enqueue_many

    rendered: dict[str, Any] = {}  # one rendering per alert, whatever its recipients
    items: list[Outgoing] = []
    zone = deployment_zone()  # once, not once per time shown (it stats the registry file)
    for item in fresh:
        key = item.alert.idempotency_key
        if key not in rendered:
            view = views[item.tip.id]
            # a reminder reads as the n-th reminder actually sent (the key keeps the ladder's)
            shown = replace(item.alert, sequence=(numbers or {}).get(key, item.alert.sequence))
            context = alert_context(view, shown, policy, registry)  # once: `reached` reads units
            context["timezone"] = zone  # what the `local_time` filter reads first
            rendered[key] = (
                render_alert(view, shown, policy, registry, context),
                alert_free_text(view, shown, policy, registry, context),
            )
        message, free_text = rendered[key]
        items.append(
            Outgoing(
                key=item.key,
                kind=f"tip_{item.alert.kind}",
                recipient=item.recipient,
                text=message.text,
                blocks=message.blocks,
                pii_names=names.get(item.tip.case_id, ()),
                free_text=free_text,
            )
        )
    added = enqueue_many(session, items, now=now, source=source, registry=registry)
    for outgoing in items:
        _count(report, added.get(outgoing.key), "enqueued")


def reminder_numbers(session: Session, reminders: Sequence[DueAlert]) -> dict[str, int]:
    """Alert key -> 1 + the reminders of its tip and level enqueued before (any recipient)."""
    heads = {(a.tip_id, a.level) for a in reminders}
    earlier: dict[tuple[int, int], set[str]] = defaultdict(set)
    for chunk in chunks(sorted(heads)):
        condition = or_(
            *(Notification.idempotency_key.like(f"tip:{t}:L{lv}:reminder:%") for t, lv in chunk)
        )
        for key in session.scalars(
            select(Notification.idempotency_key).where(
                condition, Notification.status.not_in(("superseded", "blocked"))
            )
        ):
            tip_id, level, _kind, sequence = key.split(":")[1:5]
            earlier[(int(tip_id), int(level[1:]))].add(sequence)
    return {a.idempotency_key: len(earlier[(a.tip_id, a.level)]) + 1 for a in reminders}


def enqueue_summaries(
    session: Session,
    report: SweepReport,
    summarised: Sequence[PlannedAlert],
    views: Mapping[int, tips.TipView],
    *,
    at: datetime,
    now: datetime,
    source: str | None,
    registry: Registry,
) -> None:
    """One catch-up summary per target unit and recipient; every listed pair gets its ledger row
    naming the summary. References and levels only: no excerpt, no identity."""
    from citizen_desk.notify.batch import Outgoing, enqueue_many

    groups: dict[tuple[str, str], list[PlannedAlert]] = defaultdict(list)
    for item in summarised:
        groups[(item.alert.unit_code, item.recipient)].append(item)
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    summaries: list[Outgoing] = []
    covered: list[tuple[str, str, str, str]] = []
    for (unit_code, recipient), items in sorted(groups.items()):
        key = f"tip-catchup:{unit_code}:{recipient}:{stamp}"
        # one line per tip (its urgent alert and its current level may both be listed here),
        # urgent tips first
        per_tip: dict[int, PlannedAlert] = {}
        for p in items:
            if p.tip.id not in per_tip or p.alert.level > per_tip[p.tip.id].alert.level:
                per_tip[p.tip.id] = p
        ordered = sorted(
            per_tip.values(),
            key=lambda p: (not p.tip.urgent, -p.alert.level, p.tip.received_at, p.tip.id),
        )
        entries = [
            SummaryItem(
                views[p.tip.id].reference,
                tip_level_label(p.alert.level, urgent=p.tip.urgent),
                registry.case_url(views[p.tip.id].case_id),
            )
            for p in ordered
        ]
        unit_name = _unit_name(registry, unit_code)
        message = render_catch_up(unit_name, "tin báo chưa xác minh", entries)
        urgent = any(p.tip.urgent for p in ordered)
        summaries.append(
            Outgoing(
                key=key,
                kind="tip_catchup",
                recipient=recipient,
                text=message.text,
                blocks=message.blocks,
                # old urgent tips: first
                priority=min(lane_for("tip_catchup"), int(Lane.URGENT_TIP)) if urgent else None,
            )
        )
        covered.extend(
            (
                item.key,
                f"tip_{item.alert.kind}",
                item.recipient,
                f"catch-up: listed in summary {key}",
            )
            for item in items
        )
    added = enqueue_many(session, summaries, now=now, source=source, registry=registry)
    report.summaries += sum(1 for row in added.values() if row.status != "blocked")
    record_covered_many(session, covered, now=now, source=source)


def _unit_name(registry: Registry, code: str) -> str:
    try:
        return registry.unit(code).name
    except KeyError:
        return code


def enqueue_digests(
    session: Session,
    report: SweepReport,
    wanted: Mapping[str, Sequence[int]],
    day: str | None,
    views: Mapping[int, tips.TipView],
    names: Mapping[int, tuple[str, ...]],
    *,
    at: datetime,
    now: datetime,
    source: str | None,
    registry: Registry,
) -> None:
    """One digest per chief, enqueued as one batch (`enqueue_many`): the PII gate judges each of
    our values alone and a line's wording once, with the names of every case listed."""
    from citizen_desk.notify.batch import Outgoing, enqueue_many

    digests: list[Outgoing] = []
    for chief, ids in sorted(wanted.items()):
        items = [views[i] for i in ids if i in views]
        # the day swept, also under a what-if
        message, ours = digest_message(items, registry, at)
        case_names = [n for v in items for n in names.get(v.case_id, ())]
        digests.append(
            Outgoing(
                key=tip_digest_key(chief, day),
                kind="tip_digest",
                recipient=chief,
                text=message.text,
                blocks=message.blocks,
                pii_names=tuple(dict.fromkeys(case_names)),
                ours=ours,
            )
        )
    added = enqueue_many(session, digests, now=now, source=source, registry=registry)
    for outgoing in digests:
        _count(report, added.get(outgoing.key), "digests")


def _count(report: SweepReport, row: Notification | Enqueued | None, field_name: str) -> None:
    if row is None:  # enqueued meanwhile by an overlapping run
        report.already_enqueued += 1
    elif row.status == "blocked":
        report.blocked += 1
    else:
        setattr(report, field_name, getattr(report, field_name) + 1)


# --- digests -------------------------------------------------------------------------------------


def digest_date(now: datetime, digest_hour: int | None) -> str | None:
    if digest_hour is None:
        return None
    local = now.astimezone(deployment_zone())
    return local.date().isoformat() if local.hour >= digest_hour else None


def tip_digest_key(chief: str, day: str | None) -> str:
    return f"tip-digest:{chief}:{day}"


def digest_recipients(
    due: Iterable[tuple[Tip, Sequence[DueAlert]]], units: Mapping[str, UnitNode]
) -> dict[str, list[int]]:
    """Chief -> open tips they have been alerted about (escalated to them, or urgent)."""
    chiefs = {node.contacts["chief"] for node in units.values() if node.contacts.get("chief")}
    result: dict[str, list[int]] = defaultdict(list)
    for tip, alerts in due:
        for chief in sorted({r for a in alerts for r in a.recipients if r in chiefs}):
            result[chief].append(tip.id)
    return dict(result)
