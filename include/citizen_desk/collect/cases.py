"""Derive cases, turns and tips from the stored messages of a thread.

Cases are recomputed from all stored messages of the thread in `created_at` order, so arrival
order and reruns do not change the result: a citizen message opens a turn (`awaiting_since`),
the page's next message answers it, a later citizen message opens the next turn, unless it is
only a courtesy reply ("cảm ơn ạ", "ok", a sticker: `citizen_desk.triage.courtesy`). A comment
answered by a private (Messenger) reply counts as answered when the first page message of that
conversation was sent. A `tip` case gets its tip row (status new) once; its status is never
downgraded.

An officer's correction (`triage_corrections`, `citizen_desk.learning.corrections`) holds over
the triage of the thread on every recompute (`collect.corrected`); the case records which model
version triaged it (`cases.triage_model`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.collect.channels import CHUNK, ChannelRef
from citizen_desk.collect.corrected import apply_correction, corrections_of, reopen_if_corrected
from citizen_desk.db.audit import record_audit
from citizen_desk.db.batching import chunks
from citizen_desk.db.models import Case, CaseTurn, Message, Tip, TriageCorrection
from citizen_desk.db.upsert import dialect_insert
from citizen_desk.learning.champion import triage_model_for
from citizen_desk.triage.model import TriageModel

_CHAMPION = object()  # recompute_cases(model=...): the session's model (`learning.champion`)


def private_conversation(message: Message) -> str | None:
    """The Messenger conversation a comment was privately answered in, when recorded."""
    value = (message.raw or {}).get("private_reply_conversation")
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def is_sticker(raw: Mapping[str, Any] | None) -> bool:
    """A sticker as the platforms deliver it: Graph's `sticker` field, a Zalo `sticker` event or
    attachment."""
    if not isinstance(raw, Mapping):
        return False
    if (
        raw.get("sticker")
        or raw.get("type") == "sticker"
        or raw.get("event_name") == "user_send_sticker"
    ):
        return True
    attachments = raw.get("attachments")
    items = attachments.get("data") if isinstance(attachments, Mapping) else attachments
    return isinstance(items, list) and any(
        isinstance(item, Mapping) and item.get("type") == "sticker" for item in items
    )


@dataclass(frozen=True)
class ThreadState:
    """The SLA view of one thread, derived from its messages."""

    opened_at: datetime
    turns: tuple[tuple[datetime, datetime | None], ...]  # (started_at, responded_at)
    last_citizen_at: datetime
    first_response_at: datetime | None
    last_response_at: datetime | None

    @property
    def awaiting_since(self) -> datetime | None:
        started, responded = self.turns[-1]
        return started if responded is None else None


Event = tuple[datetime, str] | tuple[datetime, str, bool]


def thread_state(events: Iterable[Event]) -> ThreadState | None:
    """Turns from (time, direction[, courtesy]) events; None when no citizen message is among them.

    Page messages before the first citizen message do not count; a page message at the same
    instant as a citizen message is taken as its answer. A courtesy message (third item true)
    after an answer does not open a turn.
    """
    ordered = sorted(events, key=lambda e: (e[0], 0 if e[1] == "in" else 1))
    turns: list[list[datetime | None]] = []
    last_citizen: datetime | None = None
    first_response: datetime | None = None
    last_response: datetime | None = None
    for event in ordered:
        when, direction = event[0], event[1]
        courtesy = len(event) > 2 and bool(event[2])
        if direction == "in":
            if not turns or (turns[-1][1] is not None and not courtesy):
                turns.append([when, None])
            last_citizen = when
        elif turns:
            if turns[-1][1] is None:
                turns[-1][1] = when
                first_response = first_response or when
            last_response = when
    if not turns or last_citizen is None:
        return None
    opened = turns[0][0]
    assert opened is not None
    return ThreadState(
        opened_at=opened,
        turns=tuple((s, r) for s, r in turns if s is not None),
        last_citizen_at=last_citizen,
        first_response_at=first_response,
        last_response_at=last_response,
    )


def _private_reply_time(session: Session, channel_id: int, top: Message | None) -> datetime | None:
    conversation = private_conversation(top) if top is not None else None
    if top is None or conversation is None:
        return None
    return session.scalar(
        select(func.min(Message.created_at)).where(
            Message.channel_id == channel_id,
            Message.thread_key == conversation,
            Message.direction == "out",
            Message.created_at >= top.created_at,
        )
    )


@dataclass
class CaseChanges:
    added: int = 0
    updated: int = 0
    tips_added: int = 0


def recompute_cases(
    session: Session,
    channel: ChannelRef,
    thread_keys: Iterable[str],
    *,
    now: datetime,
    actor: str,
    model: TriageModel | object | None = _CHAMPION,
) -> CaseChanges:
    """Derive the cases of these threads from their stored messages, a chunk of threads per query.

    Deterministic in the stored messages (and the officers' corrections) only, so arrival order
    and reruns give the same rows. `model`: the triage model (default: the session's champion).
    """
    chosen = triage_model_for(session) if model is _CHAMPION else model
    assert chosen is None or isinstance(chosen, TriageModel)
    changes = CaseChanges()
    for chunk in chunks(sorted(set(thread_keys)), CHUNK):
        by_thread: dict[str, list[Message]] = {}
        for message in session.scalars(
            select(Message)
            .where(Message.channel_id == channel.id, Message.thread_key.in_(chunk))
            .order_by(Message.thread_key, Message.created_at, Message.id)
        ):
            by_thread.setdefault(message.thread_key, []).append(message)
        cases = {
            c.thread_key: c
            for c in session.scalars(
                select(Case).where(Case.channel_id == channel.id, Case.thread_key.in_(chunk))
            )
        }
        corrections = corrections_of(session, [case.id for case in cases.values()])
        derived: list[tuple[Case, ThreadState, list[Message]]] = []
        for thread_key, messages in by_thread.items():
            case = cases.get(thread_key)
            correction = corrections.get(case.id) if case is not None else None
            outcome = _derive(session, channel, thread_key, messages, case, now, chosen, correction)
            if outcome is None:
                continue
            case, state, added, updated = outcome
            changes.added += added
            changes.updated += updated
            derived.append((case, state, messages))
        session.flush()  # ids of new cases
        case_ids = [case.id for case, _, _ in derived]
        turns: dict[int, list[CaseTurn]] = {}
        tips: dict[int, Tip] = {}
        if case_ids:
            for turn in session.scalars(select(CaseTurn).where(CaseTurn.case_id.in_(case_ids))):
                turns.setdefault(turn.case_id, []).append(turn)
            tips = {
                t.case_id: t for t in session.scalars(select(Tip).where(Tip.case_id.in_(case_ids)))
            }
        new_tips: list[tuple[Case, datetime, Sequence[Message]]] = []
        for case, state, messages in derived:
            for message in messages:
                if message.case_id is None:
                    message.case_id = case.id
            _sync_turns(session, case.id, state, turns.get(case.id, []))
            if case.category == "tip":
                received = _tip_received(case, messages)
                tip = tips.get(case.id)
                if tip is None:
                    new_tips.append((case, received, messages))
                else:
                    reopen_if_corrected(session, tip, corrections.get(case.id), now, actor)
                    _update_tip(tip, case, received, messages, now)
        changes.tips_added += _insert_tips(session, new_tips, now=now, actor=actor)
        session.flush()
    return changes


def _derive(
    session: Session,
    channel: ChannelRef,
    thread_key: str,
    messages: Sequence[Message],
    case: Case | None,
    now: datetime,
    model: TriageModel | None,
    correction: TriageCorrection | None,
) -> tuple[Case, ThreadState, int, int] | None:
    """(case, state, added, updated) for one thread; None when no citizen message is in it."""
    from citizen_desk.triage.courtesy import is_courtesy

    events: list[Event] = [
        (m.created_at, m.direction, is_courtesy(m.text, sticker=is_sticker(m.raw)))
        if m.direction == "in"
        else (m.created_at, m.direction)
        for m in messages
    ]
    top = next((m for m in messages if m.platform_message_id == thread_key), None)
    if messages[0].kind == "comment":
        private = _private_reply_time(session, channel.id, top)
        if private is not None:
            events.append((private, "out"))
    state = thread_state(events)
    if state is None:
        return None
    citizen_messages = [m for m in messages if m.direction == "in"]
    from citizen_desk.triage import classify_case

    triage = classify_case([m.text for m in citizen_messages], model=model)
    values: dict[str, Any] = {
        "unit_id": channel.unit_id,
        "citizen_id": next((m.citizen_id for m in citizen_messages if m.citizen_id), None),
        "kind": messages[0].kind,
        "category": triage.category,
        "topic": triage.topic,
        "urgent": bool(triage.urgent),
        # the explanation of the urgent call (vocabulary cues, in the writers' words)
        "urgency_cues": list(triage.urgency_cues) or None,
        "triage_confidence": float(triage.confidence),
        "needs_human_triage": bool(triage.needs_human),
        "triage_model": model.version if model is not None else None,
        "status": "open" if state.awaiting_since else "answered",
        "opened_at": state.opened_at,
        "turn_no": len(state.turns),
        "awaiting_since": state.awaiting_since,
        "last_citizen_at": state.last_citizen_at,
        "first_response_at": state.first_response_at,
        "last_response_at": state.last_response_at,
    }
    if correction is not None:
        apply_correction(values, correction, citizen_messages)
    permalink = (top.raw or {}).get("permalink_url") if top is not None else None
    if isinstance(permalink, str):
        values["permalink"] = permalink[:512]
    if case is None:
        case = Case(channel_id=channel.id, thread_key=thread_key, updated_at=now, **values)
        session.add(case)
        return case, state, 1, 0
    if case.status == "closed" and len(state.turns) <= case.turn_no:
        values["status"] = "closed"  # closed by an officer; only a new turn reopens it
    changed = [k for k, v in values.items() if getattr(case, k) != v]
    for name in changed:
        setattr(case, name, values[name])
    if changed:
        case.updated_at = now
    return case, state, 0, int(bool(changed))


def _sync_turns(
    session: Session, case_id: int, state: ThreadState, existing_turns: Sequence[CaseTurn]
) -> None:
    existing = {t.turn_no: t for t in existing_turns}
    for number, (started, responded) in enumerate(state.turns, start=1):
        turn = existing.pop(number, None)
        if turn is None:
            session.add(
                CaseTurn(
                    case_id=case_id, turn_no=number, started_at=started, responded_at=responded
                )
            )
        elif (turn.started_at, turn.responded_at) != (started, responded):
            turn.started_at, turn.responded_at = started, responded
    for stale in existing.values():  # turns only merge if history was rewritten
        session.delete(stale)


def _tip_received(case: Case, messages: Sequence[Message]) -> datetime:
    """When the tip came in: its first citizen message triaged as a tip, else the case's start."""
    return next(
        (m.created_at for m in messages if m.direction == "in" and m.category == "tip"),
        case.opened_at,
    )


def _insert_tips(
    session: Session,
    new_tips: Sequence[tuple[Case, datetime, Sequence[Message]]],
    *,
    now: datetime,
    actor: str,
) -> int:
    """Create the tips (status new) of `tip` cases that have none, in one statement; returns how
    many this call created (a concurrent run may have created some first)."""
    if not new_tips:
        return 0
    rows = [
        {
            "case_id": case.id,
            "unit_id": case.unit_id,
            "status": "new",
            "urgent": case.urgent,
            "received_at": received,
            "urgent_since": urgent_since(messages, received) if case.urgent else None,
            "escalation_level": -1,
            "extension_seconds": 0,
            "updated_at": now,
        }
        for case, received, messages in new_tips
    ]
    stmt = (
        dialect_insert(session, Tip)
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(Tip.id, Tip.case_id)
    )
    created = dict(session.execute(stmt, rows).tuples().all())
    cases = {case.id: case for case, _, _ in new_tips}
    for tip_id, case_id in sorted(created.items()):
        case = cases[case_id]
        record_audit(
            session,
            entity_type="tip",
            entity_id=tip_id,
            action="tip_received",
            actor=actor,
            at=now,
            after={"status": "new", "urgent": bool(case.urgent), "case": case.reference},
        )
    return len(created)


def urgent_since(messages: Sequence[Message], received: datetime) -> datetime:
    """When a tip became urgent: its first citizen message triaged urgent, else (the thread read
    as a whole is urgent) its latest citizen message; never before the tip came in."""
    citizen = [m for m in messages if m.direction == "in"]
    first_urgent = next((m.created_at for m in citizen if m.urgent), None)
    since = first_urgent or max((m.created_at for m in citizen), default=received)
    return max(since, received)


def _update_tip(
    tip: Tip, case: Case, received: datetime, messages: Sequence[Message], now: datetime
) -> None:
    """Never downgrades: urgency only ever goes up automatically (and records since when); an
    earlier tip message that arrived late moves `received_at` back."""
    changed = False
    if case.urgent and not tip.urgent:
        tip.urgent = True
        tip.urgent_since = urgent_since(messages, received)
        changed = True
    if received < tip.received_at:
        tip.received_at = received
        changed = True
    if changed:
        tip.updated_at = now
