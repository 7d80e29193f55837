"""Ground-truth checks: the domain DB and the simulator's records against what must have happened.

Everything here reads state (the domain DB through SQLAlchemy, the simulator's `/_sim/*` JSON)
and returns problems as strings; the scenario turns them into report entries. Database ids
(case 17, tip 5) are not stable between two runs of the same world, so comparisons use
*normalised* keys that name a case by `channel/thread_key` instead.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KEY_MARKER = re.compile(r"Mã thông báo: `(?P<key>[^`]+)`")
ID_KEY = re.compile(r"^(?P<prefix>sla|tip):(?P<id>\d+):(?P<rest>.*)$")
# the PII gate's notice to the admins names the case by reference: CD-<case id>
CASE_REF_KEY = re.compile(r"^(?P<prefix>pii-withheld):CD-(?P<id>\d+):(?P<rest>.*)$")


@dataclass
class DomainState:
    """What the domain DB holds after a run, in comparable form."""

    messages: Counter[tuple[str, str]] = field(default_factory=Counter)
    cases: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (channel, thread)
    case_category: dict[tuple[str, str], str] = field(default_factory=dict)
    tip_case: dict[int, int] = field(default_factory=dict)
    sla_events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    publications: list[dict[str, Any]] = field(default_factory=list)
    # a PII-gate notice's key head (`pii-withheld:CD-000183:excerpt:name`) -> the keys of the
    # alerts whose text it withheld (from the audit log)
    withheld_from: dict[str, list[str]] = field(default_factory=dict)
    channel_keys: dict[int, str] = field(default_factory=dict)
    facebook_pages: dict[str, str] = field(default_factory=dict)  # page id -> channel key
    zalo_oas: dict[str, str] = field(default_factory=dict)  # OA id -> channel key

    def normalise_key(self, key: str) -> str:
        """`sla:17:1:warning` -> `sla:fb-th/t_123:1:warning` (stable across runs).

        Tip keys name the tip, SLA keys and the PII gate's notices (`pii-withheld:CD-000017:…`)
        the case; case ids depend on the order channels were stored in, the thread does not.
        """
        match = ID_KEY.match(key) or CASE_REF_KEY.match(key)
        if not match:
            return key
        ident = int(match["id"])
        case_id = ident if match["prefix"] != "tip" else self.tip_case.get(ident)
        where = self.cases.get(case_id) if case_id is not None else None
        if where is None:
            return key
        return f"{match['prefix']}:{where[0]}/{where[1]}:{match['rest']}"

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [n for n in self.notifications if n["status"] == "sent"]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def load_domain(url: str) -> DomainState:
    """Read the domain DB at `url` (SQLite or PostgreSQL)."""
    from sqlalchemy import String, cast, create_engine, select
    from sqlalchemy.orm import Session

    from citizen_desk.db.models import (
        AuditLog,
        Case,
        Channel,
        Message,
        Notification,
        Publication,
        SlaEvent,
        Tip,
    )

    engine = create_engine(url)
    state = DomainState()
    try:
        with Session(engine) as session:
            for channel in session.scalars(select(Channel)):
                state.channel_keys[channel.id] = channel.key
                if channel.platform == "facebook":
                    state.facebook_pages[channel.platform_id] = channel.key
                else:
                    state.zalo_oas[channel.platform_id] = channel.key
            for channel_id, message_id in session.execute(
                select(Message.channel_id, Message.platform_message_id)
            ):
                state.messages[(state.channel_keys[channel_id], message_id)] += 1
            for case in session.scalars(select(Case)):
                where = (state.channel_keys[case.channel_id], case.thread_key)
                state.cases[case.id] = where
                state.case_category[where] = case.category
            for tip_id, case_id in session.execute(select(Tip.id, Tip.case_id)):
                state.tip_case[tip_id] = case_id
            for event in session.scalars(select(SlaEvent)):
                state.sla_events.append(
                    {
                        "case_id": event.case_id,
                        "turn_no": event.turn_no,
                        "kind": event.kind,
                        "due_at": _aware(event.due_at),
                        "evaluated_at": _aware(event.evaluated_at),
                    }
                )
            for note in session.scalars(select(Notification)):
                state.notifications.append(
                    {
                        "key": note.idempotency_key,
                        "kind": note.kind,
                        "recipient": note.recipient,
                        "status": note.status,
                        "created_at": _aware(note.created_at),
                        "payload": note.payload,
                        "source": note.source,
                        "last_error": note.last_error,
                        "provider_channel": note.provider_channel,
                    }
                )
            for pub in session.scalars(select(Publication)):
                state.publications.append(
                    {
                        "channel": state.channel_keys[pub.channel_id],
                        "period": pub.period,
                        "status": pub.status,
                        "text": pub.text,
                        "marker": pub.marker,
                        "platform_post_id": pub.platform_post_id,
                        "blocked_reason": pub.blocked_reason,
                    }
                )
            withheld = select(AuditLog.after, AuditLog.note, Notification.idempotency_key).join(
                Notification, AuditLog.entity_id == cast(Notification.id, String)
            )
            for after, text, key in session.execute(
                withheld.where(AuditLog.action == "notification_pii_withheld")
            ):
                head = _withheld_head(after, text)
                if head is not None:
                    state.withheld_from.setdefault(head, []).append(key)
    finally:
        engine.dispose()
    for note in state.notifications:
        note["norm"] = state.normalise_key(note["key"])
    return state


def _withheld_head(after: Any, note: str | None) -> str | None:
    """The key (without recipient) of the admins' notice about a withheld alert, from its audit
    row (`after`: what was withheld; `note`: "CD-000183: excerpt withheld (name)")."""
    from citizen_desk.notify.outbox import withheld_notice_key

    withheld = (after or {}).get("withheld") if isinstance(after, dict) else None
    if not withheld or not note or ":" not in note:
        return None
    return withheld_notice_key(note.split(":", 1)[0], withheld)


# --- Slack ---------------------------------------------------------------------------------------


def slack_key(message: Mapping[str, Any]) -> str | None:
    """The outbox key a simulated Slack message carries (metadata, else the context block)."""
    metadata = message.get("metadata") or {}
    if isinstance(metadata, str):
        import json

        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = {}
    payload = metadata.get("event_payload") or {}
    if payload.get("key"):
        return str(payload["key"])
    for block in message.get("blocks") or ():
        for element in block.get("elements") or ():
            if isinstance(element, Mapping):
                found = KEY_MARKER.search(str(element.get("text") or ""))
                if found:
                    return (
                        found["key"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                    )
    return None


def live_messages(messages: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [m for m in messages if not m.get("deleted")]


def check_outbox_against_slack(
    state: DomainState, slack: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[str]]:
    """Every `sent` notification reached Slack exactly once, to its recipient; nothing else did."""
    problems: list[str] = []
    keyed: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for message in live_messages(slack):
        key = slack_key(message)
        if key is not None:
            keyed[key].append(message)
    for key, copies in keyed.items():
        if len(copies) > 1:
            problems.append(f"duplicate Slack messages for key {key}: {len(copies)}")
    by_key = {n["key"]: n for n in state.notifications}
    for note in state.sent:
        copies = keyed.get(note["key"], [])
        if not copies:
            problems.append(f"sent but never received by Slack: {note['key']}")
            continue
        channels = {c.get("requested_channel") for c in copies} | {c.get("channel") for c in copies}
        if not channels & {note["recipient"], note.get("provider_channel")}:
            problems.append(f"{note['key']}: sent to {channels}, recipient {note['recipient']}")
    for key in keyed:
        note = by_key.get(key)
        if note is None:
            problems.append(f"Slack got key {key} that is not in the outbox")
        elif note["status"] != "sent":
            problems.append(f"Slack got {key} but the outbox says {note['status']}")
    # A user id (U...) is reached through its DM channel (D...): count per outbox recipient.
    recipient_of = {
        n["provider_channel"]: n["recipient"] for n in state.sent if n.get("provider_channel")
    }
    sent_per_recipient = Counter(n["recipient"] for n in state.sent)
    received = Counter(
        recipient_of.get(c.get("channel"), c.get("requested_channel") or c.get("channel"))
        for copies in keyed.values()
        for c in copies
    )
    for recipient in sorted(set(sent_per_recipient) | set(received)):
        if sent_per_recipient[recipient] != received[recipient]:
            problems.append(
                f"{recipient}: outbox sent {sent_per_recipient[recipient]}, "
                f"Slack received {received[recipient]}"
            )
    statuses = Counter(n["status"] for n in state.notifications)
    info = [
        f"{len(state.sent)} sent notifications, {len(keyed)} keyed Slack messages, "
        f"{len(sent_per_recipient)} recipients; outbox statuses {dict(statuses)}"
    ]
    # `pending` is fine: each deliver task sends at most 200 (Slack allows ~1 message/s per
    # channel); the rest goes out on later runs. Given up (`failed`) or stuck is not fine.
    stuck = [n for n in state.notifications if n["status"] in ("sending", "failed")]
    for note in stuck[:10]:
        problems.append(f"notification {note['key']} left {note['status']}: {note['last_error']}")
    return problems, info


def direct_slack_messages(slack: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Messages without an outbox key: pipeline alerts (failure notifier, deadline alert)."""
    return [m for m in live_messages(slack) if slack_key(m) is None]


# --- messages ------------------------------------------------------------------------------------


def check_messages(state: DomainState, truth: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Every message of the simulated world is stored exactly once; nothing invented."""
    expected = {(m["channel"], m["id"]) for m in truth["messages"]}
    stored = set(state.messages)
    problems = [f"stored {n}x: {k}" for k, n in state.messages.items() if n > 1]
    missing = sorted(expected - stored)
    extra = sorted(stored - expected)
    if missing:
        by_channel = Counter(c for c, _ in missing)
        problems.append(f"{len(missing)} world messages not stored: {dict(by_channel)}")
        problems.extend(f"  missing {c} {i}" for c, i in missing[:5])
    if extra:
        problems.append(f"{len(extra)} stored messages not in the world: {extra[:5]}")
    info = [f"{len(stored)} messages stored for {len(expected)} in the world"]
    return problems, info


# --- SLA and escalation --------------------------------------------------------------------------


def check_sla_notices(state: DomainState) -> tuple[list[str], list[str]]:
    """Each recorded warning/breach has its alert in the outbox and vice versa."""
    problems: list[str] = []
    keys = {n["key"] for n in state.notifications}
    sla_keys = {k for k in keys if k.startswith("sla:")}
    expected_prefixes = set()
    for event in state.sla_events:
        prefix = f"sla:{event['case_id']}:{event['turn_no']}:{event['kind']}"
        expected_prefixes.add(prefix)
        if not any(k == prefix or k.startswith(prefix + ":") for k in sla_keys):
            problems.append(f"SLA {event['kind']} recorded without an alert: {prefix}")
    for key in sorted(sla_keys):
        parts = key.split(":")
        if ":".join(parts[:4]) not in expected_prefixes:
            problems.append(f"SLA alert without a recorded event: {key}")
    kinds = Counter(e["kind"] for e in state.sla_events)
    info = [f"sla_events {dict(kinds)}, {len(sla_keys)} SLA alerts"]
    return problems, info


def escalation_due(url: str, now: datetime) -> dict[str, datetime]:
    """Key -> due time of every alert the escalation sweep must have enqueued by `now` (the pure
    ladder from `citizen_desk.tips.escalation` over the DB's open tips, recipients as the sweep
    resolves them: the unit's contact, else the technical admins)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from citizen_desk.config.registry import load_registry
    from citizen_desk.tips.escalation import due_alerts
    from citizen_desk.tips.open_tips import open_tip_snapshots, unit_nodes_from_db

    registry = load_registry()
    admins = tuple(registry.technical_admins)
    engine = create_engine(url)
    due: dict[str, datetime] = {}
    try:
        with Session(engine) as session:
            units = unit_nodes_from_db(session)
            for _tip, snapshot in open_tip_snapshots(session):
                for alert in due_alerts(
                    snapshot, registry.escalation, units, registry.calendar, now
                ):
                    for recipient in alert.recipients or admins:
                        due[f"{alert.idempotency_key}:{recipient}"] = alert.due_at
    finally:
        engine.dispose()
    return due


def check_escalations(state: DomainState, expected: Iterable[str]) -> tuple[list[str], list[str]]:
    """The ladder's alerts due at the last sweep are all in the outbox (first alerts + latest
    reminder per level); reminders superseded by a later one are fine."""
    expected = set(expected)
    keys = {n["key"] for n in state.notifications}
    missing = sorted(expected - keys)
    problems = [f"escalation alert due but not enqueued: {k}" for k in missing[:20]]
    if len(missing) > 20:
        problems.append(f"... {len(missing) - 20} more")
    tip_keys = [k for k in keys if k.startswith("tip:")]
    info = [f"{len(expected)} alerts due at the last sweep, {len(tip_keys)} tip alerts enqueued"]
    return problems, info


def check_reminder_counts(state: DomainState) -> tuple[list[str], list[str]]:
    """No reminder counts reminders nobody received ("nhắc lần 19" at first start): the n-th
    reminder of a tip's level is at most the n-th one enqueued for it (any recipient)."""
    problems: list[str] = []
    heads: dict[str, list[tuple[Any, str, int]]] = defaultdict(list)
    for note in state.notifications:
        match = REMINDER.match(note["key"])
        if not match or note["status"] == "blocked":
            continue
        shown = REMINDER_TEXT.findall(json.dumps(note["payload"], ensure_ascii=False))
        number = int(shown[0]) if shown and note["status"] != "superseded" else 0
        heads[match["head"]].append((note["created_at"], note["key"], number))
    earliest = datetime.min.replace(tzinfo=UTC)
    for notes in heads.values():
        sequences: list[str] = []
        for _created, key, number in sorted(notes, key=lambda n: (n[0] or earliest, n[1])):
            sequence = REMINDER.match(key)["seq"]  # type: ignore[index]
            if sequence not in sequences:
                sequences.append(sequence)
            if number > sequences.index(sequence) + 1:
                problems.append(f"{key}: says reminder {number}, only {len(sequences)} enqueued")
    info = [f"{sum(len(v) for v in heads.values())} reminders over {len(heads)} tip levels"]
    return problems[:20], info


# --- publication ---------------------------------------------------------------------------------


def check_posts(
    state: DomainState,
    posts: Mapping[str, list[Mapping[str, Any]]],
    period: str | None,
    articles: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[str], list[str]]:
    """Each published weekly result is on its page exactly once (by its marker), and each
    published Zalo text is exactly one article on its OA (the marker is in the title)."""
    problems: list[str] = []
    pubs = [p for p in state.publications if period is None or p["period"] == period]
    page_of = {v: k for k, v in state.facebook_pages.items()}
    oa_of = {v: k for k, v in state.zalo_oas.items()}
    published = [p for p in pubs if p["status"] == "published"]
    for pub in published:
        if pub["channel"] in oa_of:
            on_oa = [
                a
                for a in articles
                if a.get("oa_id") == oa_of[pub["channel"]]
                and pub["marker"] in (a.get("title") or "")
            ]
            if len(on_oa) != 1:
                problems.append(
                    f"{pub['channel']} {pub['period']}: {len(on_oa)} articles on the OA"
                )
            continue
        page_posts = [
            post
            for post in posts.get(page_of.get(pub["channel"], ""), [])
            if not post.get("deleted") and pub["marker"] in (post.get("message") or "")
        ]
        if len(page_posts) != 1:
            problems.append(
                f"{pub['channel']} {pub['period']}: {len(page_posts)} posts on the page"
            )
        elif pub["platform_post_id"] and page_posts[0]["id"] != pub["platform_post_id"]:
            problems.append(f"{pub['channel']}: ledger post id differs from the page's post")
    markers = {p["marker"] for p in pubs}
    for page, items in posts.items():
        texts = Counter(
            post.get("message")
            for post in items
            if not post.get("deleted") and any(m in (post.get("message") or "") for m in markers)
        )
        for count in texts.values():
            if count > 1:
                problems.append(f"page {page}: the same weekly post {count}x")
    statuses = Counter(p["status"] for p in pubs)
    info = [f"publications {dict(statuses)} for period {period}, {len(articles)} Zalo articles"]
    return problems, info


def posts_by_channel(
    state: DomainState, posts: Mapping[str, list[Mapping[str, Any]]]
) -> dict[str, list[str]]:
    """Post texts published through the API, per channel key (sorted; comparable across runs)."""
    return {
        state.facebook_pages.get(page, page): sorted(
            str(p.get("message")) for p in items if not p.get("deleted")
        )
        for page, items in sorted(posts.items())
    }


# --- comparing an undisturbed run with a disturbed one -------------------------------------------

LOCAL_TZ = "Asia/Ho_Chi_Minh"
DIGEST = re.compile(r"^(?:sla|tip)-digest:[^:]+:(?P<day>\d{4}-\d{2}-\d{2})$")
REMINDER = re.compile(r"^(?P<head>tip:[^:]+:L\d+:reminder):(?P<seq>\d+):(?P<who>.+)$")
TIP_LEVEL = re.compile(r"^tip:(?P<tip>[^:]+):L(?P<level>\d+):")
PIPELINE_KINDS = frozenset({"admin_alert", "pii_blocked"})  # differ by design under faults
# Messages that group others: a catch-up summary's key names the sweep's time, a delivery
# digest's the first row it covers, and which rows they group depends on when sweeps and
# deliveries ran. The grouped notifications keep their own keys (status superseded / digested),
# so the comparison still sees every alert.
GROUPING_KINDS = frozenset({"tip_catchup", "sla_catchup", "notify_digest"})
REMINDER_TEXT = re.compile(r"Nhắc lần (\d+)")


@dataclass
class RunOutcome:
    """The normalised, comparable outcome of one cycle."""

    messages: set[tuple[str, str]]
    categories: dict[tuple[str, str], str]
    # normalised keys of enqueued notifications (pipeline alerts excluded). Not only the `sent`
    # ones: delivery is capped per run, so which ones went out first depends on the run count.
    sent_keys: set[str]
    due_at: dict[str, datetime]  # normalised key -> when it became due (where known)
    posts: dict[str, list[str]]
    publications: dict[tuple[str, str], str]  # (channel, period) -> status
    first_eval: datetime | None = None
    last_eval: datetime | None = None


def due_times(state: DomainState, escalation: Mapping[str, datetime]) -> dict[str, datetime]:
    """Normalised notification key -> due time: SLA events' `due_at`, the ladder's `due_at`,
    07:00 local of a digest's day."""
    from datetime import time
    from zoneinfo import ZoneInfo

    due: dict[str, datetime] = {}
    prefixes = {
        f"sla:{e['case_id']}:{e['turn_no']}:{e['kind']}": e["due_at"] for e in state.sla_events
    }
    for note in state.notifications:
        key = note["key"]
        if key.startswith("sla:"):
            head = ":".join(key.split(":")[:4])
            if prefixes.get(head):
                due[note["norm"]] = prefixes[head]
        elif key in escalation:
            due[note["norm"]] = _aware(escalation[key])  # type: ignore[assignment]
        elif match := DIGEST.match(key):
            day = datetime.fromisoformat(match["day"]).date()
            due[note["norm"]] = datetime.combine(day, time(7), ZoneInfo(LOCAL_TZ))
    for key, when in escalation.items():
        due.setdefault(state.normalise_key(key), _aware(when))  # type: ignore[arg-type]
    # a PII-gate notice exists because an alert's text was withheld: due when that alert was
    norm_of = {note["key"]: note["norm"] for note in state.notifications}
    for note in state.notifications:
        alerts = state.withheld_from.get(note["key"].removesuffix(f":{note['recipient']}"), ())
        whens = [due[norm_of[a]] for a in alerts if norm_of.get(a) in due]
        if whens:
            due.setdefault(note["norm"], min(whens))
    return due


def outcome(
    state: DomainState,
    posts: Mapping[str, list[Mapping[str, Any]]],
    escalation: Mapping[str, datetime] | None = None,
) -> RunOutcome:
    evals = [e["evaluated_at"] for e in state.sla_events if e["evaluated_at"]]
    evals += [n["created_at"] for n in state.notifications if n["created_at"]]
    return RunOutcome(
        messages=set(state.messages),
        categories=dict(state.case_category),
        sent_keys={
            n["norm"]
            for n in state.notifications
            if n["kind"] not in PIPELINE_KINDS | GROUPING_KINDS and n["status"] != "blocked"
        },
        due_at=due_times(state, escalation or {}),
        posts=posts_by_channel(state, posts),
        # a dry run posts nothing; the calm cycle may also hold one from the scheduled run that
        # unpausing starts (a late Monday slot: `late_start`), which the chaos cycle never gets
        publications={
            (p["channel"], p["period"]): p["status"]
            for p in state.publications
            if p["status"] != "dry_run"
        },
        first_eval=min(evals) if evals else None,
        last_eval=max(evals) if evals else None,
    )


def _reminder_head(key: str) -> str | None:
    match = REMINDER.match(key)
    return f"{match['head']}:{match['who']}" if match else None


def _top_levels(keys: Iterable[str]) -> dict[str, int]:
    """Tip -> the highest ladder level among these alert keys."""
    top: dict[str, int] = {}
    for key in keys:
        if match := TIP_LEVEL.match(key):
            top[match["tip"]] = max(top.get(match["tip"], 0), int(match["level"]))
    return top


def compare_outcomes(calm: RunOutcome, disturbed: RunOutcome) -> tuple[list[str], list[str]]:
    """Same messages, triage, posts, ledger and notification keys as the undisturbed run.

    The disturbed run happens later by the wall clock, and alerts are due by time, so two kinds
    of difference are accepted, each checked against its due time rather than waved through:
    a key only the later run has must have become due after the earlier run's last sweep; a
    reminder only the earlier run has must be superseded by a later reminder of the same tip,
    level and recipient (the ladder sends only the latest reminder after a gap) or by the tip
    reaching a higher level in the later run (reminders belong to the current level), an SLA warning
    only the earlier run has must be followed by a breach of that turn in the later run (which
    first evaluated it past its deadline), and a digest only the earlier run has must belong to a
    local day the later run never swept in.
    """
    problems: list[str] = []
    if calm.messages != disturbed.messages:
        problems.append(
            f"messages differ: {len(calm.messages - disturbed.messages)} only undisturbed, "
            f"{len(disturbed.messages - calm.messages)} only disturbed"
        )
    cat_diff = [
        k
        for k in set(calm.categories) | set(disturbed.categories)
        if calm.categories.get(k) != disturbed.categories.get(k)
    ]
    if cat_diff:
        problems.append(f"{len(cat_diff)} cases triaged differently, e.g. {sorted(cat_diff)[:3]}")
    for channel in sorted(set(calm.posts) | set(disturbed.posts)):
        if calm.posts.get(channel) != disturbed.posts.get(channel):
            problems.append(f"weekly posts differ on {channel}")
    if calm.publications != disturbed.publications:
        diff = {
            k: (calm.publications.get(k), disturbed.publications.get(k))
            for k in set(calm.publications) | set(disturbed.publications)
            if calm.publications.get(k) != disturbed.publications.get(k)
        }
        problems.append(f"publication ledgers differ: {diff}")
    explained: list[str] = []
    later_heads = {_reminder_head(k) for k in disturbed.sent_keys} - {None}
    later_days = (
        {
            d.astimezone(_tz()).date().isoformat()
            for d in (disturbed.first_eval, disturbed.last_eval)
        }
        if disturbed.first_eval and disturbed.last_eval
        else set()
    )
    later_breaches = {k.rsplit(":breach", 1)[0] for k in disturbed.sent_keys if ":breach" in k}
    later_levels = _top_levels(disturbed.sent_keys)
    for key in sorted(calm.sent_keys - disturbed.sent_keys):
        head = _reminder_head(key)
        digest = DIGEST.match(key)
        level = TIP_LEVEL.match(key)
        if head and head in later_heads:
            explained.append(f"{key}: superseded by a later reminder")
        elif head and level and later_levels.get(level["tip"], -1) > int(level["level"]):
            explained.append(f"{key}: the later run found the tip already at a higher level")
        elif key.endswith(":warning") and key.removesuffix(":warning") in later_breaches:
            explained.append(f"{key}: the later run first saw this turn already breached")
        elif digest and digest["day"] not in later_days:
            explained.append(f"{key}: digest of a day the later run did not sweep in")
        else:
            problems.append(f"enqueued only in the undisturbed run: {key}")
    cutoff = calm.last_eval
    for key in sorted(disturbed.sent_keys - calm.sent_keys):
        due = disturbed.due_at.get(key)
        if due is not None and cutoff is not None and due > cutoff:
            explained.append(f"{key}: due {due:%Y-%m-%d %H:%M}, after the first run's last sweep")
        else:
            problems.append(f"enqueued only in the disturbed run: {key} (due {due})")
    info = [
        f"{len(calm.messages)} messages, {len(calm.sent_keys)}/{len(disturbed.sent_keys)} "
        f"notification keys, {sum(len(v) for v in calm.posts.values())} posts; "
        f"{len(explained)} differences explained by the clock",
        *explained[:10],
    ]
    return problems, info


def _tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(LOCAL_TZ)
