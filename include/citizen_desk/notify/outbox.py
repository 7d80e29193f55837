"""The notification outbox: every Slack message is written here first, then sent exactly once.

`enqueue` adds a notification under its idempotency key (table `notifications`, unique
`idempotency_key`) after the PII gate. The gate never silences an alert because of its free text:
a caller whose message shows free text (an excerpt) passes it as `FreeText`, the fields and a way
to re-render the message with other values. When the gate refuses the payload, the offending
fields (every field, if none fails alone) are replaced by `WITHHELD` plus the case reference and
link, and the re-rendered message is stored `pending` and sent as usual; the audit log records
which fields were withheld and the finding kinds, and the technical admins get one notice per case
and kinds (`pii-withheld:...`, kinds only, never the text). Only a payload that still fails (the
personal data sits in a structural field, or the caller passed no `FreeText`) is stored `blocked`,
never sent, and alerted to the admins (`pii-blocked:...`). `notify_admins` is the admins' alert;
`notify.operations` holds those behind `citizen-desk outbox`. Sending is
`citizen_desk.notify.delivery`. `citizen_desk.notify.batch.enqueue_many` is `enqueue` for a
sweep's batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.audit import record_audit
from citizen_desk.db.models import Notification
from citizen_desk.db.types import utc
from citizen_desk.db.upsert import insert_if_absent
from citizen_desk.domain.lanes import lane_for

if TYPE_CHECKING:
    from citizen_desk.config.registry import Registry
    from citizen_desk.notify.blocks import SlackMessage
    from citizen_desk.privacy.excerpt import Verdict

log = logging.getLogger(__name__)

ADMIN_ALERT = "admin_alert"
PII_BLOCKED = "pii_blocked"
PII_WITHHELD = "pii_withheld"
ADMIN_KINDS = (ADMIN_ALERT, PII_BLOCKED, PII_WITHHELD)
WITHHELD = "nội dung có thông tin cá nhân — xem trong Citizen Desk"


@dataclass(frozen=True)
class FreeText:
    """The free text a message shows, and how to render the message without it.

    `fields` maps a field name (e.g. `excerpt`) to the text shown; `render(values)` renders the
    same message with those fields set to `values` instead.
    """

    fields: Mapping[str, str]
    render: Callable[[Mapping[str, str]], SlackMessage]
    case_ref: str
    case_url: str
    # our own values the message shows (reference, unit, labels, times as rendered; never a
    # citizen's text, which goes in `fields`): the gate judges each alone and the template's
    # wording once, with them set apart (`notify.gate`)
    ours: Sequence[str] = ()
    # verdicts on fields judged alone already (a kept excerpt's), held only for their very text
    judged: Sequence[Verdict] = ()

    def placeholder(self) -> str:
        """`WITHHELD`, then a link to the case (Slack mrkdwn, already escaped)."""
        from citizen_desk.notify.blocks import SlackSafe, escape_mrkdwn, link

        return SlackSafe(f"{escape_mrkdwn(WITHHELD)}: {link(self.case_url, self.case_ref)}")


# --- enqueue -------------------------------------------------------------------------------------


def payload_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(payload_json(payload).encode()).hexdigest()


def payload_json(payload: Mapping[str, Any]) -> str:
    """What `payload_hash` hashes; `enqueue_many` COPYs it as the payload (one serialisation)."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _strings(value: Any) -> Iterable[str]:
    """Every string value in `value` (dict values, list items), in order (a list: cheaper than
    a generator per level over a sweep's thousands of payloads)."""
    found: list[str] = []
    _collect_strings(value, found)
    return found


def _collect_strings(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_strings(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_strings(item, found)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(v, fn) for v in value]
    return value


def default_registry() -> Registry:
    """The configured registry (for callers that pass none)."""
    from citizen_desk.config.registry import current_registry

    return current_registry()


def _without_safe_links(text: str, safe_prefixes: Sequence[str]) -> str:
    """Drop our own case-view links: the gate treats every URL as personal data."""
    for prefix in safe_prefixes:
        base = prefix.rstrip("/")
        if base in text:  # most strings of a payload hold no link
            text = _safe_link(base).sub("", text)
    return text


@lru_cache(maxsize=64)
def _safe_link(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base) + r"(?:/[^\s|>]*)?")


GateMemo = MutableMapping[tuple[str, bool], tuple[str, frozenset[str]]]  # a batch's: `gate.Memo`


def _pii_findings(
    payload: Mapping[str, Any],
    names: Sequence[str],
    key: str,
    safe_prefixes: Sequence[str],
    memo: GateMemo | None = None,
    free_text: FreeText | None = None,
    ours: Sequence[str] = (),
) -> list[str]:
    """Finding kinds of the PII gate over every string of the payload ([] = clean); the fields
    of `free_text` and our own values (`free_text.ours`, else `ours`: a digest's) judged on
    their own (`citizen_desk.notify.gate`)."""
    from citizen_desk.errors import PiiDetectedError
    from citizen_desk.privacy import pii_gate

    strings = [_without_safe_links(s, safe_prefixes) for s in _strings(payload)]
    if free_text is not None or ours:
        from citizen_desk.notify.gate import gate_kinds

        fields = [v for v in free_text.fields.values() if v] if free_text is not None else []
        values, judged = (free_text.ours, free_text.judged) if free_text is not None else (ours, ())
        ours = [_without_safe_links(v, safe_prefixes) for v in values]
        return sorted(gate_kinds(strings, fields, names, f"notification {key}", memo, ours, judged))
    try:
        pii_gate(strings, names=tuple(names), where=f"notification {key}", memo=memo)
    except PiiDetectedError as exc:
        return sorted(set(exc.kinds)) or ["unknown"]
    return []


@dataclass(frozen=True)
class Outgoing:
    """One notification to enqueue (the arguments of `enqueue` that differ from row to row).

    `priority` replaces the lane derived from `kind` when the row goes out (a catch-up summary
    listing urgent tips); a blocked row keeps its kind's. `ours`: a message without free text
    (a digest) lists our own values, for the gate to judge each alone and the wording once."""

    key: str
    kind: str
    recipient: str
    text: str
    blocks: list | None = None
    pii_names: Sequence[str] = ()
    free_text: FreeText | None = None
    priority: int | None = None
    ours: Sequence[str] = ()


@dataclass(frozen=True)
class _Prepared:
    item: Outgoing
    values: dict[str, Any]
    findings: list[str]
    withheld: dict[str, list[str]]
    payload_json: str  # `payload_json(values["payload"])`: hashed, and COPYed as is


def _safe_prefixes(registry: Registry | None, safe_links: Sequence[str] | None) -> tuple[str, ...]:
    safe = tuple(safe_links) if safe_links is not None else ()
    return (*safe, registry.case_view_base_url) if registry is not None else safe


def _prepare(
    item: Outgoing,
    now: datetime,
    source: str | None,
    safe: Sequence[str],
    memo: GateMemo | None = None,
) -> _Prepared:
    """The row to insert for `item`: gated, its free text withheld or the whole row blocked."""
    key, text, blocks = item.key, item.text, item.blocks
    names = tuple(n for n in item.pii_names if n)
    payload: dict[str, Any] = {"text": text, "blocks": list(blocks or [])}
    findings = _pii_findings(payload, names, key, safe, memo, item.free_text, item.ours)
    withheld: dict[str, list[str]] = {}
    if findings and item.free_text is not None:
        fallback, withheld = _withhold(item.free_text, findings, names, key, safe, memo)
        if withheld:
            payload, findings = fallback, _pii_findings(fallback, names, key, safe, memo)
    status, last_error = "pending", None
    if findings:
        from citizen_desk.privacy import redact

        payload = _map_strings(
            {"text": text, "blocks": list(blocks or [])}, lambda s: redact(s, names=names)
        )
        status = "blocked"
        last_error = f"blocked by the PII gate: {', '.join(findings)}"
    canonical = payload_json(payload)
    values = {
        "idempotency_key": key,
        "kind": item.kind,
        "recipient": item.recipient,
        "payload": payload,
        "payload_hash": hashlib.sha256(canonical.encode()).hexdigest(),
        "status": status,
        "attempts": 0,
        "last_error": last_error,
        "created_at": now,
        "next_attempt_at": now if status == "pending" else None,
        "source": source,
        "priority": (
            item.priority
            if item.priority is not None and status == "pending"
            else lane_for(item.kind)
        ),
    }
    return _Prepared(item, values, findings, withheld, canonical)


def _settle(
    session: Session, registry: Registry | None, prepared: _Prepared, row_id: int, now: datetime
) -> None:
    """What follows the insert of a refused payload: the admins told (blocked), the audit row
    and the admins' notice (withheld)."""
    item, findings, withheld = prepared.item, prepared.findings, prepared.withheld
    if findings:
        log.warning("notification %s blocked by the PII gate (%s)", item.key, ", ".join(findings))
        if item.kind != PII_BLOCKED and registry is not None:  # a blocked alert's alert would loop
            _alert_blocked(
                session, registry, key=item.key, kind=item.kind, findings=findings, now=now
            )
    elif withheld and item.free_text is not None and registry is not None:
        _record_withheld(
            session, registry, item.key, row_id, item.kind, item.free_text.case_ref, withheld, now
        )


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    recipient: str,
    text: str,
    blocks: list | None = None,
    now: datetime,
    source: str | None = None,
    pii_names: Sequence[str] = (),
    registry: Registry | None = None,
    free_text: FreeText | None = None,
    safe_links: Sequence[str] | None = None,
) -> Notification | None:
    """Add a notification unless its key exists (then None). Runs the PII gate first.

    Links to the registry's `case_view_base_url` are the only URLs the gate lets through. A
    payload the gate refuses is re-rendered with its `free_text` withheld and goes out as usual
    (audited, admins told once); if it still fails, it is stored `blocked` (redacted payload, only
    the finding kinds in `last_error`), is never sent, and raises one `pii_blocked` alert to the
    technical admins. `registry` defaults to the configured one, unless `safe_links` replaces
    its case-view link (an alert that must not depend on the registry). The caller commits.
    """
    now = utc(now)
    if session.scalar(select(Notification.id).where(Notification.idempotency_key == key)):
        return None
    if registry is None and safe_links is None:
        registry = default_registry()
    item = Outgoing(key, kind, recipient, text, blocks, tuple(pii_names), free_text)
    prepared = _prepare(item, now, source, _safe_prefixes(registry, safe_links))
    if not insert_if_absent(session, Notification, prepared.values, ["idempotency_key"]):
        return None
    row = session.scalars(select(Notification).where(Notification.idempotency_key == key)).one()
    _settle(session, registry, prepared, row.id, now)
    return row


def _withhold(
    free_text: FreeText,
    findings: Sequence[str],
    names: Sequence[str],
    key: str,
    safe_prefixes: Sequence[str],
    memo: GateMemo | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The payload re-rendered without the offending free text, and field -> finding kinds.

    A field that fails the gate alone is withheld; when none does (the finding straddles a field
    and its surroundings), every non-empty field is.
    """
    withheld = {
        name: kinds
        for name, value in free_text.fields.items()
        if value and (kinds := _pii_findings({"v": value}, names, key, safe_prefixes, memo))
    }
    if not withheld:
        withheld = {name: list(findings) for name, value in free_text.fields.items() if value}
    if not withheld:
        return {}, {}
    placeholder = free_text.placeholder()
    message = free_text.render({name: placeholder for name in withheld})
    return {"text": message.text, "blocks": list(message.blocks)}, withheld


def withheld_notice_key(case_ref: str, withheld: Mapping[str, Sequence[str]]) -> str:
    """The admins' notice about a case's withheld text: one per case, fields and kinds."""
    kinds = sorted({k for field_kinds in withheld.values() for k in field_kinds})
    return f"pii-withheld:{case_ref}:{'+'.join(sorted(withheld))}:{'+'.join(kinds)}"


def _record_withheld(
    session: Session,
    registry: Registry,
    key: str,
    row_id: int,
    kind: str,
    case_ref: str,
    withheld: Mapping[str, Sequence[str]],
    now: datetime,
) -> None:
    """Audit what was withheld from this notification, and tell the admins once per case/kinds."""
    kinds = sorted({k for field_kinds in withheld.values() for k in field_kinds})
    fields = sorted(withheld)
    log.warning(
        "notification %s: %s withheld by the PII gate (%s)",
        key,
        ", ".join(fields),
        ", ".join(kinds),
    )
    record_audit(
        session,
        entity_type="notification",
        entity_id=row_id,
        action="notification_pii_withheld",
        actor="outbox",
        at=now,
        after={"withheld": {name: sorted(set(k)) for name, k in withheld.items()}},
        note=f"{case_ref}: {', '.join(fields)} withheld ({', '.join(kinds)})",
    )
    text = (
        f"Hồ sơ {case_ref}: phần {', '.join(fields)} của thông báo {kind} có thông tin cá "
        f"nhân ({', '.join(kinds)}) mà bộ che thông tin chưa che được. Thông báo vẫn được gửi, "
        f"phần đó được thay bằng ghi chú “{WITHHELD}”; kiểm tra bộ che thông tin với hồ sơ này."
    )
    notify_admins(
        session,
        registry,
        key=withheld_notice_key(case_ref, withheld),
        text=text,
        now=now,
        source="outbox",
        title="Đã che nội dung có thông tin cá nhân trong thông báo",
        kind=PII_WITHHELD,
    )


def _alert_blocked(
    session: Session,
    registry: Registry,
    *,
    key: str,
    kind: str,
    findings: Sequence[str],
    now: datetime,
) -> None:
    text = (
        f"Đã chặn thông báo {key} (loại {kind}): nội dung có thông tin cá nhân "
        f"({', '.join(findings)}). Thông báo không được gửi; kiểm tra mẫu tin hoặc dữ liệu nguồn "
        f"(python -m citizen_desk outbox list --status blocked)."
    )
    notify_admins(
        session,
        registry,
        key=f"pii-blocked:{key}",
        text=text,
        now=now,
        source="outbox",
        title="Thông báo bị chặn do có thông tin cá nhân",
        kind=PII_BLOCKED,
    )


def admin_recipients(registry: Registry) -> list[str]:
    """The technical admins; without any, the root unit's duty officer."""
    admins = list(dict.fromkeys(registry.technical_admins))
    if admins:
        return admins
    for unit in registry.units:
        if unit.parent is None and unit.contacts.get("duty_officer"):
            return [unit.contacts["duty_officer"]]
    return []


def notify_admins(
    session: Session,
    registry: Registry,
    *,
    key: str,
    text: str,
    now: datetime,
    source: str | None = None,
    title: str | None = None,
    kind: str = ADMIN_ALERT,
) -> int:
    """Enqueue `text` to every technical admin (key `{key}:{admin}`); returns how many were new."""
    from citizen_desk.notify.blocks import render_message

    message = render_message("admin_alert", title=title or "Cảnh báo kỹ thuật", body=text)
    count = 0
    for admin in admin_recipients(registry):
        row = enqueue(
            session,
            key=f"{key}:{admin}",
            kind=kind,
            recipient=admin,
            text=message.text,
            blocks=message.blocks,
            now=now,
            source=source,
            registry=registry,
        )
        count += row is not None
    return count
