"""The escalation sweep: alert the chain of command about tips that are still unverified.

One sweep (the `escalate_unverified_tips` DAG runs it hourly and after each collection):

1. load the open tips (`new`/`verifying`, partial index `ix_tips_open_received`) with their unit,
   urgency, acknowledgements and recorded extensions;
2. ask `citizen_desk.tips.escalation.due_alerts` what is due at `now` (the run's time, never the
   wall clock) and enqueue each alert once per recipient in the notification outbox, under the key
   `{alert.idempotency_key}:{recipient}` (reruns, overlapping runs and retries add nothing);
3. raise `tips.escalation_level` to the highest level reached, with a guarded UPDATE (one per
   target level and 500 tips, `RETURNING` the tips it raised) so that exactly one run writes the
   `tip_escalated` audit row;
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
Everything is written set-based (`notify.batch.enqueue_many`, bulk ledger and audit rows): the
statements a sweep sends do not grow with the number of tips.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from citizen_desk.config.registry import Registry
from citizen_desk.db.audit import audit_row, record_audits
from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Tip
from citizen_desk.domain.catchup import Candidate, plan_catch_up
from citizen_desk.errors import CitizenDeskError
from citizen_desk.notify.batch import existing_keys
from citizen_desk.notify.digest import record_covered_many
from citizen_desk.tips import views as tips
from citizen_desk.tips.escalation import DueAlert, EscalationPolicy, due_alerts
from citizen_desk.tips.open_tips import open_tip_snapshots, unit_nodes_from_db
from citizen_desk.tips.sweep_messages import (
    PlannedAlert,
    digest_date,
    digest_recipients,
    enqueue_alerts,
    enqueue_digests,
    enqueue_summaries,
    reminder_numbers,
    tip_digest_key,
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
        PlannedAlert(tip, alert, recipient, not alert.recipients)
        for tip, alerts in due
        for alert in alerts
        for recipient in (alert.recipients or admins)
    ]
    report.alerts_due = len(planned)
    report.unrouted = len({p.alert.idempotency_key for p in planned if p.unrouted})
    existing = existing_keys(session, [p.key for p in planned])
    report.already_enqueued = sum(p.key in existing for p in planned)
    fresh = [p for p in planned if p.key not in existing]
    fresh, summarised, skipped = _plan_catch_up(fresh, now, registry)
    report.caught_up, report.skipped = len(summarised), len(skipped)

    digest_day = digest_date(now, digest_hour)
    digest_tips = digest_recipients(due, units) if digest_day else {}
    sent_digests = existing_keys(session, [tip_digest_key(c, digest_day) for c in digest_tips])
    wanted_digests = {
        chief: ids
        for chief, ids in digest_tips.items()
        if tip_digest_key(chief, digest_day) not in sent_digests
    }

    # levels first, so that alerts and digests show the level each tip has now reached
    report.escalated += _raise_levels(session, due, policy, actor, written)

    need_views = {p.tip.id for p in [*fresh, *summarised]}
    need_views |= {i for ids in wanted_digests.values() for i in ids}
    tip_rows = [tip for tip, _ in due if tip.id in need_views]
    alerted = {p.tip.id for p in fresh}  # only alerts show an excerpt: summaries, digests none
    names = tips.protected_names_by_case(session, [t.case_id for t in tip_rows])
    views = {
        v.tip_id: v
        for v in tips.views_for(
            session, tip_rows, now, policy, excerpts=alerted, keep_at=now, names=names
        )
    }

    numbers = reminder_numbers(session, [p.alert for p in fresh if p.alert.kind == "reminder"])
    enqueue_alerts(
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
    record_covered_many(
        session,
        [(item.key, f"tip_{item.alert.kind}", item.recipient, reason) for item, reason in skipped],
        now=written,
        source=source,
    )
    enqueue_summaries(
        session, report, summarised, views, at=now, now=written, source=source, registry=registry
    )
    enqueue_digests(
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


def _plan_catch_up(
    fresh: Sequence[PlannedAlert], now: datetime, registry: Registry
) -> tuple[list[PlannedAlert], list[PlannedAlert], list[tuple[PlannedAlert, str]]]:
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
    listed = individual | summarised  # once: not once per alert (quadratic on a backlog)
    return (
        [p for p in fresh if p.alert.idempotency_key in individual],
        [p for p in fresh if p.alert.idempotency_key in summarised],
        [
            (p, plan.reasons[p.alert.idempotency_key])
            for p in fresh
            if p.alert.idempotency_key not in listed
        ],
    )


def _raise_levels(
    session: Session,
    due: Sequence[tuple[Tip, Sequence[DueAlert]]],
    policy: EscalationPolicy,
    actor: str,
    now: datetime,
) -> int:
    """Set `tips.escalation_level` to the highest ladder level due, set-based: one guarded
    `UPDATE … WHERE id IN (…) AND escalation_level < target RETURNING id` per target level and
    500 tips, so that exactly one run raises a tip and writes its `tip_escalated` audit row.
    Returns how many tips this run raised."""
    wanted: dict[int, tuple[Tip, int, list[DueAlert]]] = {}  # in the sweep's order
    by_target: dict[int, list[int]] = defaultdict(list)
    for tip, alerts in due:
        reached = [a for a in alerts if a.kind in LADDER_KINDS]
        target = max((a.level for a in reached), default=-1)
        if target > tip.escalation_level:
            wanted[tip.id] = (tip, target, reached)
            by_target[target].append(tip.id)
    raised: set[int] = set()
    for target, ids in sorted(by_target.items()):
        for chunk in chunks(sorted(ids)):
            result = session.execute(
                update(Tip)
                .where(Tip.id.in_(chunk), Tip.escalation_level < target)
                .values(escalation_level=target, updated_at=now)
                .returning(Tip.id)
                .execution_options(synchronize_session=False)
            )
            raised.update(result.scalars())  # the others: another run got there first
    roles = {step.level: step.role for step in policy.ladder}
    audits = []
    for tip, target, reached in wanted.values():
        if tip.id not in raised:
            continue
        before = tip.escalation_level
        steps = [a for a in reached if a.level > before]
        note = "; ".join(f"L{a.level} → {a.unit_code} ({roles.get(a.level, '?')})" for a in steps)
        audits.append(
            audit_row(
                "tip",
                tip.id,
                "tip_escalated",
                actor,
                now,
                before={"escalation_level": before},
                after={"escalation_level": target},
                note=note,
            )
        )
        set_committed_value(tip, "escalation_level", target)  # what the UPDATE wrote
        set_committed_value(tip, "updated_at", now)
    record_audits(session, audits)
    return len(raised)


def _admins(registry: Registry) -> tuple[str, ...]:
    from citizen_desk.notify.outbox import admin_recipients

    return tuple(admin_recipients(registry))


def log_counts(report: SweepReport | Mapping[str, Any]) -> str:
    data = report.as_dict() if isinstance(report, SweepReport) else dict(report)
    return ", ".join(f"{k}={v}" for k, v in data.items() if k != "now")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return value.astimezone(UTC)
