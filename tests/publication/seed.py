"""A crafted week (2026-W47, 16/11–22/11/2026) and the week before, for the publication tests.

Unit TH-NS-NGATHUY (Facebook page + Zalo OA), Asia/Ho_Chi_Minh local times:

questions (case category `question`, SLA 8 working hours, Facebook 24 h reply window)
  Q1  Mon 16 08:00 → 09:00          1 h working, met; turn 2 Wed 18 10:00 → 10:15, met
  Q2  Mon 16 16:00 → Tue 08:30      2 h working, met
  Q3  Tue 17 09:00 → Wed 18 15:00   11.5 h working, late (24 h window ends Wed 09:00)
  Q4  Thu 19 10:00 → 10:30          0.5 h, met
  Q5  Sat 21 10:00 → Mon 23 08:00   not answered in the week; past due at its end (overdue)
  Q6  Fri 13 10:00 (W46) → Mon 16 08:00   5.5 h working, late; answered in W47
tip case first reply (wall clock): Tue 17 20:00 → 21:00 (1 h)
lost & found first reply (wall clock): Wed 18 12:00 → 12:30 (0.5 h), case closed

W47 answered question turns: Q1, Q1/2, Q2, Q3, Q4, Q6 = 6; within SLA: Q1, Q1/2, Q2, Q4 = 4.
First responses (turn 1, replied in W47): 1, 2, 11.5, 0.5, 5.5, 1, 0.5 h
  → median 1 h, p90 = 5.5 + 0.4 × 6 = 7.9 h (7 h 54 min).

tips: T1 received Mon 16, verified Thu 19 (public outcome); T2 received Tue 17, still new;
      T3 received W46, unfounded Wed 18; T4 received W46, verifying; T5 received W45, forwarded
      in W46.  W47: received 2, verified 1, unfounded 1, forwarded 0, open 2.
                W46: received 2, forwarded 1, open 2 (T3, T4).

inbound messages W47: question 6, tip 2, feedback 4, lost_found 1, abuse 1 = 14 (+1 outbound)
                 W46: question 1, tip 2 = 3
Unit TH (province page): 2 question messages in W47, none answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import (
    Case,
    CaseTurn,
    Channel,
    Citizen,
    CollectionRun,
    Message,
    Tip,
    Unit,
)
from citizen_desk.publication.period import WeekPeriod

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ZONE = "Asia/Ho_Chi_Minh"
PERIOD = WeekPeriod(2026, 47, ZONE)
UNIT = "TH-NS-NGATHUY"
FB = "fb-th-ns-ngathuy"
ZALO = "zalo-th-ns-ngathuy"
INFORMANT = "Lê Thị Hoa"
OUTCOME = "Đã xác minh, xử lý 2 đối tượng tổ chức đánh bạc tại thôn 3."
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 local, the run's reference time


def lt(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026, local time → aware UTC."""
    return datetime.combine(date(2026, 11, day), time(hour, minute), tzinfo=TZ).astimezone(UTC)


@dataclass
class Seeded:
    units: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    tips: dict[str, int] = field(default_factory=dict)


class _Builder:
    """Collects rows with explicit ids; `flush()` inserts them table by table (fast on SQLite)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seq = 1000
        self.rows: dict[type, list] = {t: [] for t in (Citizen, Case, CaseTurn, Message, Tip)}
        self.units = {u.code: u.id for u in session.scalars(select(Unit))}
        self.channels = {c.key: c for c in session.scalars(select(Channel))}

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def citizen(self, channel: str, name: str) -> Citizen:
        n = self._next()
        citizen = Citizen(
            id=n,
            channel_id=self.channels[channel].id,
            platform_user_id=f"psid-{n:04d}",
            protected_display_name=name,
            first_seen_at=lt(1, 8),
        )
        self.rows[Citizen].append(citizen)
        return citizen

    def message(
        self,
        channel: str,
        at: datetime,
        category: str | None,
        case: Case | None = None,
        direction: str = "in",
    ) -> None:
        n = self._next()
        self.rows[Message].append(
            Message(
                id=n,
                channel_id=self.channels[channel].id,
                platform_message_id=f"m-{n:05d}",
                direction=direction,
                kind="messenger",
                thread_key=case.thread_key if case else f"t-{n}",
                citizen_id=case.citizen_id if case else None,
                case_id=case.id if case else None,
                text="…",
                created_at=at,
                category=category,
                collected_at=at,
            )
        )

    def case(
        self,
        channel: str,
        category: str,
        turns: list[tuple[datetime, datetime | None]],
        *,
        status: str = "answered",
        name: str = "Người dân",
        messages: bool = True,
    ) -> Case:
        n = self._next()
        ch = self.channels[channel]
        citizen = self.citizen(channel, name)
        last_start, last_reply = turns[-1]
        case = Case(
            id=n,
            channel_id=ch.id,
            unit_id=ch.unit_id,
            citizen_id=citizen.id,
            thread_key=f"thread-{n}",
            kind="messenger",
            category=category,
            status=status,
            opened_at=turns[0][0],
            turn_no=len(turns),
            awaiting_since=None if last_reply else last_start,
            last_citizen_at=last_start,
            first_response_at=turns[0][1],
            last_response_at=last_reply,
            updated_at=last_reply or last_start,
        )
        self.rows[Case].append(case)
        for number, (started, responded) in enumerate(turns, start=1):
            self.rows[CaseTurn].append(
                CaseTurn(
                    id=self._next(),
                    case_id=case.id,
                    turn_no=number,
                    started_at=started,
                    responded_at=responded,
                )
            )
            if messages:
                self.message(channel, started, category, case)
                if responded:
                    self.message(channel, responded, None, case, direction="out")
        return case

    def tip(
        self,
        name: str,
        received: datetime,
        status: str,
        closed: datetime | None = None,
        outcome: str | None = None,
        message: bool = True,
    ) -> Tip:
        case = self.case(FB, "tip", [(received, None)], status="open", name=name, messages=message)
        tip = Tip(
            id=self._next(),
            case_id=case.id,
            unit_id=self.units[UNIT],
            status=status,
            received_at=received,
            verified_at=closed if status in ("verified", "unfounded") else None,
            verified_by="can.bo.a" if status in ("verified", "unfounded") else None,
            closed_at=closed,
            forwarded_to="Công an huyện Nga Sơn" if status == "forwarded" else None,
            public_outcome=outcome,
            public_outcome_by="can.bo.a" if outcome else None,
            updated_at=closed or received,
        )
        self.rows[Tip].append(tip)
        return tip

    def flush(self) -> None:
        for rows in self.rows.values():  # parents first
            self.session.add_all(rows)
            self.session.flush()


def seed_week(session: Session) -> Seeded:
    """Insert the crafted week into a synced database (see the module docstring)."""
    b = _Builder(session)
    q1 = b.case(FB, "question", [(lt(16, 8), lt(16, 9)), (lt(18, 10), lt(18, 10, 15))])
    b.case(FB, "question", [(lt(16, 16), lt(17, 8, 30))])
    b.case(FB, "question", [(lt(17, 9), lt(18, 15))])
    b.case(FB, "question", [(lt(19, 10), lt(19, 10, 30))])
    b.case(FB, "question", [(lt(21, 10), lt(23, 8))])
    b.case(FB, "question", [(lt(13, 10), lt(16, 8))])
    assert q1.turn_no == 2
    # tip case with a wall-clock first reply (its turns are separate from the Tip rows below)
    b.case(FB, "tip", [(lt(17, 20), lt(17, 21))], messages=False)
    b.case(FB, "lost_found", [(lt(18, 12), lt(18, 12, 30))], status="closed")
    for day in (16, 17, 18, 19):
        b.message(FB, lt(day, 14), "feedback")
    b.message(FB, lt(20, 22), "abuse")

    t1 = b.tip(INFORMANT, lt(16, 9), "verified", closed=lt(19, 15), outcome=OUTCOME)
    t2 = b.tip("Trần Văn Bình", lt(17, 11), "new")
    t3 = b.tip("Phạm Thị Lan", lt(11, 9), "unfounded", closed=lt(18, 10))
    t4 = b.tip("Đỗ Văn Nam", lt(12, 9), "verifying")
    t5 = b.tip("Vũ Thị Mai", lt(5, 9), "forwarded", closed=lt(10, 10), message=False)

    b.message("fb-th", lt(17, 9), "question")
    b.message("fb-th", lt(19, 9), "question")
    b.flush()
    for channel in b.channels.values():  # the collection after the week that figures wait for
        session.add(
            CollectionRun(
                run_id="seed-collection",
                channel_id=channel.id,
                status="success",
                started_at=lt(23, 0, 5),
                finished_at=lt(23, 0, 9),
            )
        )
    session.flush()
    return Seeded(
        units=b.units,
        channels={k: c.id for k, c in b.channels.items()},
        tips={"T1": t1.id, "T2": t2.id, "T3": t3.id, "T4": t4.id, "T5": t5.id},
    )


def seeded_delta() -> timedelta:
    """The crafted p90 of first responses: 7.9 h."""
    return timedelta(hours=7, minutes=54)
