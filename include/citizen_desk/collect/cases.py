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
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from citizen_desk import triage as triage_package
from citizen_desk.collect.case_tips import NewTip, insert_tips, tip_received, update_tip
from citizen_desk.collect.channels import CHUNK, ChannelRef
from citizen_desk.collect.corrected import apply_correction, corrections_of, reopen_if_corrected
from citizen_desk.collect.new_messages import NewMessages
from citizen_desk.collect.records import STORED_COLUMNS, StoredMessage
from citizen_desk.db.batching import chunks
from citizen_desk.db.bulk import insert_rows, update_by_id
from citizen_desk.db.models import Case, CaseTurn, Message, Tip, TriageCorrection
from citizen_desk.db.models.base import Base
from citizen_desk.learning.champion import triage_model_for
from citizen_desk.triage.classify import case_of
from citizen_desk.triage.courtesy import is_courtesy
from citizen_desk.triage.model import TriageModel
from citizen_desk.triage.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from citizen_desk.triage.classify import Triage

_CHAMPION = object()  # recompute_cases(model=...): the session's model (`learning.champion`)
TURN_COLUMNS = ("case_id", "turn_no", "started_at", "responded_at")


def private_conversation(message: Message | StoredMessage) -> str | None:
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


def _private_replies(
    session: Session,
    channel_id: int,
    by_thread: Mapping[str, Sequence[StoredMessage]],
    pending: NewMessages | None,
) -> dict[str, datetime]:
    """When each comment thread answered by a private reply was answered: the first page message
    of its Messenger conversation at or after the comment (one query for the chunk)."""
    asked: dict[str, tuple[str, datetime]] = {}
    for thread_key, messages in by_thread.items():
        top = next((m for m in messages if m.platform_message_id == thread_key), None)
        conversation = private_conversation(top) if top is not None else None
        if messages[0].kind == "comment" and top is not None and conversation is not None:
            asked[thread_key] = (conversation, top.created_at)
    if not asked:
        return {}
    sent: dict[str, list[datetime]] = {}
    conversations = sorted({conversation for conversation, _ in asked.values()})
    for keys in chunks(conversations, CHUNK):
        for conversation, when in session.execute(
            select(Message.thread_key, Message.created_at).where(
                Message.channel_id == channel_id,
                Message.thread_key.in_(keys),
                Message.direction == "out",
            )
        ):
            sent.setdefault(conversation, []).append(when)
    answered: dict[str, datetime] = {}
    for thread_key, (conversation, since) in asked.items():
        times = [t for t in sent.get(conversation, ()) if t >= since]
        if pending is not None and (new := pending.first_reply(conversation, since)) is not None:
            times.append(new)
        if times:
            answered[thread_key] = min(times)
    return answered


@dataclass
class CaseChanges:
    added: int = 0
    updated: int = 0
    tips_added: int = 0


@dataclass(frozen=True)
class _Derived:
    """One derived case: its id, its derived columns, its turns and messages."""

    case_id: int
    values: Mapping[str, Any]
    state: ThreadState
    messages: Sequence[StoredMessage]
    new: bool


def recompute_cases(
    session: Session,
    channel: ChannelRef,
    thread_keys: Iterable[str],
    *,
    now: datetime,
    actor: str,
    model: TriageModel | object | None = _CHAMPION,
    pending: NewMessages | None = None,
) -> CaseChanges:
    """Derive the cases of these threads from their messages, a chunk of threads at a time in a
    few set-based statements (no ORM object per message, case or turn).

    Deterministic in the messages (and the officers' corrections) only, so arrival order and
    reruns give the same rows. `model`: the triage model (default: the session's champion).
    `pending`: a batch's new messages, not stored yet: each is derived beside its thread's stored
    ones with the triage it was stored with (each message is triaged once; the stored ones are
    triaged here), then inserted with its case id.
    """
    chosen = triage_model_for(session) if model is _CHAMPION else model
    assert chosen is None or isinstance(chosen, TriageModel)
    changes = CaseChanges()
    redo: set[str] = set()
    for chunk in chunks(sorted(set(thread_keys)), CHUNK):
        redo |= _recompute_chunk(session, channel, chunk, now, actor, chosen, pending, changes)
    if redo:  # a message's key was taken meanwhile: derive those threads from what is stored
        for chunk in chunks(sorted(redo), CHUNK):
            _recompute_chunk(session, channel, chunk, now, actor, chosen, None, changes)
    return changes


def _stored(
    session: Session, channel_id: int, thread_keys: Sequence[str]
) -> dict[str, list[StoredMessage]]:
    by_thread: dict[str, list[StoredMessage]] = {}
    for row in session.execute(
        select(*STORED_COLUMNS)
        .where(Message.channel_id == channel_id, Message.thread_key.in_(thread_keys))
        .order_by(Message.thread_key, Message.created_at, Message.id)
    ):
        message = StoredMessage(*row)
        by_thread.setdefault(message.thread_key, []).append(message)
    return by_thread


def _with_pending(
    stored: dict[str, list[StoredMessage]], thread_keys: Sequence[str], pending: NewMessages | None
) -> dict[str, list[StoredMessage]]:
    """Each thread's messages in order (time, then id): the stored ones, then the new ones in the
    batch's order, which is the order their ids will have."""
    if pending is None:
        return stored
    merged: dict[str, list[StoredMessage]] = {}
    for key in thread_keys:
        old = stored.get(key, [])
        new = pending.take(key, (m.platform_message_id for m in old))
        if new:
            merged[key] = sorted(old + new, key=lambda m: m.created_at)  # stable
        elif old:
            merged[key] = old
    return merged


def _recompute_chunk(
    session: Session,
    channel: ChannelRef,
    thread_keys: Sequence[str],
    now: datetime,
    actor: str,
    model: TriageModel | None,
    pending: NewMessages | None,
    changes: CaseChanges,
) -> set[str]:
    """Derive one chunk of threads; returns the threads whose new messages were not all
    inserted (see `recompute_cases`)."""
    stored = _stored(session, channel.id, thread_keys)
    unlinked = {key for key, ms in stored.items() if any(m.case_id is None for m in ms)}
    by_thread = _with_pending(stored, thread_keys, pending)
    cases = {
        c.thread_key: c
        for c in session.scalars(
            select(Case).where(Case.channel_id == channel.id, Case.thread_key.in_(thread_keys))
        )
    }
    corrections = corrections_of(session, [case.id for case in cases.values()])
    triaged = pending.triaged if pending is not None else {}
    private = _private_replies(session, channel.id, by_thread, pending)
    derived: list[_Derived] = []
    fresh: list[tuple[dict[str, Any], ThreadState, list[StoredMessage]]] = []
    lookups = _Lookups(load_vocabulary())  # once per chunk, not once per thread
    for thread_key, messages in by_thread.items():
        case = cases.get(thread_key)
        correction = corrections.get(case.id) if case is not None else None
        outcome = _derive(
            channel, thread_key, messages, model, correction, triaged, private.get(thread_key),
            lookups,
        )  # fmt: skip
        if outcome is None:
            continue
        values, state = outcome
        if case is None:
            fresh.append(({"channel_id": channel.id, "thread_key": thread_key, **values}, state,
                          messages))  # fmt: skip
            continue
        changes.updated += _update_case(case, values, now)
        derived.append(_Derived(case.id, values, state, messages, new=False))
    derived.extend(_insert_cases(session, fresh, now))
    changes.added += len(fresh)
    skipped: set[str] = set()
    if pending is not None:
        ids = {d.messages[0].thread_key: d.case_id for d in derived}
        skipped = pending.write(session, thread_keys, ids)
    _link_messages(
        session, channel.id, [d for d in derived if d.messages[0].thread_key in unlinked]
    )
    _sync_turns(session, derived)
    existing = [d.case_id for d in derived if not d.new]  # a new case has no tip yet
    tips: dict[int, Tip] = {}
    if existing:
        tips = {t.case_id: t for t in session.scalars(select(Tip).where(Tip.case_id.in_(existing)))}
    new_tips: list[NewTip] = []
    for item in derived:
        if item.values["category"] != "tip":
            continue
        received = tip_received(item.values["opened_at"], item.messages)
        urgent = bool(item.values["urgent"])
        tip = tips.get(item.case_id)
        if tip is None:
            new_tips.append(
                NewTip(item.case_id, item.values["unit_id"], urgent, received, item.messages)
            )
        else:
            reopen_if_corrected(session, tip, corrections.get(item.case_id), now, actor)
            update_tip(tip, urgent, received, item.messages, now)
    changes.tips_added += insert_tips(session, new_tips, now=now, actor=actor)
    session.flush()
    return skipped


@dataclass
class _Lookups:
    """What the derivation of a chunk's threads looks up: the vocabulary, loaded once, and which
    texts are courtesy replies (pure in the text: asked once per text in the chunk)."""

    vocab: Vocabulary
    courtesy: dict[tuple[str, bool], bool] = field(default_factory=dict)

    def is_courtesy(self, message: StoredMessage) -> bool:
        key = (message.text, is_sticker(message.raw))
        known = self.courtesy.get(key)
        if known is None:
            known = self.courtesy[key] = is_courtesy(key[0], sticker=key[1])
        return known


def _derive(
    channel: ChannelRef,
    thread_key: str,
    messages: Sequence[StoredMessage],
    model: TriageModel | None,
    correction: TriageCorrection | None,
    triaged: Mapping[str, Triage | None],
    private_reply: datetime | None,
    lookups: _Lookups,
) -> tuple[dict[str, Any], ThreadState] | None:
    """(the case's derived columns, its state) for one thread; None when no citizen message is in
    it. `private_reply`: when a comment thread was answered in Messenger (`_private_replies`)."""
    answers = [m.created_at for m in messages if m.direction != "in"]
    if private_reply is not None:
        answers.append(private_reply)
    # Courtesy only matters after an answer (`thread_state`): not tested before the first one.
    first_answer = min(answers, default=None)
    events: list[Event] = [
        (m.created_at, m.direction, lookups.is_courtesy(m))
        if m.direction == "in" and first_answer is not None and m.created_at > first_answer
        else (m.created_at, m.direction)
        for m in messages
    ]
    if private_reply is not None:
        events.append((private_reply, "out"))
    top = next((m for m in messages if m.platform_message_id == thread_key), None)
    state = thread_state(events)
    if state is None:
        return None
    citizen_messages = [m for m in messages if m.direction == "in"]
    vocab = lookups.vocab
    triage = case_of(
        [triaged.get(m.platform_message_id) or triage_package.classify(m.text, vocab, model)
         for m in citizen_messages],
        vocab,
        model,
    )  # fmt: skip
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
        "permalink": None,
    }
    if correction is not None:
        apply_correction(values, correction, citizen_messages)
    permalink = (top.raw or {}).get("permalink_url") if top is not None else None
    if isinstance(permalink, str):
        values["permalink"] = permalink[:512]
    return values, state


def _update_case(case: Case, values: dict[str, Any], now: datetime) -> int:
    """Bring an existing case to its derived `values` (1 when anything changed)."""
    if values["permalink"] is None:
        del values["permalink"]  # a permalink once known is kept
    if case.status == "closed" and values["turn_no"] <= case.turn_no:
        values["status"] = "closed"  # closed by an officer; only a new turn reopens it
    changed = [k for k, v in values.items() if getattr(case, k) != v]
    for name in changed:
        setattr(case, name, values[name])
    if changed:
        case.updated_at = now
    return int(bool(changed))


def _insert_cases(
    session: Session,
    fresh: Sequence[tuple[dict[str, Any], ThreadState, list[StoredMessage]]],
    now: datetime,
) -> list[_Derived]:
    """Insert new cases in one statement; each gets its id by its thread key (RETURNING both, so
    the order the database numbers the rows in does not matter)."""
    if not fresh:
        return []
    columns = (*fresh[0][0], "updated_at")
    rows = [(*(values[c] for c in columns[:-1]), now) for values, _, _ in fresh]
    returned = insert_rows(session, Case, columns, rows, returning=("thread_key", "id"))
    ids: dict[str, int] = dict(returned)
    return [
        _Derived(ids[values["thread_key"]], values, state, messages, new=True)
        for values, state, messages in fresh
    ]


def _table(model: type[Base]) -> Table:
    """A model's table: Core statements on it send rows as they are (the ORM's bulk insert
    splits them wherever the set of NULL columns changes)."""
    return cast(Table, model.__table__)


def _link_messages(session: Session, channel_id: int, derived: Sequence[_Derived]) -> None:
    """Each stored message of a derived thread not yet linked (a page message stored before the
    thread's first citizen message) gets its case id, derived in SQL."""
    threads = sorted({d.messages[0].thread_key for d in derived})
    if not threads:
        return
    messages, cases = _table(Message), _table(Case)
    case_id = (
        select(cases.c.id)
        .where(cases.c.channel_id == messages.c.channel_id)
        .where(cases.c.thread_key == messages.c.thread_key)
        .scalar_subquery()
    )
    session.execute(
        update(messages)
        .where(messages.c.channel_id == channel_id)
        .where(messages.c.thread_key.in_(threads))
        .where(messages.c.case_id.is_(None))
        .values(case_id=case_id)
    )


def _sync_turns(session: Session, derived: Sequence[_Derived]) -> None:
    """Turns as derived: new ones inserted, moved ones updated, merged ones deleted (turns only
    merge if history was rewritten), each kind in one statement."""
    turns = _table(CaseTurn)
    existing: dict[int, dict[int, tuple[int, datetime, datetime | None]]] = {}
    known = [d.case_id for d in derived if not d.new]
    for ids in chunks(known, CHUNK):
        for turn_id, case_id, number, started, responded in session.execute(
            select(turns.c.id, turns.c.case_id, turns.c.turn_no, turns.c.started_at,
                   turns.c.responded_at).where(turns.c.case_id.in_(ids))
        ):  # fmt: skip
            existing.setdefault(case_id, {})[number] = (turn_id, started, responded)
    inserts: list[tuple[int, int, datetime, datetime | None]] = []
    updates: list[dict[str, Any]] = []
    stale: list[int] = []
    for item in derived:
        old = existing.get(item.case_id, {})
        for number, (started, responded) in enumerate(item.state.turns, start=1):
            turn = old.pop(number, None)
            if turn is None:
                inserts.append((item.case_id, number, started, responded))
            elif (turn[1], turn[2]) != (started, responded):
                updates.append({"id": turn[0], "started_at": started, "responded_at": responded})
        stale.extend(turn_id for turn_id, _, _ in old.values())
    if stale:
        session.execute(delete(turns).where(turns.c.id.in_(stale)))
    if updates:
        update_by_id(session, turns, updates, ["started_at", "responded_at"])
    if inserts:
        insert_rows(session, turns, TURN_COLUMNS, inserts)
