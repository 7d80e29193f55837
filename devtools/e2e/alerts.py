"""Alerts a chief can trust (issue 17), measured on the real scheduler.

- first urgent alert: every urgent tip found by the first collection reaches its chief in the
  first escalation run after that collection (one delivery run);
- no flood: in the first hour no recipient gets more than a handful of individual messages
  (the rest go out in digests and catch-up summaries);
- never stale: tips closed while their alerts wait (Slack answering 429) get no alert, and no
  alert anywhere in the run went out about a tip already closed;
- exactly once: three deliverers draining one outbox under a 429 storm send nothing twice;
- a broken registry: the collection still runs on the last valid one and the admins are told.
"""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from citizen_desk.domain.lanes import LANE_OF_KIND, Lane
from e2e import checks
from e2e.environment import REPO
from e2e.realtime import DomainReader
from e2e.scenario import ADMIN_CHANNEL, COLLECT, ESCALATE, parse_time

if TYPE_CHECKING:
    from e2e.report import Report
    from e2e.scenario import Scenario
    from e2e.topology import Topology

HANDFUL = 5  # individual (non-digest) messages per recipient in the first hour
FIRST_HOUR = timedelta(hours=1)
# what a recipient gets as one message for many: the digest lane's kinds, and the delivery digest
# (which travels in the lane of the most urgent row it covers)
GROUPED_KINDS = frozenset(
    {kind for kind, lane in LANE_OF_KIND.items() if lane == Lane.DIGEST} | {"notify_digest"}
)
STALE_TIPS = 4
DELIVERERS = 3
STORM_TIPS = 24


@dataclass(frozen=True)
class SentAlert:
    key: str
    kind: str
    recipient: str
    sent_at: datetime


def flood(sent: Iterable[SentAlert], since: datetime, handful: int) -> dict[str, int]:
    """Recipients with more than `handful` individual messages within the first hour."""
    counts = Counter(
        a.recipient
        for a in sent
        if a.kind not in GROUPED_KINDS and since <= a.sent_at < since + FIRST_HOUR
    )
    return {who: n for who, n in sorted(counts.items()) if n > handful}


def tip_of(key: str) -> int | None:
    """`tip:17:L1:urgent:0:U07C` -> 17; other keys -> None."""
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 2 and parts[0] == "tip" and parts[1].isdigit() else None


def sent_after_close(
    sent: Iterable[SentAlert], closed_at: Mapping[int, datetime | None]
) -> list[str]:
    """Alerts sent about a tip at or after the moment it was closed."""
    late = []
    for alert in sent:
        tip = tip_of(alert.key)
        closed = closed_at.get(tip) if tip is not None else None
        if closed is not None and alert.sent_at >= closed:
            late.append(f"{alert.key} sent {alert.sent_at:%H:%M:%S}, tip closed {closed:%H:%M:%S}")
    return late


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Outbox(DomainReader):
    """Reads of the domain DB the alert checks need (sent alerts, tips, statuses)."""

    def sent(self) -> list[SentAlert]:
        from sqlalchemy import select

        from citizen_desk.db.models import Notification

        with self._session() as session:
            rows = session.execute(
                select(
                    Notification.idempotency_key,
                    Notification.kind,
                    Notification.recipient,
                    Notification.sent_at,
                ).where(Notification.status == "sent")
            )
            return [
                SentAlert(key, kind, recipient, _aware(sent_at) or datetime.min.replace(tzinfo=UTC))
                for key, kind, recipient, sent_at in rows
            ]

    def tips(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from citizen_desk.db.models import Message, Tip

        with self._session() as session:
            rows = session.execute(
                select(Tip.id, Tip.urgent, Tip.status, Tip.closed_at, Message.platform_message_id)
                .join(Message, Message.case_id == Tip.case_id)
                .where(Message.direction == "in")
            )
            tips: dict[int, dict[str, Any]] = {}
            for tip_id, urgent, status, closed_at, message_id in rows:
                tip = tips.setdefault(
                    tip_id,
                    {"id": tip_id, "urgent": urgent, "status": status,
                     "closed_at": _aware(closed_at), "messages": set()},
                )  # fmt: skip
                tip["messages"].add(message_id)
            return list(tips.values())

    def stored(self, message_ids: set[str]) -> set[str]:
        """Which of these platform message ids are in the DB."""
        from sqlalchemy import select

        from citizen_desk.db.models import Message

        with self._session() as session:
            return set(
                session.scalars(
                    select(Message.platform_message_id).where(
                        Message.platform_message_id.in_(sorted(message_ids))
                    )
                )
            )

    def keys_like(self, prefixes: Sequence[str]) -> list[str]:
        """Outbox keys starting with any of `prefixes` (e.g. `tip:17:`)."""
        from sqlalchemy import or_, select

        from citizen_desk.db.models import Notification

        if not prefixes:
            return []
        with self._session() as session:
            return list(
                session.scalars(
                    select(Notification.idempotency_key).where(
                        or_(*(Notification.idempotency_key.like(f"{p}%") for p in prefixes))
                    )
                )
            )

    def next_attempt(self, keys: Sequence[str]) -> datetime | None:
        """The latest `next_attempt_at` among `keys` still pending."""
        from sqlalchemy import func, select

        from citizen_desk.db.models import Notification

        with self._session() as session:
            value = session.scalar(
                select(func.max(Notification.next_attempt_at)).where(
                    Notification.idempotency_key.in_(list(keys)),
                    Notification.status == "pending",
                )
            )
        return _aware(value)

    def count_status(self, *statuses: str) -> int:
        from sqlalchemy import func, select

        from citizen_desk.db.models import Notification

        with self._session() as session:
            return int(
                session.scalar(select(func.count()).where(Notification.status.in_(list(statuses))))
                or 0
            )

    def statuses_like(self, pattern: str) -> dict[str, tuple[str, str | None]]:
        """Key -> (status, last_error) of the notifications whose key matches a LIKE pattern."""
        from sqlalchemy import select

        from citizen_desk.db.models import Notification

        with self._session() as session:
            rows = session.execute(
                select(
                    Notification.idempotency_key, Notification.status, Notification.last_error
                ).where(Notification.idempotency_key.like(pattern))
            )
            return {key: (status, error) for key, status, error in rows}

    def statuses(self, keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        from sqlalchemy import select

        from citizen_desk.db.models import Notification

        with self._session() as session:
            rows = session.execute(
                select(
                    Notification.idempotency_key, Notification.status, Notification.last_error
                ).where(Notification.idempotency_key.in_(list(keys)))
            )
            return {key: (status, error) for key, status, error in rows}


class AlertChecks:
    def __init__(self, scenario: Scenario, topo: Topology) -> None:
        self.scenario = scenario
        self.topo = topo
        self.outbox = Outbox(topo.domain_url)

    @property
    def report(self) -> Report:
        return self.scenario.report

    # --- first collection -------------------------------------------------------------------

    def first_collection(self, name: str, collect_run_id: str) -> None:
        """Urgent alerts within one delivery run, and no flood in the first hour."""
        api = self.scenario.api
        collect = api.run(COLLECT, collect_run_id)
        since = parse_time(collect.get("start_date")) or datetime.now(UTC)
        escalations = sorted(
            (
                r
                for r in api.runs(ESCALATE)
                if r.get("run_type") == "asset_triggered"
                and (parse_time(r.get("start_date")) or since) > since
            ),
            key=lambda r: parse_time(r.get("start_date")) or since,
        )
        collected = parse_time(collect.get("end_date"))
        sent = self.outbox.sent()
        sent_at = {a.key: a.sent_at for a in sent}
        urgent_tips = [t for t in self.outbox.tips() if t["urgent"]]
        # the chief's alert: by itself, or (an old urgent tip) listed in a catch-up summary
        reached: dict[int, tuple[str, datetime]] = {}
        for key, (status, reason) in self.outbox.statuses_like("tip:%:urgent:0:%").items():
            tip = tip_of(key)
            summary = (reason or "").removeprefix("catch-up: listed in summary ")
            if tip is None:
                continue
            if status == "sent" and key in sent_at:
                reached[tip] = ("alone", sent_at[key])
            elif summary in sent_at:
                reached[tip] = ("in a catch-up summary", sent_at[summary])
        problems: list[str] = []
        if collected is None or not escalations:
            problems.append("no escalation run followed the first collection")
        else:
            first_end = parse_time(escalations[0].get("end_date"))
            for tip in urgent_tips:
                if tip["id"] not in reached:
                    if tip["closed_at"] is None:
                        problems.append(f"urgent tip {tip['id']}: its chief was not told")
                    continue
                how, when = reached[tip["id"]]
                if first_end is not None and when > first_end:
                    problems.append(
                        f"urgent tip {tip['id']}: chief told ({how}) {when:%H:%M:%S}, after the "
                        f"first escalation run ended {first_end:%H:%M:%S}"
                    )
        ways = Counter(how for how, _ in reached.values())
        self.report.check(
            f"{name}: every urgent tip's chief was told in the first escalation run after the "
            "first collection",
            problems,
            [f"{len(urgent_tips)} urgent tips; chiefs told: {dict(ways)}"],
        )
        flooded = flood(sent, since, HANDFUL)
        per_recipient = Counter(
            a.recipient for a in sent if a.kind not in GROUPED_KINDS and a.sent_at >= since
        )
        grouped = sum(1 for a in sent if a.kind in GROUPED_KINDS)
        self.report.check(
            f"{name}: no recipient got more than {HANDFUL} individual messages in the first hour",
            [f"{who}: {n} individual messages" for who, n in flooded.items()],
            [
                f"{len(per_recipient)} recipients; most individual messages to one: "
                f"{max(per_recipient.values(), default=0)}; {grouped} digests/summaries"
            ],
        )

    # --- never stale -----------------------------------------------------------------------

    def closed_before_send(self, name: str, inject: Any, wait_until: Any) -> None:
        """Urgent tips whose alerts wait behind Slack 429s are closed; none may be sent."""
        sim = self.topo.simulator
        with self.report.timed(f"{name}: tips closed while their alerts wait behind Slack 429s"):
            fault = sim.add_faults({"kind": "slack_429", "retry_after": 1})[0]
            made = inject(STALE_TIPS, category="tip", urgent=True)
            ids = {m.message_id for m in made}

            def waiting() -> list[dict[str, Any]]:
                if self.outbox.stored(ids) != ids:
                    return []
                tips = [t for t in self.outbox.tips() if t["messages"] & ids]
                keys = [f"tip:{t['id']}:" for t in tips]
                pending = {
                    k: s
                    for k, s in self.outbox.statuses(self.outbox.keys_like(keys)).items()
                    if s[0] == "pending" and s[1]
                }
                return tips if tips and pending else []

            tips = wait_until("their alerts failed once with 429 and wait", waiting, 300, 2)
            for tip in tips:
                self.topo.domain_cli(
                    "tips", "unfounded", str(tip["id"]), "--as", "e2e-duty-officer",
                    "--note", "e2e: closed before its alert could go out",
                )  # fmt: skip
            keys = self.outbox.keys_like([f"tip:{t['id']}:" for t in tips])
            sim.clear_faults(fault["id"])
            # the next delivery attempt is due after the outbox's backoff; a run before that
            # would leave them pending, so wait for it, then let a delivery run claim them
            due = self.outbox.next_attempt(keys)
            if due is not None:
                time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1)
            run_id = self.scenario.run_id(f"{name}_escalate_after_close")
            self.scenario.api.trigger(ESCALATE, run_id, conf={})
            self.scenario.api.wait_run(ESCALATE, run_id, timeout=600)
        statuses = self.outbox.statuses(keys)
        received = {checks.slack_key(m) for m in checks.live_messages(sim.slack_messages())}
        problems = [f"{k} reached Slack after its tip was closed" for k in keys if k in received]
        problems += [f"{k} is {s}" for k, (s, _) in statuses.items() if s not in ("superseded",)]
        closed = {t["id"]: t["closed_at"] for t in self.outbox.tips()}
        everywhere = sent_after_close(self.outbox.sent(), closed)
        self.report.check(
            f"{name}: 0 alerts about tips already closed when they would be sent",
            problems + everywhere,
            [
                f"{len(tips)} urgent tips closed with {len(keys)} alerts waiting: all superseded; "
                "no sent alert in the whole run postdates its tip's closing"
            ],
        )

    # --- exactly once under a 429 storm ----------------------------------------------------

    def deliverers_under_storm(self, name: str, inject: Any, wait_until: Any) -> None:
        """Tips arrive while Slack answers 429 to everything; then three `citizen-desk outbox
        deliver` processes drain the one outbox at the same time, through more 429s."""
        sim = self.topo.simulator
        with self.report.timed(f"{name}: {DELIVERERS} deliverers under a Slack 429 storm"):
            storm = sim.add_faults({"kind": "slack_429", "retry_after": 1})[0]
            made = inject(STORM_TIPS, category="tip")
            ids = {m.message_id for m in made}

            def enqueued() -> bool:
                # every message stored (triage decides which are tips), and every tip among
                # them has its alerts in the outbox, held back by the 429s
                if self.outbox.stored(ids) != ids:
                    return False
                tips = [t for t in self.outbox.tips() if t["messages"] & ids]
                keys = self.outbox.keys_like([f"tip:{t['id']}:" for t in tips])
                alerted = {tip_of(k) for k in keys}
                return bool(tips) and all(t["id"] in alerted for t in tips)

            wait_until("the storm's tips are stored and their alerts enqueued", enqueued, 300, 2)
            sim.clear_faults(storm["id"])
            burst = sim.add_faults({"kind": "slack_429", "count": 30, "retry_after": 1})[0]
            outputs = self._deliver_concurrently(timeout=600)
            sim.clear_faults(burst["id"])
        state = checks.load_domain(self.topo.domain_url)
        problems, info = checks.check_outbox_against_slack(state, sim.slack_messages())
        waiting = self.outbox.count_status("pending", "sending")
        if waiting:
            problems.append(f"{waiting} notifications still pending or sending after the storm")
        self.report.check(
            f"{name}: 0 duplicates with {DELIVERERS} deliverers under a 429 storm",
            problems,
            info + outputs,
        )

    def _deliver_concurrently(self, timeout: float) -> list[str]:
        """Three deliverer loops at once, until the outbox has nothing left to send."""
        env = {**self.topo.env, "CITIZEN_DESK_DB_URL": self.topo.domain_url}
        argv = [sys.executable, "-m", "citizen_desk", "outbox", "deliver", "--limit", "20"]
        stop = threading.Event()
        runs: Counter[str] = Counter()

        def loop(index: int) -> None:
            while not stop.is_set():
                done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True)
                report = _last_dict(done.stdout)
                for field in ("sent", "retrying", "skipped", "reconciled", "failed"):
                    runs[f"{index}:{field}"] += int(report.get(field, 0))
                runs[f"{index}:runs"] += 1
                stop.wait(0.5)

        threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in (1, 2, 3)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.outbox.count_status("pending", "sending"):
            time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        return [
            f"deliverer {i}: "
            + ", ".join(f"{f} {runs[f'{i}:{f}']}" for f in ("runs", "sent", "retrying", "skipped"))
            for i in (1, 2, 3)
        ]


def _last_dict(text: str) -> dict[str, Any]:
    """The report dict `outbox deliver` prints last (`{'sent': 3, ...}`)."""
    for line in reversed(text.strip().splitlines()):
        try:
            value = ast.literal_eval(line.strip())
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict):
            return value
    return {}


class BrokenRegistry:
    """A collection run while the registry file is broken: it still collects, on the last valid
    registry, and the technical admins are told once (through the Slack connection's channel)."""

    BREAK = "\nnot_a_section: 1  # e2e: an unknown key makes the file invalid\n"

    def __init__(self, scenario: Scenario, topo: Topology) -> None:
        self.scenario = scenario
        self.topo = topo

    def run(self, name: str) -> None:
        report = self.scenario.report
        path = self.topo.registry_path
        original = path.read_text(encoding="utf-8")
        sim = self.topo.simulator
        before = {checks.slack_key(m) for m in sim.slack_messages()}
        with report.timed(f"{name}: a collection while the registry file is broken"):
            path.write_text(original + self.BREAK, encoding="utf-8")
            try:
                run_id = self.scenario.run_id(f"{name}_collect_broken_registry")
                self.scenario.api.trigger(COLLECT, run_id, conf={})
                run = self.scenario.api.wait_run(COLLECT, run_id, timeout=900)
            finally:
                path.write_text(original, encoding="utf-8")
            tasks = self.scenario.api.task_instances(COLLECT, run_id)
            with contextlib.suppress(TimeoutError):  # a missing alert is reported below
                self.scenario.wait_until(
                    "the registry alert reaches the admin channel",
                    lambda: self._alerts(before),
                    timeout=300,
                    poll=3,
                )
        alerts = self._alerts(before)
        collected = [t for t in tasks if t["task_id"].startswith("collect")]
        problems = [] if run["state"] == "success" else [f"collection {run['state']}"]
        problems += [
            f"{t['task_id']}[{t.get('map_index')}] {t['state']}"
            for t in collected
            if t["state"] not in ("success", "skipped")
        ][:5]
        if not collected:
            problems.append("no collection task ran")
        if len(alerts) != 1:
            problems.append(f"{len(alerts)} registry alerts in {ADMIN_CHANNEL}, expected 1")
        report.check(
            f"{name}: a broken registry still collects and alerts the admins once",
            problems,
            [f"{len(collected)} collection tasks succeeded on the last valid registry"]
            + [a.split("\n")[0][:160] for a in alerts],
        )

    def _alerts(self, before: set[str | None]) -> list[str]:
        found = []
        for message in checks.live_messages(self.topo.simulator.slack_messages()):
            key = checks.slack_key(message)
            channel = message.get("requested_channel") or message.get("channel")
            fresh = key and key not in before and key.startswith("registry-broken")
            if fresh and channel == ADMIN_CHANNEL:
                found.append(str(message.get("text") or key))
        return found
