"""Read models for the Citizen Desk pages, computed from the domain DB at a given `now`.

Everything returned here is safe to show to any logged-in officer (texts redacted, no identity),
except `case_identity`, which only the protected case view calls, after `log_identity_view`.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import deployment_zone
from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import (
    CATEGORIES,
    AuditLog,
    Case,
    Channel,
    Citizen,
    CollectionRun,
    CollectionWatermark,
    Message,
    Publication,
    Quarantine,
    Tip,
    Unit,
)
from citizen_desk.domain.labels import (
    CATEGORY_LABELS,
    COLLECTION_ERROR_LABELS,
    PLATFORM_LABELS,
    PUBLICATION_STATUS_LABELS,
    SLA_STATE_LABELS,
    category_label,
)
from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, SlaState, values
from citizen_desk.errors import NotFoundError

EXCERPT_CHARS = 160
STALE_WATERMARK = timedelta(hours=6)
FAILED_RUN_STATUSES = frozenset({"failed", "error", "upstream_failed"})
IDENTITY_VIEWED = "identity_viewed"

SLA_STATES = values(SlaState)
_TOKEN_ERROR = re.compile(
    r"token|oauth|expired|invalid_auth|\(#190\)|code[ =:]*190\b|-216|-124", re.IGNORECASE
)
_RATE_ERROR = re.compile(
    r"rate[ _-]?limit|\b429\b|too many requests|throttl"
    r"|\(#(4|17|32|613)\)|code[ =:]*(4|17|32|613)\b",
    re.IGNORECASE,
)


# --- units -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitOption:
    id: int
    code: str
    name: str
    kind: str
    depth: int
    parent_id: int | None


def unit_tree(session: Session, *, include_inactive: bool = False) -> list[UnitOption]:
    """Units in tree order (province, its districts, their communes...), with their depth."""
    query = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.active)
    rows = [r for r in session.execute(query) if include_inactive or r.active]
    ids = {r.id for r in rows}
    children: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        parent = row.parent_id if row.parent_id in ids else None
        children[parent].append(row)
    ordered: list[UnitOption] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in sorted(children.get(parent, ()), key=lambda r: r.code):
            ordered.append(UnitOption(row.id, row.code, row.name, row.kind, depth, row.parent_id))
            walk(row.id, depth + 1)

    walk(None, 0)
    return ordered


def subtree_ids(units: Sequence[UnitOption], code: str) -> set[int]:
    """Ids of the unit `code` and every unit below it (NotFoundError if unknown)."""
    by_code = {u.code: u for u in units}
    if code not in by_code:
        raise NotFoundError(f"không có đơn vị {code!r}")
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit.id)
    found: set[int] = set()
    stack = [by_code[code].id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


def _ancestors_map(units: Sequence[UnitOption]) -> dict[int, list[int]]:
    """unit id -> itself and all its ancestors (to add a unit's figures to every level above)."""
    parent = {u.id: u.parent_id for u in units}
    chains: dict[int, list[int]] = {}
    for unit in units:
        chain, current, seen = [], unit.id, set()
        while current is not None and current in parent and current not in seen:
            seen.add(current)
            chain.append(current)
            current = parent[current]
        chains[unit.id] = chain
    return chains


# --- SLA state -------------------------------------------------------------------------------


def sla_state(
    *, warn_at: datetime | None, due_at: datetime | None, breached: bool, now: datetime
) -> str:
    """breach | warning | ok | none (no reply deadline for this case)."""
    if breached or (due_at is not None and now >= due_at):
        return "breach"
    if due_at is None:
        return "none"
    if warn_at is not None and now >= warn_at:
        return "warning"
    return "ok"


def week_start(now: datetime) -> datetime:
    """Monday 00:00 (Asia/Ho_Chi_Minh) of `now`'s week."""
    local = now.astimezone(deployment_zone())
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday


# --- overview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSummary:
    """Figures of a unit including every unit below it."""

    code: str
    name: str
    kind: str
    depth: int
    open_questions: int
    sla_warnings: int
    sla_breaches: int
    open_tips: int
    tips_by_level: Mapping[int, int]
    median_first_response: timedelta | None
    first_responses: int

    def as_json(self) -> dict[str, Any]:
        median = self.median_first_response
        return {
            "unit": self.code,
            "name": self.name,
            "kind": self.kind,
            "depth": self.depth,
            "open_questions": self.open_questions,
            "sla_warnings": self.sla_warnings,
            "sla_breaches": self.sla_breaches,
            "open_tips": self.open_tips,
            "open_tips_by_level": {str(k): v for k, v in sorted(self.tips_by_level.items())},
            "median_first_response_seconds": None if median is None else median.total_seconds(),
            "first_responses_this_week": self.first_responses,
        }


def overview(session: Session, *, now: datetime) -> list[UnitSummary]:
    """Per unit (tree order, each figure including the units below): the overview page."""
    units = unit_tree(session)
    chains = _ancestors_map(units)
    questions: dict[int, int] = defaultdict(int)
    warnings: dict[int, int] = defaultdict(int)
    breaches: dict[int, int] = defaultdict(int)
    tips: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    responses: dict[int, list[float]] = defaultdict(list)

    def add(unit_id: int, target: dict[int, Any], value: Any = 1) -> None:
        for ancestor in chains.get(unit_id, ()):
            if isinstance(value, dict):
                for key, count in value.items():
                    target[ancestor][key] += count
            elif isinstance(value, float):
                target[ancestor].append(value)
            else:
                target[ancestor] += value

    open_cases = session.execute(
        select(
            Case.unit_id, Case.category, Case.sla_warn_at, Case.sla_due_at, Case.sla_breached
        ).where(Case.status == "open")
    )
    for unit_id, category, warn_at, due_at, breached in open_cases:
        if category == "question":
            add(unit_id, questions)
        state = sla_state(warn_at=warn_at, due_at=due_at, breached=breached, now=now)
        if state == "breach":
            add(unit_id, breaches)
        elif state == "warning":
            add(unit_id, warnings)

    tip_rows = session.execute(
        select(Tip.unit_id, Tip.escalation_level, func.count())
        .where(Tip.status.in_(sorted(OPEN_TIP_STATUSES)))
        .group_by(Tip.unit_id, Tip.escalation_level)
    )
    for unit_id, level, count in tip_rows:
        add(unit_id, tips, {level: count})

    start = week_start(now)
    answered = session.execute(
        select(Case.unit_id, Case.opened_at, Case.first_response_at).where(
            Case.first_response_at.is_not(None),
            Case.first_response_at >= start,
            Case.first_response_at <= now,
        )
    )
    for unit_id, opened_at, first_response_at in answered:
        add(unit_id, responses, max((first_response_at - opened_at).total_seconds(), 0.0))

    summaries = []
    for unit in units:
        durations = responses.get(unit.id, [])
        by_level = dict(tips.get(unit.id, {}))
        summaries.append(
            UnitSummary(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                depth=unit.depth,
                open_questions=questions.get(unit.id, 0),
                sla_warnings=warnings.get(unit.id, 0),
                sla_breaches=breaches.get(unit.id, 0),
                open_tips=sum(by_level.values()),
                tips_by_level=by_level,
                median_first_response=(
                    timedelta(seconds=statistics.median(durations)) if durations else None
                ),
                first_responses=len(durations),
            )
        )
    return summaries


# --- links to the platforms ----------------------------------------------------------------------


def safe_external_url(url: str | None) -> str | None:
    """Only http(s) links are rendered (a stored `javascript:` URL would run in our origin)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def conversation_url(platform: str, page_id: str, permalink: str | None) -> str | None:
    """Where an officer answers the citizen: the case's permalink, else the page's inbox.

    The fallback is the page-level inbox (Meta Business Suite for a Facebook page, the OA chat
    manager for Zalo): a link naming the conversation would carry the citizen's platform user id
    (PSID / Zalo uid), which is identity and must not appear in our pages.
    """
    if link := safe_external_url(permalink):
        return link
    if platform == "facebook":
        return "https://business.facebook.com/latest/inbox/all?" + urlencode({"asset_id": page_id})
    if platform == "zalo":
        return "https://oa.zalo.me/chatv2?" + urlencode({"oaid": page_id})
    return None


def post_url(platform: str, platform_post_id: str | None) -> str | None:
    """Public URL of a published page post (Facebook post ids are `{page}_{post}`)."""
    if not platform_post_id:
        return None
    if platform == "facebook":
        return f"https://www.facebook.com/{quote(platform_post_id, safe='_')}"
    return None


# --- redaction -------------------------------------------------------------------------------


def _names_by_case(session: Session, case_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    from citizen_desk.tips.views import protected_names_by_case

    return protected_names_by_case(session, case_ids)


def redact_text(text: str, names: Sequence[str]) -> str:
    from citizen_desk.privacy import redact

    return redact(text or "", names=tuple(names))


def excerpt(text: str, names: Sequence[str], limit: int = EXCERPT_CHARS) -> str:
    """Redacted first (nothing cut mid-name), then shortened at a word boundary."""
    clean = " ".join(redact_text(text, names).split())
    if len(clean) <= limit:
        return clean
    cut = clean[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


# --- SLA board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRow:
    case_id: int
    reference: str
    unit_code: str
    unit_name: str
    channel_key: str
    channel_name: str
    platform: str
    category: str
    topic: str | None
    urgent: bool
    state: str
    waiting_since: datetime
    age: timedelta
    due_at: datetime | None
    time_left: timedelta | None
    excerpt: str
    conversation_url: str | None

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def state_label(self) -> str:
        return SLA_STATE_LABELS[self.state]


SLA_BOARD_ROWS = 500  # the nearest deadlines; filters narrow the rest down
TIPS_PER_PAGE = 100


@dataclass(frozen=True)
class Paging:
    """One page of a filtered list, with links that keep the filters."""

    page: int
    pages: int
    total: int
    start: int
    stop: int
    previous_query: str | None
    next_query: str | None

    @classmethod
    def of(cls, total: int, page: int, per_page: int, filters: dict[str, Any]) -> Paging:
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)

        def query(number: int) -> str:
            values = {k: v for k, v in filters.items() if v not in (None, "")}
            return urlencode({**values, **({"page": number} if number > 1 else {})})

        return cls(
            page=page,
            pages=pages,
            total=total,
            start=(page - 1) * per_page,
            stop=min(page * per_page, total),
            previous_query=query(page - 1) if page > 1 else None,
            next_query=query(page + 1) if page < pages else None,
        )


@dataclass(frozen=True)
class SlaFilters:
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    state: str | None = None

    def query(self, **changes: str | None) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v})


def sla_board(
    session: Session, *, now: datetime, filters: SlaFilters = SlaFilters(), limit: int = 500
) -> list[SlaRow]:
    """Open cases, the nearest (or longest past) reply deadline first."""
    query = (
        select(Case, Unit.code, Unit.name, Channel.key, Channel.name, Channel.platform)
        .join(Unit, Case.unit_id == Unit.id)
        .join(Channel, Case.channel_id == Channel.id)
        .where(Case.status == "open")
    )
    if filters.unit:
        query = query.where(Case.unit_id.in_(subtree_ids(unit_tree(session), filters.unit)))
    if filters.category:
        if filters.category not in CATEGORIES:
            raise NotFoundError(f"không có loại {filters.category!r}")
        query = query.where(Case.category == filters.category)
    if filters.channel:
        query = query.where(Channel.key == filters.channel)
    if filters.state and filters.state not in SLA_STATES:
        raise NotFoundError(f"không có trạng thái {filters.state!r}")
    query = query.order_by(Case.sla_due_at.is_(None), Case.sla_due_at, Case.awaiting_since, Case.id)
    rows = []
    for case, unit_code, unit_name, channel_key, channel_name, platform in session.execute(query):
        state = sla_state(
            warn_at=case.sla_warn_at, due_at=case.sla_due_at, breached=case.sla_breached, now=now
        )
        if filters.state and state != filters.state:
            continue
        rows.append((case, unit_code, unit_name, channel_key, channel_name, platform, state))
        if len(rows) >= limit:
            break
    case_ids = [row[0].id for row in rows]
    latest = _latest_inbound(session, case_ids)
    names = _names_by_case(session, case_ids)
    page_ids = dict(session.execute(select(Channel.key, Channel.platform_id)).all())
    result = []
    for case, unit_code, unit_name, channel_key, channel_name, platform, state in rows:
        waiting_since = case.awaiting_since or case.opened_at
        result.append(
            SlaRow(
                case_id=case.id,
                reference=case.reference,
                unit_code=unit_code,
                unit_name=unit_name,
                channel_key=channel_key,
                channel_name=channel_name,
                platform=platform,
                category=case.category,
                topic=case.topic,
                urgent=case.urgent,
                state=state,
                waiting_since=waiting_since,
                age=now - waiting_since,
                due_at=case.sla_due_at,
                time_left=None if case.sla_due_at is None else case.sla_due_at - now,
                excerpt=excerpt(latest.get(case.id, ""), names.get(case.id, ())),
                conversation_url=conversation_url(
                    platform, page_ids.get(channel_key, ""), case.permalink
                ),
            )
        )
    return result


def _latest_inbound(session: Session, case_ids: Sequence[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    latest: dict[int, str] = {}
    rows = session.execute(
        select(Message.case_id, Message.text)
        .where(Message.case_id.in_(case_ids), Message.direction == "in")
        .order_by(Message.case_id, Message.created_at.desc(), Message.id.desc())
    )
    for case_id, text in rows:
        latest.setdefault(case_id, text or "")
    return latest


def filter_options(session: Session) -> dict[str, Any]:
    channels = session.execute(
        select(Channel.key, Channel.name, Channel.platform)
        .where(Channel.active.is_(True))
        .order_by(Channel.key)
    ).all()
    return {
        "units": unit_tree(session),
        "categories": [(c, CATEGORY_LABELS.get(c, c)) for c in CATEGORIES],
        "channels": [(key, f"{name} ({PLATFORM_LABELS.get(p, p)})") for key, name, p in channels],
        "states": list(SLA_STATE_LABELS.items()),
    }


# --- case view -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    at: datetime
    direction: str
    kind: str
    sender: int | None  # 1, 2...: the case's citizens in order of first message; None: the page
    text: str


@dataclass(frozen=True)
class CaseView:
    case_id: int
    reference: str
    unit_code: str
    unit_name: str
    channel_key: str
    channel_name: str
    platform: str
    kind: str
    category: str
    topic: str | None
    urgent: bool
    status: str
    opened_at: datetime
    waiting_since: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None
    state: str
    turn_no: int
    conversation_url: str | None
    tip_id: int | None
    messages: tuple[MessageView, ...]
    redacted: bool

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def state_label(self) -> str:
        return SLA_STATE_LABELS[self.state]


@dataclass(frozen=True)
class CitizenIdentity:
    sender: int
    display_name: str | None
    platform_user_id: str
    profile: tuple[tuple[str, str], ...]


def case_view(session: Session, case_id: int, *, now: datetime, redacted: bool = True) -> CaseView:
    """The case and its messages; texts redacted unless `redacted=False` (identity view only)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    unit = session.get(Unit, case.unit_id)
    channel = session.get(Channel, case.channel_id)
    if unit is None or channel is None:  # pragma: no cover - foreign keys forbid it
        raise NotFoundError(f"hồ sơ số {case_id} thiếu đơn vị hoặc kênh")
    messages = session.execute(
        select(
            Message.created_at, Message.direction, Message.kind, Message.citizen_id, Message.text
        )
        .where(Message.case_id == case.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    order = _sender_order(case.citizen_id, [m.citizen_id for m in messages])
    names = _names_by_case(session, [case.id]).get(case.id, ()) if redacted else ()
    views = tuple(
        MessageView(
            at=m.created_at,
            direction=m.direction,
            kind=m.kind,
            sender=order.get(m.citizen_id) if m.direction == "in" else None,
            text=redact_text(m.text, names) if redacted else (m.text or ""),
        )
        for m in messages
    )
    tip_id = session.scalar(select(Tip.id).where(Tip.case_id == case.id))
    return CaseView(
        case_id=case.id,
        reference=case.reference,
        unit_code=unit.code,
        unit_name=unit.name,
        channel_key=channel.key,
        channel_name=channel.name,
        platform=channel.platform,
        kind=case.kind,
        category=case.category,
        topic=case.topic,
        urgent=case.urgent,
        status=case.status,
        opened_at=case.opened_at,
        waiting_since=case.awaiting_since,
        first_response_at=case.first_response_at,
        due_at=case.sla_due_at,
        state=sla_state(
            warn_at=case.sla_warn_at, due_at=case.sla_due_at, breached=case.sla_breached, now=now
        )
        if case.status == "open"
        else "none",
        turn_no=case.turn_no,
        conversation_url=conversation_url(channel.platform, channel.platform_id, case.permalink),
        tip_id=tip_id,
        messages=views,
        redacted=redacted,
    )


def _sender_order(owner: int | None, writers: Iterable[int | None]) -> dict[int, int]:
    order: dict[int, int] = {}
    for citizen_id in [owner, *writers]:
        if citizen_id is not None and citizen_id not in order:
            order[citizen_id] = len(order) + 1
    return order


def case_identity(session: Session, case_id: int) -> list[CitizenIdentity]:
    """PROTECTED: who wrote in the case. Only for the identity view, after `log_identity_view`."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    writers = session.scalars(
        select(Message.citizen_id)
        .where(Message.case_id == case.id, Message.citizen_id.is_not(None))
        .order_by(Message.created_at, Message.id)
    ).all()
    order = _sender_order(case.citizen_id, writers)
    if not order:
        return []
    citizens = {c.id: c for c in session.scalars(select(Citizen).where(Citizen.id.in_(order)))}
    return [
        CitizenIdentity(
            sender=number,
            display_name=citizens[citizen_id].protected_display_name,
            platform_user_id=citizens[citizen_id].platform_user_id,
            profile=_flatten(citizens[citizen_id].protected_profile),
        )
        for citizen_id, number in order.items()
        if citizen_id in citizens
    ]


def _flatten(value: object, prefix: str = "") -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        items: list[tuple[str, str]] = []
        for key, item in value.items():
            items.extend(_flatten(item, f"{prefix}{key}."))
        return tuple(items)
    if isinstance(value, list):
        return tuple(
            pair for i, item in enumerate(value) for pair in _flatten(item, f"{prefix}{i}.")
        )
    if value is None:
        return ()
    return ((prefix.rstrip("."), str(value)),)


def log_identity_view(session: Session, case_id: int, *, actor: str, now: datetime) -> None:
    """Append the `identity_viewed` audit row (the caller commits before showing anything)."""
    record_audit(
        session, entity_type="case", entity_id=case_id, action=IDENTITY_VIEWED, actor=actor, at=now
    )
    session.flush()


def identity_view_log(
    session: Session, case_id: int, limit: int = 20
) -> list[tuple[datetime, str]]:
    """Who opened the identity of this case, newest first."""
    rows = session.execute(
        select(AuditLog.at, AuditLog.actor)
        .where(
            AuditLog.entity_type == "case",
            AuditLog.entity_id == str(case_id),
            AuditLog.action == IDENTITY_VIEWED,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [(at, actor) for at, actor in rows]


# --- publications ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationRow:
    id: int
    channel_key: str
    channel_name: str
    platform: str
    period: str
    status: str
    approved_by: str | None
    approved_at: datetime | None
    platform_post_id: str | None
    published_at: datetime | None
    report_href: str | None  # path under the reports directory, for /reports/<path>
    post_url: str | None
    blocked_reason: str | None
    text: str

    @property
    def status_label(self) -> str:
        return PUBLICATION_STATUS_LABELS.get(self.status, self.status)


def publications(session: Session, *, reports_dir: Path, limit: int = 300) -> list[PublicationRow]:
    rows = session.execute(
        select(Publication, Channel.key, Channel.name, Channel.platform)
        .join(Channel, Publication.channel_id == Channel.id)
        .order_by(Publication.period.desc(), Channel.key)
        .limit(limit)
    )
    return [
        PublicationRow(
            id=pub.id,
            channel_key=key,
            channel_name=name,
            platform=platform,
            period=pub.period,
            status=pub.status,
            approved_by=pub.approved_by,
            approved_at=pub.approved_at,
            platform_post_id=pub.platform_post_id,
            published_at=pub.published_at,
            report_href=report_relpath(pub.report_path, reports_dir),
            post_url=post_url(platform, pub.platform_post_id),
            blocked_reason=pub.blocked_reason,
            text=pub.text,
        )
        for pub, key, name, platform in rows
    ]


def report_relpath(report_path: str | None, reports_dir: Path) -> str | None:
    """`report_path` (absolute, or relative to the reports dir) as a path inside it, else None."""
    if not report_path:
        return None
    base = reports_dir.resolve()
    candidate = Path(report_path)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = candidate.resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        return None
    return resolved.relative_to(base).as_posix()


def resolve_report(relpath: str, reports_dir: Path) -> Path:
    """The report file for `/reports/<relpath>`: an existing .html file inside the reports dir.

    Absolute paths, `..`, symlinks leading outside, and other file types are NotFoundError.
    """
    base = reports_dir.resolve()
    if not relpath or "\x00" in relpath or relpath.startswith(("/", "\\")):
        raise NotFoundError("không có báo cáo này")
    resolved = (base / relpath).resolve()
    if (
        not resolved.is_relative_to(base)
        or resolved.suffix.lower() not in (".html", ".htm")
        or not resolved.is_file()
    ):
        raise NotFoundError("không có báo cáo này")
    return resolved


def other_reports(reports_dir: Path, linked: Iterable[str | None], limit: int = 50) -> list[str]:
    """HTML reports in the reports dir that no publication row links to (newest first)."""
    base = reports_dir.resolve()
    seen = {p for p in linked if p}
    files = [
        p.resolve()
        for p in base.rglob("*.htm*")
        if p.is_file() and p.suffix.lower() in (".html", ".htm")
    ]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    found = []
    for path in files:
        rel = path.relative_to(base).as_posix() if path.is_relative_to(base) else None
        if rel and rel not in seen:
            found.append(rel)
        if len(found) >= limit:
            break
    return found


# --- collection health -----------------------------------------------------------------------


@dataclass(frozen=True)
class WatermarkView:
    source: str
    watermark: datetime
    age: timedelta


@dataclass(frozen=True)
class ChannelHealth:
    key: str
    name: str
    unit_name: str
    platform: str
    active: bool
    last_success_at: datetime | None
    last_run_status: str | None
    last_run_at: datetime | None
    watermarks: tuple[WatermarkView, ...]
    oldest_watermark_age: timedelta | None
    last_error: str | None
    last_error_at: datetime | None
    error_kind: str | None
    error_is_current: bool  # no successful collection since the error
    quarantined: int
    state: str  # problem | warning | ok | unknown (the page lists them in that order)

    @property
    def error_kind_label(self) -> str:
        return COLLECTION_ERROR_LABELS.get(self.error_kind or "", "")


def classify_error(text: str | None) -> str | None:
    if not text:
        return None
    if _TOKEN_ERROR.search(text):
        return "token"
    if _RATE_ERROR.search(text):
        return "rate_limit"
    return "other"


def _run_time(run: CollectionRun) -> datetime:
    return run.finished_at or run.started_at


def _succeeded(run: CollectionRun) -> bool:
    return run.finished_at is not None and not run.error and run.status not in FAILED_RUN_STATUSES


def collection_health(
    session: Session, *, now: datetime, runs_per_channel: int = 20
) -> list[ChannelHealth]:
    channels = session.execute(
        select(Channel, Unit.name).join(Unit, Channel.unit_id == Unit.id).order_by(Channel.key)
    ).all()
    watermarks: dict[int, list[WatermarkView]] = defaultdict(list)
    for mark in session.scalars(
        select(CollectionWatermark).order_by(
            CollectionWatermark.channel_id, CollectionWatermark.source
        )
    ):
        watermarks[mark.channel_id].append(
            WatermarkView(mark.source, mark.watermark, now - mark.watermark)
        )
    quarantined = dict(
        session.execute(
            select(Quarantine.channel_id, func.count())
            .where(Quarantine.resolved_at.is_(None))
            .group_by(Quarantine.channel_id)
        ).all()
    )
    result = []
    for channel, unit_name in channels:
        runs = list(
            session.scalars(
                select(CollectionRun)
                .where(CollectionRun.channel_id == channel.id)
                .order_by(CollectionRun.started_at.desc(), CollectionRun.id.desc())
                .limit(runs_per_channel)
            )
        )
        last_success = next((r for r in runs if _succeeded(r)), None)
        if last_success is None:  # older than the recent runs: one more query
            last_success = session.scalar(
                select(CollectionRun)
                .where(
                    CollectionRun.channel_id == channel.id,
                    CollectionRun.finished_at.is_not(None),
                    CollectionRun.error.is_(None),
                    CollectionRun.status.not_in(sorted(FAILED_RUN_STATUSES)),
                )
                .order_by(CollectionRun.finished_at.desc())
                .limit(1)
            )
        failed = next((r for r in runs if r.error), None)
        marks = tuple(watermarks.get(channel.id, ()))
        oldest = max((m.age for m in marks), default=None)
        error_current = failed is not None and (
            last_success is None or _run_time(failed) >= _run_time(last_success)
        )
        count = int(quarantined.get(channel.id, 0))
        if not runs and not marks:
            state = "unknown"
        elif error_current or last_success is None:
            state = "problem"
        elif count or (oldest is not None and oldest > STALE_WATERMARK):
            state = "warning"
        else:
            state = "ok"
        result.append(
            ChannelHealth(
                key=channel.key,
                name=channel.name,
                unit_name=unit_name,
                platform=channel.platform,
                active=channel.active,
                last_success_at=_run_time(last_success) if last_success else None,
                last_run_status=runs[0].status if runs else None,
                last_run_at=_run_time(runs[0]) if runs else None,
                watermarks=marks,
                oldest_watermark_age=oldest,
                last_error=failed.error if failed else None,
                last_error_at=_run_time(failed) if failed else None,
                error_kind=classify_error(failed.error) if failed else None,
                error_is_current=error_current,
                quarantined=count,
                state=state,
            )
        )
    rank = {"problem": 0, "warning": 1, "ok": 2, "unknown": 3}
    return sorted(result, key=lambda h: (rank[h.state], h.key))  # problems first
