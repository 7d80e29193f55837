"""The escalation sweep: alert the chain of command about tips that are still unverified.

One sweep (the `escalate_unverified_tips` DAG runs it hourly and after each collection):

1. load the open tips (`new`/`verifying`, partial index `ix_tips_open_received`) with their unit,
   urgency, acknowledgements and recorded extensions;
2. ask `citizen_desk.tips.escalation.due_alerts` what is due at `now` (the run's time, never the
   wall clock) and enqueue each alert once per recipient in the notification outbox, under the key
   `{alert.idempotency_key}:{recipient}` (reruns, overlapping runs and retries add nothing);
3. raise `tips.escalation_level` to the highest level reached, with a guarded UPDATE so that
   exactly one run writes the `tip_escalated` audit row;
4. from `DIGEST_HOUR` local time, once per local day, a digest to each chief listing the open tips
   they were alerted about (`tip-digest:{slack_id}:{local date}`).

Catch-up (`citizen_desk.domain.catchup.plan_catch_up`): of a tip's alerts never enqueued, only its
current one (highest new level, else its latest reminder) and its urgent alerts may be sent, and
only urgent or fresh ones (due within the registry's `notifications.catch_up_fresh_within`) go
out by themselves. The stale current alerts of a first start, backfill or outage are listed in one
catch-up summary per target unit and recipient (`tip-catchup:{unit}:{recipient}:{run time}`);
passed levels and redundant reminders get a `superseded` ledger row and no message. The tip's
level still rises to where it is. Reminders are numbered by the reminders actually sent.

Alerts carry the case reference, unit, topic, urgency, age, level, last action, a redacted excerpt
and the case-view link; never the informant's name, platform id, phone or profile. The outbox's
PII gate gets the case's protected names: personal data that slips into an excerpt is withheld
(the alert still goes out, the admins are told); only a payload that fails elsewhere is blocked.
Delivery is separate (`deliver`), so a Slack outage never loses or duplicates an alert.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from citizen_desk.config.registry import Registry, deployment_zone
from citizen_desk.db.audit import record_audit
from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Notification, Tip, TipAcknowledgement, Unit
from citizen_desk.domain.catchup import Candidate, plan_catch_up
from citizen_desk.domain.labels import tip_level_label
from citizen_desk.domain.lanes import Lane
from citizen_desk.errors import CitizenDeskError
from citizen_desk.notify.digest import SummaryItem, record_covered, render_catch_up
from citizen_desk.tips import views as tips
from citizen_desk.tips.alerts import alert_free_text, render_alert, render_digest
from citizen_desk.tips.escalation import (
    OPEN_STATUSES,
    DueAlert,
    EscalationPolicy,
    TipSnapshot,
    UnitNode,
    due_alerts,
)

log = logging.getLogger(__name__)

DIGEST_HOUR = 7  # local time: the first sweep from 07:00 sends the day's digests
LADDER_KINDS = ("arrival", "escalation")


@dataclass
class SweepReport:
    """Counts only (goes to XCom and logs): no text, no identity."""

    now: str = ""
    open_tips: int = 0
    alerts_due: int = 0  # (alert, recipient) pairs due at `now`, new or not
    enqueued: int = 0
    blocked: int = 0  # refused by the outbox's PII gate
    already_enqueued: int = 0
    unrouted: int = 0  # alerts whose unit has no contact for the role: sent to the admins
    escalated: int = 0  # tips whose escalation level rose in this sweep
    digests: int = 0
    caught_up: int = 0  # stale (alert, recipient) pairs listed in a catch-up summary instead
    skipped: int = 0  # (alert, recipient) pairs of passed levels / redundant reminders: no message
    summaries: int = 0  # catch-up summaries enqueued
    failed_tips: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- loading -------------------------------------------------------------------------------------


def unit_nodes_from_db(session: Session) -> dict[str, UnitNode]:
    """The unit tree as synced into the DB (inactive units kept, so old tips still resolve)."""
    units = list(session.scalars(select(Unit)))
    by_id = {u.id: u for u in units}
    nodes = {}
    for unit in units:
        contacts = {
            role: slack_id
            for role, slack_id in (
                ("duty_officer", unit.duty_officer_slack),
                ("chief", unit.chief_slack),
            )
            if slack_id
        }
        parent = by_id[unit.parent_id].code if unit.parent_id in by_id else None
        nodes[unit.code] = UnitNode(unit.code, unit.kind, parent, contacts)
    return nodes


def open_tip_snapshots(session: Session) -> list[tuple[Tip, TipSnapshot]]:
    """Open tips, oldest first, with what the ladder needs to know about each."""
    rows = session.execute(
        select(Tip, Unit.code)
        .join(Unit, Tip.unit_id == Unit.id)
        .where(Tip.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Tip.received_at, Tip.id)
    ).all()
    acknowledged: dict[int, set[tuple[int, str]]] = defaultdict(set)
    ids = [tip.id for tip, _ in rows]
    for chunk in chunks(ids):
        for tip_id, level, unit_code in session.execute(
            select(TipAcknowledgement.tip_id, TipAcknowledgement.level, Unit.code)
            .join(Unit, TipAcknowledgement.unit_id == Unit.id)
            .where(TipAcknowledgement.tip_id.in_(chunk))
        ):
            acknowledged[tip_id].add((level, unit_code))
    return [
        (
            tip,
            TipSnapshot(
                tip_id=tip.id,
                unit_code=code,
                received_at=tip.received_at,
                urgent=tip.urgent,
                status=tip.status,
                acknowledged=frozenset(acknowledged.get(tip.id, ())),
                extension=_seconds(tip.extension_seconds),
            ),
        )
        for tip, code in rows
    ]


# --- the sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    tip: Tip
    alert: DueAlert
    recipient: str
    unrouted: bool

    @property
    def key(self) -> str:
        return f"{self.alert.idempotency_key}:{self.recipient}"


def sweep(
    session: Session,
    registry: Registry,
    *,
    now: datetime,
    actor: str,
    source: str | None = None,
    digest_hour: int | None = DIGEST_HOUR,
    recorded_at: datetime | None = None,
) -> SweepReport:
    """Enqueue every alert due at `now` that was never enqueued; the caller commits.

    `recorded_at` (default `now`) stamps what is written: outbox rows (`created_at`,
    `next_attempt_at`), raised levels and audit rows. A what-if sweep (`as_of` ahead of the run)
    evaluates at `now` but writes at the run's time, so its alerts go out now.
    """
    now = _utc(now)
    written = _utc(recorded_at) if recorded_at is not None else now
    policy = registry.escalation
    report = SweepReport(now=now.isoformat())
    units = unit_nodes_from_db(session)
    snapshots = open_tip_snapshots(session)
    report.open_tips = len(snapshots)
    admins = _admins(registry)

    due: list[tuple[Tip, list[DueAlert]]] = []
    for tip, snapshot in snapshots:
        try:
            alerts = due_alerts(snapshot, policy, units, registry.calendar, now)
        except (CitizenDeskError, ValueError) as exc:
            report.failed_tips.append(tip.id)
            log.error("tip %s: cannot compute its alerts: %s", tip.id, exc)
            continue
        if alerts:
            due.append((tip, alerts))

    planned = [
        _Planned(tip, alert, recipient, not alert.recipients)
        for tip, alerts in due
        for alert in alerts
        for recipient in (alert.recipients or admins)
    ]
    report.alerts_due = len(planned)
    report.unrouted = len({p.alert.idempotency_key for p in planned if p.unrouted})
    existing = _existing_keys(session, [p.key for p in planned])
    report.already_enqueued = sum(p.key in existing for p in planned)
    fresh = [p for p in planned if p.key not in existing]
    fresh, summarised, skipped = _plan_catch_up(fresh, now, registry)
    report.caught_up, report.skipped = len(summarised), len(skipped)

    digest_day = _digest_day(now, digest_hour)
    digest_tips = _digest_recipients(due, units) if digest_day else {}
    sent_digests = _existing_keys(session, [_digest_key(c, digest_day) for c in digest_tips])
    wanted_digests = {
        chief: ids
        for chief, ids in digest_tips.items()
        if _digest_key(chief, digest_day) not in sent_digests
    }

    # levels first, so that alerts and digests show the level each tip has now reached
    for tip, alerts in due:
        report.escalated += _raise_level(session, tip, alerts, policy, actor, written)

    need_views = {p.tip.id for p in [*fresh, *summarised]}
    need_views |= {i for ids in wanted_digests.values() for i in ids}
    tip_rows = [tip for tip, _ in due if tip.id in need_views]
    views = {v.tip_id: v for v in tips.views_for(session, tip_rows, now, policy)}
    names = tips.protected_names_by_case(session, [t.case_id for t in tip_rows])

    numbers = _reminder_numbers(session, [p.alert for p in fresh if p.alert.kind == "reminder"])
    _enqueue_alerts(
        session,
        report,
        fresh,
        views,
        names,
        policy,
        now=written,
        source=source,
        registry=registry,
        numbers=numbers,
    )
    for item, reason in skipped:
        record_covered(
            session,
            key=item.key,
            kind=f"tip_{item.alert.kind}",
            recipient=item.recipient,
            reason=reason,
            now=written,
            source=source,
        )
    _enqueue_summaries(
        session, report, summarised, views, at=now, now=written, source=source, registry=registry
    )
    _enqueue_digests(
        session,
        report,
        wanted_digests,
        digest_day,
        views,
        names,
        at=now,
        now=written,
        source=source,
        registry=registry,
    )
    session.flush()
    log.info("escalation sweep at %s: %s", now.isoformat(), log_counts(report))
    return report


def _enqueue_alerts(
    session: Session,
    report: SweepReport,
    fresh: Sequence[_Planned],
    views: Mapping[int, tips.TipView],
    names: Mapping[int, tuple[str, ...]],
    policy: EscalationPolicy,
    *,
    now: datetime,
    source: str | None,
    registry: Registry,
    numbers: Mapping[str, int] | None = None,
) -> None:
    rendered: dict[str, Any] = {}  # one rendering per alert, whatever its recipients
    for item in fresh:
        key = item.alert.idempotency_key
        if key not in rendered:
            view = views[item.tip.id]
            # a reminder reads as the n-th reminder actually sent (the key keeps the ladder's)
            shown = replace(item.alert, sequence=(numbers or {}).get(key, item.alert.sequence))
            rendered[key] = (
                render_alert(view, shown, policy, registry),
                alert_free_text(view, shown, policy, registry),
            )
        message, free_text = rendered[key]
        row = _enqueue(
            session,
            key=item.key,
            kind=f"tip_{item.alert.kind}",
            recipient=item.recipient,
            text=message.text,
            blocks=message.blocks,
            now=now,
            source=source,
            pii_names=names.get(item.tip.case_id, ()),
            registry=registry,
            free_text=free_text,
        )
        _count(report, row, "enqueued")


def _plan_catch_up(
    fresh: Sequence[_Planned], now: datetime, registry: Registry
) -> tuple[list[_Planned], list[_Planned], list[tuple[_Planned, str]]]:
    """(sent one by one, listed in a catch-up summary, (skipped, why)) — see the module doc."""
    alerts = {p.alert.idempotency_key: p for p in fresh}
    plan = plan_catch_up(
        (
            Candidate(key, p.tip.id, p.alert.level, p.alert.kind, p.tip.urgent, p.alert.due_at)
            for key, p in alerts.items()
        ),
        now=now,
        policy=registry.notifications,
    )
    individual = {c.key for c in plan.individual}
    summarised = {c.key for c in plan.summarised}
    return (
        [p for p in fresh if p.alert.idempotency_key in individual],
        [p for p in fresh if p.alert.idempotency_key in summarised],
        [
            (p, plan.reasons[p.alert.idempotency_key])
            for p in fresh
            if p.alert.idempotency_key not in individual | summarised
        ],
    )


def _reminder_numbers(session: Session, reminders: Sequence[DueAlert]) -> dict[str, int]:
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


def _enqueue_summaries(
    session: Session,
    report: SweepReport,
    summarised: Sequence[_Planned],
    views: Mapping[int, tips.TipView],
    *,
    at: datetime,
    now: datetime,
    source: str | None,
    registry: Registry,
) -> None:
    """One catch-up summary per target unit and recipient; every listed pair gets its ledger row
    naming the summary. References and levels only: no excerpt, no identity."""
    groups: dict[tuple[str, str], list[_Planned]] = defaultdict(list)
    for item in summarised:
        groups[(item.alert.unit_code, item.recipient)].append(item)
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    for (unit_code, recipient), items in sorted(groups.items()):
        key = f"tip-catchup:{unit_code}:{recipient}:{stamp}"
        # one line per tip (its urgent alert and its current level may both be listed here),
        # urgent tips first
        per_tip: dict[int, _Planned] = {}
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
        row = _enqueue(
            session,
            key=key,
            kind="tip_catchup",
            recipient=recipient,
            text=message.text,
            blocks=message.blocks,
            now=now,
            source=source,
            registry=registry,
        )
        if row is not None and row.status != "blocked":
            report.summaries += 1
        if row is not None and row.status == "pending" and any(p.tip.urgent for p in ordered):
            row.priority = min(row.priority, int(Lane.URGENT_TIP))  # old urgent tips: first
        for item in items:
            record_covered(
                session,
                key=item.key,
                kind=f"tip_{item.alert.kind}",
                recipient=item.recipient,
                reason=f"catch-up: listed in summary {key}",
                now=now,
                source=source,
            )


def _unit_name(registry: Registry, code: str) -> str:
    try:
        return registry.unit(code).name
    except KeyError:
        return code


def _enqueue_digests(
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
    for chief, ids in sorted(wanted.items()):
        items = [views[i] for i in ids if i in views]
        message = render_digest(items, registry, at)  # the day swept, also under a what-if
        case_names = [n for v in items for n in names.get(v.case_id, ())]
        row = _enqueue(
            session,
            key=_digest_key(chief, day),
            kind="tip_digest",
            recipient=chief,
            text=message.text,
            blocks=message.blocks,
            now=now,
            source=source,
            pii_names=tuple(dict.fromkeys(case_names)),
            registry=registry,
        )
        _count(report, row, "digests")


def _count(report: SweepReport, row: Notification | None, field_name: str) -> None:
    if row is None:  # enqueued meanwhile by an overlapping run
        report.already_enqueued += 1
    elif row.status == "blocked":
        report.blocked += 1
    else:
        setattr(report, field_name, getattr(report, field_name) + 1)


def _enqueue(session: Session, **kwargs: Any) -> Notification | None:
    from citizen_desk.notify.outbox import enqueue

    return enqueue(session, **kwargs)


def _raise_level(
    session: Session,
    tip: Tip,
    alerts: Sequence[DueAlert],
    policy: EscalationPolicy,
    actor: str,
    now: datetime,
) -> int:
    """Set `tips.escalation_level` to the highest ladder level due; 1 if this run raised it."""
    reached = [a for a in alerts if a.kind in LADDER_KINDS]
    target = max((a.level for a in reached), default=-1)
    before = tip.escalation_level
    if target <= before:
        return 0
    result = session.execute(
        update(Tip)
        .where(Tip.id == tip.id, Tip.escalation_level < target)
        .values(escalation_level=target, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", result).rowcount != 1:
        return 0  # another run got there first and wrote the audit row
    roles = {step.level: step.role for step in policy.ladder}
    steps = [a for a in reached if a.level > before]
    note = "; ".join(f"L{a.level} → {a.unit_code} ({roles.get(a.level, '?')})" for a in steps)
    record_audit(
        session,
        entity_type="tip",
        entity_id=tip.id,
        action="tip_escalated",
        actor=actor,
        at=now,
        before={"escalation_level": before},
        after={"escalation_level": target},
        note=note,
    )
    set_committed_value(tip, "escalation_level", target)  # what the UPDATE wrote, no re-read
    set_committed_value(tip, "updated_at", now)
    return 1


def _existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(sorted(set(keys))):
        found.update(
            session.scalars(
                select(Notification.idempotency_key).where(Notification.idempotency_key.in_(chunk))
            )
        )
    return found


def _admins(registry: Registry) -> tuple[str, ...]:
    from citizen_desk.notify.outbox import admin_recipients

    return tuple(admin_recipients(registry))


# --- digests -------------------------------------------------------------------------------------


def _digest_day(now: datetime, digest_hour: int | None) -> str | None:
    if digest_hour is None:
        return None
    local = now.astimezone(deployment_zone())
    return local.date().isoformat() if local.hour >= digest_hour else None


def _digest_key(chief: str, day: str | None) -> str:
    return f"tip-digest:{chief}:{day}"


def _digest_recipients(
    due: Iterable[tuple[Tip, Sequence[DueAlert]]], units: Mapping[str, UnitNode]
) -> dict[str, list[int]]:
    """Chief -> open tips they have been alerted about (escalated to them, or urgent)."""
    chiefs = {node.contacts["chief"] for node in units.values() if node.contacts.get("chief")}
    result: dict[str, list[int]] = defaultdict(list)
    for tip, alerts in due:
        for chief in sorted({r for a in alerts for r in a.recipients if r in chiefs}):
            result[chief].append(tip.id)
    return dict(result)


def log_counts(report: SweepReport | Mapping[str, Any]) -> str:
    data = report.as_dict() if isinstance(report, SweepReport) else dict(report)
    return ", ".join(f"{k}={v}" for k, v in data.items() if k != "now")


# --- small helpers -------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return value.astimezone(UTC)


def _seconds(value: int | None) -> timedelta:
    return timedelta(seconds=value or 0)
