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
the ladder's levels and the legal verification deadline. Actions return the tip's `TipView`
(`citizen_desk.tips.views`, where reading lives).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from citizen_desk.config.registry import deployment_zone
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Tip, TipAcknowledgement, Unit
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.errors import NotFoundError, WorkflowError
from citizen_desk.tips.escalation import CLOSED_STATUSES, OPEN_STATUSES, EscalationPolicy
from citizen_desk.tips.views import (
    MAX_VERIFICATION_MONTHS,
    STATUS_LABELS,
    TipView,
    deadline_of,
    default_policy,
    get_tip,
    latest_deadline,
    load_tip,
    protected_names_by_case,
    redact_text,
    require_aware,
)

NOTE_CHARS = 2000
TARGET_CHARS = 255
OUTCOME_CHARS = 300
ACTOR = object()  # placeholder in transition values: the (validated) actor


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
    policy = default_policy(policy)
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
    if not insert_if_absent(session, TipAcknowledgement, values, unique):
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
    policy = default_policy(policy)
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
    if cast("CursorResult[Any]", result).rowcount != 1:
        raise WorkflowError(
            f"tip {tip.id} ({ref}) was changed by someone else meanwhile (now {tip.status}); "
            f"reload and try again / tin báo vừa được người khác cập nhật, hãy tải lại ({vi})"
        )


def _prepare(session: Session, tip_id: int, actor: str, now: datetime) -> tuple[Tip, str]:
    require_aware(now)
    actor = (actor or "").strip()
    if not actor:
        raise WorkflowError("an action needs the actor's name / cần ghi người thực hiện")
    return load_tip(session, tip_id), actor[:128]


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
    return redact_text(note.strip(), names)[:NOTE_CHARS]


def _refuse_pii(session: Session, tip: Tip, text: str, where: str) -> None:
    names = protected_names_by_case(session, [tip.case_id]).get(tip.case_id, ())
    kinds = pii_kinds(text, names)
    if kinds:
        raise WorkflowError(
            f"{where} refused for tip {tip.id}: it contains personal data ({', '.join(kinds)}) / "
            f"có thông tin cá nhân ({', '.join(kinds)}), hãy viết lại"
        )


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


def _local(value: datetime) -> str:
    return value.astimezone(deployment_zone()).strftime("%H:%M %d/%m/%Y")
