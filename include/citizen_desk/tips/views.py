"""What officers may see of a tip: `TipView`s, lists, history, acknowledgements and excerpts.

No view carries identity: excerpts are redacted with the case's protected names, which are read
(`protected_names_by_case`) only to mask them. `policy` (optional everywhere) defaults to the
configured registry's `escalation` section; it gives the legal verification deadline
(`TipView.deadline`). What officers *do* with a tip is `citizen_desk.tips.workflow`.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select, union
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry, current_registry, deployment_zone
from citizen_desk.db.batching import chunks
from citizen_desk.db.models import (
    AuditLog,
    Case,
    Citizen,
    Message,
    Tip,
    TipAcknowledgement,
    Unit,
    case_reference,
)
from citizen_desk.domain.labels import TIP_ACTION_LABELS, TIP_STATUS_LABELS
from citizen_desk.errors import NotFoundError
from citizen_desk.privacy.excerpt import Verdict
from citizen_desk.tips.escalation import OPEN_STATUSES, EscalationPolicy
from citizen_desk.triage import TOPIC_LABELS

MAX_VERIFICATION_MONTHS = 2  # BLTTHS 2015 Điều 147: 20 days, extendable up to 2 months in all
EXCERPT_CHARS = 200

STATUS_LABELS = TIP_STATUS_LABELS
ACTION_LABELS = TIP_ACTION_LABELS


def topic_label(topic: str | None) -> str:
    """Vietnamese label of a triage topic ("chưa phân loại" when unknown)."""
    if not topic:
        return "chưa phân loại"
    return TOPIC_LABELS.get(topic) or topic.replace("_", " ")


@dataclass(frozen=True)
class TipView:
    """What officers (UI, CLI, alerts) may see of a tip: no identity, a redacted excerpt.

    `level` is `tips.escalation_level`, the highest level already alerted (-1: not yet alerted).
    `deadline` is the legal verification deadline: received_at + verification_deadline +
    recorded extensions (wall clock).
    """

    tip_id: int
    case_id: int
    reference: str
    unit_code: str
    unit_name: str
    topic: str | None
    urgent: bool
    status: str
    level: int
    received_at: datetime
    age: timedelta
    deadline: datetime
    last_action: str | None
    last_action_at: datetime | None
    excerpt: str  # redacted
    # Why the triage called it urgent (its case's cues), redacted; pages only, never Slack.
    urgency_cues: tuple[str, ...] = ()
    urgent_since: datetime | None = None  # when it turned urgent, if later than it came in
    # the PII gate's verdict on `excerpt` kept beside it (a sweep's views only): alerts hand it
    # to the outbox's gate, which takes it only for that very text (`notify.gate`)
    excerpt_verdict: Verdict | None = field(default=None, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def topic_label(self) -> str:
        return topic_label(self.topic)


@dataclass(frozen=True)
class AuditEntry:
    """One audit row about a tip (notes were redacted when written)."""

    at: datetime
    actor: str
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    note: str | None


# --- registry / policy ---------------------------------------------------------------------------


def default_registry() -> Registry:
    """The configured registry, re-read only when the file changes (cheap per UI request)."""
    return current_registry()


def default_policy(policy: EscalationPolicy | None) -> EscalationPolicy:
    """`policy`, else the configured registry's escalation section."""
    return policy if policy is not None else default_registry().escalation


# --- reading -------------------------------------------------------------------------------------


def list_tips(
    session: Session,
    *,
    now: datetime,
    unit_code: str | None = None,
    include_closed: bool = False,
    policy: EscalationPolicy | None = None,
) -> list[TipView]:
    """Tips (open only unless `include_closed`), urgent first, then oldest first."""
    require_aware(now)
    query = select(Tip).join(Unit, Tip.unit_id == Unit.id)
    if unit_code is not None:
        if session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
            raise NotFoundError(f"unknown unit {unit_code!r} / không có đơn vị {unit_code!r}")
        query = query.where(Unit.code == unit_code)
    if not include_closed:
        query = query.where(Tip.status.in_(sorted(OPEN_STATUSES)))
    query = query.order_by(Tip.urgent.desc(), Tip.received_at, Tip.id)
    return views_for(session, list(session.scalars(query)), now, default_policy(policy))


def _board_conditions(
    unit_ids: Collection[int] | None, level: int | None, include_closed: bool
) -> list[Any]:
    conditions: list[Any] = []
    if unit_ids is not None:
        conditions.append(Tip.unit_id.in_(sorted(unit_ids)))
    if level is not None:
        conditions.append(Tip.escalation_level == level)
    if not include_closed:
        conditions.append(Tip.status.in_(sorted(OPEN_STATUSES)))
    return conditions


def count_tips(
    session: Session,
    *,
    unit_ids: Collection[int] | None = None,
    level: int | None = None,
    include_closed: bool = False,
) -> int:
    """How many tips `page_of_tips` pages through (one COUNT in SQL)."""
    conditions = _board_conditions(unit_ids, level, include_closed)
    return session.scalar(select(func.count()).select_from(Tip).where(*conditions)) or 0


def page_of_tips(
    session: Session,
    *,
    now: datetime,
    unit_ids: Collection[int] | None = None,
    level: int | None = None,
    include_closed: bool = False,
    offset: int = 0,
    limit: int = 100,
    total: int | None = None,
    policy: EscalationPolicy | None = None,
) -> list[TipView]:
    """One page of tips, filtered and paged in SQL, in `list_tips` order (urgent, then oldest).

    Only the page's tips become views (their texts read and redacted), so a board page costs the
    same at 1k and at 100k tips. With `total` (`count_tips` under the same filters), a page in
    the far half is read from the end of the order: it skips the fewer tips.
    """
    require_aware(now)
    order = (Tip.urgent.desc(), Tip.received_at, Tip.id)
    offset, limit = max(offset, 0), max(limit, 0)
    # The page's ids first (read off the board's index alone), then only those rows: a far page
    # does not fetch every tip it skips.
    page_ids = select(Tip.id).where(*_board_conditions(unit_ids, level, include_closed))
    if total is not None and offset > total // 2:
        reverse = (Tip.urgent.asc(), Tip.received_at.desc(), Tip.id.desc())
        shown = min(limit, max(total - offset, 0))
        page_ids = page_ids.order_by(*reverse).offset(max(total - offset - limit, 0)).limit(shown)
    else:
        page_ids = page_ids.order_by(*order).offset(offset).limit(limit)
    query = select(Tip).where(Tip.id.in_(page_ids.scalar_subquery())).order_by(*order)
    return views_for(session, list(session.scalars(query)), now, default_policy(policy))


def get_tip(
    session: Session, tip_id: int, *, now: datetime, policy: EscalationPolicy | None = None
) -> TipView:
    require_aware(now)
    return views_for(session, [load_tip(session, tip_id)], now, default_policy(policy))[0]


def tip_history(session: Session, tip_id: int) -> list[AuditEntry]:
    """The tip's audit entries, oldest first (escalations by the DAG included)."""
    load_tip(session, tip_id)
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity_type == "tip", AuditLog.entity_id == str(tip_id))
        .order_by(AuditLog.at, AuditLog.id)
    )
    return [AuditEntry(r.at, r.actor, r.action, r.before, r.after, r.note) for r in rows]


@dataclass(frozen=True)
class Acknowledgement:
    level: int
    unit_code: str  # the tip's unit when it was given
    by: str
    at: datetime
    note: str | None


def acknowledgements(session: Session, tip_id: int) -> list[Acknowledgement]:
    """Acknowledgements of a tip by level, then time."""
    rows = session.execute(
        select(TipAcknowledgement, Unit.code)
        .join(Unit, TipAcknowledgement.unit_id == Unit.id)
        .where(TipAcknowledgement.tip_id == tip_id)
        .order_by(TipAcknowledgement.level, TipAcknowledgement.at, TipAcknowledgement.id)
    )
    return [Acknowledgement(a.level, code, a.by, a.at, a.note) for a, code in rows]


def protected_names_by_case(
    session: Session, case_ids: Iterable[int]
) -> dict[int, tuple[str, ...]]:
    """Per case, every identifying string of its citizens, for `redact`/`pii_gate` to mask.

    Reads the protected columns for one purpose only: masking them. Covers the case's citizen
    and anyone else who wrote in the thread (comment threads have several).
    """
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    rows = session.execute(_writers_of_cases(), {"case_ids": ids})
    citizens_of: dict[int, set[int]] = defaultdict(set)
    strings: dict[int, list[str]] = {}
    for case_id, citizen_id, user_id, name, profile in rows:
        if case_id is None:
            continue
        citizens_of[case_id].add(citizen_id)
        if citizen_id not in strings:
            strings[citizen_id] = [s for s in (name, user_id, *_profile_strings(profile)) if s]
    result: dict[int, tuple[str, ...]] = {}
    for case_id in ids:
        found = [s for c in sorted(citizens_of.get(case_id, ())) for s in strings.get(c, ())]
        result[case_id] = tuple(dict.fromkeys(found))
    return result


@cache
def _writers_of_cases() -> Select[Any]:
    """One statement for a page of cases (`case_ids`): the cases' own citizens and their threads'
    other writers, with their protected columns (a board of 100 rows made three round trips
    before). Built once: building it, and its cache key, cost more than running it."""
    ids: BindParameter[int] = bindparam("case_ids", expanding=True)
    writers = union(
        select(Case.id.label("case_id"), Case.citizen_id.label("citizen_id")).where(
            Case.id.in_(ids)
        ),
        select(Message.case_id, Message.citizen_id).where(
            Message.case_id.in_(ids), Message.citizen_id.is_not(None)
        ),
    ).subquery()
    return select(
        writers.c.case_id,
        Citizen.id,
        Citizen.platform_user_id,
        Citizen.protected_display_name,
        Citizen.protected_profile,
    ).join(Citizen, Citizen.id == writers.c.citizen_id)


# a profile key naming one of these (as a part: "first_name", "userId") holds an identifying value
_PROFILE_KEYS = re.compile("name|phone|link|url|id|pic|avatar|email|user")


def _profile_strings(profile: object) -> list[str]:
    """Identifying values of a stored profile (names, ids, phones, links), nested or flat."""
    found: list[str] = []
    if isinstance(profile, Mapping):
        for key, value in profile.items():
            if isinstance(value, str) and _PROFILE_KEYS.search(str(key).lower()):
                if len(value.strip()) >= 2:
                    found.append(value.strip())
            elif isinstance(value, Mapping | list):
                found.extend(_profile_strings(value))
    elif isinstance(profile, list):
        for item in profile:
            found.extend(_profile_strings(item))
    return found


def views_for(
    session: Session,
    tips: Sequence[Tip],
    now: datetime,
    policy: EscalationPolicy,
    *,
    excerpts: Collection[int] | None = None,
    keep_at: datetime | None = None,
    names: Mapping[int, Sequence[str]] | None = None,
) -> list[TipView]:
    """TipViews of loaded tips, in their order (batched: a few queries for any number).

    `excerpts`: the tips whose excerpt is wanted (None: all); the others' is "" (a list that
    shows none, e.g. a catch-up summary), and their texts are not even read. Excerpts are read
    from the domain DB where the collection kept them; `keep_at` (a sweep's `now`, its caller
    commits) keeps those made here too. `names`: `protected_names_by_case` of (at least) the
    tips' cases, when the caller has read them already."""
    if not tips:
        return []
    case_ids = [t.case_id for t in tips]
    cases = {
        case_id: (topic, cues)
        for case_id, topic, cues in session.execute(
            select(Case.id, Case.topic, Case.urgency_cues).where(Case.id.in_(case_ids))
        )
    }
    units = {
        unit_id: (code, name)
        for unit_id, code, name in session.execute(
            select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_({t.unit_id for t in tips}))
        )
    }
    shown = [t.case_id for t in tips if excerpts is None or t.id in excerpts]
    texts: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(shown) if shown else ():
        for case_id, text in session.execute(
            select(Message.case_id, Message.text)
            .where(Message.case_id.in_(chunk), Message.direction == "in")
            .order_by(Message.case_id, Message.created_at, Message.id)
        ):
            if case_id is not None and len(texts[case_id]) < 5 and text:
                texts[case_id].append(text)
    if names is None:
        names = protected_names_by_case(session, shown)
    shown_ids = {t.case_id for t in tips if excerpts is None or t.id in excerpts}
    excerpt_of = _excerpts(session, sorted(shown_ids), texts, names, keep_at)
    views = []
    for tip in tips:
        unit_code, unit_name = units[tip.unit_id]
        excerpt, verdict = excerpt_of.get(tip.case_id, ("", None))
        views.append(
            TipView(
                tip_id=tip.id,
                case_id=tip.case_id,
                reference=case_reference(tip.case_id),
                unit_code=unit_code,
                unit_name=unit_name,
                topic=cases[tip.case_id][0],
                urgent=tip.urgent,
                status=tip.status,
                level=tip.escalation_level,
                received_at=tip.received_at,
                age=now - tip.received_at,
                deadline=deadline_of(tip, policy),
                last_action=tip.last_action,
                last_action_at=tip.last_action_at,
                excerpt=excerpt,
                excerpt_verdict=verdict,
                urgency_cues=tuple(
                    redact_text(cue, names.get(tip.case_id, ()))
                    for cue in cases[tip.case_id][1] or ()
                )
                if tip.urgent
                else (),
                urgent_since=tip.urgent_since
                if tip.urgent and tip.urgent_since and tip.urgent_since > tip.received_at
                else None,
            )
        )
    return views


def _excerpts(
    session: Session,
    case_ids: Sequence[int],
    texts: Mapping[int, Sequence[str]],
    names: Mapping[int, Sequence[str]],
    keep_at: datetime | None,
) -> dict[int, tuple[str, Verdict | None]]:
    """Per case, its excerpt, and with `keep_at` (a sweep, the collection) the gate's verdict on
    it (`db.excerpts.judged_excerpts`)."""
    from citizen_desk.db.excerpts import excerpts, judged_excerpts

    requests = [(" ".join(texts.get(i, ())), tuple(names.get(i, ()))) for i in case_ids]
    if keep_at is None:
        shown = excerpts(session, requests, EXCERPT_CHARS, redact_text)
        return {i: (text, None) for i, text in zip(case_ids, shown, strict=True)}
    judged = judged_excerpts(session, requests, EXCERPT_CHARS, redact_text, now=keep_at)
    return dict(zip(case_ids, judged, strict=True))


def prepare_excerpts(
    session: Session, policy: EscalationPolicy, now: datetime, since: datetime
) -> int:
    """Keep the excerpt of every open tip received since `since` (what its escalation alerts
    will show); returns how many tips."""
    tips = session.scalars(
        select(Tip).where(Tip.status.in_(OPEN_STATUSES), Tip.received_at >= since)
    ).all()
    if tips:
        views_for(session, tips, now, policy, keep_at=now)
    return len(tips)


def deadline_of(tip: Tip, policy: EscalationPolicy) -> datetime:
    return tip.received_at + policy.verification_deadline + timedelta(seconds=tip.extension_seconds)


def latest_deadline(received_at: datetime) -> datetime:
    """The legal maximum: `MAX_VERIFICATION_MONTHS` calendar months after receipt (local date)."""
    local = received_at.astimezone(deployment_zone())
    month_index = local.month - 1 + MAX_VERIFICATION_MONTHS
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, _calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


# --- shared with the actions ---------------------------------------------------------------------


def load_tip(session: Session, tip_id: int) -> Tip:
    tip = session.get(Tip, tip_id) if isinstance(tip_id, int) else None
    if tip is None:
        raise NotFoundError(f"unknown tip {tip_id} / không có tin báo số {tip_id}")
    return tip


def require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def redact_text(text: str, names: Sequence[str]) -> str:
    from citizen_desk.privacy import redact

    return redact(text, names=tuple(names))
