"""The approval step (Airflow Human-in-the-loop): options, request, body and reading the answer.

The one source of `APPROVE` / `REJECT` and `hitl_kwargs` for the DAG file and
`scripts/approve_publication.py`, so this module stays import-light: standard library (and
stdlib-only package modules) at module level, nothing that slows DAG parsing. Recording a
decision in the ledger is `publication.decisions`.

Only the registry's publication approvers of the post's unit may answer: each request carries
`assigned_users` (Airflow's `HITLUser` dicts, `{"id", "name"}`; the id is the Airflow user id,
which is the user name under SimpleAuthManager), and the api-server refuses (403) an answer from
anyone else. A request never goes out without them: Airflow lets *anyone* answer a request with
no assigned users, so a post whose unit has no approver is blocked by the gate instead.
`decision_from_hitl` checks the responder against the same list again (all-admins mode lets
everybody answer: such an answer is not an approval).

The request has no free-text field: whatever an approver typed there would be stored in Airflow's
HITL table and XCom (readable by every viewer) before any PII check. Edits are made on the Citizen
Desk publications page instead (`publication.revisions`: gated, then stored in the domain DB);
the body says so and links there, and an approval covers the newest revision saved before it.
A reason for rejecting is not asked either (HITL params would apply to both options alike).
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
# Where an approver edits the post (the Citizen Desk page and its button), as the body names them.
EDIT_PAGE = "Citizen Desk → Bài đăng & báo cáo"
EDIT_BUTTON = "Sửa nội dung"


@dataclass(frozen=True)
class ApprovalRequest:
    publication_id: int
    channel_key: str
    subject: str
    body: str
    response_timeout: timedelta
    approvers: tuple[str, ...]  # Airflow user names (registry `access:`), never empty
    # the auth manager's id of each approver, where it is not the name (FAB: its numeric id)
    approver_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.approvers:  # Airflow would let anyone answer a request without assignees
            raise ValueError(f"approval request for {self.channel_key} has no approver")
        if self.approver_ids and len(self.approver_ids) != len(self.approvers):
            raise ValueError(f"approval request for {self.channel_key}: one id per approver")

    def as_dict(self) -> dict[str, Any]:
        """XCom form; `hitl_kwargs` of it are the mapped HITLOperator's arguments."""
        return {
            "publication_id": self.publication_id,
            "channel_key": self.channel_key,
            "subject": self.subject,
            "body": self.body,
            "response_timeout": self.response_timeout,
            "assigned_users": assigned_users(self.approvers, self.approver_ids),
        }


HITL_KWARGS = ("subject", "body", "response_timeout", "assigned_users")


def assigned_users(
    approvers: tuple[str, ...] | list[str], ids: tuple[str, ...] | list[str] = ()
) -> list[dict[str, str]]:
    """Airflow's `HITLUser` shape (`{"id", "name"}`) for each approver: Airflow checks the id
    (`user.get_id()`), which is the user name under SimpleAuthManager and FAB's numeric id
    under FAB (`airflow_user_ids:` in the registry)."""
    return [
        {"id": id_, "name": name} for name, id_ in zip(approvers, ids or approvers, strict=True)
    ]


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


FIGURES_DOC = 'README, mục "Weekly results" (định nghĩa trong `publication/figures.py`)'


def edit_url(desk_base_url: str, publication_id: int) -> str:
    """The Citizen Desk page where the post's text is edited (`web/routes/publications.py`)."""
    return f"{desk_base_url.rstrip('/')}/publications/{publication_id}/edit"


def approval_body(
    *,
    unit_name: str,
    channel_key: str,
    period: WeekPeriod,
    text: str,
    timeout: timedelta,
    report_path: str | None,
    edit_link: str,
    zalo_text: str | None = None,
    zalo_key: str | None = None,
) -> str:
    """Markdown for the Required Actions page: what to do, where to edit, then exactly what will
    be posted on each channel (the Facebook post; the Zalo OA text when the unit has one)."""
    fence = "````"

    def block(body: str) -> list[str]:
        return [f"{fence}text", body.replace(fence, "'''").rstrip(), fence]

    lines = [
        f"**{unit_name}** · trang Facebook `{channel_key}` · {period.label_vi}",
        "",
        f"Chọn **{APPROVE}** để đăng bài lên trang, **{REJECT}** để bỏ qua tuần này "
        "(không cần nêu lý do).",
        f"Muốn sửa nội dung: vào **{EDIT_PAGE}**, dòng của bài này → **{EDIT_BUTTON}** "
        f"([mở trang sửa]({edit_link})), lưu bản sửa (được kiểm tra thông tin cá nhân trước khi "
        f"lưu), rồi quay lại đây chọn **{APPROVE}**.",
        f"Bài được đăng là **bản sửa mới nhất đã lưu trước khi bạn chọn {APPROVE}**; chưa có bản "
        "sửa thì đăng nguyên văn bài dưới đây. Bản sửa lưu sau khi đã chọn không được dùng.",
        f"Không trả lời trong {format_duration_vi(timeout)}: bài **không** được đăng.",
        f"Cách tính các số liệu: {FIGURES_DOC}.",
        "",
        "**Facebook** – bài sẽ đăng nếu không có bản sửa:",
        *block(text),
    ]
    if zalo_text is not None:
        lines += [
            "",
            f"**Zalo OA** `{zalo_key}` – đăng thành bài viết trên Zalo OA theo quyết định này "
            "(bản sửa chỉ áp dụng cho Facebook):",
            *block(zalo_text),
        ]
    if report_path:
        lines += ["", f"Báo cáo nội bộ (số liệu chính xác): `{report_path}`"]
    return "\n".join(lines)


@dataclass(frozen=True)
class Decision:
    """An approver's answer: approved | rejected | timed_out | missing (no HITL result).

    `at` is when the approver answered: an approval covers the revisions saved before it."""

    outcome: str
    by: str | None = None
    at: datetime | None = None


def parse_instant(value: Any) -> datetime | None:
    """An aware datetime from a datetime or ISO text (naive means UTC); None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def decision_from_hitl(
    result: Mapping[str, Any] | None, approvers: list[Mapping[str, Any]] | None = None
) -> Decision:
    """Read a HITLOperator result (`chosen_options`, `responded_by_user`, `responded_at`).

    A timeout resolves to the default option with no responding user: not approved. With
    `approvers` (the request's `assigned_users`), an approval by anyone else counts as a
    rejection (the api-server checks this already, except in SimpleAuthManager's all-admins mode).
    """
    if not result:
        return Decision("missing")
    chosen = list(result.get("chosen_options") or [])
    user = result.get("responded_by_user")
    at = parse_instant(result.get("responded_at"))
    if not user:
        return Decision("timed_out", at=at)
    by = str(user.get("name") or user.get("id") or "?") if isinstance(user, Mapping) else str(user)
    user_id = str(user.get("id") or "") if isinstance(user, Mapping) else str(user)
    if approvers is not None and user_id not in {str(a.get("id")) for a in approvers}:
        return Decision("rejected", by=by, at=at)
    if chosen != [APPROVE]:
        return Decision("rejected", by=by, at=at)
    return Decision("approved", by=by, at=at)
