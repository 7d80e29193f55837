"""Tip verification workflow: what officers do with a tip, recorded in `tips` and `audit_log`.

Statuses: `new -> verifying -> verified | unfounded | forwarded`; `new` may also close directly.
Closed tips refuse every further transition except `set_public_outcome`, which is *only* allowed
on closed tips (the outcome is what may later be published, so the verification must be over).

Every function takes a session, `now` (aware) and, for actions, the `actor` (a user name or a DAG
run id). The caller owns the transaction: functions flush, never commit. Illegal transitions raise
`WorkflowError` and unknown ids `NotFoundError`; messages are in English and Vietnamese and name
tips by id and case reference only, never by person. Free-text notes are redacted before they are
written, because `audit_log` is append-only and could never be cleaned afterwards.

Concurrent actions on the same tip (two officers clicking at once) are safe: every change is a
guarded UPDATE on the values that were read, and acknowledgements rely on the unique
(tip, level, unit).

`policy` (optional everywhere) defaults to the configured registry's `escalation` section; it gives
the ladder's levels and the legal verification deadline (`TipView.deadline`).
"""

from __future__ import annotations

import calendar as _calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry, current_registry, deployment_zone
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import (
    AuditLog,
    Case,
    Citizen,
    Message,
    Tip,
    TipAcknowledgement,
    Unit,
)
from citizen_desk.domain.labels import TIP_ACTION_LABELS, TIP_STATUS_LABELS
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.tips.escalation import CLOSED_STATUSES, OPEN_STATUSES, EscalationPolicy
from citizen_desk.triage import TOPIC_LABELS

MAX_VERIFICATION_MONTHS = 2  # BLTTHS 2015 Điều 147: 20 days, extendable up to 2 months in all
EXCERPT_CHARS = 200
NOTE_CHARS = 2000
TARGET_CHARS = 255
OUTCOME_CHARS = 300
ACTOR = object()  # placeholder in transition values: the (validated) actor

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


def _policy(policy: EscalationPolicy | None) -> EscalationPolicy:
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
    _aware(now)
    query = select(Tip).join(Unit, Tip.unit_id == Unit.id)
    if unit_code is not None:
        if session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
            raise NotFoundError(f"unknown unit {unit_code!r} / không có đơn vị {unit_code!r}")
        query = query.where(Unit.code == unit_code)
    if not include_closed:
        query = query.where(Tip.status.in_(sorted(OPEN_STATUSES)))
    query = query.order_by(Tip.urgent.desc(), Tip.received_at, Tip.id)
    return views_for(session, list(session.scalars(query)), now, _policy(policy))


def get_tip(
    session: Session, tip_id: int, *, now: datetime, policy: EscalationPolicy | None = None
) -> TipView:
    _aware(now)
    return views_for(session, [_load(session, tip_id)], now, _policy(policy))[0]


def tip_history(session: Session, tip_id: int) -> list[AuditEntry]:
    """The tip's audit entries, oldest first (escalations by the DAG included)."""
    _load(session, tip_id)
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
    owners = session.execute(select(Case.id, Case.citizen_id).where(Case.id.in_(ids))).all()
    writers = session.execute(
        select(Message.case_id, Message.citizen_id)
        .where(Message.case_id.in_(ids), Message.citizen_id.is_not(None))
        .distinct()
    ).all()
    citizens_of: dict[int, set[int]] = defaultdict(set)
    for case_id, citizen_id in [*owners, *writers]:
        if citizen_id is not None:
            citizens_of[case_id].add(citizen_id)
    all_citizens = set().union(*citizens_of.values()) if citizens_of else set()
    strings: dict[int, list[str]] = {}
    if all_citizens:
        rows = session.execute(
            select(
                Citizen.id,
                Citizen.platform_user_id,
                Citizen.protected_display_name,
                Citizen.protected_profile,
            ).where(Citizen.id.in_(sorted(all_citizens)))
        )
        for citizen_id, user_id, name, profile in rows:
            strings[citizen_id] = [s for s in (name, user_id, *_profile_strings(profile)) if s]
    result: dict[int, tuple[str, ...]] = {}
    for case_id in ids:
        found = [s for c in sorted(citizens_of.get(case_id, ())) for s in strings.get(c, ())]
        result[case_id] = tuple(dict.fromkeys(found))
    return result


def _profile_strings(profile: object) -> list[str]:
    """Identifying values of a stored profile (names, ids, phones, links), nested or flat."""
    keys = ("name", "phone", "link", "url", "id", "pic", "avatar", "email", "user")
    found: list[str] = []
    if isinstance(profile, Mapping):
        for key, value in profile.items():
            if isinstance(value, str) and any(k in str(key).lower() for k in keys):
                if len(value.strip()) >= 2:
                    found.append(value.strip())
            elif isinstance(value, Mapping | list):
                found.extend(_profile_strings(value))
    elif isinstance(profile, list):
        for item in profile:
            found.extend(_profile_strings(item))
    return found


def views_for(
    session: Session, tips: Sequence[Tip], now: datetime, policy: EscalationPolicy
) -> list[TipView]:
    """TipViews of loaded tips, in their order (batched: a few queries for any number)."""
    if not tips:
        return []
    case_ids = [t.case_id for t in tips]
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    units = {
        u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_({t.unit_id for t in tips})))
    }
    texts: dict[int, list[str]] = defaultdict(list)
    for case_id, text in session.execute(
        select(Message.case_id, Message.text)
        .where(Message.case_id.in_(case_ids), Message.direction == "in")
        .order_by(Message.case_id, Message.created_at, Message.id)
    ):
        if len(texts[case_id]) < 5 and text:
            texts[case_id].append(text)
    names = protected_names_by_case(session, case_ids)
    views = []
    for tip in tips:
        case, unit = cases[tip.case_id], units[tip.unit_id]
        excerpt = make_excerpt(" ".join(texts.get(tip.case_id, ())), names.get(tip.case_id, ()))
        views.append(
            TipView(
                tip_id=tip.id,
                case_id=tip.case_id,
                reference=case.reference,
                unit_code=unit.code,
                unit_name=unit.name,
                topic=case.topic,
                urgent=tip.urgent,
                status=tip.status,
                level=tip.escalation_level,
                received_at=tip.received_at,
                age=now - tip.received_at,
                deadline=deadline_of(tip, policy),
                last_action=tip.last_action,
                last_action_at=tip.last_action_at,
                excerpt=excerpt,
            )
        )
    return views


def make_excerpt(text: str, names: Sequence[str], limit: int = EXCERPT_CHARS) -> str:
    """Redact first (so nothing is cut mid-name and left readable), then shorten."""
    clean = " ".join(_redact(text, names).split())
    if len(clean) <= limit:
        return clean
    cut = clean[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


def deadline_of(tip: Tip, policy: EscalationPolicy) -> datetime:
    return tip.received_at + policy.verification_deadline + timedelta(seconds=tip.extension_seconds)


def latest_deadline(received_at: datetime) -> datetime:
    """The legal maximum: `MAX_VERIFICATION_MONTHS` calendar months after receipt (local date)."""
    local = received_at.astimezone(deployment_zone())
    month_index = local.month - 1 + MAX_VERIFICATION_MONTHS
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, _calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


# --- actions -------------------------------------------------------------------------------------


def acknowledge(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    level: int | None = None,
    note: str | None = None,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """Record "seen, working on it" at a level (default: the tip's current level).

    Stops that level's reminders; the climb to the next levels goes on until the tip is closed.
    The tip's unit is recorded with it: after a reassignment to another chain, the new unit
    answerable at that level gets reminders until it acknowledges too.
    """
    policy = _policy(policy)
    tip, actor = _prepare(session, tip_id, actor, now)
    ref = _ref(tip)
    _require_open(tip, ref, "acknowledge", "xác nhận tiếp nhận")
    level = max(tip.escalation_level, 0) if level is None else level
    levels = sorted(step.level for step in policy.ladder)
    if level not in levels:
        raise WorkflowError(
            f"tip {tip.id} ({ref}): there is no escalation level {level} (levels: {levels}) / "
            f"không có cấp báo cáo {level}"
        )
    note = _clean_note(session, tip, note)
    values = {
        "tip_id": tip.id,
        "level": level,
        "unit_id": tip.unit_id,
        "by": actor,
        "at": now,
        "note": note,
    }
    unique = ("tip_id", "level", "unit_id")
    if not _insert_ignore(session, TipAcknowledgement.__table__, values, unique):
        done = session.scalar(
            select(TipAcknowledgement).where(
                TipAcknowledgement.tip_id == tip.id,
                TipAcknowledgement.level == level,
                TipAcknowledgement.unit_id == tip.unit_id,
            )
        )
        who = f" by {done.by} at {_local(done.at)}" if done else ""
        raise WorkflowError(
            f"tip {tip.id} ({ref}): level {level} was already acknowledged{who} / "
            f"cấp {level} đã được xác nhận tiếp nhận"
        )
    _guarded_update(session, tip, ref, "acknowledged", {}, actor, now, "xác nhận tiếp nhận")
    _audit(session, tip, actor, now, "tip_acknowledged", None, {"level": level}, note)
    return get_tip(session, tip.id, now=now, policy=policy)


def start_verification(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """new -> verifying."""
    return _transition(
        session, tip_id, actor, now, note, policy,
        allowed=("new",), action="verification_started", verb="start verification",
        vi="bắt đầu xác minh",
        values={"status": "verifying"},
    )  # fmt: skip


def mark_verified(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """new|verifying -> verified (closes the tip; escalation stops)."""
    return _transition(
        session, tip_id, actor, now, note, policy,
        allowed=("new", "verifying"), action="verified", verb="mark it verified",
        vi="xác minh có cơ sở",
        values={"status": "verified", "verified_at": now, "verified_by": ACTOR, "closed_at": now},
    )  # fmt: skip


def mark_unfounded(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """new|verifying -> unfounded (verification concluded: `verified_at/by` record who and when)."""
    return _transition(
        session, tip_id, actor, now, note, policy,
        allowed=("new", "verifying"), action="unfounded", verb="mark it unfounded",
        vi="kết luận không có cơ sở",
        values={"status": "unfounded", "verified_at": now, "verified_by": ACTOR, "closed_at": now},
    )  # fmt: skip


def forward(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    target: str,
    note: str | None = None,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """new|verifying -> forwarded to `target` (an agency, e.g. "Cơ quan CSĐT Công an tỉnh")."""
    target = " ".join((target or "").split())
    if not target:
        raise WorkflowError("forwarding needs a target agency / cần ghi cơ quan nhận chuyển")
    if len(target) > TARGET_CHARS:
        raise WorkflowError(f"target longer than {TARGET_CHARS} characters / tên cơ quan quá dài")
    return _transition(
        session, tip_id, actor, now, note, policy,
        allowed=("new", "verifying"), action="forwarded", verb="forward it",
        vi="chuyển cơ quan khác",
        values={"status": "forwarded", "forwarded_to": target, "closed_at": now},
        pii_checked={"forwarded_to": "forward target / cơ quan nhận"},
    )  # fmt: skip


def extend(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    by: timedelta,
    reason: str,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """Record a deadline extension: shifts the deadline and every escalation threshold.

    The total verification period may not pass `MAX_VERIFICATION_MONTHS` months after receipt.
    """
    policy = _policy(policy)
    tip, actor = _prepare(session, tip_id, actor, now)
    ref = _ref(tip)
    _require_open(tip, ref, "extend", "gia hạn")
    if by <= timedelta(0):
        raise WorkflowError("an extension must be longer than zero / thời gian gia hạn phải > 0")
    if not (reason or "").strip():
        raise WorkflowError("an extension needs a reason / gia hạn phải ghi lý do")
    seconds = tip.extension_seconds + int(by.total_seconds())
    new_deadline = tip.received_at + policy.verification_deadline + timedelta(seconds=seconds)
    limit = latest_deadline(tip.received_at)
    if new_deadline > limit:
        raise WorkflowError(
            f"tip {tip.id} ({ref}): the deadline would move to {_local(new_deadline)}, past the "
            f"legal maximum of {MAX_VERIFICATION_MONTHS} months ({_local(limit)}) / gia hạn vượt "
            f"quá {MAX_VERIFICATION_MONTHS} tháng kể từ ngày tiếp nhận ({_local(limit)})"
        )
    note = _clean_note(session, tip, reason)
    before = {"extension_seconds": tip.extension_seconds, "deadline": deadline_of(tip, policy)}
    _guarded_update(
        session, tip, ref, "extended", {"extension_seconds": seconds}, actor, now, "gia hạn"
    )
    after = {"extension_seconds": seconds, "deadline": new_deadline}
    _audit(session, tip, actor, now, "tip_extended", before, after, note)
    return get_tip(session, tip.id, now=now, policy=policy)


def reassign(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    unit_code: str,
    note: str | None = None,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """Hand an open tip to another (active) unit; its age is kept.

    The case stays with the channel's unit (replies and SLA); only the verification moves. The next
    sweep alerts the new unit's chain at the levels already reached (their recipients differ), and
    an acknowledgement keeps silencing reminders only at levels whose answerable unit is unchanged.
    """
    tip, actor = _prepare(session, tip_id, actor, now)
    ref = _ref(tip)
    _require_open(tip, ref, "reassign", "chuyển đơn vị")
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFoundError(f"unknown unit {unit_code!r} / không có đơn vị {unit_code!r}")
    if not unit.active:
        raise WorkflowError(f"unit {unit_code} is inactive / đơn vị {unit_code} đã ngừng hoạt động")
    old = session.get(Unit, tip.unit_id)
    if unit.id == tip.unit_id:
        raise WorkflowError(
            f"tip {tip.id} ({ref}) is already with {unit_code} / tin báo đã thuộc {unit_code}"
        )
    note = _clean_note(session, tip, note)
    _guarded_update(
        session, tip, ref, "reassigned", {"unit_id": unit.id}, actor, now, "chuyển đơn vị"
    )
    before = {"unit": old.code if old else None}
    _audit(session, tip, actor, now, "tip_reassigned", before, {"unit": unit.code}, note)
    return get_tip(session, tip.id, now=now, policy=policy)


def set_public_outcome(
    session: Session,
    tip_id: int,
    *,
    actor: str,
    now: datetime,
    text: str,
    policy: EscalationPolicy | None = None,
) -> TipView:
    """The one sentence that may be published about a closed tip; refused if it carries PII.

    Only verified/unfounded/forwarded tips: an open verification has no outcome to tell yet.
    May be rewritten (each version is audited).
    """
    tip, actor = _prepare(session, tip_id, actor, now)
    ref = _ref(tip)
    if tip.status not in CLOSED_STATUSES:
        raise WorkflowError(
            f"tip {tip.id} ({ref}) is {tip.status}: a public outcome needs a closed tip "
            f"(verified, unfounded or forwarded) / chỉ ghi kết quả công khai khi đã kết thúc "
            f"xác minh (hiện: {STATUS_LABELS.get(tip.status, tip.status)})"
        )
    text = " ".join((text or "").split())
    if not text:
        raise WorkflowError("the public outcome is empty / kết quả công khai đang trống")
    if len(text) > OUTCOME_CHARS:
        raise WorkflowError(
            f"the public outcome is longer than {OUTCOME_CHARS} characters / "
            f"kết quả công khai dài quá {OUTCOME_CHARS} ký tự"
        )
    _refuse_pii(session, tip, text, "public outcome / kết quả công khai")
    before = {"public_outcome": tip.public_outcome}
    values = {"public_outcome": text, "public_outcome_by": actor}
    _guarded_update(session, tip, ref, "public_outcome", values, actor, now, "ghi kết quả")
    _audit(session, tip, actor, now, "tip_public_outcome_set", before, {"public_outcome": text})
    return get_tip(session, tip.id, now=now, policy=policy)


# --- helpers -------------------------------------------------------------------------------------


def _transition(
    session: Session,
    tip_id: int,
    actor: str,
    now: datetime,
    note: str | None,
    policy: EscalationPolicy | None,
    *,
    allowed: tuple[str, ...],
    action: str,
    verb: str,
    vi: str,
    values: dict[str, Any],
    pii_checked: Mapping[str, str] | None = None,
) -> TipView:
    tip, actor = _prepare(session, tip_id, actor, now)
    ref = _ref(tip)
    if tip.status not in allowed:
        raise _illegal(tip, ref, verb, vi)
    for key, where in (pii_checked or {}).items():
        _refuse_pii(session, tip, values[key], where)
    values = {k: (actor if v is ACTOR else v) for k, v in values.items()}
    note = _clean_note(session, tip, note)
    before = {k: getattr(tip, k) for k in values}
    _guarded_update(session, tip, ref, action, values, actor, now, vi)
    _audit(session, tip, actor, now, f"tip_{action}", before, values, note)
    return get_tip(session, tip.id, now=now, policy=policy)


def _guarded_update(
    session: Session,
    tip: Tip,
    ref: str,
    action: str,
    values: Mapping[str, Any],
    actor: str,
    now: datetime,
    vi: str,
) -> None:
    """UPDATE ... WHERE the status and changed columns still hold what we read; else refuse."""
    guard = [Tip.id == tip.id, Tip.status == tip.status]
    guard += [getattr(Tip, k) == getattr(tip, k) for k in values if getattr(tip, k) is not None]
    guard += [getattr(Tip, k).is_(None) for k in values if getattr(tip, k) is None]
    result = session.execute(
        update(Tip)
        .where(*guard)
        .values(**values, last_action=action, last_action_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tip)
    if result.rowcount != 1:
        raise WorkflowError(
            f"tip {tip.id} ({ref}) was changed by someone else meanwhile (now {tip.status}); "
            f"reload and try again / tin báo vừa được người khác cập nhật, hãy tải lại ({vi})"
        )


def _insert_ignore(
    session: Session, table: Table, values: Mapping[str, Any], conflict: tuple[str, ...]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        session.execute(insert(table).values(**values))
        return True
    statement = (
        dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    )
    return session.execute(statement).rowcount == 1


def _prepare(session: Session, tip_id: int, actor: str, now: datetime) -> tuple[Tip, str]:
    _aware(now)
    actor = (actor or "").strip()
    if not actor:
        raise WorkflowError("an action needs the actor's name / cần ghi người thực hiện")
    return _load(session, tip_id), actor[:128]


def _load(session: Session, tip_id: int) -> Tip:
    tip = session.get(Tip, tip_id) if isinstance(tip_id, int) else None
    if tip is None:
        raise NotFoundError(f"unknown tip {tip_id} / không có tin báo số {tip_id}")
    return tip


def _ref(tip: Tip) -> str:
    return f"CD-{tip.case_id:06d}"


def _require_open(tip: Tip, ref: str, action: str, vi: str) -> None:
    if tip.status not in OPEN_STATUSES:
        raise _illegal(tip, ref, action, vi)


def _illegal(tip: Tip, ref: str, action: str, vi: str) -> WorkflowError:
    status_vi = STATUS_LABELS.get(tip.status, tip.status)
    if tip.status in CLOSED_STATUSES:
        return WorkflowError(
            f"tip {tip.id} ({ref}) is already {tip.status}: cannot {action} (the tip is closed) / "
            f"tin báo đã kết thúc ({status_vi}), không thể {vi}"
        )
    return WorkflowError(
        f"tip {tip.id} ({ref}) is {tip.status}: cannot {action} / "
        f"tin báo đang ở trạng thái {status_vi}, không thể {vi}"
    )


def _audit(
    session: Session,
    tip: Tip,
    actor: str,
    now: datetime,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    note: str | None = None,
) -> None:
    record_audit(
        session,
        entity_type="tip",
        entity_id=tip.id,
        action=action,
        actor=actor,
        at=now,
        before=before,
        after=after,
        note=note,
    )
    session.flush()


def _clean_note(session: Session, tip: Tip, note: str | None) -> str | None:
    """Notes are free text: redact them before they reach the append-only audit log."""
    if note is None or not note.strip():
        return None
    names = protected_names_by_case(session, [tip.case_id]).get(tip.case_id, ())
    return _redact(note.strip(), names)[:NOTE_CHARS]


def _refuse_pii(session: Session, tip: Tip, text: str, where: str) -> None:
    names = protected_names_by_case(session, [tip.case_id]).get(tip.case_id, ())
    kinds = pii_kinds(text, names)
    if kinds:
        raise WorkflowError(
            f"{where} refused for tip {tip.id}: it contains personal data ({', '.join(kinds)}) / "
            f"có thông tin cá nhân ({', '.join(kinds)}), hãy viết lại"
        )


def _redact(text: str, names: Sequence[str]) -> str:
    from citizen_desk.privacy import redact

    return redact(text, names=tuple(names))


def pii_kinds(text: str, names: Sequence[str]) -> list[str]:
    """Kinds of personal data `contains_pii` finds in `text` (never the matched text)."""
    from citizen_desk.privacy import contains_pii

    found = contains_pii(text, names=tuple(names))
    if not found:
        return []
    if isinstance(found, bool):
        return ["pii"]
    if isinstance(found, str):
        return [found]
    kinds = (getattr(item, "kind", item) for item in found)
    return sorted({str(kind) for kind in kinds})


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def _local(value: datetime) -> str:
    return value.astimezone(deployment_zone()).strftime("%H:%M %d/%m/%Y")
