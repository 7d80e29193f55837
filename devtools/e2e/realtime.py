"""Real time (issue 22): live traffic pushed by webhook, urgent tips timed to their chief's alert.

The simulator's world goes live and pushes every new citizen message to the api-server's webhook
receivers. Three checks:

- latency: urgent tips injected in waves; for each one the system triaged as urgent, the time
  from the citizen's message to the chief's alert first seen in Slack (polled every second) —
  p95 ≤ 2 minutes;
- restarts: a burst while the api-server and the scheduler restart; every pushed message is stored
  by the webhook path alone (the simulator retries on Meta's and Zalo's real ladders);
- duplicates: a collection afterwards stores nothing twice and no alert goes out twice.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from e2e import checks
from e2e.scenario import COLLECT, ESCALATE, REALTIME, SLA, parse_time

if TYPE_CHECKING:
    from e2e.report import Report
    from e2e.scenario import Scenario
    from e2e.topology import Topology

LATENCY_P95_SECONDS = 120.0
WAVES = 3  # urgent tips come in waves, so several realtime runs are timed, not one batch
URGENT_PER_WAVE = 4
WAVE_GAP_SECONDS = 20.0
BURST_SECONDS = 90.0
BURST_EVERY_SECONDS = 3.0
BURST_SIZE = 6  # threads per push during the burst


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 12 values is the 12th, never an interpolation)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def distribution(values: Sequence[float]) -> str:
    return (
        f"n={len(values)} min={min(values):.1f}s p50={percentile(values, 0.5):.1f}s "
        f"p95={percentile(values, 0.95):.1f}s max={max(values):.1f}s"
    )


@dataclass
class Injected:
    """A citizen message the e2e created, and when (wall clock, UTC)."""

    message_id: str
    at: datetime


@dataclass
class Timing:
    """One urgent tip's way to its chief: stored, enqueued, sent (all UTC)."""

    message_id: str
    injected: datetime
    stored: datetime | None = None
    enqueued: datetime | None = None
    sent: datetime | None = None
    key: str | None = None

    def seconds(self, until: datetime | None) -> float | None:
        return None if until is None else (until - self.injected).total_seconds()


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def urgent_alert_timings(
    injected: Iterable[Injected],
    stored: Mapping[str, tuple[datetime, int | None]],
    alerts: Mapping[int, Mapping[str, Any]],
) -> dict[str, Timing]:
    """Join what was injected with the DB: message id -> (stored at, tip id), tip id -> its
    urgent alert to its own unit's chief (key, created_at, sent_at)."""
    timings: dict[str, Timing] = {}
    for item in injected:
        timing = Timing(item.message_id, item.at)
        found = stored.get(item.message_id)
        if found is not None:
            timing.stored = found[0]
            alert = alerts.get(found[1]) if found[1] is not None else None
            if alert is not None:
                timing.key = alert["key"]
                timing.enqueued = alert["created_at"]
                timing.sent = alert["sent_at"]
        timings[item.message_id] = timing
    return timings


def not_stored(
    truth: Iterable[Mapping[str, Any]], since_ms: int, stored: set[tuple[str, str]]
) -> list[str]:
    """Citizen messages created since `since_ms` (pushed by webhook) missing from the DB."""
    missing = []
    for record in truth:
        if record.get("direction") != "in" or int(record["created_ms"]) < since_ms:
            continue
        if (record["channel"], record["id"]) not in stored:
            missing.append(f"{record['channel']}/{record['id']}")
    return missing


class DomainReader:
    """Small, frequent reads of the domain DB (the full `checks.load_domain` is too heavy)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Any:
        from sqlalchemy.orm import Session

        return Session(self.engine)

    def stored(self, message_ids: Sequence[str]) -> dict[str, tuple[datetime, int | None]]:
        """Message id -> (when it was stored, the id of the tip its case holds, if any)."""
        from sqlalchemy import select

        from citizen_desk.db.models import Message, Tip

        found: dict[str, tuple[datetime, int | None]] = {}
        with self._session() as session:
            rows = session.execute(
                select(Message.platform_message_id, Message.collected_at, Tip.id)
                .outerjoin(Tip, Tip.case_id == Message.case_id)
                .where(Message.platform_message_id.in_(list(message_ids)))
            )
            for message_id, collected_at, tip_id in rows:
                stamp = _aware(collected_at)
                assert stamp is not None
                found[message_id] = (stamp, tip_id)
        return found

    def urgent_alerts(self, tip_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Tip id -> its urgent alert to its own unit's chief (any level)."""
        from sqlalchemy import or_, select

        from citizen_desk.db.models import Notification

        wanted = sorted(set(tip_ids))
        if not wanted:
            return {}
        # `tip:T:L<level>:urgent:<sequence>:<recipient>`, sequence 0 the tip's own unit
        patterns = [Notification.idempotency_key.like(f"tip:{t}:L%:urgent:0:%") for t in wanted]
        alerts: dict[int, dict[str, Any]] = {}
        with self._session() as session:
            for note in session.scalars(select(Notification).where(or_(*patterns))):
                tip_id = int(note.idempotency_key.split(":")[1])
                alerts[tip_id] = {
                    "key": note.idempotency_key,
                    "status": note.status,
                    "created_at": _aware(note.created_at),
                    "sent_at": _aware(note.sent_at),
                }
        return alerts


@dataclass
class Realtime:
    scenario: Scenario
    topo: Topology
    injected: list[Injected] = field(default_factory=list)

    @property
    def report(self) -> Report:
        return self.scenario.report

    def run(self, name: str) -> bool:
        """The three checks; False when the realtime DAG is missing (skipped)."""
        sim, api = self.topo.simulator, self.scenario.api
        if REALTIME not in self.scenario.present:
            self.report.skip(f"{name}: real time", f"{REALTIME} missing")
            return False
        with self.report.timed(f"{name}: the world goes live, pushing webhooks"):
            api.set_paused(REALTIME, False)
            self.topo.go_live()
        live_since_ms = int(sim.get("/_sim/clock")["epoch_ms"])
        reader = DomainReader(self.topo.domain_url)
        try:
            self.latency(name, reader)
            self.restarts(name, reader, live_since_ms)
            self.no_duplicates(name)
        finally:
            reader.close()
        return True

    # --- latency ----------------------------------------------------------------------------

    def inject(self, count: int, **kind: Any) -> list[Injected]:
        at = datetime.now(UTC)
        made = [Injected(mid, at) for mid in self.topo.simulator.generate(count, **kind)]
        self.injected += made
        return made

    def latency(self, name: str, reader: DomainReader) -> None:
        urgent: list[Injected] = []
        with self.report.timed(f"{name}: {WAVES} waves of urgent tips, timed to the chief"):
            for wave in range(WAVES):
                if wave:
                    time.sleep(WAVE_GAP_SECONDS)
                urgent += self.inject(URGENT_PER_WAVE, category="tip", urgent=True)
            timings = self._wait_for_alerts(urgent, reader, timeout=6 * 60)
        alerted = [t for t in timings.values() if t.key is not None]
        problems: list[str] = []
        missing = [t.message_id for t in timings.values() if t.stored is None]
        if missing:
            problems.append(f"{len(missing)} urgent tips never stored: {missing[:5]}")
        unsent = [t.key for t in alerted if t.sent is None]
        if unsent:
            problems.append(f"{len(unsent)} chief alerts not sent within 6 min: {unsent[:5]}")
        sent = [t for t in alerted if t.sent is not None]
        info = [
            f"{len(urgent)} urgent tips injected in {WAVES} waves; {len(alerted)} triaged urgent "
            f"(a chief alert enqueued), {len(sent)} alerts sent"
        ]
        if sent:
            total = [t.seconds(t.sent) or 0.0 for t in sent]
            info += [
                "message -> chief alert seen in Slack: " + distribution(total),
                "message -> stored (the processing run's logical time): "
                + distribution([t.seconds(t.stored) or 0.0 for t in sent]),
                "message -> alert enqueued (the escalation run's logical time): "
                + distribution([t.seconds(t.enqueued) or 0.0 for t in sent]),
            ]
            p95 = percentile(total, 0.95)
            if p95 > LATENCY_P95_SECONDS:
                problems.append(
                    f"p95 {p95:.0f} s > {LATENCY_P95_SECONDS:.0f} s: {distribution(total)}"
                )
            problems += self._in_slack([t.key for t in sent if t.key])
        else:
            problems.append("no urgent tip reached its chief")
        self.report.check(
            f"{name}: urgent tip -> chief alert p95 <= {LATENCY_P95_SECONDS:.0f} s",
            problems,
            info,
        )
        self.report.info(f"{name}: urgent-tip latency", info)

    def _wait_for_alerts(
        self, urgent: list[Injected], reader: DomainReader, timeout: float
    ) -> dict[str, Timing]:
        """Poll every second; an alert reached its chief when it is first seen in Slack (the
        outbox's `sent_at` is the run's logical time, not the moment of the post)."""
        deadline = time.monotonic() + timeout
        ids = [u.message_id for u in urgent]
        seen: dict[str, datetime] = {}
        while True:
            stored = reader.stored(ids)
            alerts = reader.urgent_alerts(tip for _, tip in stored.values() if tip is not None)
            now = datetime.now(UTC)
            for message in checks.live_messages(self.topo.simulator.slack_messages()):
                key = checks.slack_key(message)
                if key is not None and key.startswith("tip:"):
                    seen.setdefault(key, now)
            for alert in alerts.values():
                alert["sent_at"] = seen.get(alert["key"]) if alert["sent_at"] else None
            timings = urgent_alert_timings(urgent, stored, alerts)
            # triage decides which are urgent: wait until every stored tip was swept at least
            # once (an alert exists or its tip was judged not urgent) and every alert was sent
            done = len(stored) == len(ids) and all(
                t.sent is not None for t in timings.values() if t.key is not None
            )
            settled = done and self._escalation_ran_after(max(s for s, _ in stored.values()))
            if settled or time.monotonic() > deadline:
                return timings
            time.sleep(1)

    def _escalation_ran_after(self, moment: datetime) -> bool:
        for run in self.scenario.api.runs(ESCALATE, order_by="-start_date", limit=5):
            started = parse_time(run.get("start_date"))
            if started and started > moment and run.get("state") == "success":
                return True
        return False

    def _in_slack(self, keys: Sequence[str]) -> list[str]:
        received = {checks.slack_key(m) for m in self.topo.simulator.slack_messages()}
        return [f"{key}: sent in the outbox, not in Slack" for key in keys if key not in received]

    # --- restarts ---------------------------------------------------------------------------

    def restarts(self, name: str, reader: DomainReader, live_since_ms: int) -> None:
        sim = self.topo.simulator
        pushing = threading.Event()
        burst: list[Injected] = []

        def push() -> None:
            while not pushing.wait(BURST_EVERY_SECONDS):
                burst.extend(self.inject(BURST_SIZE))

        with self.report.timed(f"{name}: burst while the api-server and the scheduler restart"):
            thread = threading.Thread(target=push, name="e2e-burst", daemon=True)
            start = time.monotonic()
            thread.start()
            try:
                time.sleep(10)
                restarted = self.topo.restart_services()
                time.sleep(max(0.0, BURST_SECONDS - (time.monotonic() - start)))
            finally:
                pushing.set()
                thread.join(timeout=30)
            # everything created until now must arrive: failed pushes are retried on the
            # platforms' ladders (Zalo waits 2.5 min before its second retry here)
            truth = sim.truth()["messages"]

            def missing() -> list[str]:
                stored = set(checks.load_domain(self.topo.domain_url).messages)
                return not_stored(truth, live_since_ms, stored)

            with contextlib.suppress(TimeoutError):  # what is still missing is reported below
                self.scenario.wait_until(
                    "every pushed message is stored by the webhook path", lambda: not missing(),
                    timeout=12 * 60, poll=10,
                )  # fmt: skip
        pushed = sim.webhooks()
        lost = missing()
        live = [r for r in truth if r.get("direction") == "in" and r["created_ms"] >= live_since_ms]
        self.report.check(
            f"{name}: 0 events lost across restarts ({', '.join(restarted)}) during a burst",
            [f"{len(lost)} pushed messages not stored: {lost[:5]}"] if lost else [],
            [
                f"{len(burst)} threads injected over {BURST_SECONDS:.0f} s; {len(live)} citizen "
                f"messages since going live, all stored without a collection",
                f"webhook attempts {pushed['attempts']}, pending {pushed['pending']}, "
                f"given up {pushed['given_up']}",
            ],
        )

    # --- duplicates -------------------------------------------------------------------------

    def no_duplicates(self, name: str) -> None:
        with self.report.timed(f"{name}: collection after the webhooks"):
            run_id = self.scenario.run_id(f"{name}_collect_after_webhooks")
            start = datetime.now(UTC)
            self.scenario.api.trigger(COLLECT, run_id, conf={})
            run = self.scenario.api.wait_run(COLLECT, run_id, timeout=900)
            self.scenario.settle([SLA, ESCALATE], since=start)
        state = checks.load_domain(self.topo.domain_url)
        doubled = [f"{c}/{m} x{n}" for (c, m), n in state.messages.items() if n > 1]
        slack_problems, info = checks.check_outbox_against_slack(
            state, self.topo.simulator.slack_messages()
        )
        duplicates = [p for p in slack_problems if p.startswith("duplicate")]
        failed = [] if run["state"] == "success" else [f"collection {run['state']}"]
        self.report.check(
            f"{name}: 0 duplicates between the webhook path and the collection",
            doubled[:10] + duplicates[:10] + failed,
            [f"{len(state.messages)} messages stored, each once; " + info[0]],
        )
