"""The approval step (Airflow Human-in-the-loop): options, request, body and reading the answer.

The one source of `APPROVE` / `REJECT` / `EDIT_PARAM` and `hitl_kwargs` for the DAG file and
`scripts/approve_publication.py`, so this module stays import-light: standard library (and
stdlib-only package modules) at module level, nothing that slows DAG parsing. Recording a
decision in the ledger is `publication.decisions`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from citizen_desk.config.durations import format_duration_vi
from citizen_desk.publication.period import WeekPeriod

APPROVE = "Duyệt đăng"
REJECT = "Không đăng"
EDIT_PARAM = "edited_text"


@dataclass(frozen=True)
class ApprovalRequest:
    publication_id: int
    channel_key: str
    subject: str
    body: str
    response_timeout: timedelta

    def as_dict(self) -> dict[str, Any]:
        """XCom form; `hitl_kwargs` of it are the mapped HITLOperator's arguments."""
        return {
            "publication_id": self.publication_id,
            "channel_key": self.channel_key,
            "subject": self.subject,
            "body": self.body,
            "response_timeout": self.response_timeout,
        }


HITL_KWARGS = ("subject", "body", "response_timeout")


def hitl_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    """What the admin sees in the Airflow UI for one request (the HITLOperator's kwargs)."""
    return {name: request[name] for name in HITL_KWARGS}


_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def jinja_literal(text: str) -> str:
    """`text` wrapped so that Jinja rendering gives it back unchanged.

    Airflow renders a HITLOperator's `body` as a template (also when it comes from XCom), so
    officer-written text such as `{{ conn.x.password }}` must never be evaluated there.
    """
    escaped = _ENDRAW.sub(lambda m: "{% endraw %}{{ '" + m.group(0) + "' }}{% raw %}", text)
    return "{% raw %}" + escaped + "{% endraw %}"


def approval_body(
    *,
    unit_name: str,
    channel_key: str,
    period: WeekPeriod,
    text: str,
    timeout: timedelta,
    report_path: str | None,
) -> str:
    """Markdown for the Required Actions page: what to do, then the post exactly as it will go."""
    fence = "````"
    safe = text.replace(fence, "'''")
    lines = [
        f"**{unit_name}** · trang Facebook `{channel_key}` · {period.label_vi}",
        "",
        f"Chọn **{APPROVE}** để đăng bài dưới đây lên trang, **{REJECT}** để bỏ qua tuần này.",
        f"Muốn sửa: dán toàn bộ nội dung mới vào ô `{EDIT_PARAM}` rồi chọn **{APPROVE}**; "
        "nội dung sửa được kiểm tra thông tin cá nhân lại trước khi đăng.",
        f"Không trả lời trong {format_duration_vi(timeout)}: bài **không** được đăng.",
        "",
        f"{fence}text",
        safe.rstrip(),
        fence,
    ]
    if report_path:
        lines += ["", f"Báo cáo nội bộ (số liệu chính xác): `{report_path}`"]
    return "\n".join(lines)


@dataclass(frozen=True)
class Decision:
    """An approver's answer: approved | rejected | timed_out | missing (no HITL result)."""

    outcome: str
    by: str | None = None
    at: datetime | None = None
    edited_text: str | None = None


def parse_instant(value: Any) -> datetime | None:
    """An aware datetime from a datetime or ISO text (naive means UTC); None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def decision_from_hitl(result: Mapping[str, Any] | None) -> Decision:
    """Read a HITLOperator result (`chosen_options`, `params_input`, `responded_by_user`, ...).

    A timeout resolves to the default option with no responding user: not approved.
    """
    if not result:
        return Decision("missing")
    chosen = list(result.get("chosen_options") or [])
    user = result.get("responded_by_user")
    at = parse_instant(result.get("responded_at"))
    if not user:
        return Decision("timed_out", at=at)
    by = str(user.get("name") or user.get("id") or "?") if isinstance(user, Mapping) else str(user)
    if chosen != [APPROVE]:
        return Decision("rejected", by=by, at=at)
    edited = str((result.get("params_input") or {}).get(EDIT_PARAM) or "").strip()
    return Decision("approved", by=by, at=at, edited_text=edited or None)
